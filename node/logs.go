package node

import (
	"fmt"

	"github.com/pullsim/pullsim/pullpolicy"
)

// LogContainer returns the ID of the container instance whose logs
// `kubectl logs` reads for container c of pod p (-c c; --previous for the
// instance before the current one), or the error the kubelet answers with
// (kubelet_pods.go, validateContainerLogStatus), which kubectl prints as
// "Error from server (BadRequest): <message>". The error wraps
// ErrBadRequest. A container waiting on its image gets the kubelet's
// words for the most common pending failures:
//
//	container "app" in pod "web" is waiting to start: image can't be pulled
//	container "app" in pod "web" is waiting to start: trying and failing to pull image
//
// and any other waiting reason is named as it is, as in
// `... is waiting to start: ErrImageNeverPull`. Init containers are
// found by name too.
func LogContainer(p Pod, c string, previous bool) (containerID string, err error) {
	bad := func(format string, args ...any) error {
		return &apiError{ErrBadRequest, fmt.Sprintf(format, args...)}
	}
	cs := p.ContainerStatus(c)
	if cs == nil {
		return "", bad("container %q in pod %q is not available", c, p.Name)
	}
	last, st := cs.LastState.Terminated, cs.State
	switch {
	case previous:
		if last == nil || last.ContainerID == "" {
			return "", bad("previous terminated container %q in pod %q not found", c, p.Name)
		}
		return last.ContainerID, nil
	case st.Running != nil:
		return cs.ContainerID, nil
	case st.Terminated != nil:
		// A current terminated state carries its ID in the status (see
		// ContainerStateTerminated); none means the instance never started.
		switch {
		case st.Terminated.ContainerID != "":
			return st.Terminated.ContainerID, nil
		case cs.ContainerID != "":
			return cs.ContainerID, nil
		case last != nil && last.ContainerID != "":
			return last.ContainerID, nil
		}
		return "", bad("container %q in pod %q is terminated", c, p.Name)
	case last != nil:
		if last.ContainerID == "" {
			return "", bad("container %q in pod %q is terminated", c, p.Name)
		}
		return last.ContainerID, nil
	case st.Waiting != nil:
		switch reason := st.Waiting.Reason; reason {
		case pullpolicy.ErrImagePull.Error():
			return "", bad("container %q in pod %q is waiting to start: image can't be pulled", c, p.Name)
		case pullpolicy.ErrImagePullBackOff.Error():
			return "", bad("container %q in pod %q is waiting to start: trying and failing to pull image", c, p.Name)
		default:
			return "", bad("container %q in pod %q is waiting to start: %v", c, p.Name, reason)
		}
	}
	return "", bad("container %q in pod %q is waiting to start - no logs yet", c, p.Name)
}

// LogContainer is [LogContainer] for the pod of that name on the node: what
// `kubectl logs -n namespace name -c container` gets. A pod the node does
// not have is the API server's NotFound error.
func (n *Node) LogContainer(namespace, name, container string, previous bool) (string, error) {
	p, ok := n.Pod(namespace, name)
	if !ok {
		return "", n.notFound(name)
	}
	return LogContainer(p, container, previous)
}
