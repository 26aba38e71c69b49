package kube

// Manifest decoding as `kubectl apply -f` and the API server do it:
// k8s.io/apimachinery/pkg/util/yaml splits the documents, the strict
// serializer of k8s.io/apimachinery/pkg/runtime/serializer/json decodes each
// into the k8s.io/api type its apiVersion and kind name.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/node"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Result is what a manifest file holds.
type Result struct {
	// Pods are the pods the file's objects make, in document order; a
	// workload's pods in the order its controller creates them.
	Pods []node.Pod
	// Nodes holds, for each of Pods, the node its controller placed it on:
	// a DaemonSet's pods, one per node given to WithNodes, which the
	// controller pins with node affinity and the scheduler then binds.
	// It is "" for a pod the scheduler places anywhere, and for one that
	// names its node itself in spec.nodeName (which no scheduler sees).
	Nodes []string
	// Secrets are the Secret documents, in document order, created as
	// ServiceAccounts are.
	Secrets []Secret
	// ServiceAccounts are the ServiceAccount documents, in document order.
	// kubectl apply creates a file's objects in document order, so a
	// service account exists before the pods of the documents after it.
	ServiceAccounts []ServiceAccount
	// Skipped are the documents of kinds that carry no pods and pullsim
	// does not model (Service, ConfigMap, custom resources, ...), in
	// document order.
	Skipped []Skipped
	// Idle are the workloads that make no pods as written (zero replicas,
	// a suspended Job or CronJob), in document order: valid objects that
	// their controllers leave without pods.
	Idle []IdleWorkload
	// Workloads are the objects that carry pods (Pods, and controllers with
	// a pod template, idle ones included), in document order, each with the
	// range of Pods it makes: what the API server stores under each one's
	// kind, namespace and name.
	Workloads []Workload
}

// Workload is an object of a manifest that carries pods: a Pod, or a
// controller with a pod template. kubectl apply finds it again under its
// kind, namespace and name; a later apply of the same object is an update,
// compared with what is stored (see [Workload.PodsFrom]).
type Workload struct {
	// Index and Item are the document's position, as in [Skipped].
	Index, Item int
	// Order is its place among the manifest's objects, as in
	// [ServiceAccount].
	Order     int
	Kind      string // as the document names it: Deployment, Pod, ...
	Namespace string // "default" when the document names none
	// Name is metadata.name; it is "" for an object named only by
	// generateName, which every apply creates anew.
	Name string
	// Template is the pod template as written, imagePullPolicy left empty
	// where the manifest leaves it out: a Pod's metadata and spec, a
	// controller's spec.template (a CronJob's
	// spec.jobTemplate.spec.template). A StatefulSet's claim volumes are
	// not in it.
	Template *corev1.PodTemplateSpec
	// Pods is how many of [Result.Pods] the documents before it make, and
	// Count how many it makes: its pods are Result.Pods[Pods:Pods+Count].
	Pods, Count int

	obj   runtime.Object // as decoded
	at    string         // its place in the manifest, see expand
	nodes []string       // see WithNodes
}

// PodsFrom returns the pods w's controller makes once the API server
// stores template t for it, as after an update that changed the template:
// a Deployment's new ReplicaSet is named by t's pod-template-hash. A
// revision other than 0 changes the generated characters, as a rollout's
// new pods get new random ones even from a template stored before (a
// rollback); PodsFrom(w.Template, 0) returns the pods Decode returned.
// nodes holds the node of each pod, as [Result.Nodes] does, or is nil.
// t must have w.Template's containers; its pods are not validated again.
func (w Workload) PodsFrom(t *corev1.PodTemplateSpec, revision int) (pods []node.Pod, nodes []string, err error) {
	if w.obj == nil {
		return nil, nil, errors.New("kube: PodsFrom needs a Workload that Decode returned")
	}
	obj := w.obj.DeepCopyObject()
	t = t.DeepCopy()
	if o, ok := obj.(*corev1.Pod); ok {
		o.ObjectMeta, o.Spec = t.ObjectMeta, t.Spec
	} else if in := templateIn(obj); in != nil {
		*in = *t
	}
	pods, nodes, err = expand(obj, w.at, w.nodes, revision)
	if err != nil {
		return nil, nil, err
	}
	return pods, nodes, nil
}

