package golden

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		path string
		got  string
		fail bool
	}{
		{path, "hello\n", false},
		{path, "hello", true},
		{path, "bye\n", true},
		{filepath.Join(t.TempDir(), "missing.golden"), "hello\n", true},
	} {
		r := &recorder{TB: t}
		Check(r, tc.path, []byte(tc.got))
		if r.failed != tc.fail {
			t.Errorf("step %d: Check(%q) failed = %v, want %v", i, tc.got, r.failed, tc.fail)
		}
	}
}

func TestUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.golden")
	*update = true
	defer func() { *update = false }()
	r := &recorder{TB: t}
	Check(r, path, []byte("fresh\n"))
	if r.failed {
		t.Fatal("Check with -update failed")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Errorf("after -update the file holds %q (%v), want %q", b, err, "fresh\n")
	}
}

// TestCheckRun runs a program's run function and checks its output against
// testdata/<name>.golden; a run that fails fails the test.
func TestCheckRun(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "prog.golden"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		out  string
		err  error
		fail bool
	}{
		{"hello\n", nil, false},
		{"bye\n", nil, true},
		{"hello\n", errors.New("boom"), true},
	} {
		r := &recorder{TB: t}
		CheckRun(r, "prog", func(w io.Writer) error {
			io.WriteString(w, tc.out)
			return tc.err
		})
		if r.failed != tc.fail {
			t.Errorf("step %d: CheckRun failed = %v, want %v", i, r.failed, tc.fail)
		}
	}
}
