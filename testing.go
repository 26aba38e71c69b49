package pullsim

import "testing"

// RunFile loads and runs the scenario file at path inside a Go test, and
// reports each expectation that did not hold as a test error naming the
// file, line, step, what was checked, and the actual and expected values:
//
//	quiz1.yaml:52: step 2 ("recreated"): pod default/app on node-1, container app: build: got "b1", want "b2"
//
// A scenario that does not load or cannot run stops the test (t.Fatal).
// It returns the result for further checks.
func RunFile(t testing.TB, path string) *Result {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
		return nil // for a testing.TB whose Fatal returns
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
		return nil
	}
	for _, o := range r.Failures() {
		step := ""
		if name := s.Spec.Steps[o.Step].Name; name != "" {
			step = " (" + name + ")"
		}
		t.Errorf("%s:%d: step %d%s: %s: got %s, want %s", r.File, o.Line, o.Step, step, o.What, o.Got, o.Want)
	}
	return r
}
