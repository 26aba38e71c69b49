package pullsim

import (
	"time"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// Recorder answers "what did this call cause?": the events, the finished
// pulls, the registry requests and the bytes served between the start and
// the end of one call, on a set of nodes and the registry they pull from.
// It replaces counting Pulls() and Counters() before and after by hand.
//
//	rec := pullsim.NewRecorder(reg, n)
//	r, err := rec.Record(func() error { _, err := n.CreatePod(p); return err })
//	// r.Pulls, r.Requests.Total, r.Events ...
type Recorder struct {
	reg   *registry.Registry
	nodes []*node.Node
}

// NewRecorder returns a recorder of reg (which may be nil: no requests are
// counted) and nodes.
func NewRecorder(reg *registry.Registry, nodes ...*node.Node) *Recorder {
	return &Recorder{reg: reg, nodes: nodes}
}

// Record runs f and returns what it caused. The record is filled in even
// when f fails, and f's error is returned.
func (r *Recorder) Record(f func() error) (Record, error) {
	var before registry.Counters
	if r.reg != nil {
		before = r.reg.Counters()
	}
	events := make([]int, len(r.nodes))
	pulls := make([]int, len(r.nodes))
	for i, n := range r.nodes {
		events[i], pulls[i] = n.EventCount(), len(n.Pulls())
	}
	err := f()
	rec := Record{Events: []Event{}, Pulls: []Pull{}} // [] in JSON, not null
	for i, n := range r.nodes {
		for _, e := range n.EventsSince(events[i]) {
			rec.Events = append(rec.Events, eventOf(n.Name(), e))
		}
		for _, p := range n.Pulls()[pulls[i]:] {
			rec.Pulls = append(rec.Pulls, pullOf(n.Name(), p))
		}
	}
	if r.reg != nil {
		after := r.reg.Counters()
		rec.Requests = Requests{
			Resolves:  after.Resolves - before.Resolves,
			Manifests: after.Manifests - before.Manifests,
			Blobs:     after.Blobs - before.Blobs,
		}
		rec.Requests.Total = rec.Requests.Resolves + rec.Requests.Manifests + rec.Requests.Blobs
		rec.Bytes = after.BlobBytes - before.BlobBytes
	}
	return rec, err
}

// Record is what one call caused.
type Record struct {
	// Events emitted, node by node in the recorder's order, oldest first.
	Events []Event `json:"events"`
	// Pulls that finished, node by node, in the order they finished.
	Pulls []Pull `json:"pulls"`
	// Requests the registry answered, failed ones included.
	Requests Requests `json:"registryRequests"`
	// Bytes of blobs the registry served.
	Bytes int64 `json:"bytes"`
}

// Requests counts registry requests by kind.
type Requests struct {
	Resolves  int `json:"resolves"`
	Manifests int `json:"manifests"`
	Blobs     int `json:"blobs"`
	Total     int `json:"total"`
}

// Event is a node's event, with the node's name and the object flattened.
type Event struct {
	Node      string    `json:"node"`
	At        time.Time `json:"at"`
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	FieldPath string    `json:"fieldPath,omitempty"`
}

// Pull is one finished runtime pull on a node.
type Pull struct {
	Node      string    `json:"node"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Image     string    `json:"image"`
	Requested time.Time `json:"requested"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Requests  int       `json:"registryRequests"`
	Bytes     int64     `json:"bytes"`
	Err       string    `json:"error,omitempty"`
}

func eventOf(nodeName string, e node.Event) Event {
	return Event{Node: nodeName, At: e.At, Type: e.Type, Reason: e.Reason, Message: e.Message,
		Namespace: e.Object.Namespace, Pod: e.Object.Name, FieldPath: e.Object.FieldPath}
}

func pullOf(nodeName string, p node.Pull) Pull {
	return Pull{Node: nodeName, Namespace: p.Namespace, Pod: p.Pod, Container: p.Container, Image: p.Image,
		Requested: p.Requested, Started: p.Started, Finished: p.Finished, Requests: p.Requests, Bytes: p.Bytes, Err: p.Err}
}
