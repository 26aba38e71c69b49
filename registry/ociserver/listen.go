package ociserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/pullsim/pullsim/registry"
)

// ListenAndServe serves reg with [New] on addr, a loopback address
// ("127.0.0.1:5000", "[::1]:0", "localhost:5000"; port 0 picks a free one),
// prints the URL to out and serves until ctx is done, then shuts down,
// letting requests in flight finish for up to five seconds. It refuses
// any address that is not loopback: the registry has no real
// authentication and is a test tool. An invalid option fails it before it
// listens.
func ListenAndServe(ctx context.Context, addr string, reg *registry.Registry, out io.Writer, opts ...Option) error {
	handler, err := newHandler(reg, opts...)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ociserver: listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("ociserver: listen %q: not a loopback address; use 127.0.0.1, [::1] or localhost", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ociserver: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if _, err := fmt.Fprintf(out, "serving the registry at http://%s/\n", ln.Addr()); err != nil {
		_ = ln.Close()
		return fmt.Errorf("ociserver: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("ociserver: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("ociserver: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("ociserver: shutdown: %w", err)
	}
	return nil
}
