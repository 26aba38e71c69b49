package pullsim

// Applying an object a second time. kubectl apply finds an object it
// applied before under its kind, namespace and name, and sends a patch
// computed three ways (k8s.io/kubectl/pkg/cmd/apply, strategic merge
// patch): from the manifest it applied last (kept in the object's
// kubectl.kubernetes.io/last-applied-configuration annotation), the new
// manifest and the object as the API server stores it. The API server
// defaulted the stored object when it was created (SetDefaults_Container in
// pkg/apis/core/v1/defaults.go), and the patch leaves alone every field
// neither manifest sets: an imagePullPolicy the API server filled in stays
// as it is when the image changes later, even to a "latest" tag.

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/pullpolicy"
)

// workloadKey is how kubectl apply finds an object again. A Pod is also
// kept under its node, as pullsim keeps pods per node (the same Pod
// applied to two nodes is two pods): its spec.nodeName, else the node of
// the apply step; other objects are the cluster's.
type workloadKey struct {
	kind, namespace, name string
	node                  string
}

// String names the object as the transcript does: "deployment/web".
func (k workloadKey) String() string {
	// kubectl names a resource with its API group: deployment.apps/web,
	// job.batch/migrate, pod/app.
	group := ""
	switch k.kind {
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet":
		group = ".apps"
	case "Job", "CronJob":
		group = ".batch"
	}
	return strings.ToLower(k.kind) + group + "/" + k.name
}

// appliedWorkload is what the API server holds for an object an apply step
// created: the manifest applied last, the template as stored, and the
// pods its controller made from it that are still there.
type appliedWorkload struct {
	// last is the pod template of the manifest applied last, as written:
	// the last-applied-configuration annotation.
	last *corev1.PodTemplateSpec
	// stored is the template the API server stores, every pull policy
	// set: defaulted at create, merged by mergePullPolicies on update.
	stored *corev1.PodTemplateSpec
	// count is how many pods the manifest makes (its replicas).
	count int
	// pods are its pods that no step has deleted.
	pods []podKey
	// revision counts its rollouts; see kube.Workload.PodsFrom.
	revision int
	// nodes are the nodes a DaemonSet was applied to (kube.Result.Nodes).
	nodes []string
}

// defaulted returns a copy of t with every empty pull policy filled in as
// the API server fills it in when the object is created: by rule d, from
// the image of the container or image volume.
func defaulted(t *corev1.PodTemplateSpec, d pullpolicy.Defaulting) *corev1.PodTemplateSpec {
	return mergePullPolicies(nil, nil, t, d)
}

// mergePullPolicies returns the template the API server stores when a
// manifest whose template is applied replaces one whose template was last,
// over the stored template stored (nil for a create): a copy of applied in
// which each container (in containers and initContainers, matched by name
// within its list) and each image volume (matched by name) gets its pull
// policy by kubectl apply's three-way rule:
//
//	applied sets it          the applied value
//	last set it, applied not removed by the patch: defaulted again from the new image
//	neither sets it          the stored value, untouched by the patch
//	                         (defaulted from the new image when nothing is stored)
//
// Defaulting is rule d, SetDefaults_Container's and SetDefaults_Volume's.
func mergePullPolicies(last, stored, applied *corev1.PodTemplateSpec, d pullpolicy.Defaulting) *corev1.PodTemplateSpec {
	out := applied.DeepCopy()
	var lastSpec, storedSpec corev1.PodSpec
	if last != nil {
		lastSpec = last.Spec
	}
	if stored != nil {
		storedSpec = stored.Spec
	}
	merge := func(cs, lastCs, storedCs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			c.ImagePullPolicy = corev1.PullPolicy(threeWay(
				string(c.ImagePullPolicy),
				string(containerNamed(lastCs, c.Name).ImagePullPolicy),
				string(containerNamed(storedCs, c.Name).ImagePullPolicy),
				c.Image, d))
		}
	}
	merge(out.Spec.Containers, lastSpec.Containers, storedSpec.Containers)
	merge(out.Spec.InitContainers, lastSpec.InitContainers, storedSpec.InitContainers)
	for i := range out.Spec.Volumes {
		v := &out.Spec.Volumes[i]
		if v.Image == nil {
			continue
		}
		v.Image.PullPolicy = corev1.PullPolicy(threeWay(
			string(v.Image.PullPolicy),
			string(imageVolumeNamed(lastSpec.Volumes, v.Name).PullPolicy),
			string(imageVolumeNamed(storedSpec.Volumes, v.Name).PullPolicy),
			v.Image.Reference, d))
	}
	return out
}

