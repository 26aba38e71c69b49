package kube_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pullsim/pullsim/internal/golden"
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
	"github.com/pullsim/pullsim/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// manifests are the real-world files under testdata.
var manifests = []string{
	"deployment-sidecars.yaml",
	"helm.yaml",
	"informer-pod.json",
	"cronjob.yaml",
	"workloads.json",
}

// TestDecodeGolden decodes every manifest under testdata and compares the
// pods (as node.Pod's JSON, one per line) and the skipped objects with
// testdata/decode.golden; go test -update accepts a change.
func TestDecodeGolden(t *testing.T) {
	var b bytes.Buffer
	for _, name := range manifests {
		res, err := kube.DecodeFile(filepath.Join("testdata", name))
		require.NoError(t, err, name)
		fmt.Fprintf(&b, "== %s: %d pods, %d service accounts, %d secrets, %d skipped\n", name, len(res.Pods), len(res.ServiceAccounts), len(res.Secrets), len(res.Skipped))
		for _, p := range res.Pods {
			js, err := json.Marshal(p)
			require.NoError(t, err)
			fmt.Fprintf(&b, "%s\n", js)
		}
		for _, s := range res.ServiceAccounts {
			fmt.Fprintf(&b, "service account, document %d item %d, after %d pods: %+v\n", s.Index, s.Item, s.Pods, s.Account)
		}
		for _, s := range res.Secrets {
			fmt.Fprintf(&b, "secret, document %d item %d, after %d pods: %s/%s %s, keys %v\n", s.Index, s.Item, s.Pods, s.Secret.Namespace, s.Secret.Name, s.Secret.Type, slices.Sorted(maps.Keys(s.Secret.Data)))
		}
		for _, s := range res.Skipped {
			fmt.Fprintf(&b, "skipped %+v\n", s)
		}
	}
	golden.Check(t, filepath.Join("testdata", "decode.golden"), b.Bytes())
}

// Every pod decoded from the real-world manifests is accepted by a node,
// and starts once its images exist.
func TestDecodedPodsRunOnANode(t *testing.T) {
	reg := registry.New()
	for _, name := range manifests {
		res, err := kube.DecodeFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		n := node.MustNew("node-2", reg) // informer-pod.json is bound to node-2
		for _, p := range res.Pods {
			for _, c := range append(append(p.Spec.InitContainers, p.Spec.Containers...), p.Spec.EphemeralContainers...) {
				reg.MustPush(c.Image, registry.Image{Config: c.Image})
			}
			for _, v := range p.Spec.Volumes {
				if v.Image != nil {
					reg.MustPush(v.Image.Reference, registry.Image{Config: v.Image.Reference})
				}
			}
			p.Spec.EphemeralContainers = nil // the API refuses them at create
			if sa := p.Spec.ServiceAccountName; sa != "" {
				n.Cluster().CreateServiceAccount(node.ServiceAccount{Namespace: p.Namespace, Name: sa})
			}
			_, err := n.CreatePod(p)
			require.NoError(t, err, "%s: %s", name, p.Name)
		}
	}
}

