package pullsim_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim"
	"github.com/pullsim/pullsim/pullpolicy"
)

// Every branch of the lesson's flowchart, and of defaulting, as Explain
// reports it.
func TestExplainFlowchart(t *testing.T) {
	for i, tc := range []struct {
		image    string   // the container's image
		policy   string   // as written; "" leaves it out
		nodeHas  []string // images side-loaded onto the node
		want     pullpolicy.PullPolicy
		verdict  pullsim.Verdict
		onNode   bool
		default_ string // a substring of Defaulting
		why      string // a substring of Why
		events   int
	}{
		{"nginx:1.28", "Always", nil, "Always", pullsim.VerdictPull, false, "set in the manifest", "Always contacts the registry on every container start", 2},
		{"nginx:1.28", "Always", []string{"nginx:1.28"}, "Always", pullsim.VerdictPull, true, "set in the manifest", "even though the node has the image", 2},
		{"nginx:1.28", "", nil, "IfNotPresent", pullsim.VerdictPull, false, `the tag "1.28" is not latest`, "IfNotPresent pulls because the node does not have the image", 2},
		{"nginx:1.28", "", []string{"nginx:1.28"}, "IfNotPresent", pullsim.VerdictCacheHit, true, "defaulted it to IfNotPresent", "IfNotPresent uses the copy on the node", 1},
		{"nginx:1.28", "Never", nil, "Never", pullsim.VerdictNeverPull, false, "set in the manifest", "Never does not pull", 2},
		{"nginx:1.28", "Never", []string{"nginx:1.28"}, "Never", pullsim.VerdictCacheHit, true, "set in the manifest", "Never uses the copy on the node", 1},
		{"nginx", "", nil, "Always", pullsim.VerdictPull, false, "an image without a tag means :latest", "Always contacts", 2},
		{"nginx:latest", "", nil, "Always", pullsim.VerdictPull, false, "because the tag is latest", "Always contacts", 2},
		{"nginx:LATEST", "", nil, "IfNotPresent", pullsim.VerdictPull, false, `the tag "LATEST" is not latest`, "IfNotPresent pulls", 2},
		{"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", nil, "IfNotPresent", pullsim.VerdictPull, false,
			"the image names a digest and no tag", "IfNotPresent pulls", 3}, // not in the registry: the pull fails after the decision
		{"NGINX", "", nil, "IfNotPresent", "", false, "the image does not parse", "did not get to the image decision", 2},
		// The docs say a digest means IfNotPresent; the code looks at the tag.
		{"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", nil, "Always", pullsim.VerdictPull, false,
			"the API server looks only at the tag, although the kubernetes.io Images page says a digest means IfNotPresent", "Always contacts", 3},
	} {
		manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: " + tc.image + "\n"
		if tc.policy != "" {
			manifest += "    imagePullPolicy: " + tc.policy + "\n"
		}
		e, err := pullsim.Explain([]byte(manifest), tc.nodeHas...)
		require.NoError(t, err, "step %d", i)
		require.Len(t, e.Pods, 1)
		c := e.Pods[0].Containers[0]
		assert.Equal(t, tc.want, c.Policy, "step %d: policy", i)
		assert.Equal(t, pullpolicy.PullPolicy(tc.policy), c.Written, "step %d: written", i)
		assert.Equal(t, tc.verdict, c.Decision, "step %d: decision", i)
		assert.Equal(t, tc.onNode, c.OnNode, "step %d: on node", i)
		assert.Contains(t, c.Defaulting, tc.default_, "step %d: defaulting", i)
		assert.Contains(t, c.Why, tc.why, "step %d: why", i)
		var image []string // the image step's events, without the start's Created and Started
		for _, e := range c.Events {
			if !strings.HasPrefix(e, "Normal Created ") && !strings.HasPrefix(e, "Normal Started ") {
				image = append(image, e)
			}
		}
		assert.Len(t, image, tc.events, "step %d: events %q", i, c.Events)
	}
}

