// Package golden compares a test's output with a file under testdata, and
// rewrites the file when the test runs with -update.
package golden

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Check fails t unless got equals the contents of the file at path. With
// -update it first writes got to path, so a reviewed change is accepted
// with go test -update and shows in the diff.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update to accept):\n%s", path, got)
	}
}

// CheckRun runs an example program's run function into a buffer and
// checks its output against testdata/<name>.golden, as Check does.
func CheckRun(t testing.TB, name string, run func(io.Writer) error) {
	t.Helper()
	var buf bytes.Buffer
	if err := run(&buf); err != nil {
		t.Fatal(err)
	}
	Check(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
}
