package pullsim_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim"
)

// block returns the fenced block of README.md that starts with first.
func block(t *testing.T, readme, first string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+first)
	require.GreaterOrEqual(t, i, 0, "README.md has no block starting %q", first)
	rest := readme[i+1:]
	j := strings.Index(rest, "```")
	require.GreaterOrEqual(t, j, 0)
	return rest[:j]
}

// The scenario README.md shows is a real file, and the output it shows is
// what the transcript prints (describe elided).
func TestReadmeScenario(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(data)
	file, err := os.ReadFile("testdata/scenarios/quiz2-short.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(file), block(t, readme, "apiVersion: pullsim.dev/v1alpha1"))

	s, err := pullsim.Load("testdata/scenarios/quiz2-short.yaml")
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = s.Run(pullsim.WithTranscript(&out))
	require.NoError(t, err)
	want := block(t, readme, "== step 2 at 168h0m0s")
	head, tail, ok := strings.Cut(want, "  ...\n")
	require.True(t, ok, "the README's transcript elides describe with '  ...'")
	got := out.String()
	assert.Contains(t, got, head)
	assert.Contains(t, got, tail)
	assert.Less(t, strings.Index(got, head), strings.Index(got, tail))
}

// README.md keeps exactly two commands under "On a fresh machine".
func TestReadmeFreshMachine(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(data), "On a fresh machine")
	require.True(t, ok)
	section, _, _ := strings.Cut(rest, "\n## ")
	assert.Equal(t, 2, strings.Count(section, "```sh"))
}
