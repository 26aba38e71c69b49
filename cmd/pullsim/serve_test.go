package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pullsim serve serves a scenario's registry on loopback until
// interrupted; a real client resolves the scenario's tag through it.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	old := interrupted
	interrupted = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer func() { interrupted = old }()

	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- pullsimMain([]string{"serve", "--addr", "127.0.0.1:0", scenarios + "quiz1.yaml"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	i := strings.Index(line, "http://")
	require.GreaterOrEqual(t, i, 0, "serve printed %q, want its URL", line)
	url := strings.TrimSuffix(strings.TrimSpace(line[i:]), "/")
	go io.Copy(io.Discard, pr)

	resp, err := http.Get(url + "/v2/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	host := strings.TrimPrefix(url, "http://")
	d, err := crane.Digest(host+"/library/my-app:1.0", crane.Insecure)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(d, "sha256:"), "digest %q", d)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when interrupted")
	}
}

func TestServeErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "loopback"},
		{[]string{"serve", "a.yaml", "b.yaml"}, "name at most one scenario file"},
		{[]string{"serve", "missing.yaml"}, "missing.yaml"},
		// The flag is checked before the scenario file is read.
		{[]string{"serve", "--default-host", "Docker.IO", "missing.yaml"}, `pullsim serve: --default-host: "Docker.IO" is not a registry host`},
		{[]string{"serve", "--default-host", "https://docker.io"}, `--default-host: "https://docker.io" is not a registry host`},
	} {
		var stdout, stderr strings.Builder
		assert.Equal(t, exitError, pullsimMain(tc.args, &stdout, &stderr), "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
	}
}
