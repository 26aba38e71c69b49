package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim"
	"github.com/pullsim/pullsim/internal/golden"
)

const scenarios = "../../testdata/scenarios/"

// call runs the command in-process.
func call(args ...string) (status int, stdout, stderr string) {
	var out, errs bytes.Buffer
	status = pullsimMain(args, &out, &errs)
	return status, out.String(), errs.String()
}

// pullsim run on each lesson scenario prints its transcript and passes.
func TestRunTranscript(t *testing.T) {
	for _, name := range []string{"quiz1", "quiz2", "lab", "tagdrift", "gc"} {
		t.Run(name, func(t *testing.T) {
			status, out, errs := call("run", scenarios+name+".yaml")
			assert.Equal(t, exitOK, status, errs)
			assert.Empty(t, errs)
			assert.Contains(t, out, "\nPASS "+name+": ")
			golden.Check(t, "testdata/"+name+".txt", []byte(out))
		})
	}
}

// -o json emits the whole result, which decodes back into a Result.
func TestRunJSON(t *testing.T) {
	for _, name := range []string{"lab", "quiz2"} {
		t.Run(name, func(t *testing.T) {
			status, out, errs := call("run", "-o", "json", scenarios+name+".yaml")
			require.Equal(t, exitOK, status, errs)
			golden.Check(t, "testdata/"+name+".json", []byte(out))
			var r pullsim.Result
			require.NoError(t, json.Unmarshal([]byte(out), &r))
			assert.Equal(t, name, r.Name)
			assert.True(t, r.Passed())
			assert.NotEmpty(t, r.Steps)
			assert.NotEmpty(t, r.Pods)
		})
	}
	// Several files: an array, flags after the files.
	status, out, errs := call("run", scenarios+"lab.yaml", scenarios+"quiz2.yaml", "-o", "json")
	require.Equal(t, exitOK, status, errs)
	var rs []pullsim.Result
	require.NoError(t, json.Unmarshal([]byte(out), &rs))
	assert.Len(t, rs, 2)
}

// --timeline draws well-formed SVG, the same every time.
func TestRunTimeline(t *testing.T) {
	for _, name := range []string{"tagdrift", "lab"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name+".svg")
			status, _, errs := call("run", "--timeline", path, scenarios+name+".yaml")
			require.Equal(t, exitOK, status, errs)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			checkSVG(t, data)
			golden.Check(t, "testdata/"+name+".svg", data)
		})
	}
}

func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var names []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				assert.Equal(t, xml.Name{Space: "http://www.w3.org/2000/svg", Local: "svg"}, el.Name)
			}
			names = append(names, el.Name.Local)
			depth++
		case xml.EndElement:
			depth--
		}
	}
	assert.Zero(t, depth)
	assert.Contains(t, names, "rect")
	assert.Contains(t, names, "line")
	assert.Contains(t, names, "title")
}

