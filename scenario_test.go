package pullsim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim"
	"github.com/pullsim/pullsim/node"
)

// base is a valid scenario the bad-input cases below break one way each.
// Line numbers matter: the cases name them.
const base = `apiVersion: pullsim.dev/v1alpha1
kind: Scenario
metadata:
  name: t
spec:
  builds:
  - name: b1
  registries:
  - host: docker.io
    images:
    - {ref: app:1, build: b1}
  nodes:
  - name: node-1
  steps:
  - at: 0s
    apply:
      manifest:
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          containers:
          - {name: app, image: app:1}
    advance: 1m
    expect:
      pods:
      - name: app
        phase: Running
`

// The lesson's quizzes and lab, and every other scenario under
// testdata/scenarios, pass their expectations.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "the lesson's two quizzes and its lab")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			r := pullsim.RunFile(t, f)
			n := 0
			for _, st := range r.Steps {
				n += len(st.Expectations)
			}
			assert.NotZero(t, n, "a scenario without expectations checks nothing")
		})
	}
}

func TestBaseIsValid(t *testing.T) {
	s, err := pullsim.Parse([]byte(base), "bad.yaml")
	require.NoError(t, err)
	r, err := s.Run()
	require.NoError(t, err)
	require.True(t, r.Passed(), "%v", r.Failures())
}

