package node

import (
	"strings"

	"github.com/opencontainers/go-digest"
)

// Views of a container's status that a test can call whatever state the
// container is in. ContainerState holds exactly one of Waiting, Running and
// Terminated, so reading s.State.Waiting.Reason panics on a running
// container; these methods answer "" or false instead. They are nil-safe:
// Pod.ContainerStatus returns nil for a container that does not exist, and
// every view of that nil is empty.

// ContainerStatus returns the status of the container (init or app) called
// name, or nil when the pod has none: chain a view on it without checking.
//
//	p.ContainerStatus("app").Reason() // "" when running, or no such container
func (p Pod) ContainerStatus(name string) *ContainerStatus {
	for _, list := range [][]ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// Reason returns the waiting reason (ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, ContainerCreating, ...), or the terminated reason of a
// container that exited (Completed); "" for a running container or a nil
// status.
func (s *ContainerStatus) Reason() string {
	switch {
	case s == nil:
		return ""
	case s.State.Waiting != nil:
		return s.State.Waiting.Reason
	case s.State.Terminated != nil:
		return s.State.Terminated.Reason
	}
	return ""
}

// Message returns the waiting message, the kubelet's detail for the reason
// (for ErrImageNeverPull: `Container image "…" is not present with pull
// policy of Never`); "" when the container is not waiting or s is nil.
func (s *ContainerStatus) Message() string {
	if s == nil || s.State.Waiting == nil {
		return ""
	}
	return s.State.Waiting.Message
}

// Waiting reports whether the container waits to start; false for a nil
// status.
func (s *ContainerStatus) Waiting() bool { return s != nil && s.State.Waiting != nil }

// Running reports whether the container runs; false for a nil status.
func (s *ContainerStatus) Running() bool { return s != nil && s.State.Running != nil }

// Digest returns the manifest digest of the image the container runs: the
// part of ImageID after "@" (docker.io/library/nginx@sha256:…). It is ""
// before the container first starts, for a nil status, and when ImageID is
// not a repo@digest name. Registry.Pushed turns it into the build.
func (s *ContainerStatus) Digest() digest.Digest {
	if s == nil {
		return ""
	}
	_, d, ok := strings.Cut(s.ImageID, "@")
	if !ok {
		return ""
	}
	return digest.Digest(d)
}
