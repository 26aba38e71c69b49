package node

import (
	"fmt"
	"time"
)

// SyncPod runs one kubelet sync of a pod: init containers that have not
// completed are started one at a time, and a failure stops the sync; then
// every app container that is not running is started, independently of the
// others. Each start runs EnsureImage; each failed start records the Warning
// event "Failed" "Error: <reason>" and leaves the container waiting with the
// error's reason and message.
func (n *Node) SyncPod(namespace, name string) error {
	ps := n.pods[podKey(namespace, name)]
	if ps == nil {
		return n.notFound(namespace, name)
	}
	n.syncPod(ps)
	return nil
}

// Sync syncs every pod that has a container to start, in creation order.
func (n *Node) Sync() {
	for _, ps := range n.order {
		if ps.pending() {
			n.syncPod(ps)
		}
	}
}

// pending reports whether some container of ps waits to start.
func (ps *podState) pending() bool {
	for _, c := range ps.init {
		if !c.done {
			return true
		}
	}
	for _, c := range ps.app {
		if !c.running {
			return true
		}
	}
	return false
}

func (n *Node) syncPod(ps *podState) {
	n.startContainers(ps)
	ps.nextSync = time.Time{}
	if ps.pending() {
		ps.nextSync = n.clock.Now().Add(n.cfg.resync)
	}
}

func (n *Node) startContainers(ps *podState) {
	for _, c := range ps.init {
		if !c.done && !n.startContainer(ps, c) {
			return
		}
	}
	for _, c := range ps.app {
		if !c.running {
			n.startContainer(ps, c)
		}
	}
}

// startContainer is the image part of the kubelet's startContainer. Init
// containers run to completion at once; app containers keep running.
func (n *Node) startContainer(ps *podState, c *containerState) bool {
	pulls := n.counts.Pulls
	imageRef, msg, err := n.ensureImage(ps, c)
	now := n.clock.Now()
	if err != nil {
		n.record(evStartFailed, &c.obj, "", err.Error())
		c.waiting = ContainerStateWaiting{Reason: err.Error(), Message: msg}
		ps.attempts = append(ps.attempts, Attempt{At: now, Container: c.spec.Name, Reason: err.Error(), Message: msg, Pulled: n.counts.Pulls > pulls})
		return false
	}
	ps.attempts = append(ps.attempts, Attempt{At: now, Container: c.spec.Name, Message: msg, Pulled: n.counts.Pulls > pulls})
	if c.started && !c.init {
		c.restarts++
	}
	c.started, c.startAt = true, now
	if c.init {
		c.done, c.finishAt = true, now
	} else {
		c.running = true
	}
	if c.imageRef != digestOf(imageRef) || c.imageID == "" {
		c.imageRef = digestOf(imageRef)
		c.image, c.imageID = n.statusImage(c.spec.Image, c.imageRef)
	}
	return true
}

// RestartContainer simulates an app container exiting and the kubelet
// starting it again at once: the new start runs EnsureImage again (Always
// pulls again, IfNotPresent reports "already present"). The restart count
// grows when the new instance starts.
func (n *Node) RestartContainer(namespace, pod, container string) error {
	ps := n.pods[podKey(namespace, pod)]
	if ps == nil {
		return n.notFound(namespace, pod)
	}
	c := ps.container(container)
	switch {
	case c == nil:
		return &apiError{ErrNotFound, fmt.Sprintf("container %q not found in pod %q", container, pod)}
	case c.init:
		return fmt.Errorf("node %s: restart %s/%s: %q is an init container, which runs once", n.name, ps.namespace, pod, container)
	case !c.running:
		return fmt.Errorf("node %s: restart %s/%s: container %q is not running", n.name, ps.namespace, pod, container)
	}
	c.running = false
	c.waiting = ContainerStateWaiting{Reason: ReasonContainerCreating}
	n.syncPod(ps)
	return nil
}