// Bad input is refused before anything runs, with file, line and field.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  string // a line of base, replaced by new
		new  string
		want string // the start of the error, or a line of it
	}{
		{"unknown field", "    advance: 1m", "    advnce: 1m",
			`bad.yaml:24: spec.steps[0].advnce: unknown field "advnce"`},
		{"unknown field, case differs", "    advance: 1m", "    Advance: 1m",
			`bad.yaml:24: spec.steps[0].Advance: unknown field "Advance"`},
		{"unknown kubelet setting", "  - name: node-1", "  - name: node-1\n    kubelet: {serializeImagePull: false}",
			`bad.yaml:14: spec.nodes[0].kubelet.serializeImagePull: unknown field "serializeImagePull"`},
		{"unparsable duration", "    advance: 1m", "    advance: 1 minute",
			`bad.yaml:24: spec.steps[0].advance: invalid duration "1 minute"`},
		{"duration out of range", "    advance: 1m", "    advance: 9999999h",
			`bad.yaml:24: spec.steps[0].advance: duration "9999999h" out of range: at most 2562047h47m16.854775807s`},
		{"negative duration out of range", "    advance: 1m", "    advance: -9999999h",
			`bad.yaml:24: spec.steps[0].advance: duration "-9999999h" out of range: at least -2562047h47m16.854775808s`},
		{"unparsable size", "  - name: b1", "  - name: b1\n    layers: [{content: x, size: 30 MB}]",
			`bad.yaml:8: spec.builds[0].layers[0].size: invalid value "30 MB"`},
		{"layer size out of range", "  - name: b1", "  - name: b1\n    layers: [{content: x, size: 1e100}]",
			`bad.yaml:8: spec.builds[0].layers[0].size: out of range: at most 9223372036854775807 bytes`},
		{"bandwidth out of range", "  - host: docker.io", "  - host: docker.io\n    link: {bandwidth: 10Ei}",
			`bad.yaml:10: spec.registries[0].link.bandwidth: out of range: at most 9223372036854775807 bytes`},
		{"image filesystem out of range", "  - name: node-1", "  - name: node-1\n    imageFSCapacity: 1e30",
			`bad.yaml:14: spec.nodes[0].imageFSCapacity: out of range: at most 9223372036854775807 bytes`},
		{"negative image filesystem", "  - name: node-1", "  - name: node-1\n    imageFSCapacity: -1Gi",
			`bad.yaml:14: spec.nodes[0].imageFSCapacity: must not be negative`},
		{"wrong type", "  - name: node-1", "  - name: node-1\n    kubelet: {registryBurst: lots}",
			`bad.yaml:14: spec.nodes[0].kubelet.registryBurst: cannot use "lots": want int32`},
		{"duplicate field", "    advance: 1m", "    advance: 1m\n    advance: 2m",
			`bad.yaml:25: spec.steps[0].advance: duplicate field`},
		{"step out of time order", "        phase: Running", "        phase: Running\n  - at: 30s\n    expect: {pulls: 0}",
			`bad.yaml:29: spec.steps[1].at: step out of time order: 30s is before 1m0s, where the previous step ends`},
		{"step without a time", "        phase: Running", "        phase: Running\n  - expect: {pulls: 0}",
			`bad.yaml:29: spec.steps[1].at: required: the step's virtual time from the start, such as 0s or 30s`},
		{"unknown node", "    advance: 1m", "    advance: 1m\n    node: node-2",
			`bad.yaml:25: spec.steps[0].node: no node named "node-2" in spec.nodes`},
		{"unknown node in an expectation", "      - name: app", "      - name: app\n        node: node-9",
			`bad.yaml:28: spec.steps[0].expect.pods[0].node: no node named "node-9" in spec.nodes`},
		{"unknown registry", "        phase: Running", "        phase: Running\n  - at: 2m\n    push: {ref: quay.io/app:1, build: b1}",
			`bad.yaml:30: spec.steps[1].push.ref: no registry with host "quay.io" in spec.registries`},
		{"fault on an unknown registry", "        phase: Running", "        phase: Running\n  - at: 2m\n    fault: {scope: quay.io, kind: Unavailable}",
			`bad.yaml:30: spec.steps[1].fault.scope: no registry with host "quay.io" in spec.registries`},
		{"unknown fault kind", "        phase: Running", "        phase: Running\n  - at: 2m\n    fault: {scope: docker.io, kind: Down}",
			`bad.yaml:30: spec.steps[1].fault.kind: unknown fault kind "Down"`},
		{"unknown build", "    - {ref: app:1, build: b1}", "    - {ref: app:1, build: b9}",
			`bad.yaml:11: spec.registries[0].images[0].build: no build named "b9" in spec.builds`},
		{"image on another host", "    - {ref: app:1, build: b1}", "    - {ref: quay.io/app:1, build: b1}",
			`bad.yaml:11: spec.registries[0].images[0].ref: "quay.io/app:1" is on host quay.io, not docker.io`},
		{"pod never created", "      - name: app", "      - name: other",
			`bad.yaml:27: spec.steps[0].expect.pods[0].name: pod default/other is not created on node-1 by this or an earlier step: the expectation could never be checked`},
		{"pod deleted before", "        phase: Running", "        phase: Running\n  - {at: 2m, delete: {name: app}}\n  - {at: 3m, expect: {pods: [{name: app}]}}",
			`bad.yaml:30: spec.steps[2].expect.pods[0].name: pod default/app is deleted from node-1 by an earlier step: the expectation could never be checked`},
		{"spread over an unknown node", "    apply:", "    apply:\n      nodes: [node-1, node-7]",
			`bad.yaml:17: spec.steps[0].apply.nodes[1]: no node named "node-7" in spec.nodes`},
		{"empty expect block", "        phase: Running", "        phase: Running\n  - {at: 2m, expect: {}}",
			`bad.yaml:29: spec.steps[1].expect: the expect block checks nothing`},
		{"pod expectation that checks nothing", "        phase: Running", "        containers: [{name: app}]",
			`bad.yaml:28: spec.steps[0].expect.pods[0].containers[0]: the expectation checks nothing`},
		{"container that does not exist", "        phase: Running", "        containers: [{name: web, running: true}]",
			`bad.yaml:28: spec.steps[0].expect.pods[0].containers[0].name: pod app has no container "web"`},
		{"events of a pod never created", "        phase: Running", "        phase: Running\n      events: [{pod: web}]",
			`bad.yaml:29: spec.steps[0].expect.events[0].pod: no step up to this one creates a pod named "web": the expectation could never be checked`},
		{"delete of a pod never created", "        phase: Running", "        phase: Running\n  - at: 2m\n    delete: {name: web}",
			`bad.yaml:30: spec.steps[1].delete: no earlier step creates pod default/web on node-1`},
		{"two actions in a step", "    advance: 1m", "    advance: 1m\n    restartKubelet: true",
			`bad.yaml:15: spec.steps[0]: a step has at most one action, this one has 2: [apply restartKubelet]`},
		{"bad manifest", "          - {name: app, image: app:1}", "          - {name: app, image: app:1, imagePulPolicy: Always}",
			`bad.yaml:16: spec.steps[0].apply: `},
		// What the API server refuses at create is refused here too: Parse
		// creates each step's pods on throwaway nodes, as Run will.
		{"ephemeral containers on create", "          - {name: app, image: app:1}", "          - {name: app, image: app:1}\n          ephemeralContainers: [{name: dbg, image: app:1}]",
			`bad.yaml:16: spec.steps[0].apply: Pod "app" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create`},
		{"a service account that does not exist", "          containers:", "          serviceAccountName: builder\n          containers:",
			`bad.yaml:16: spec.steps[0].apply: pods "app" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found (declare it in spec.cluster.serviceAccounts, or apply a ServiceAccount document before the pod)`},
		{"a bad pod name", "        metadata: {name: app}", "        metadata: {name: My_App}",
			`bad.yaml:16: spec.steps[0].apply: document 0 (Pod My_App): metadata.name: Invalid value: "My_App": a lowercase RFC 1123 subdomain`},
		{"a workload that makes no pods", "        apiVersion: v1\n        kind: Pod\n        metadata: {name: app}\n        spec:\n          containers:\n          - {name: app, image: app:1}",
			"        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {name: web}\n        spec:\n          replicas: 0\n          selector: {matchLabels: {app: web}}\n          template:\n            metadata: {labels: {app: web}}\n            spec: {containers: [{name: app, image: app:1}]}",
			`bad.yaml:16: spec.steps[0].apply: deployment/web makes no pods (replicas: 0): the step would create nothing`},
		{"kubelet settings that do not combine", "  - name: node-1", "  - name: node-1\n    kubelet: {imageGCHighThresholdPercent: 50}",
			`bad.yaml:14: spec.nodes[0].kubelet: `},
		{"unknown feature gate", "  - name: node-1", "  - name: node-1\n    kubelet: {featureGates: {ImageVolume: true}}",
			`bad.yaml:14: spec.nodes[0].kubelet: node node-1: unrecognized feature gate: ImageVolume`},
		{"unsupported kubelet version", "  - name: node-1", "  - name: node-1\n    kubeletVersion: '1.33'",
			`bad.yaml:14: spec.nodes[0].kubeletVersion: node node-1: unsupported kubelet version "1.33"; supported: 1.34, 1.35, 1.36, 1.37`},
		{"unknown container runtime", "  - name: node-1", "  - name: node-1\n    containerRuntime: docker",
			`bad.yaml:14: spec.nodes[0].containerRuntime: node node-1: unknown container runtime "docker"; want "containerd" or "cri-o"`},
		{"wrong apiVersion", "apiVersion: pullsim.dev/v1alpha1", "apiVersion: pullsim.dev/v1",
			`bad.yaml:1: apiVersion: got "pullsim.dev/v1", want "pullsim.dev/v1alpha1"`},
		{"no name", "  name: t", "  name: ''",
			`bad.yaml:4: metadata.name: required`},
		{"a second scenario in the file", "        phase: Running", "        phase: Running\n---\napiVersion: pullsim.dev/v1alpha1",
			`bad.yaml:30: document 1: only one scenario per file, and this second document would be ignored: put it in a file of its own`},
		{"no nodes", "  nodes:\n  - name: node-1", "  nodes: []",
			`bad.yaml:12: spec.nodes: a scenario needs at least one node`},
		{"YAML syntax", "    advance: 1m", "    advance: [1m",
			`bad.yaml:23: yaml: line 23: did not find expected ',' or ']'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, base, tc.old+"\n")
			data := strings.Replace(base, tc.old+"\n", tc.new+"\n", 1)
			s, err := pullsim.Parse([]byte(data), "bad.yaml")
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, "\n"+err.Error(), "\n"+tc.want)
			var se *pullsim.Error
			if assert.True(t, errors.As(err, &se), "error %T is not a *pullsim.Error", err) {
				assert.Equal(t, "bad.yaml", se.File)
				assert.NotZero(t, se.Line)
			}
		})
	}
}

// Every problem is reported, not only the first.
func TestParseReportsEveryProblem(t *testing.T) {
	data := strings.Replace(base, "    advance: 1m\n", "    advance: 1 minute\n    colour: blue\n", 1)
	_, err := pullsim.Parse([]byte(data), "bad.yaml")
	require.Error(t, err)
	assert.Equal(t, `bad.yaml:24: spec.steps[0].advance: invalid duration "1 minute": want a Go duration such as "30s" or "1h30m"
bad.yaml:25: spec.steps[0].colour: unknown field "colour"`, err.Error())
}

func TestLoadMissingFile(t *testing.T) {
	_, err := pullsim.Load("testdata/scenarios/no-such-file.yaml")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// recordingTB records what RunFile reports instead of failing the test.
type recordingTB struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recordingTB) Fatal(a ...any)            { r.fatal = true; r.errors = append(r.errors, fmt.Sprint(a...)) }

// RunFile reports each failed expectation with its file, line, step, what
// was checked, and the actual and expected values.
func TestRunFileReportsFailures(t *testing.T) {
	data := strings.Replace(base, "        phase: Running\n", `        phase: Pending
        containers: [{name: app, build: b1, reason: ErrImagePull}]
      pulls: 2
`, 1)
	data = strings.Replace(data, "  - at: 0s\n", "  - at: 0s\n    name: first rollout\n", 1)
	path := filepath.Join(t.TempDir(), "failing.yaml")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	rec := &recordingTB{TB: t}
	r := pullsim.RunFile(rec, path)
	require.False(t, rec.fatal, "%v", rec.errors)
	assert.Equal(t, []string{
		path + `:29: step 0 (first rollout): pod default/app on node-1: phase: got Running, want Pending`,
		path + `:30: step 0 (first rollout): pod default/app on node-1, container app: waiting reason: got "", want "ErrImagePull"`,
		path + `:31: step 0 (first rollout): pulls: got 1, want 2`,
	}, rec.errors)
	assert.False(t, r.Passed())
	assert.Len(t, r.Failures(), 3)
}

func TestRunFileStopsOnBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("kind: Scenario\n"), 0o644))
	rec := &recordingTB{TB: t}
	pullsim.RunFile(rec, path)
	assert.True(t, rec.fatal)
}

// A pod the API server would refuse is refused by Parse, before anything
// runs, with the API server's error, which errors.Is finds.
func TestParseRefusesWhatTheAPIServerRefuses(t *testing.T) {
	// Valid as a manifest, refused by the API server's admission: the
	// service account does not exist.
	data := strings.Replace(base, "          containers:\n", "          serviceAccountName: builder\n          containers:\n", 1)
	_, err := pullsim.Parse([]byte(data), "bad.yaml")
	require.Error(t, err)
	assert.EqualError(t, err, `bad.yaml:16: spec.steps[0].apply: pods "app" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found (declare it in spec.cluster.serviceAccounts, or apply a ServiceAccount document before the pod)`)
	assert.ErrorIs(t, err, node.ErrForbidden)
}

// A ServiceAccount document of an applied manifest creates the service
// account, in document order: the pods after it may name it and get its
// imagePullSecrets; pods before it may not. Applied again, or declared in
// spec.cluster with the same secrets, it is left unchanged.
func TestApplyServiceAccounts(t *testing.T) {
	var out bytes.Buffer
	s, err := pullsim.Load("testdata/scenarios/helm.yaml")
	require.NoError(t, err)
	r, err := s.Run(pullsim.WithTranscript(&out))
	require.NoError(t, err)
	assert.True(t, r.Passed(), "%v", r.Failures())
	assert.Contains(t, out.String(), "kubectl apply -f manifests/mychart.yaml (serviceaccount/release-mychart created, pod/release-mychart-")

	account := "        apiVersion: v1\n        kind: ServiceAccount\n        metadata: {name: builder}\n"
	pod := strings.Replace(base[strings.Index(base, "        apiVersion: v1\n"):strings.Index(base, "    advance: 1m\n")],
		"          containers:\n", "          serviceAccountName: builder\n          containers:\n", 1)
	list := func(docs ...string) string {
		return "      manifest:\n        apiVersion: v1\n        kind: List\n        items:\n" + strings.Join(docs, "")
	}
	item := func(doc string) string { // a document as an item of the List above
		return "        - " + strings.TrimPrefix(strings.ReplaceAll(doc, "\n        ", "\n          "), "        ")
	}
	for i, tc := range []struct {
		manifest string // what the apply step applies
		cluster  string // spec.cluster, when set
		action   string // a substring of the step's action
		err      string // the error of Parse or Run; "" for none
	}{
		{manifest: list(item(account), item(pod)), action: "(serviceaccount/builder created, pod/app on node-1)"},
		{manifest: list(item(pod), item(account)),
			err: `bad.yaml:16: spec.steps[0].apply: pods "app" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found (declare it in spec.cluster.serviceAccounts, or apply a ServiceAccount document before the pod)`},
		{manifest: list(item(account), item(pod)), cluster: "  cluster: {serviceAccounts: [{name: builder}]}\n", action: "(serviceaccount/builder unchanged, pod/app on node-1)"},
		{manifest: list(item(account), item(pod)), cluster: "  cluster: {serviceAccounts: [{name: builder, imagePullSecrets: [x]}]}\n",
			err: `spec.steps[0].apply: serviceaccount/builder: service account default/builder exists already with imagePullSecrets ["x"]`},
	} {
		data := base[:strings.Index(base, "      manifest:\n")] + tc.manifest + base[strings.Index(base, "    advance: 1m\n"):]
		data = strings.Replace(data, "  nodes:\n", tc.cluster+"  nodes:\n", 1)
		checkRun(t, i, data, "bad.yaml", tc.action, tc.err)
	}
}

// checkRun parses and runs the scenario data (named file) and checks step
// i of a table: Parse or Run fails with an error holding wantErr, or, when
// wantErr is "", the transcript holds action.
func checkRun(t *testing.T, i int, data, file, action, wantErr string) *pullsim.Result {
	t.Helper()
	var out bytes.Buffer
	var r *pullsim.Result
	s, err := pullsim.Parse([]byte(data), file)
	if err == nil {
		r, err = s.Run(pullsim.WithTranscript(&out))
	}
	switch {
	case wantErr != "" && err == nil:
		t.Errorf("step %d: got no error, want %s", i, wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Errorf("step %d: got %v, want %s", i, err, wantErr)
	case wantErr == "" && err != nil:
		t.Errorf("step %d: %v", i, err)
	case wantErr == "" && !strings.Contains(out.String(), action):
		t.Errorf("step %d: got transcript\n%s\nwant %s", i, out.String(), action)
	}
	return r
}

// Only a parsed scenario runs; a hand-made one is refused, not a panic.
func TestRunUnparsed(t *testing.T) {
	var s pullsim.Scenario
	s.Spec.Steps = []pullsim.Step{{}}
	_, err := s.Run()
	assert.ErrorContains(t, err, "Load or Parse")
	var nilScenario *pullsim.Scenario
	_, err = nilScenario.Run()
	assert.Error(t, err)
}

// A scenario runs the same way every time: same JSON, same picture.
func TestRunIsDeterministic(t *testing.T) {
	s, err := pullsim.Load("testdata/scenarios/quiz2.yaml")
	require.NoError(t, err)
	render := func() ([]byte, []byte) {
		r, err := s.Run()
		require.NoError(t, err)
		j, err := json.Marshal(r)
		require.NoError(t, err)
		var svg bytes.Buffer
		require.NoError(t, r.WriteTimeline(&svg))
		return j, svg.Bytes()
	}
	j1, s1 := render()
	j2, s2 := render()
	assert.Equal(t, string(j1), string(j2))
	assert.Equal(t, string(s1), string(s2))
}

// The timeline of every scenario is well-formed SVG.
func TestTimelineWellFormed(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		s, err := pullsim.Load(f)
		require.NoError(t, err)
		r, err := s.Run()
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, r.WriteTimeline(&b))
		checkSVG(t, b.Bytes())
	}
}

// checkSVG decodes an SVG document with encoding/xml and checks its root
// and that it has a lane per pod.
func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root xml.StartElement
	depth, rects := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = el
			}
			if el.Name.Local == "rect" {
				rects++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	assert.Equal(t, 0, depth, "unbalanced elements")
	assert.Equal(t, "svg", root.Name.Local)
	assert.Equal(t, "http://www.w3.org/2000/svg", root.Name.Space)
	assert.Greater(t, rects, 1)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	files, _ := filepath.Glob("testdata/scenarios/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("spec: {steps: [{at: -1s}, {at: 1x}]}"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := pullsim.Parse(data, "fuzz.yaml")
		if err != nil {
			if s != nil {
				t.Fatal("a refused scenario was returned")
			}
			return
		}
		if s.Name() == "" {
			t.Fatal("a scenario without a name was accepted")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/scenarios/quiz1.yaml")
	require.NoError(b, err)
	for b.Loop() {
		if _, err := pullsim.Parse(data, "testdata/scenarios/quiz1.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRun(b *testing.B) {
	s, err := pullsim.Load("testdata/scenarios/quiz1.yaml")
	require.NoError(b, err)
	for b.Loop() {
		if _, err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// A workload that makes no pods beside one that does is no error: the
// step's action names it, and why.
func TestApplyIdleWorkload(t *testing.T) {
	manifest := `      manifest: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 0
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: app, image: app:1}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec: {containers: [{name: app, image: app:1}]}
`
	data := base[:strings.Index(base, "      manifest:\n")] + manifest + base[strings.Index(base, "    advance: 1m\n"):]
	s, err := pullsim.Parse([]byte(data), "idle.yaml")
	require.NoError(t, err, data)
	var out bytes.Buffer
	_, err = s.Run(pullsim.WithTranscript(&out))
	require.NoError(t, err)
	assert.Contains(t, out.String(), "kubectl apply -f inline manifest (pod/app on node-1, deployment/web makes no pods (replicas: 0))")
}

// A DaemonSet applied to several nodes makes one pod on each, as the
// DaemonSet controller does; a Deployment beside it is spread in turn.
func TestApplyDaemonSetOnEveryNode(t *testing.T) {
	manifest := `      nodes: [node-1, node-2, node-3]
      manifest: |
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec: {containers: [{name: agent, image: app:1}]}
`
	data := base[:strings.Index(base, "      manifest:\n")] + manifest + "    advance: 1m\n"
	data = strings.Replace(data, "  - name: node-1\n", "  - name: node-1\n  - name: node-2\n  - name: node-3\n", 1)
	s, err := pullsim.Parse([]byte(data), "ds.yaml")
	require.NoError(t, err)
	r, err := s.Run()
	require.NoError(t, err)
	var got []string
	for _, p := range r.Pods {
		require.True(t, strings.HasPrefix(p.Name, "agent-"), p.Name)
		got = append(got, p.Node)
	}
	assert.Equal(t, []string{"node-1", "node-2", "node-3"}, got)
}

// An error in a manifest file an apply step names says which file.
func TestApplyPathErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "badman.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"), 0o644))
	data := base[:strings.Index(base, "      manifest:\n")] + "      path: badman.yaml\n    advance: 1m\n"
	_, err := pullsim.Load(writeFile(t, dir, "s.yaml", data))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.yaml:16: spec.steps[0].apply: badman.yaml: document 0 (Pod p): spec.containers: Required value")
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	return path
}

// An object applied again is an update of the one stored, as kubectl apply
// makes it: unchanged, configured (a Deployment rolls out: new pods, the
// old ones deleted; a ReplicaSet keeps its pods), or refused with what the
// API server or kubectl would do.
func TestApplyAgain(t *testing.T) {
	pod := func(extra, image string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  " + extra + "\n  containers: [{name: app, image: \"" + image + "\"}]\n"
	}
	workload := func(kind, extra, image string) string {
		return "apiVersion: apps/v1\nkind: " + kind + "\nmetadata: {name: web}\nspec:\n  " + extra +
			"\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: \"" + image + "\"}]}\n"
	}
	job := func(image string) string {
		return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: m, image: \"" + image + "\"}]}\n"
	}
	indent := func(doc string) string {
		return "        " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n        ") + "\n"
	}
	for i, tc := range []struct {
		first, second string // the manifests of the two apply steps
		between       string // a step between them, when set
		action        string // a substring of the second step's action
		err           string // a substring of Parse's error; "" for none
	}{
		{first: pod("", "app:1"), second: pod("", "app:1"), action: "(pod/app unchanged)"},
		{first: pod("", "app:1"), second: pod("", "app:2"), err: "pod/app: kubectl apply would change the pod's images in place"},
		{first: pod("", "app:1"), second: pod("restartPolicy: Never", "app:1"), err: "pod/app: The Pod \"app\" is invalid: spec: Forbidden: pod updates may not change fields other than"},
		{first: pod("", "app:1"), second: pod("", "app:2"), between: "  - at: 1m\n    delete: {name: app}\n", action: "(pod/app on node-1)"},
		{first: workload("Deployment", "replicas: 1", "app:1"), second: workload("Deployment", "replicas: 1", "app:1"), action: "(deployment.apps/web unchanged)"},
		{first: workload("Deployment", "replicas: 1", "app:1"), second: workload("Deployment", "replicas: 1", "app:latest"), action: "(deployment.apps/web configured, pod/web-"},
		{first: workload("Deployment", "replicas: 1", "app:1"), second: workload("Deployment", "replicas: 2", "app:1"), err: "deployment.apps/web: spec.replicas changed from 1 to 2 with the same pod template: pullsim does not scale"},
		{first: workload("ReplicaSet", "replicas: 1", "app:1"), second: workload("ReplicaSet", "replicas: 1", "app:2"), action: "(replicaset.apps/web configured)"},
		{first: workload("StatefulSet", "replicas: 1", "app:1"), second: workload("StatefulSet", "replicas: 1", "app:2"), err: "statefulset.apps/web: the pod template changed: pullsim does not roll out a StatefulSet"},
		{first: job("app:1"), second: job("app:2"), err: "job.batch/migrate: The Job \"migrate\" is invalid: spec.template: Invalid value: field is immutable"},
	} {
		data := base[:strings.Index(base, "      manifest:\n")] + "      manifest: |\n" + indent(tc.first) + "    advance: 1m\n" + tc.between +
			"  - at: 2m\n    apply:\n      manifest: |\n" + indent(tc.second) + "    advance: 1m\n"
		checkRun(t, i, data, "again.yaml", "at 2m0s: kubectl apply -f inline manifest "+tc.action, tc.err)
	}
}

// The reviewer's case: a Deployment of web:2.4 without imagePullPolicy,
// applied again with web:latest, keeps IfNotPresent, and its one replica
// is replaced, not joined.
func TestApplyAgainKeepsTheStoredPolicy(t *testing.T) {
	r := pullsim.RunFile(t, "testdata/scenarios/reapply.yaml")
	live := 0
	for _, p := range r.Pods {
		if p.Deleted == nil {
			live++
		}
	}
	assert.Equal(t, 1, live, "replicas: 1")
	assert.Len(t, r.Pods, 3, "one pod per rollout")
}

// A DaemonSet applied again to the nodes it was first applied to rolls
// out on each; applied to other nodes, it is refused: pullsim keeps a
// DaemonSet on its first nodes.
func TestApplyDaemonSetAgain(t *testing.T) {
	ds := func(image string) string {
		return "        apiVersion: apps/v1\n        kind: DaemonSet\n        metadata: {name: agent}\n        spec:\n          selector: {matchLabels: {app: agent}}\n" +
			"          template:\n            metadata: {labels: {app: agent}}\n            spec: {containers: [{name: agent, image: \"" + image + "\"}]}\n"
	}
	scenario := func(second, nodes string) string {
		return `apiVersion: pullsim.dev/v1alpha1
kind: Scenario
metadata: {name: ds}
spec:
  builds: [{name: b1}]
  registries: [{host: docker.io, images: [{ref: "agent:1", build: b1}, {ref: "agent:2", build: b1}]}]
  nodes: [{name: node-1}, {name: node-2}]
  steps:
  - at: 0s
    apply:
      nodes: [node-1, node-2]
      manifest: |
` + ds("agent:1") + `    advance: 1m
  - at: 2m
    apply:
      nodes: ` + nodes + `
      manifest: |
` + ds(second) + `    advance: 1m
`
	}
	for i, tc := range []struct {
		second, nodes string
		action, err   string
	}{
		{"agent:1", "[node-1, node-2]", "(daemonset.apps/agent unchanged)", ""},
		{"agent:2", "[node-1, node-2]", "(daemonset.apps/agent configured, pod/agent-", ""},
		{"agent:1", "[node-1]", "", `daemonset.apps/agent: applied to nodes ["node-1"], and to ["node-1" "node-2"] before: pullsim keeps a DaemonSet on the nodes it was first applied to`},
		{"agent:1", "[node-2, node-1]", "(daemonset.apps/agent unchanged)", ""},
		{"agent:1", "[node-1, node-1]", "", `daemonset.apps/agent: applied to nodes ["node-1"], and to ["node-1" "node-2"] before`},
	} {
		checkRun(t, i, scenario(tc.second, tc.nodes), "ds.yaml", tc.action, tc.err)
	}
}

// A manifest's image pull Secret (kubernetes.io/dockerconfigjson) is
// created in document order, before the pods after it: a pod that names it
// pulls a private image. The same secret applied again is unchanged; with
// other data it is refused.
func TestApplySecrets(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"registry.example.com":{"username":"ci","password":"s3cret"}}}`))
	secret := func(data string) string {
		return "        apiVersion: v1\n        kind: Secret\n        metadata: {name: regcred}\n        type: kubernetes.io/dockerconfigjson\n        data: {.dockerconfigjson: " + data + "}\n        ---\n"
	}
	pod := "        apiVersion: v1\n        kind: Pod\n        metadata: {name: app}\n        spec:\n          imagePullSecrets: [{name: regcred}]\n          containers: [{name: app, image: registry.example.com/team/app:1}]\n"
	scenario := func(first, second string) string {
		data := `apiVersion: pullsim.dev/v1alpha1
kind: Scenario
metadata: {name: secrets}
spec:
  builds: [{name: b1}]
  registries:
  - host: registry.example.com
    images: [{ref: "registry.example.com/team/app:1", build: b1}]
    private: [{repository: registry.example.com/team/app, credentials: [{username: ci, password: s3cret}]}]
  nodes: [{name: node-1}]
  steps:
  - at: 0s
    apply:
      manifest: |
` + first + `    advance: 1m
    expect:
      pods: [{name: app, phase: Running}]
`
		if second != "" {
			data += "  - at: 2m\n    delete: {name: app}\n  - at: 3m\n    apply:\n      manifest: |\n" + second + "    advance: 1m\n"
		}
		return data
	}
	account := "        apiVersion: v1\n        kind: ServiceAccount\n        metadata: {name: ci}\n        ---\n"
	web := "        apiVersion: v1\n        kind: Pod\n        metadata: {name: web}\n        spec: {containers: [{name: web, image: registry.example.com/team/app:1}]}\n        ---\n"
	for i, tc := range []struct {
		first, second string
		action, err   string
	}{
		{first: secret(auth) + pod, action: "(secret/regcred created, pod/app on node-1)"},
		// In document order, the service account first.
		{first: account + secret(auth) + pod, action: "(serviceaccount/ci created, secret/regcred created, pod/app on node-1)"},

		{first: secret(auth) + pod, second: secret(auth) + pod, action: "at 3m0s: kubectl apply -f inline manifest (secret/regcred unchanged, pod/app on node-1)"},
		{first: secret(auth) + pod, second: secret(base64.StdEncoding.EncodeToString([]byte(`{"auths":{}}`))) + pod,
			err: "secret/regcred: secret default/regcred exists already with other data"},
	} {
		if r := checkRun(t, i, scenario(tc.first, tc.second), "secrets.yaml", tc.action, tc.err); r != nil && !r.Passed() {
			t.Errorf("step %d: %v", i, r.Failures())
		}
	}
	// After objects applied again unchanged, whose pods the step does not
	// create, a new secret still comes before the pod that names it.
	web2 := strings.ReplaceAll(web, "{name: web}", "{name: web2}")
	data := strings.Replace(scenario(web+web2, ""), "    expect:\n      pods: [{name: app, phase: Running}]\n", "", 1) +
		"  - at: 2m\n    apply:\n      manifest: |\n" + web + web2 + secret(auth) + pod + "    advance: 1m\n    expect:\n      pods: [{name: app, phase: Running}]\n"
	if r := checkRun(t, 0, data, "secrets.yaml", "at 2m0s: kubectl apply -f inline manifest (pod/web unchanged, pod/web2 unchanged, secret/regcred created, pod/app on node-1)", ""); r != nil && !r.Passed() {
		t.Errorf("secret after unchanged pods: %v", r.Failures())
	}
	// Without the secret the private image cannot be pulled.
	r := func() *pullsim.Result {
		s, err := pullsim.Parse([]byte(scenario(pod, "")), "secrets.yaml")
		require.NoError(t, err)
		r, err := s.Run()
		require.NoError(t, err)
		return r
	}()
	assert.False(t, r.Passed(), "a pod whose pull secret is missing runs")
}