func TestExplainErrors(t *testing.T) {
	_, err := pullsim.Explain([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"))
	assert.ErrorContains(t, err, "holds no pod")
	_, err = pullsim.Explain([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x, imagePulPolicy: Never}]}\n"))
	assert.Error(t, err)
	_, err = pullsim.Explain([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"), "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	assert.ErrorContains(t, err, "--node-has")
}

// A ServiceAccount in the file exists for the pods after it, as kubectl
// apply creates it first.
func TestExplainServiceAccountInTheFile(t *testing.T) {
	sa := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app-sa, namespace: team-a}\n"
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: team-a}\nspec:\n  serviceAccountName: app-sa\n  containers: [{name: app, image: nginx:1.27}]\n"
	e, err := pullsim.Explain([]byte(sa + "---\n" + pod))
	require.NoError(t, err)
	require.Len(t, e.Pods, 1)
	assert.Equal(t, pullsim.VerdictPull, e.Pods[0].Containers[0].Decision)
	_, err = pullsim.Explain([]byte(pod))
	assert.EqualError(t, err, `pods "app" is forbidden: error looking up service account team-a/app-sa: serviceaccount "app-sa" not found`)
}

// Each pod is judged on a node that has exactly what Explain was told: an
// earlier pod's pull does not make a later pod's image present.
func TestExplainFreshNodePerPod(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec: {containers: [{name: c, image: 'nginx:1.28'}]}\n"
	}
	for i, tc := range []struct {
		nodeHas []string        // images side-loaded onto each pod's node
		want    pullsim.Verdict // both pods' decision
		onNode  bool
	}{
		{nil, pullsim.VerdictPull, false},
		{[]string{"nginx:1.28"}, pullsim.VerdictCacheHit, true},
	} {
		e, err := pullsim.Explain([]byte(pod("a")+"---\n"+pod("b")), tc.nodeHas...)
		require.NoError(t, err, "step %d", i)
		require.Len(t, e.Pods, 2)
		for _, p := range e.Pods {
			c := p.Containers[0]
			if c.Decision != tc.want || c.OnNode != tc.onNode {
				t.Errorf("step %d: pod %s: got %s, on node %v, want %s, on node %v", i, p.Name, c.Decision, c.OnNode, tc.want, tc.onNode)
			}
		}
	}
}

// Image volumes get an answer of their own; their references are in the
// registry like the containers' images; a container that waits for its
// volume says so; the pod's own events are reported.
func TestExplainImageVolumes(t *testing.T) {
	manifest := func(policy string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: regcred}]\n" +
			"  containers: [{name: c, image: 'nginx:1.28', volumeMounts: [{name: model, mountPath: /m}]}]\n" +
			"  volumes: [{name: model, image: {reference: 'quay.io/org/model:v1'" + policy + "}}]\n"
	}
	for i, tc := range []struct {
		policy  string // the volume's pullPolicy, as written
		nodeHas []string
		want    pullsim.Verdict // the volume's decision
		policyW pullpolicy.PullPolicy
		event   string          // a substring of the volume's events
		ctr     pullsim.Verdict // the container's decision
		ctrWhy  string          // a substring of the container's why
	}{
		{"", nil, pullsim.VerdictPull, "IfNotPresent", "Successfully pulled image \"quay.io/org/model:v1\"", pullsim.VerdictPull, "IfNotPresent pulls"},
		{", pullPolicy: Never", nil, pullsim.VerdictNeverPull, "Never", "is not present with pull policy of Never", "", "mounts image volume model, which is not ready"},
		{", pullPolicy: Never", []string{"quay.io/org/model:v1"}, pullsim.VerdictCacheHit, "Never", "already present", pullsim.VerdictPull, "IfNotPresent pulls"},
	} {
		e, err := pullsim.Explain([]byte(manifest(tc.policy)), tc.nodeHas...)
		require.NoError(t, err, "step %d", i)
		p := e.Pods[0]
		require.Len(t, p.Volumes, 1, "step %d", i)
		v := p.Volumes[0]
		assert.Equal(t, "quay.io/org/model:v1", v.Reference, "step %d", i)
		assert.Equal(t, tc.want, v.Decision, "step %d: volume decision", i)
		assert.Equal(t, tc.policyW, v.Policy, "step %d: volume policy", i)
		assert.Contains(t, strings.Join(v.Events, "\n"), tc.event, "step %d: volume events", i)
		assert.Equal(t, tc.ctr, p.Containers[0].Decision, "step %d: container decision", i)
		assert.Contains(t, p.Containers[0].Why, tc.ctrWhy, "step %d: container why", i)
		for _, ev := range p.Containers[0].Events {
			assert.NotContains(t, ev, "quay.io/org/model", "step %d: a volume's event among the container's", i)
		}
	}
	// A missing pull secret is the pod's event, about no one container.
	e, err := pullsim.Explain([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: regcred}]\n  containers: [{name: c, image: 'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]\n"))
	require.NoError(t, err)
	assert.Contains(t, strings.Join(e.Pods[0].Events, "\n"), "Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (regcred)")
}