// explain on the lesson's lab manifest, with the image absent and present.
func TestExplain(t *testing.T) {
	lab := "../../examples/lab/testdata/"
	var all bytes.Buffer
	for _, args := range [][]string{
		{"explain", lab + "pull-policy-pod.yaml"},
		{"explain", lab + "pull-policy-pod.yaml", "--node-has", "nginx:1.28"},
		{"explain", lab + "never-pod.yaml"},
		{"explain", "--node-has", "busybox:1.36", lab + "never-pod.yaml"},
		{"explain", "testdata/image-volume-pod.yaml"},
		{"explain", "--node-has", "quay.io/acme/model:v1", "testdata/image-volume-pod.yaml"},
	} {
		status, out, errs := call(args...)
		require.Equal(t, exitOK, status, errs)
		all.WriteString("$ pullsim " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden.Check(t, "testdata/explain.txt", all.Bytes())

	status, out, errs := call("explain", "-o", "json", lab+"never-pod.yaml")
	require.Equal(t, exitOK, status, errs)
	var e pullsim.Explanation
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	require.Len(t, e.Pods, 1)
	assert.Equal(t, pullsim.VerdictNeverPull, e.Pods[0].Containers[0].Decision)
}

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(dir, "failing.yaml")
	data, err := os.ReadFile(scenarios + "quiz2.yaml")
	require.NoError(t, err)
	// Expect the fresh node to run the old build: the expectation fails.
	data = bytes.Replace(data, []byte("{name: nginx, build: nginx 1.28.0}"), []byte("{name: nginx, build: nginx 1.27.0}"), 1)
	require.NoError(t, os.WriteFile(failing, data, 0o644))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: pullsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  nodes: [{name: n, kubelet: {serializeImagePull: true}}]\n"), 0o644))
	eph := filepath.Join(dir, "eph.yaml")
	require.NoError(t, os.WriteFile(eph, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: eph}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n  ephemeralContainers: [{name: dbg, image: busybox}]\n"), 0o644))

	for i, tc := range []struct {
		args   []string
		status int
		stdout string // a substring of standard output
		stderr string // a substring of standard error
	}{
		{[]string{"run", failing}, exitFailed, "FAIL quiz2: 1 of 11 expectations failed", ""},
		{[]string{"run", "-o", "json", failing}, exitFailed, `"ok": false`, ""},
		{[]string{"run", bad}, exitError, "", `bad.yaml:5: spec.nodes[0].kubelet.serializeImagePull: unknown field "serializeImagePull"`},
		{[]string{"run", scenarios + "lab.yaml", bad}, exitError, "PASS lab", "bad.yaml:5:"},
		{[]string{"run", scenarios + "missing.yaml"}, exitError, "", "pullsim run: open " + scenarios + "missing.yaml: no such file"},
		{[]string{"validate", scenarios + "missing.yaml"}, exitError, "", "pullsim validate: open " + scenarios + "missing.yaml: no such file"},
		{[]string{"run"}, exitError, "", "name at least one scenario file"},
		{[]string{"run", "-o", "xml", scenarios + "lab.yaml"}, exitError, "", "want text, json or yaml"},
		{[]string{"run", "-o", "yaml", scenarios + "lab.yaml"}, exitOK, "\nname: lab\n", ""},
		{[]string{"explain", "-o", "yaml", "../../examples/lab/testdata/never-pod.yaml"}, exitOK, "decision: ErrImageNeverPull", ""},
		{[]string{"run", "--timeline", filepath.Join(dir, "x.svg"), scenarios + "lab.yaml", scenarios + "quiz1.yaml"}, exitError, "", "name one file"},
		{[]string{"run", "-h"}, exitOK, "", "pullsim run --timeline quiz2.svg"},
		{[]string{"validate", scenarios + "lab.yaml", scenarios + "quiz2.yaml"}, exitOK, "quiz2.yaml: scenario quiz2 is valid (2 nodes, 4 steps)", ""},
		{[]string{"validate", bad}, exitError, "", "bad.yaml:5:"},
		{[]string{"validate"}, exitError, "", "name at least one"},
		{[]string{"explain"}, exitError, "", "name one manifest file"},
		{[]string{"explain", scenarios + "lab.yaml"}, exitError, "", "lab.yaml: "},
		{[]string{"explain", "--node-has", "nginx@sha256:abc", "../../examples/lab/testdata/pull-policy-pod.yaml"}, exitError, "", "--node-has nginx@sha256:abc"},
		{[]string{"explain", "-h"}, exitOK, "", "--node-has"},
		{[]string{"serve", "-h"}, exitOK, "", "crane --insecure digest"},
		{[]string{"serve", "--addr", "192.0.2.1:5000"}, exitError, "", "loopback"},
		{[]string{"frobnicate"}, exitError, "", `unknown command "frobnicate"`},
		{[]string{"--help"}, exitOK, "pullsim explain [--node-has IMAGE]...", ""},
		{nil, exitError, "", "Usage:"},
		{[]string{"help", "run"}, exitOK, "pullsim run --timeline quiz2.svg", ""},
		{[]string{"help", "frobnicate"}, exitError, "", `unknown command "frobnicate"`},
		{[]string{"explain", eph}, exitError, "", "pullsim explain: " + eph + `: Pod "eph" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create` + "\n"},
	} {
		status, out, errs := call(tc.args...)
		if status != tc.status {
			t.Errorf("step %d: pullsim %v exited %d, want %d (stderr %q)", i, tc.args, status, tc.status, errs)
		}
		if !strings.Contains(out, tc.stdout) {
			t.Errorf("step %d: pullsim %v: stdout lacks %q:\n%s", i, tc.args, tc.stdout, out)
		}
		if !strings.Contains(errs, tc.stderr) {
			t.Errorf("step %d: pullsim %v: stderr lacks %q:\n%s", i, tc.args, tc.stderr, errs)
		}
	}
}