// threeWay is mergePullPolicies' rule for one field: the value applied,
// last applied and stored, and the image it defaults from.
func threeWay(applied, last, stored, image string, d pullpolicy.Defaulting) string {
	switch {
	case applied != "":
		return applied
	case last == "" && stored != "":
		return stored
	default:
		return string(d.Default(image))
	}
}

func containerNamed(cs []corev1.Container, name string) corev1.Container {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return corev1.Container{}
}

func imageVolumeNamed(vs []corev1.Volume, name string) corev1.ImageVolumeSource {
	for _, v := range vs {
		if v.Name == name && v.Image != nil {
			return *v.Image
		}
	}
	return corev1.ImageVolumeSource{}
}

// update is what applying w again does to the object a, as the API server
// and w's controller would: the template the API server stores
// (merged), whether it rolls out (new pods, after which a's pods are to
// be deleted), and the word kubectl prints. It changes nothing: the
// caller commits the update once its pods are made. It returns an error
// for an update pullsim refuses: one the API server refuses (a Pod's
// fields other than its images, a Job's template), one the node cannot
// carry out (a Pod's image, which kubectl would patch in place) and one
// pullsim does not model (a StatefulSet's rollout, a change of replicas
// alone, a DaemonSet applied to other nodes than before).
func (a *appliedWorkload) update(k workloadKey, w kube.Workload, nodes []string, d pullpolicy.Defaulting) (merged *corev1.PodTemplateSpec, rollout bool, word string, err error) {
	merged = mergePullPolicies(a.last, a.stored, w.Template, d)
	if k.kind == "DaemonSet" && !slices.Equal(slices.Sorted(slices.Values(a.nodes)), slices.Sorted(slices.Values(nodes))) {
		return nil, false, "", fmt.Errorf("%s: applied to nodes %q, and to %q before: pullsim keeps a DaemonSet on the nodes it was first applied to; apply it to the same nodes (apply.nodes), or under another name", k, nodes, a.nodes)
	}
	sameManifest := equality.Semantic.DeepEqual(a.last, w.Template) && a.count == w.Count
	sameTemplate := equality.Semantic.DeepEqual(a.stored, merged)
	switch {
	case sameManifest:
		return merged, false, "unchanged", nil
	case sameTemplate && a.count != w.Count:
		return nil, false, "", fmt.Errorf("%s: spec.replicas changed from %d to %d with the same pod template: pullsim does not scale a workload; apply it under another name", k, a.count, w.Count)
	case sameTemplate:
	case k.kind == "Pod":
		if onlyImages(a.stored, merged) {
			return nil, false, "", fmt.Errorf("%s: kubectl apply would change the pod's images in place (a pod's image may be updated; the kubelet then restarts the container with the new image), which pullsim does not model: delete the pod in an earlier step, then apply it", k)
		}
		return nil, false, "", fmt.Errorf("%s: The Pod %q is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)", k, k.name)
	case k.kind == "Job":
		return nil, false, "", fmt.Errorf("%s: The Job %q is invalid: spec.template: Invalid value: field is immutable (apply the changed Job under another name)", k, k.name)
	case k.kind == "StatefulSet":
		return nil, false, "", fmt.Errorf("%s: the pod template changed: pullsim does not roll out a StatefulSet (its controller would delete each pod, from the highest ordinal, and create it again under the same name); apply it under another name", k)
	case k.kind == "Deployment" || k.kind == "DaemonSet":
		rollout = true
	}
	// ReplicaSets, ReplicationControllers and CronJobs store the new
	// template and leave their pods: only pods they make later use it.
	return merged, rollout, "configured", nil
}

