package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/pullsim/pullsim"
	"github.com/pullsim/pullsim/registry"
	"github.com/pullsim/pullsim/registry/ociserver"
)

// interrupted returns the context serve runs under: until the process is
// interrupted. Tests replace it.
var interrupted = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

var serveVerb = verb{
	name:    "serve",
	summary: "serve a registry over HTTP (the OCI distribution API) on a loopback address",
	usage:   "[--addr 127.0.0.1:5000] [--default-host HOST] [SCENARIO.yaml]",
	help: `Serves a registry with the OCI distribution API until interrupted: empty, or a
scenario file's registries as they stand before its first step (its builds
pushed, its private repositories). Real clients pull, push and move tags in it:

  crane --insecure digest 127.0.0.1:5000/library/nginx:1.28

A host other than the default one is reached with containerd's ns parameter
(a hosts.toml mirror entry) or the Host header. Only loopback addresses.

Examples:
  pullsim serve
  pullsim serve --addr 127.0.0.1:0 testdata/scenarios/quiz1.yaml`,
	run: serve,
}

func init() { verbs = append(verbs, serveVerb) }

func serve(v *verb, args []string, stdout, stderr io.Writer) int {
	fs := flags(v, stderr)
	addr := fs.String("addr", "127.0.0.1:5000", "the loopback address to listen on (port 0 picks a free one)")
	host := fs.String("default-host", "", "the registry host requests reach by default (docker.io)")
	files, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError
	}
	var opts []ociserver.Option
	if *host != "" {
		opts = append(opts, ociserver.WithDefaultHost(*host))
	}
	// The flags are checked before the scenario is read.
	if _, err := ociserver.New(registry.New(), opts...); err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		fmt.Fprintf(stderr, "pullsim serve: --default-host: %v\n", err)
		return exitError
	}
	reg := registry.New()
	switch len(files) {
	case 0:
	case 1:
		s, err := pullsim.Load(files[0])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		if reg, err = s.Registry(); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
	default:
		fmt.Fprintln(stderr, "pullsim serve: name at most one scenario file")
		return exitError
	}
	ctx, stop := interrupted()
	defer stop()
	if err := ociserver.ListenAndServe(ctx, *addr, reg, stdout, opts...); err != nil {
		fmt.Fprintln(stderr, "pullsim serve:", err)
		return exitError
	}
	return exitOK
}