// templateOf returns a copy of the pod template an object carries, as
// written: a Pod's metadata and spec for a Pod.
func templateOf(obj runtime.Object) *corev1.PodTemplateSpec {
	if o, ok := obj.(*corev1.Pod); ok {
		return &corev1.PodTemplateSpec{ObjectMeta: *o.ObjectMeta.DeepCopy(), Spec: *o.Spec.DeepCopy()}
	}
	return templateIn(obj).DeepCopy()
}

// templateIn returns the pod template a workload carries, in place; nil
// for a Pod, which is its own template.
func templateIn(obj runtime.Object) *corev1.PodTemplateSpec {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Template
	case *appsv1.ReplicaSet:
		return &o.Spec.Template
	case *corev1.ReplicationController:
		return o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.Spec.Template
	case *batchv1.Job:
		return &o.Spec.Template
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template
	}
	return nil // unreachable: Decode lists the kinds
}

// IdleWorkload is a workload Decode read that makes no pods, and why.
type IdleWorkload struct {
	// Index and Item are the document's position, as in [Skipped].
	Index, Item int
	Kind        string
	Namespace   string // "default" when the document names none
	Name        string
	// Why is the field that leaves it without pods, as written:
	// "replicas: 0", "suspend: true", "parallelism: 0", "completions: 0",
	// or a CronJob's "jobTemplate.spec.suspend: true".
	Why string
}

// String renders the workload as kubectl names it, and why it makes no
// pods: "deployment/web makes no pods (replicas: 0)".
func (w IdleWorkload) String() string {
	return strings.ToLower(w.Kind) + "/" + w.Name + " makes no pods (" + w.Why + ")"
}

// Secret is a Secret document: what the cluster stores when it is applied
// (image pull secrets are of type kubernetes.io/dockerconfigjson or
// kubernetes.io/dockercfg), and where it stands among the file's pods.
type Secret struct {
	// Index and Item are the document's position, as in [Skipped].
	Index, Item int
	// Pods is how many of [Result.Pods] the documents before it make: it
	// is created after those and before the rest.
	Pods int
	// Order is its place among the manifest's objects, as in
	// [ServiceAccount].
	Order int
	// Secret is the secret as the API server stores it: its namespace
	// ("default" when the document names none), its type ("Opaque" when
	// unset) and its data, stringData merged in.
	Secret node.Secret
}

// String renders the secret as kubectl names it: "secret/regcred".
func (s Secret) String() string { return "secret/" + s.Secret.Name }

// secretOf is what the API server stores for a Secret document: defaulted
// and validated as pkg/apis/core/validation's ValidateSecret checks the
// types that hold registry credentials.
func secretOf(sec *corev1.Secret) (node.Secret, error) {
	if errs := validateMeta(sec.ObjectMeta, apivalidation.NameIsDNSSubdomain); len(errs) > 0 {
		return node.Secret{}, joinFieldErrors(errs)
	}
	if sec.Name == "" {
		// generateName: every apply would make a new secret no pod names.
		return node.Secret{}, errors.New("cannot use generate name with apply")
	}
	data := make(map[string][]byte, len(sec.Data)+len(sec.StringData))
	for k, v := range sec.Data {
		data[k] = v
	}
	for k, v := range sec.StringData {
		data[k] = []byte(v) // stringData wins, as the API server merges it
	}
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(data)) {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
	}
	if len(errs) > 0 {
		return node.Secret{}, errs.ToAggregate()
	}
	typ := sec.Type
	if typ == "" {
		typ = corev1.SecretTypeOpaque
	}
	// The registry-credential types must hold their key, as JSON.
	key := ""
	switch typ {
	case corev1.SecretTypeDockerConfigJson:
		key = corev1.DockerConfigJsonKey
	case corev1.SecretTypeDockercfg:
		key = corev1.DockerConfigKey
	}
	if key != "" {
		path := field.NewPath("data").Key(key)
		raw, ok := data[key]
		if !ok {
			return node.Secret{}, field.Required(path, "")
		}
		if err := json.Unmarshal(raw, &map[string]any{}); err != nil {
			return node.Secret{}, field.Invalid(path, "<secret contents redacted>", err.Error())
		}
	}
	return node.Secret{Namespace: namespaceOf(sec.ObjectMeta), Name: sec.Name, Type: string(typ), Data: data}, nil
}