func TestDecodeDefaultsAndNames(t *testing.T) {
	hash := `[bcdfghjklmnpqrstvwxz2456789]`
	for i, tc := range []struct {
		yaml  string // the manifest
		names string // the pods' namespace/name, space separated, as a regexp
	}{
		{yaml: deployment("web", "", "nginx:1.28"), names: `^default/web-` + hash + `{6,10}-` + hash + `{5}$`},
		{yaml: deployment("web", "replicas: 0", "nginx:1.28"), names: `^$`},
		{yaml: deployment("web", "replicas: 2", "nginx:1.28"), names: `^(default/web-` + hash + `+-` + hash + `{5} ?){2}$`},
		{yaml: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\nspec:\n  replicas: 3\n  serviceName: db\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: postgres:17}]}\n",
			names: `^data/db-0 data/db-1 data/db-2$`},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata: {generateName: debug-}\nspec: {containers: [{name: c, image: busybox}]}\n", names: `^default/debug-` + hash + `{5}$`},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata: {generateName: " + strings.Repeat("a", 70) + "}\nspec: {containers: [{name: c, image: busybox}]}\n",
			names: `^default/a{58}` + hash + `{5}$`},
		{yaml: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: perl}]}\n", names: `^default/pi-` + hash + `{5}$`},
		{yaml: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  parallelism: 4\n  completions: 2\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: perl}]}\n", names: `^default/pi-\S+ default/pi-\S+$`},
		{yaml: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  suspend: true\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: perl}]}\n", names: `^$`},
		{yaml: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: OnFailure, containers: [{name: c, image: perl}]}\n",
			names: `^default/c-29453760-` + hash + `{5}$`}, // 29453760 minutes: node.Epoch
		{yaml: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  suspend: true\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: OnFailure, containers: [{name: c, image: perl}]}\n", names: `^$`},
	} {
		res, err := kube.Decode([]byte(tc.yaml))
		if err != nil {
			t.Errorf("step %d: Decode: %v", i, err)
			continue
		}
		var names []string
		for _, p := range res.Pods {
			names = append(names, p.Namespace+"/"+p.Name)
		}
		if got := strings.Join(names, " "); !regexp.MustCompile(tc.names).MatchString(got) {
			t.Errorf("step %d: got %q, want %s", i, got, tc.names)
		}
		again, _ := kube.Decode([]byte(tc.yaml))
		assert.Equal(t, res, again, "step %d: the same input decodes to the same pods", i)
	}
}