// apply: {path: DIR} applies a directory's manifests as kubectl apply -f
// DIR does: its .yaml, .yml and .json files in name order.
func TestApplyDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "manifests"), 0o755))
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	write("manifests/1-account.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder}\n")
	write("manifests/2-pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  serviceAccountName: builder\n  containers: [{name: app, image: \"app:1\"}]\n")
	write("manifests/README.md", "not a manifest")
	write("s.yaml", strings.Replace(base, base[strings.Index(base, "      manifest:\n"):strings.Index(base, "    advance: 1m\n")], "      path: manifests\n", 1))
	s, err := pullsim.Load(filepath.Join(dir, "s.yaml"))
	require.NoError(t, err)
	var out bytes.Buffer
	r, err := s.Run(pullsim.WithTranscript(&out))
	require.NoError(t, err)
	assert.True(t, r.Passed(), "%v", r.Failures())
	assert.Contains(t, out.String(), "kubectl apply -f manifests (serviceaccount/builder created, pod/app on node-1)")

	// A directory that would create nothing is refused as a file is; a
	// bad file is named under the directory the step names.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	write("empty/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	write("e.yaml", strings.Replace(base, base[strings.Index(base, "      manifest:\n"):strings.Index(base, "    advance: 1m\n")], "      path: empty\n", 1))
	_, err = pullsim.Load(filepath.Join(dir, "e.yaml"))
	assert.ErrorContains(t, err, "spec.steps[0].apply: the manifests hold no pod, workload, service account or secret")
	write("manifests/3-bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: a, image: x, imagePulPolicy: Never}]}\n")
	_, err = pullsim.Load(filepath.Join(dir, "s.yaml"))
	assert.ErrorContains(t, err, "spec.steps[0].apply: manifests/3-bad.yaml: document 0 (Pod bad): strict decoding error")
}