// onlyImages reports whether two pod templates differ at most in their
// containers' and init containers' images: the update the API server
// allows on a Pod.
func onlyImages(a, b *corev1.PodTemplateSpec) bool {
	strip := func(t *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
		t = t.DeepCopy()
		for _, cs := range [][]corev1.Container{t.Spec.Containers, t.Spec.InitContainers} {
			for i := range cs {
				cs[i].Image = ""
			}
		}
		return t
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

// planUpdates returns the pods an apply step's manifests make, given the
// objects earlier steps applied: for each object in document order, the
// pods of a create; none for an object applied again unchanged, or whose
// controller keeps its pods; the pods of the new template for a rollout,
// whose old pods it adds to pl.deletes. It returns with each pod the node
// its controller binds it to (kube.Result.Nodes) and the object it belongs
// to (nil for one named by generateName, which is not kept), records the
// updates in pl.updates, and renumbers the Pods of res.ServiceAccounts and
// res.Secrets (which share their arrays with the caller's) to count the
// pods it returns. It
// reports each update pullsim refuses to bad and goes on.
func planUpdates(res kube.Result, pl *plannedStep, stepNode string, applied map[workloadKey]*appliedWorkload, d pullpolicy.Defaulting, bad func(error)) (pods []node.Pod, bound []string, owners []*appliedWorkload) {
	add := func(ps []node.Pod, ns []string, a *appliedWorkload) {
		for i, p := range ps {
			pods = append(pods, p)
			n := ""
			if ns != nil {
				n = ns[i]
			}
			bound = append(bound, n)
			owners = append(owners, a)
		}
	}
	starts := map[int]int{} // an index of res.Pods -> the count of pods before it
	start := func(i int) {
		if _, ok := starts[i]; !ok {
			starts[i] = len(pods)
		}
	}
	for _, w := range res.Workloads {
		start(w.Pods)
		created, nodes := res.Pods[w.Pods:w.Pods+w.Count], res.Nodes[w.Pods:w.Pods+w.Count]
		if w.Name == "" {
			add(created, nodes, nil)
			continue
		}
		k := workloadKey{kind: w.Kind, namespace: w.Namespace, name: w.Name}
		if w.Kind == "Pod" {
			k.node = stepNode
			if w.Template.Spec.NodeName != "" {
				k.node = w.Template.Spec.NodeName
			}
		}
		a := applied[k]
		if a == nil {
			a = &appliedWorkload{last: w.Template, stored: defaulted(w.Template, d), count: w.Count, nodes: slices.Clone(nodes)}
			applied[k] = a
			add(created, nodes, a)
			continue
		}
		merged, rollout, word, err := a.update(k, w, nodes, d)
		if err != nil {
			bad(err)
			continue
		}
		var ps []node.Pod
		var ns []string
		if rollout {
			if ps, ns, err = w.PodsFrom(merged, a.revision+1); err != nil {
				bad(fmt.Errorf("%s: %w", k, err))
				continue
			}
		}
		// The update holds: the API server stores it.
		if word != "unchanged" {
			a.last, a.stored, a.count = w.Template, merged, w.Count
		}
		pl.updates = append(pl.updates, plannedUpdate{Pods: len(pods), order: w.Order, label: k.String() + " " + word})
		if !rollout {
			continue
		}
		a.revision++
		pl.deletes = append(pl.deletes, a.pods...)
		a.pods = nil
		add(ps, ns, a)
	}
	start(len(res.Pods))
	for i := range res.ServiceAccounts {
		res.ServiceAccounts[i].Pods = starts[res.ServiceAccounts[i].Pods]
	}
	for i := range res.Secrets {
		res.Secrets[i].Pods = starts[res.Secrets[i].Pods]
	}
	return pods, bound, owners
}

// forgetPod removes a pod a delete step deletes from the objects applied:
// a Pod is gone from the API server, a controller's pod from its list.
func forgetPod(applied map[workloadKey]*appliedWorkload, k podKey) {
	for key, a := range applied {
		if !slices.Contains(a.pods, k) {
			continue
		}
		a.pods = slices.DeleteFunc(a.pods, func(q podKey) bool { return q == k })
		if key.kind == "Pod" {
			delete(applied, key)
		}
	}
}