func deployment(name, extra, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  %s
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - name: app
        image: %[3]s
`, name, extra, image)
}

// A Deployment's pod-template-hash follows its template: a new image is a
// new ReplicaSet, the same template the same one.
func TestPodTemplateHash(t *testing.T) {
	hashOf := func(image string) string {
		res, err := kube.Decode([]byte(deployment("web", "", image)))
		require.NoError(t, err)
		return res.Pods[0].Labels["pod-template-hash"]
	}
	a, b := hashOf("nginx:1.28"), hashOf("nginx:1.29")
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, hashOf("nginx:1.28"))
	res, err := kube.Decode([]byte(deployment("web", "", "nginx:1.28")))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.Pods[0].Name, "web-"+a+"-"), "pod %s is named after its ReplicaSet web-%s", res.Pods[0].Name, a)
}

func TestDecodeErrors(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: app\n    image: nginx\n"
	for i, tc := range []struct {
		in   string // the manifest
		want string // the error
	}{
		{in: pod + "    imagePulPolicy: Always\n",
			want: `document 0 (Pod x): strict decoding error: unknown field "spec.containers[0].imagePulPolicy"`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  nmae: y\nspec:\n  containers: []\n  hostNetworking: true\n",
			want: `document 0 (Pod x): strict decoding error: unknown field "metadata.nmae", unknown field "spec.hostNetworking"`},
		{in: pod + "    image: busybox\n",
			want: `document 0 (Pod x): strict decoding error: yaml: unmarshal errors: line 9: key "image" already set in map`},
		{in: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"a","image":"x","image":"y"}]}}`,
			want: `document 0 (Pod x): strict decoding error: duplicate field "spec.containers[0].image"`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: app\n    image: 5\n",
			want: `document 0 (Pod x): json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string`},
		{in: "apiVersion: 1\nkind: Pod\nmetadata: {name: x}\n",
			want: `document 0 (Pod x): apiVersion must be a string such as "v1" or "apps/v1", got a number 1`},
		{in: "kind: Pod\n", want: `document 0 (Pod): apiVersion not set`},
		{in: "apiVersion: v1\n", want: `document 0: kind not set`},
		{in: "apiVersion: v1\nkind: [Pod]\n", want: `document 0: kind must be a non-empty string, got an array ["Pod"]`},
		{in: "- a\n- b\n", want: `document 0: want an object with apiVersion and kind, got an array`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", want: "document 0: yaml: line 3: did not find expected ',' or '}'"},
		{in: "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: web}\n",
			want: `document 0 (Deployment web): no matches for kind "Deployment" in version "extensions/v1beta1"`},
		{in: "apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\n",
			want: `document 0 (Pod p): no matches for kind "Pod" in version "apps/v1"`},
		{in: "apiVersion: v1\nkind: pod\nmetadata: {name: p}\n",
			want: `document 0 (pod p): no matches for kind "pod" in version "v1"`},
		{in: "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: web}\n---\napiVersion: batch/v1\nkind: Cronjob\nmetadata: {name: c}\n",
			want: "document 0 (Deploymnet web): no matches for kind \"Deploymnet\" in version \"apps/v1\"\ndocument 1 (Cronjob c): no matches for kind \"Cronjob\" in version \"batch/v1\""},
		{in: "apiVersion: v1\nkind: Configmap\nmetadata: {name: c}\n",
			want: `document 0 (Configmap c): no matches for kind "Configmap" in version "v1"`},
		{in: "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: x}]}\n",
			want: `document 0 (Pod): metadata.name: Required value: name or generateName is required`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: ' x'}, {name: a, image: z, imagePullPolicy: always}]}\n",
			want: `document 0 (Pod p): [spec.containers[0].image: Invalid value: " x": must not have leading or trailing whitespace, spec.containers[1].name: Duplicate value: "a", spec.containers[1].imagePullPolicy: Unsupported value: "always": supported values: "Always", "IfNotPresent", "Never"]`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x, restartPolicy: Always}]}\n",
			want: `document 0 (Pod p): spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers`},
		{in: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n  template:\n    spec: {containers: [{name: a, image: x}]}\n",
			want: `document 0 (Job migrate): spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`},
		{in: deployment("web", "", "''"),
			want: `document 0 (Deployment web): spec.template.spec.containers[0].image: Required value`},
		{in: deployment("web", "replicas: -2", "nginx:1.28"),
			want: `document 0 (Deployment web): spec.replicas: Invalid value: -2: must be greater than or equal to 0`},
		{in: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: -1\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: x}]}\n",
			want: `document 0 (StatefulSet db): spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{in: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec: {containers: [{name: a, image: x}]}\n",
			want: `document 0 (Deployment web): spec.selector: Required value`},
		{in: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: a, image: x}]}\n",
			want: "document 0 (Deployment web): spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`"},
		{in: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec: {containers: [{name: a, image: x, imagePullPolicy: Sometimes}]}\n",
			want: `document 0 (CronJob c): [spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never", spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"]`},
		{in: `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}]}`,
			want: `document 0 item 1 (Pod p): spec.containers[0].image: Required value`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  volumes:\n  - name: v\n    image: {reference: a, pulPolicy: Never}\n  containers: []\n",
			want: `document 0 (Pod x): strict decoding error: unknown field "spec.volumes[0].image.pulPolicy"`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: a, image: x}]\n  volumes:\n  - name: v\n    emptyDir: {}\n    image: {reference: 'x:1'}\n",
			want: `document 0 (Pod x): spec.volumes[0].image: Forbidden: may not specify more than 1 volume type`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: a, image: x, volumeMounts: [{name: data, mountPath: /d}]}]\n",
			want: `document 0 (Pod x): spec.containers[0].volumeMounts[0].name: Not found: "data"`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\nkind: Deployment\nmetadata: {name: web}\n",
			want: "document 0 (Pod x): spec.containers: Required value\ndocument 2 (Deployment web): apiVersion not set"},
		{in: "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: web}\n  spec: {template: {spec: {containers: [{name: a, image: x}]}}}\n",
			want: `document 0 item 0 (Deployment web): spec.selector: Required value`},
		{in: `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"}}]}`,
			want: "document 0 item 0 (Pod p): spec.containers[0].image: Required value\ndocument 0 item 1 (Pod q): spec.containers: Required value"},
		{in: "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: web}\n  spec: {template: {spec: {containers: [{name: a, image: x}]}}}\n- metadata: {name: api}\n  spec: {template: {spec: {containers: [{name: a, image: x}]}}}\n",
			want: "document 0 item 0 (Deployment web): spec.selector: Required value\ndocument 0 item 1 (Deployment api): spec.selector: Required value"},
		{in: "apiVersion: apps/v1beta1\nkind: DeploymentList\nitems: []\n",
			want: `document 0 (DeploymentList): no matches for kind "DeploymentList" in version "apps/v1beta1"`},
		// Names and namespaces as the API server's ValidateObjectMeta
		// checks them; container names are DNS labels.
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: My_Pod}\nspec: {containers: [{name: C_1, image: x}]}\n",
			want: `document 0 (Pod My_Pod): [metadata.name: Invalid value: "My_Pod": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.containers[0].name: Invalid value: "C_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: Bad NS}\nspec: {containers: [{name: c, image: x}]}\n",
			want: `document 0 (Pod p): metadata.namespace: Invalid value: "Bad NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{in: "apiVersion: v1\nkind: Pod\nmetadata: {generateName: Web_}\nspec: {containers: [{name: c, image: x}]}\n",
			want: `document 0 (Pod Web_*): [metadata.generateName: Invalid value: "Web_": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), metadata.name: Invalid value: "Web_7flns": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]`},
		{in: deployment("Web", "", "nginx:1.28"),
			want: `document 0 (Deployment Web): metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{in: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ci, namespace: Team}\n",
			want: `document 0 (ServiceAccount ci): metadata.namespace: Invalid value: "Team": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		// Image pull secrets as ValidateSecret checks them.
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\ndata: {}\n",
			want: `document 0 (Secret regcred): data[.dockerconfigjson]: Required value`},
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{not json'}\n",
			want: `document 0 (Secret regcred): data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'n' looking for beginning of object key string`},
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockercfg\ndata: {}\n",
			want: `document 0 (Secret regcred): data[.dockercfg]: Required value`},
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {generateName: regcred-}\n",
			want: `document 0 (Secret regcred-*): cannot use generate name with apply`},
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a/b: \"x\", ok: \"v\"}\n",
			want: `document 0 (Secret s): data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`},
		{in: "apiVersion: v1\nkind: Secret\nmetadata: {name: Regcred}\n",
			want: `document 0 (Secret Regcred): metadata.name: Invalid value: "Regcred": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		// Ephemeral containers, which only kubectl debug adds to a running
		// pod, are refused in any pod template (ValidatePodTemplateSpec).
		{in: strings.Replace(deployment("web", "", "nginx:1.28"), "      containers:\n", "      ephemeralContainers: [{name: dbg, image: busybox}]\n      containers:\n", 1),
			want: `document 0 (Deployment web): spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template`},
		{in: "apiVersion: v1\nkind: Pod\n--- junk\n", want: "document 0: invalid Yaml document separator: junk"},
		{in: `{"apiVersion":"v1"} {`, want: "document 1: unexpected EOF"},
	} {
		res, err := kube.Decode([]byte(tc.in))
		if err == nil {
			t.Errorf("step %d: got no error and %d pods, want %q", i, len(res.Pods), tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("step %d: got %v, want %s", i, err, tc.want)
		}
		if len(res.Pods) != 0 || len(res.Skipped) != 0 {
			t.Errorf("step %d: got %d pods and %d skipped with an error, want none", i, len(res.Pods), len(res.Skipped))
		}
	}
}

// A file with one bad document creates nothing, and the error names the
// document, its kind, its name and the field.
func TestDecodeNothingHalfCreated(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "helm.yaml"))
	require.NoError(t, err)
	bad := append(good, []byte("---\n"+strings.Replace(deployment("web", "replicas: 2", "nginx:1.28"), "image:", "imag:", 1))...)
	res, err := kube.Decode(bad)
	require.EqualError(t, err, `document 7 (Deployment web): strict decoding error: unknown field "spec.template.spec.containers[0].imag"`)
	assert.Empty(t, res.Pods)

	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, bad, 0o644))
	_, err = kube.DecodeFile(path)
	require.EqualError(t, err, path+`: document 7 (Deployment web): strict decoding error: unknown field "spec.template.spec.containers[0].imag"`)
	_, err = kube.DecodeFile(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// Custom resources are skipped and reported, even under a kind name that
// carries pods in Kubernetes' own groups; so are the built-in kinds that
// make no pods, and the kinds of groups pullsim does not read.
func TestDecodeSkipsCustomResources(t *testing.T) {
	res, err := kube.Decode([]byte("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\n---\napiVersion: example.com/v1\nkind: Job\nmetadata: {name: j}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"))
	require.NoError(t, err)
	assert.Empty(t, res.Pods)
	assert.Equal(t, []kube.Skipped{
		{Index: 0, Item: -1, APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Namespace: "shop", Name: "web"},
		{Index: 1, Item: -1, APIVersion: "example.com/v1", Kind: "Job", Name: "j"},
		{Index: 2, Item: -1, APIVersion: "v1", Kind: "ConfigMap", Name: "c"},
		{Index: 3, Item: -1, APIVersion: "apps/v1", Kind: "ControllerRevision", Name: "r"},
		{Index: 4, Item: -1, APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "i"},
	}, res.Skipped)
}

// ServiceAccount documents are read, in document order among the pods, with
// their namespace defaulted and their imagePullSecrets, as kubectl apply
// creates them; in a List and a typed list too.
func TestDecodeServiceAccounts(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec: {serviceAccountName: builder, containers: [{name: c, image: x}]}\n"
	}
	for i, tc := range []struct {
		in   string                // the manifest
		want []kube.ServiceAccount // its service accounts
	}{
		{in: pod("a") + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder}\n---\n" + pod("b"),
			want: []kube.ServiceAccount{{Index: 1, Item: -1, Pods: 1, Order: 1, Account: node.ServiceAccount{Namespace: "default", Name: "builder"}}}}, // after pod a
		{in: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder, namespace: ci}\nimagePullSecrets: [{name: regcred}, {name: other}]\n",
			want: []kube.ServiceAccount{{Index: 0, Item: -1, Account: node.ServiceAccount{Namespace: "ci", Name: "builder", ImagePullSecrets: []string{"regcred", "other"}}}}},
		{in: `{"apiVersion":"v1","kind":"List","items":[` + "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"s\"}}]}",
			want: []kube.ServiceAccount{{Index: 0, Item: 0, Account: node.ServiceAccount{Namespace: "default", Name: "s"}}}},
		{in: "apiVersion: v1\nkind: ServiceAccountList\nitems: [{metadata: {name: s, namespace: ci}}]\n",
			want: []kube.ServiceAccount{{Index: 0, Item: 0, Account: node.ServiceAccount{Namespace: "ci", Name: "s"}}}},
	} {
		res, err := kube.Decode([]byte(tc.in))
		if err != nil {
			t.Errorf("step %d: Decode: %v", i, err)
			continue
		}
		if !assert.Equal(t, tc.want, res.ServiceAccounts, "step %d", i) {
			continue
		}
		assert.Empty(t, res.Skipped, "step %d: a service account is not skipped", i)
	}
	assert.Equal(t, "serviceaccount/builder", kube.ServiceAccount{Account: node.ServiceAccount{Name: "builder"}}.String())
	_, err := kube.Decode([]byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {namespace: ci}\n"))
	assert.EqualError(t, err, "document 0 (ServiceAccount): metadata.name: Required value: name or generateName is required")
	_, err = kube.Decode([]byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s}\nimagePullSecret: [{name: x}]\n"))
	assert.EqualError(t, err, `document 0 (ServiceAccount s): strict decoding error: unknown field "imagePullSecret"`)
}

// The deprecated spec.serviceAccount is read when serviceAccountName is
// not set.
func TestDecodeDeprecatedServiceAccount(t *testing.T) {
	res, err := kube.Decode([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"serviceAccount":"old","containers":[{"name":"a","image":"x"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, "old", res.Pods[0].Spec.ServiceAccountName)
}

// Two equal documents with generateName make two pods, as two creates do.
func TestDecodeGenerateNameTwice(t *testing.T) {
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec: {containers: [{name: c, image: busybox}]}\n"
	res, err := kube.Decode([]byte(doc + "---\n" + doc))
	require.NoError(t, err)
	require.Len(t, res.Pods, 2)
	assert.NotEqual(t, res.Pods[0].Name, res.Pods[1].Name)
}

// JSON streams (what kubectl get -o json prints for several objects, one
// after another) and YAML Lists decode like YAML documents.
func TestDecodeJSONStreamAndYAMLList(t *testing.T) {
	pod := func(name string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"a","image":"x"}]}}`
	}
	for i, tc := range []struct {
		in   string // the manifest
		want string // the pods' names
	}{
		{in: pod("a") + "\n" + pod("b") + pod("c"), want: "a b c"},
		{in: "\n\t " + pod("a"), want: "a"},
		{in: "apiVersion: v1\nkind: List\nitems:\n- " + pod("a") + "\n- " + pod("b") + "\n", want: "a b"},
		{in: "apiVersion: v1\nkind: PodList\nitems:\n- {metadata: {name: a}, spec: {containers: [{name: a, image: x}]}}\n", want: "a"},
		{in: "apiVersion: apps/v1\nkind: StatefulSetList\nitems:\n- metadata: {name: db}\n  spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a, image: x}]}}}\n", want: "db-0"},
	} {
		res, err := kube.Decode([]byte(tc.in))
		if err != nil {
			t.Errorf("step %d: %v", i, err)
			continue
		}
		var names []string
		for _, p := range res.Pods {
			names = append(names, p.Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("step %d: got %q, want %q", i, got, tc.want)
		}
	}
}

func TestDecodeEmpty(t *testing.T) {
	for i, in := range []string{"", "\n", "# just a comment\n", "---\n---\n", "  \n"} {
		res, err := kube.Decode([]byte(in))
		if err != nil || len(res.Pods)+len(res.Skipped) != 0 {
			t.Errorf("step %d: got %+v, %v, want nothing", i, res, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range manifests {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx\n",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","imagePullPolicy":"Never"}]}}`,
		"kind: Pod\n", "- 1\n", "{", "apiVersion: v1\nkind: Pod\nspec: []\n", "apiVersion: 1\n", `{"apiVersion":"v1","kind":"List","items":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := kube.Decode(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "document ") {
				t.Fatalf("error without the document's index: %v", err)
			}
			if len(res.Pods)+len(res.Skipped) > 0 {
				t.Fatalf("an error and %d pods", len(res.Pods))
			}
			return
		}
		for _, p := range res.Pods {
			if p.Name == "" || p.Namespace == "" || len(p.Spec.Containers) == 0 {
				t.Fatalf("decoded pod without name, namespace or containers: %+v", p)
			}
			// What decodes converts out and back.
			back, err := kube.PodFromCore(kube.PodToCore(p))
			if err != nil {
				t.Fatal(err)
			}
			if back.Name != p.Name || len(back.Spec.Containers) != len(p.Spec.Containers) {
				t.Fatalf("round trip changed %+v into %+v", p, back)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	var data []byte
	for _, name := range []string{"helm.yaml", "deployment-sidecars.yaml", "cronjob.yaml"} {
		d, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(b, err)
		data = append(append(data, d...), "\n---\n"...)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kube.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// A workload asking for more pods than pullsim makes is refused at once.
func TestDecodeTooManyPods(t *testing.T) {
	_, err := kube.Decode([]byte(deployment("web", "replicas: 2000000000", "nginx:1.28")))
	require.EqualError(t, err, "document 0 (Deployment web): 2000000000 pods: pullsim makes at most 10000 pods per workload")
	res, err := kube.Decode([]byte(deployment("web", "replicas: 10000", "nginx:1.28")))
	require.NoError(t, err)
	assert.Len(t, res.Pods, 10000)
}

// A workload that makes no pods as written (zero replicas, suspended) is
// no error: it is reported in Result.Idle, in document order, with why.
func TestDecodeIdleWorkloads(t *testing.T) {
	job := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  %s\n  template:\n    spec: {restartPolicy: Never, containers: [{name: a, image: x}]}\n"
	cron := "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '@daily'\n  %s\n  jobTemplate:\n    spec:\n      %s\n      template:\n        spec: {restartPolicy: Never, containers: [{name: a, image: x}]}\n"
	for i, tc := range []struct {
		in   string // the manifest
		want string // Result.Idle, one String per line
		pods int    // the pods the manifest makes besides
	}{
		{in: deployment("web", "replicas: 0", "nginx:1.28"), want: "deployment/web makes no pods (replicas: 0)"},
		{in: strings.Replace(deployment("db", "replicas: 0", "x"), "kind: Deployment", "kind: StatefulSet", 1), want: "statefulset/db makes no pods (replicas: 0)"},
		{in: fmt.Sprintf(job, "suspend: true"), want: "job/j makes no pods (suspend: true)"},
		{in: fmt.Sprintf(job, "parallelism: 0"), want: "job/j makes no pods (parallelism: 0)"},
		{in: fmt.Sprintf(job, "completions: 0"), want: "job/j makes no pods (completions: 0)"},
		{in: fmt.Sprintf(cron, "suspend: true", ""), want: "cronjob/nightly makes no pods (suspend: true)"},
		{in: fmt.Sprintf(cron, "", "suspend: true"), want: "cronjob/nightly makes no pods (jobTemplate.spec.suspend: true)"},
		{in: deployment("web", "replicas: 0", "x") + "---\n" + deployment("api", "replicas: 1", "x"), want: "deployment/web makes no pods (replicas: 0)", pods: 1},
		{in: deployment("api", "", "x"), want: "", pods: 1},
	} {
		res, err := kube.Decode([]byte(tc.in))
		if err != nil {
			t.Errorf("step %d: %v", i, err)
			continue
		}
		var got []string
		for _, w := range res.Idle {
			got = append(got, w.String())
		}
		if strings.Join(got, "\n") != tc.want || len(res.Pods) != tc.pods {
			t.Errorf("step %d: got %q and %d pods, want %q and %d", i, got, len(res.Pods), tc.want, tc.pods)
		}
	}
}

// The DaemonSet controller makes one pod per node: given the cluster's
// nodes, a DaemonSet makes one pod for each (Result.Nodes), pinned by node
// affinity rather than spec.nodeName; without them, one pod, unplaced.
// Other workloads are not spread by WithNodes.
func TestDecodeDaemonSetOnEveryNode(t *testing.T) {
	ds := strings.Replace(deployment("fluent", "", "fluent-bit:3.0"), "kind: Deployment", "kind: DaemonSet", 1)
	for i, tc := range []struct {
		nodes []string // WithNodes
		want  []string // the pods' nodeName, one per pod
	}{
		{nodes: nil, want: []string{""}},
		{nodes: []string{"n1"}, want: []string{"n1"}},
		{nodes: []string{"n1", "n2", "n3"}, want: []string{"n1", "n2", "n3"}},
	} {
		res, err := kube.Decode([]byte(ds+"---\n"+deployment("web", "replicas: 2", "x")), kube.WithNodes(tc.nodes...))
		require.NoError(t, err)
		require.Len(t, res.Nodes, len(res.Pods), "step %d", i)
		names := map[string]bool{}
		for _, p := range res.Pods[:len(res.Pods)-2] {
			names[p.Name] = true
			assert.True(t, strings.HasPrefix(p.Name, "fluent-"), "step %d: %s", i, p.Name)
			// Pinned by node affinity, bound by the scheduler: spec.nodeName unset.
			assert.Empty(t, p.Spec.NodeName, "step %d: %s", i, p.Name)
		}
		assert.Equal(t, tc.want, res.Nodes[:len(res.Nodes)-2], "step %d", i)
		assert.Len(t, names, len(tc.want), "step %d: names must differ", i)
		assert.Equal(t, []string{"", ""}, res.Nodes[len(res.Nodes)-2:], "step %d", i)
	}
	_, err := kube.Decode([]byte(ds), kube.WithNodes("n1", ""))
	assert.EqualError(t, err, "kube.WithNodes: a node name is empty")
}

// Every object that carries pods is a Workload, in document order, with
// its template as written and its range of Pods; PodsFrom makes the pods
// of a template the API server stored for it: the same template gives
// Decode's pods, a changed one a new pod-template-hash, and a revision new
// generated characters under the same hash.
func TestDecodeWorkloads(t *testing.T) {
	in := deployment("idle", "replicas: 0", "x") + "---\n" + deployment("web", "replicas: 2", "web:2.4") +
		"---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec: {containers: [{name: a, image: x}]}\n"
	res, err := kube.Decode([]byte(in))
	require.NoError(t, err)
	var got []string
	for _, w := range res.Workloads {
		got = append(got, fmt.Sprintf("%d %s %s/%s pods[%d:%d]", w.Index, w.Kind, w.Namespace, w.Name, w.Pods, w.Pods+w.Count))
	}
	assert.Equal(t, []string{"0 Deployment default/idle pods[0:0]", "1 Deployment default/web pods[0:2]", "2 Pod default/ pods[2:3]"}, got)

	web := res.Workloads[1]
	assert.Empty(t, web.Template.Spec.Containers[0].ImagePullPolicy, "the template as written")
	hash := res.Pods[0].Labels["pod-template-hash"]
	changed := web.Template.DeepCopy()
	changed.Spec.Containers[0].Image = "web:latest"
	for i, tc := range []struct {
		template *corev1.PodTemplateSpec
		revision int
		same     bool // the pods are Decode's
		sameHash bool // under Decode's pod-template-hash
	}{
		{template: web.Template, revision: 0, same: true, sameHash: true},
		{template: web.Template, revision: 1, same: false, sameHash: true},
		{template: changed, revision: 0, same: false, sameHash: false},
		{template: changed, revision: 2, same: false, sameHash: false},
	} {
		pods, nodes, err := web.PodsFrom(tc.template, tc.revision)
		require.NoError(t, err, "step %d", i)
		require.Len(t, pods, 2, "step %d", i)
		assert.Nil(t, nodes, "step %d", i)
		h := pods[0].Labels["pod-template-hash"]
		if got := pods[0].Name == res.Pods[0].Name && pods[1].Name == res.Pods[1].Name; got != tc.same {
			t.Errorf("step %d: got %s, %s, want the same as Decode's %s, %s: %v", i, pods[0].Name, pods[1].Name, res.Pods[0].Name, res.Pods[1].Name, tc.same)
		}
		if (h == hash) != tc.sameHash || !strings.HasPrefix(pods[0].Name, "web-"+h+"-") {
			t.Errorf("step %d: got hash %s (pod %s), Decode's %s, want the same: %v", i, h, pods[0].Name, hash, tc.sameHash)
		}
		assert.Equal(t, tc.template.Spec.Containers[0].Image, pods[0].Spec.Containers[0].Image, "step %d", i)
	}
}

// DecodeFile reads a directory as kubectl apply -f does: its .yaml, .yml
// and .json files in name order, as one manifest; other files and
// subdirectories are left alone, and a bad file is named.
func TestDecodeDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	write("b-web.yaml", deployment("web", "replicas: 2", "nginx:1.28"))
	write("a-account.yml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n")
	write("c-pod.json", `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"one"}}
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"one"},"stringData":{"k":"v"}}
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"one"},"spec":{"containers":[{"name":"app","image":"busybox:1.36"}]}}`)
	write("notes.txt", "not a manifest")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "nested.yaml"), 0o755))

	res, err := kube.DecodeFile(dir)
	require.NoError(t, err)
	var names []string
	for _, p := range res.Pods {
		names = append(names, p.Name)
	}
	require.Len(t, names, 3)
	assert.True(t, strings.HasPrefix(names[0], "web-") && strings.HasPrefix(names[1], "web-"), "%v", names)
	assert.Equal(t, "one", names[2])
	require.Len(t, res.ServiceAccounts, 2)
	require.Len(t, res.Secrets, 1)
	require.Len(t, res.Workloads, 2)
	// Positions among the pods and among the objects run on across files.
	for i, tc := range []struct {
		what                             string
		pods, order, wantPods, wantOrder int
	}{
		{"account web", res.ServiceAccounts[0].Pods, res.ServiceAccounts[0].Order, 0, 0},
		{"deployment web", res.Workloads[0].Pods, res.Workloads[0].Order, 0, 1},
		{"account one", res.ServiceAccounts[1].Pods, res.ServiceAccounts[1].Order, 2, 2},
		{"secret one", res.Secrets[0].Pods, res.Secrets[0].Order, 2, 3},
		{"pod one", res.Workloads[1].Pods, res.Workloads[1].Order, 2, 4},
	} {
		if tc.pods != tc.wantPods || tc.order != tc.wantOrder {
			t.Errorf("step %d: %s: Pods %d, Order %d, want %d, %d", i, tc.what, tc.pods, tc.order, tc.wantPods, tc.wantOrder)
		}
	}
	assert.Equal(t, len(res.Pods), len(res.Nodes))
	// A file's own errors name it.
	write("d-bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: a, image: x, imagePulPolicy: Never}]}\n")
	_, err = kube.DecodeFile(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "d-bad.yaml")+": document 0 (Pod bad): strict decoding error")
	// A directory of no manifests.
	_, err = kube.DecodeFile(t.TempDir())
	assert.ErrorContains(t, err, "no .yaml, .yml or .json file in the directory")
}
