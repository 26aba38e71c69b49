package node_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pullsim/pullsim/node"
)

func TestDecodePod(t *testing.T) {
	for i, tc := range []struct {
		yaml string   // the manifest
		want node.Pod // the pod, when err is ""
		err  string   // the wanted error text
	}{
		{yaml: `
apiVersion: v1
kind: Pod
metadata:
  name: pull-policy-pod
  namespace: lab
  labels: {app: web}
spec:
  serviceAccountName: builder
  nodeName: node-1
  imagePullSecrets:
  - name: regcred
  initContainers:
  - name: init
    image: busybox:1.36
  containers:
  - name: app
    image: nginx:1.28
    imagePullPolicy: Always
    ports: [{containerPort: 80}]
`, want: node.Pod{Name: "pull-policy-pod", Namespace: "lab", Spec: node.PodSpec{
			InitContainers:     []node.Container{{Name: "init", Image: "busybox:1.36"}},
			Containers:         []node.Container{{Name: "app", Image: "nginx:1.28", ImagePullPolicy: "Always"}},
			ImagePullSecrets:   []string{"regcred"},
			ServiceAccountName: "builder",
			NodeName:           "node-1",
		}}},
		{yaml: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"serviceAccount":"old","containers":[{"name":"a","image":"x"}]}}`,
			want: node.Pod{Name: "j", Spec: node.PodSpec{Containers: []node.Container{{Name: "a", Image: "x"}}, ServiceAccountName: "old"}}},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: app\n    image: nginx\n    imagePulPolicy: Always\n",
			err: `pod manifest: strict decoding error: unknown field "spec.containers[0].imagePulPolicy"`},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  nmae: y\nspec:\n  containers: []\n  hostNetworking: true\n",
			err: `pod manifest: strict decoding error: unknown field "metadata.nmae", unknown field "spec.hostNetworking"`},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: app\n    image: 5\n",
			err: `pod manifest: strict decoding error: spec.containers[0].image: expected string, got number`},
		{yaml: "apiVersion: apps/v1\nkind: Deployment\n", err: `pod manifest: kind "Deployment" is not supported: want "Pod"`},
		{yaml: "apiVersion: apps/v1\nkind: Pod\n", err: `pod manifest: no kind "Pod" is registered for version "apps/v1"`},
		{yaml: "kind: Pod\n", err: `pod manifest: apiVersion not set`},
		{yaml: "apiVersion: v1\n", err: `pod manifest: kind not set`},
		{yaml: "- a\n- b\n", err: `pod manifest: want a YAML mapping (an object), got array`},
		{yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", err: "pod manifest: yaml: line 3: did not find expected ',' or '}'"},
	} {
		got, err := node.DecodePod([]byte(tc.yaml))
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("case %d: DecodePod error = %v, want %q", i, err, tc.err)
			}
		case err != nil:
			t.Errorf("case %d: DecodePod: %v", i, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("case %d: DecodePod =\n\t%+v\nwant\n\t%+v", i, got, tc.want)
		}
	}
}

func TestLoadPodNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pod.yaml")
	os.WriteFile(path, []byte("apiVersion: v1\nkind: Pod\nspec:\n  bogus: 1\n"), 0o644)
	_, err := node.LoadPod(path)
	if want := path + `: strict decoding error: unknown field "spec.bogus"`; err == nil || err.Error() != want {
		t.Errorf("LoadPod = %v, want %q", err, want)
	}
	if _, err := node.LoadPod(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("LoadPod(missing) = %v", err)
	}
}

// A pod bound to another node is refused.
func TestNodeNameBinding(t *testing.T) {
	w := newWorld(t)
	_, err := w.node("").CreatePod(node.Pod{Name: "p", Spec: node.PodSpec{NodeName: "node-2", Containers: []node.Container{{Name: "a", Image: "x"}}}})
	if want := `node node-1: pod default/p is bound to node "node-2"`; err == nil || err.Error() != want {
		t.Errorf("CreatePod = %v, want %q", err, want)
	}
}

func FuzzDecodePod(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx\n",
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"a","image":"x","imagePullPolicy":"Never"}]}}`,
		"kind: Pod\n", "- 1\n", "{", "apiVersion: v1\nkind: Pod\nspec: []\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := node.DecodePod(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pod manifest: ") {
				t.Fatalf("error without the manifest prefix: %v", err)
			}
			return
		}
		// Whatever decodes can be offered to a node without panicking.
		n := node.MustNew("n", newWorld(t).reg)
		n.CreatePod(p)
	})
}