// ServiceAccount is a ServiceAccount document: what the cluster stores when
// it is applied, and where it stands among the file's pods.
type ServiceAccount struct {
	// Index and Item are the document's position, as in [Skipped].
	Index, Item int
	// Pods is how many of [Result.Pods] the documents before it make: it
	// is created after those and before the rest.
	Pods int
	// Order is its place among the manifest's objects, workloads, secrets
	// and service accounts (a directory's files included): the order
	// kubectl apply creates them in.
	Order int
	// Account is the service account: its namespace ("default" when the
	// document names none), name and imagePullSecrets, which the
	// ServiceAccount admission plugin copies into pods that name it and
	// list no secrets of their own.
	Account node.ServiceAccount
}

// String renders the service account as kubectl names it:
// "serviceaccount/builder".
func (s ServiceAccount) String() string { return "serviceaccount/" + s.Account.Name }

// Skipped is a document Decode read but made no pods from.
type Skipped struct {
	// Index is the document's position in the file, from 0, counting
	// non-empty documents only.
	Index int
	// Item is the object's position in a v1 List's items, or -1 when the
	// document is not a List.
	Item       int
	APIVersion string
	Kind       string
	Namespace  string // as written; empty when the document names none
	Name       string
}

// String renders the skipped object as kubectl names it: "Service/web".
func (s Skipped) String() string { return s.Kind + "/" + s.Name }

// The group, versions and kinds that carry pods.
var (
	gvPod        = corev1.SchemeGroupVersion.WithKind("Pod")
	gvRC         = corev1.SchemeGroupVersion.WithKind("ReplicationController")
	gvList       = corev1.SchemeGroupVersion.WithKind("List")
	gvAccount    = corev1.SchemeGroupVersion.WithKind("ServiceAccount")
	gvSecret     = corev1.SchemeGroupVersion.WithKind("Secret")
	gvDeployment = appsv1.SchemeGroupVersion.WithKind("Deployment")
	gvReplicaSet = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	gvStateful   = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	gvDaemonSet  = appsv1.SchemeGroupVersion.WithKind("DaemonSet")
	gvJob        = batchv1.SchemeGroupVersion.WithKind("Job")
	gvCronJob    = batchv1.SchemeGroupVersion.WithKind("CronJob")
)

// podGVKs are the objects Decode reads: those that carry pods, and the
// service accounts and secrets pods name.
var podGVKs = []schema.GroupVersionKind{gvPod, gvRC, gvList, gvDeployment, gvReplicaSet, gvStateful, gvDaemonSet, gvJob, gvCronJob, gvAccount, gvSecret}

// typedList reports whether gvk is the typed list of a kind Decode reads
// (PodList, DeploymentList, ...), whose items carry no apiVersion and kind.
func typedList(gvk schema.GroupVersionKind) bool {
	base, ok := strings.CutSuffix(gvk.Kind, "List")
	return ok && base != "" && slices.Contains(podGVKs, gvk.GroupVersion().WithKind(base))
}

// podKinds are the kinds that carry pods, and builtinGroups the API groups
// that serve them: a pod kind in one of those groups at a version pullsim
// does not read (extensions/v1beta1 Deployment, apps/v1 Pod) is an error,
// since the object would make pods; the same kind in another group is a
// custom resource, and skipped.
var (
	podKinds      = []string{"Pod", "ReplicationController", "List", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ServiceAccount", "Secret"}
	builtinGroups = []string{"", "apps", "batch", "extensions"}
)

var (
	scheme     = newScheme()
	yamlStrict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
	jsonStrict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Strict: true})
)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err) // the k8s.io/api schemes always register
		}
	}
	return s
}

// Option configures Decode.
type Option func(*config)

type config struct {
	nodes []string
	file  string // a directory's file being decoded, which generated names derive from too
}

// WithNodes names the cluster's nodes a manifest is applied to: a DaemonSet
// makes one pod for each, in the order given, as the DaemonSet controller
// makes one pod per node, and [Result.Nodes] names each pod's node. The
// controller pins a pod to its node with node affinity and the scheduler
// binds it, so spec.nodeName stays unset (and the pod gets a Scheduled
// event). Without it a DaemonSet makes one pod, unplaced. Other kinds are
// not affected.
func WithNodes(names ...string) Option {
	names = slices.Clone(names) // the caller's slice may change
	return func(c *config) { c.nodes = names }
}

// Decode reads a manifest: YAML documents separated by "---", or a stream of
// JSON objects, each a Kubernetes object or a v1 List of them. It returns
// the pods the objects make and the objects that make none (see the package
// documentation for names and defaults). If any document is bad, Decode
// returns an error naming every bad document and every bad item of a List,
// and no pods.
func Decode(data []byte, opts ...Option) (Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if slices.Contains(cfg.nodes, "") {
		return Result{}, errors.New("kube.WithNodes: a node name is empty")
	}
	docs, err := split(data)
	if err != nil {
		return Result{}, err
	}
	var (
		res  Result
		errs []error
	)
	for i, doc := range docs {
		d := &decoder{res: &res, cfg: &cfg, index: i, item: -1}
		if err := d.object(doc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	return res, nil
}

// DecodeFile reads a manifest file with Decode; errors name the file. A
// directory is read as kubectl apply -f reads one: its .yaml, .yml and
// .json files (not its subdirectories), in name order, as one manifest
// whose results follow each other; each file's errors name it.
func DecodeFile(path string, opts ...Option) (Result, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Result{}, err
	}
	if !info.IsDir() {
		return decodeFile(path, "", opts)
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return Result{}, err
	}
	var (
		res  Result
		errs []error
		read int
	)
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		if e.IsDir() {
			continue
		}
		read++
		r, err := decodeFile(filepath.Join(path, e.Name()), e.Name()+"/", opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res.append(r)
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	if read == 0 {
		return Result{}, fmt.Errorf("%s: no .yaml, .yml or .json file in the directory", path)
	}
	return res, nil
}

// decodeFile is DecodeFile of one file; file, when set, is the file's name
// in its directory, which its generated names derive from.
func decodeFile(path, file string, opts []Option) (Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Result{}, err
	}
	res, err := Decode(data, append(slices.Clip(opts), func(c *config) { c.file = file })...)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// objects counts the objects r holds: its workloads, secrets and service
// accounts.
func (r *Result) objects() int { return len(r.Workloads) + len(r.Secrets) + len(r.ServiceAccounts) }

// append adds what another file of a directory holds after r's: the
// positions among the pods it records move past r's pods.
func (r *Result) append(o Result) {
	offset, objects := len(r.Pods), r.objects()
	for i := range o.Workloads {
		o.Workloads[i].Pods += offset
		o.Workloads[i].Order += objects
	}
	for i := range o.ServiceAccounts {
		o.ServiceAccounts[i].Pods += offset
		o.ServiceAccounts[i].Order += objects
	}
	for i := range o.Secrets {
		o.Secrets[i].Pods += offset
		o.Secrets[i].Order += objects
	}
	r.Pods = append(r.Pods, o.Pods...)
	r.Nodes = append(r.Nodes, o.Nodes...)
	r.Workloads = append(r.Workloads, o.Workloads...)
	r.ServiceAccounts = append(r.ServiceAccounts, o.ServiceAccounts...)
	r.Secrets = append(r.Secrets, o.Secrets...)
	r.Skipped = append(r.Skipped, o.Skipped...)
	r.Idle = append(r.Idle, o.Idle...)
}

// document is one document of a manifest: its bytes as written, and as
// JSON. yaml is set when the bytes are YAML that did not convert strictly
// (duplicate keys): the strict serializer then reads the YAML itself and
// reports the duplicates with everything else.
type document struct {
	data, json []byte
	yaml       bool
}

// split cuts a manifest into its non-empty documents.
func split(data []byte) ([]document, error) {
	var docs []document
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if err == io.EOF {
				return docs, nil
			}
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", len(docs), err)
			}
			docs = append(docs, document{data: raw, json: raw})
		}
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs), err)
		}
		d := document{data: doc}
		if d.json, err = yaml.YAMLToJSONStrict(doc); err != nil {
			d.yaml = true
			if d.json, err = yaml.YAMLToJSON(doc); err != nil {
				return nil, fmt.Errorf("document %d: %w", len(docs), err)
			}
		}
		if string(d.json) == "null" {
			continue // only comments, or nothing
		}
		docs = append(docs, d)
	}
}

// decoder decodes one document, or one item of a List.
type decoder struct {
	res         *Result
	cfg         *config
	index, item int
	// what the error names
	kind, name string
}

// header is what every object says about itself, read leniently to name
// the document in errors.
type header struct {
	APIVersion any `json:"apiVersion"`
	Kind       any `json:"kind"`
	Metadata   any `json:"metadata"`
}

// errorf returns an error naming the document, its kind and its name.
func (d *decoder) errorf(format string, args ...any) error {
	where := "document " + strconv.Itoa(d.index)
	if d.item >= 0 {
		where += " item " + strconv.Itoa(d.item)
	}
	switch {
	case d.kind != "" && d.name != "":
		where += " (" + d.kind + " " + d.name + ")"
	case d.kind != "":
		where += " (" + d.kind + ")"
	}
	// One line per document: the YAML library's multi-line messages are
	// joined.
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), ":\n  ", ": ")
	return fmt.Errorf("%s: %s", where, strings.ReplaceAll(msg, "\n  ", "; "))
}

// object decodes one object.
func (d *decoder) object(doc document) error {
	var h header
	if err := json.Unmarshal(doc.json, &h); err != nil {
		var raw any
		_ = json.Unmarshal(doc.json, &raw)
		return d.errorf("want an object with apiVersion and kind, got %s", jsonKind(raw))
	}
	meta, _ := h.Metadata.(map[string]any)
	d.kind, _ = h.Kind.(string)
	d.name, _ = meta["name"].(string)
	if d.name == "" {
		if g, _ := meta["generateName"].(string); g != "" {
			d.name = g + "*"
		}
	}
	apiVersion, ok := h.APIVersion.(string)
	switch {
	case h.APIVersion == nil:
		return d.errorf("apiVersion not set")
	case !ok:
		return d.errorf("apiVersion must be a string such as \"v1\" or \"apps/v1\", got %s %s", jsonKind(h.APIVersion), compact(h.APIVersion))
	case h.Kind == nil:
		return d.errorf("kind not set")
	case d.kind == "":
		return d.errorf("kind must be a non-empty string, got %s %s", jsonKind(h.Kind), compact(h.Kind))
	case h.Metadata != nil && meta == nil:
		return d.errorf("metadata must be an object, got %s", jsonKind(h.Metadata))
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return d.errorf("apiVersion %q: %v", apiVersion, err)
	}
	gvk := gv.WithKind(d.kind)
	switch {
	case slices.Contains(podGVKs, gvk), typedList(gvk):
	default:
		// A kind the API server does not serve at a version it does
		// (kind: pod, kind: Deploymnet) is refused as the server refuses
		// it, instead of being skipped as if it made no pods.
		if scheme.IsVersionRegistered(gv) && !scheme.Recognizes(gvk) {
			return d.errorf("no matches for kind %q in version %q", d.kind, apiVersion)
		}
		if base := strings.TrimSuffix(d.kind, "List"); slices.Contains(podKinds, base) && slices.Contains(builtinGroups, gv.Group) {
			return d.errorf("no matches for kind %q in version %q", d.kind, apiVersion)
		}
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		d.res.Skipped = append(d.res.Skipped, Skipped{Index: d.index, Item: d.item, APIVersion: apiVersion, Kind: d.kind, Namespace: ns, Name: name})
		return nil
	}
	ser, data := jsonStrict, doc.json
	if doc.yaml {
		ser, data = yamlStrict, doc.data
	}
	obj, _, err := ser.Decode(data, nil, nil)
	if err != nil {
		return d.errorf("%v", err)
	}
	if l, ok := obj.(*corev1.List); ok {
		if d.item >= 0 {
			return d.errorf("a List inside a List is not supported")
		}
		var errs []error // every bad item, as every bad document
		for i, it := range l.Items {
			item := &decoder{res: d.res, cfg: d.cfg, index: d.index, item: i}
			if err := item.object(document{data: it.Raw, json: it.Raw}); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	if typedList(gvk) {
		if d.item >= 0 {
			return d.errorf("a List inside a List is not supported")
		}
		items, err := apimeta.ExtractList(obj)
		if err != nil {
			return d.errorf("%v", err) // unreachable: the scheme's lists have items
		}
		var errs []error
		for i, it := range items {
			item := &decoder{res: d.res, cfg: d.cfg, index: d.index, item: i, kind: strings.TrimSuffix(d.kind, "List")}
			if m, err := apimeta.Accessor(it); err == nil {
				item.name = m.GetName()
			}
			if err := item.add(it); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return d.add(obj)
}

// add adds what a decoded object makes to the result: a service account,
// a secret, or pods.
func (d *decoder) add(obj runtime.Object) error {
	if sec, ok := obj.(*corev1.Secret); ok {
		s, err := secretOf(sec)
		if err != nil {
			return d.errorf("%v", err)
		}
		d.res.Secrets = append(d.res.Secrets, Secret{Index: d.index, Item: d.item, Pods: len(d.res.Pods), Order: d.res.objects(), Secret: s})
		return nil
	}
	if sa, ok := obj.(*corev1.ServiceAccount); ok {
		if errs := validateMeta(sa.ObjectMeta, apivalidation.NameIsDNSSubdomain); len(errs) > 0 {
			return d.errorf("%v", joinFieldErrors(errs))
		}
		acct := node.ServiceAccount{Namespace: namespaceOf(sa.ObjectMeta), Name: workloadName(sa.ObjectMeta)}
		for _, r := range sa.ImagePullSecrets {
			acct.ImagePullSecrets = append(acct.ImagePullSecrets, r.Name)
		}
		d.res.ServiceAccounts = append(d.res.ServiceAccounts, ServiceAccount{Index: d.index, Item: d.item, Pods: len(d.res.Pods), Order: d.res.objects(), Account: acct})
		return nil
	}
	at := d.cfg.file + strconv.Itoa(d.index) + "/" + strconv.Itoa(d.item)
	decoded := obj.DeepCopyObject() // expand fills in a Pod's generated name
	pods, nodes, err := expand(obj, at, d.cfg.nodes, 0)
	if err != nil {
		return d.errorf("%v", err)
	}
	m, _ := apimeta.Accessor(decoded) // every kind Decode reads has metadata
	meta := metav1.ObjectMeta{Name: m.GetName(), GenerateName: m.GetGenerateName(), Namespace: m.GetNamespace()}
	if len(pods) == 0 {
		if why := idle(obj); why != "" {
			d.res.Idle = append(d.res.Idle, IdleWorkload{Index: d.index, Item: d.item, Kind: d.kind, Namespace: namespaceOf(meta), Name: workloadName(meta), Why: why})
		}
	}
	d.res.Workloads = append(d.res.Workloads, Workload{Index: d.index, Item: d.item, Order: d.res.objects(), Kind: d.kind, Namespace: namespaceOf(meta), Name: meta.Name,
		Template: templateOf(decoded), Pods: len(d.res.Pods), Count: len(pods), obj: decoded, at: at, nodes: d.cfg.nodes})
	d.res.Pods = append(d.res.Pods, pods...)
	if nodes == nil {
		nodes = make([]string, len(pods))
	}
	d.res.Nodes = append(d.res.Nodes, nodes...)
	return nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
