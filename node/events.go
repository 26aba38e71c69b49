package node

import (
	"fmt"
	"time"

	"github.com/pullsim/pullsim/internal/chunk"
	"github.com/pullsim/pullsim/pullpolicy"
)

// ObjectReference names what an event is about, as core/v1's
// ObjectReference does: for container events, the pod plus the field path
// spec.containers{name} (spec.initContainers{name} for init containers).
type ObjectReference struct {
	Kind      string // "Pod"
	Namespace string
	Name      string
	UID       string
	FieldPath string
}

// Event is one event the kubelet emitted. Reason, Type and Message are the
// kubelet's, byte for byte. pullsim records every emission; it does not
// aggregate repeats the way client-go's event correlator does.
type Event struct {
	At      time.Time
	Type    string // pullpolicy.EventTypeNormal or pullpolicy.EventTypeWarning
	Reason  string // pullpolicy.EventPulling, ...
	Message string
	Object  ObjectReference
}

// String renders the event in one line: "<type> <reason> <message>".
func (e Event) String() string {
	return e.Type + " " + e.Reason + " " + e.Message
}

// eventKind selects an event's type, reason and message template. Events
// are stored as kinds plus arguments and formatted when read, so recording
// one costs no formatting; only the Pulled event's sizes and durations,
// which vary per pull, are formatted when it is recorded.
type eventKind uint8

const (
	evPulling        eventKind = iota // Pulling image %q
	evPresent                         // Container image %q already present on machine
	evPresentAccess                   // ... and can be accessed by the pod
	evPulled                          // Successfully pulled image %q <detail>
	evPullFailed                      // Failed to pull image %q: <detail>
	evStartFailed                     // Error: <detail>
	evBackOff                         // Back-off pulling image %q
	evNeverPull                       // Container image %q is not present with pull policy of Never
	evInvalidName                     // Failed to apply default image tag %q: <detail>
	evInspectFailed                   // Failed to inspect image "": <detail>
	evMissingSecrets                  // Unable to retrieve some image pull secrets (<detail>); ...
	evNodeWarning                     // a Warning about the node: reason in image, message in detail
	evCreated                         // Created: Container created
	evStarted                         // Started: Container started
	evCreatedV134                     // Created: Created container: <image holds the name> (v1.34)
	evStartedV134                     // Started: Started container <image holds the name> (v1.34)
	evKilling                         // Killing: Stopping container <image holds the name>
	evCrashLoop                       // Warning BackOff: Back-off restarting failed container <image> in pod <detail>
)

// Container lifecycle event reasons (pkg/kubelet/events/event.go).
const (
	EventCreated = "Created"
	EventStarted = "Started"
	EventKilling = "Killing"
	// EventBackOff is the reason of both backoff events: the image pull
	// backoff's (Normal) and the crash loop's (Warning).
	EventBackOff = "BackOff"
)

type eventRecord struct {
	at     time.Time
	kind   eventKind
	obj    *ObjectReference
	image  string
	detail string
}

func (r *eventRecord) event() Event {
	e := Event{At: r.at, Object: *r.obj, Type: pullpolicy.EventTypeNormal}
	switch r.kind {
	case evPulling:
		e.Reason, e.Message = pullpolicy.EventPulling, fmt.Sprintf("Pulling image %q", r.image)
	case evPresent:
		e.Reason, e.Message = pullpolicy.EventPulled, fmt.Sprintf("Container image %q already present on machine", r.image)
	case evPresentAccess:
		e.Reason, e.Message = pullpolicy.EventPulled, fmt.Sprintf("Container image %q already present on machine and can be accessed by the pod", r.image)
	case evPulled:
		e.Reason, e.Message = pullpolicy.EventPulled, fmt.Sprintf("Successfully pulled image %q %s", r.image, r.detail)
	case evBackOff:
		e.Reason, e.Message = pullpolicy.EventBackOff, fmt.Sprintf("Back-off pulling image %q", r.image)
	case evPullFailed:
		e.Type, e.Reason, e.Message = pullpolicy.EventTypeWarning, pullpolicy.EventFailed, fmt.Sprintf("Failed to pull image %q: %s", r.image, r.detail)
	case evStartFailed:
		e.Type, e.Reason, e.Message = pullpolicy.EventTypeWarning, pullpolicy.EventFailed, "Error: "+r.detail
	case evNeverPull:
		e.Type, e.Reason, e.Message = pullpolicy.EventTypeWarning, pullpolicy.EventErrImageNeverPull, neverPullMessage(r.image)
	case evInvalidName, evInspectFailed:
		e.Type, e.Reason, e.Message = pullpolicy.EventTypeWarning, pullpolicy.EventInspectFailed, r.detail
	case evNodeWarning:
		e.Type, e.Reason, e.Message = pullpolicy.EventTypeWarning, r.image, r.detail
	case evCreated:
		e.Reason, e.Message = EventCreated, "Container created"
	case evStarted:
		e.Reason, e.Message = EventStarted, "Container started"
	case evCreatedV134:
		e.Reason, e.Message = EventCreated, "Created container: "+r.image
	case evStartedV134:
		e.Reason, e.Message = EventStarted, "Started container "+r.image
	case evKilling:
		e.Reason, e.Message = EventKilling, "Stopping container "+r.image
	case evCrashLoop:
		e.Type, e.Reason = pullpolicy.EventTypeWarning, EventBackOff
		e.Message = "Back-off restarting failed container " + r.image + " in pod " + r.detail
	case evMissingSecrets:
		e.Type, e.Reason = pullpolicy.EventTypeWarning, pullpolicy.EventFailedToRetrieveImagePullSecret
		e.Message = fmt.Sprintf("Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.", r.detail)
	}
	return e
}

func neverPullMessage(image string) string {
	return fmt.Sprintf("Container image %q is not present with pull policy of Never", image)
}

// recorder is the kubelet's event recorder (client-go's
// record.EventRecorder, as pkg/kubelet/kubelet.go wires it) together with
// the API server's event store: it keeps every event the node emits until
// it expires after the event TTL (--event-ttl), and formats events only
// when they are read.
type recorder struct {
	events chunk.List[eventRecord]
	ttl    time.Duration
}

// record emits an event at time at, and lets the expired ones go.
func (r *recorder) record(at time.Time, kind eventKind, obj *ObjectReference, image, detail string) {
	r.events.Append(eventRecord{at: at, kind: kind, obj: obj, image: image, detail: detail})
	r.expire(at)
}

// expire drops the events older than the event TTL at now, as the API
// server lets them expire (--event-ttl).
func (r *recorder) expire(now time.Time) {
	first := r.events.First()
	if first == r.events.Len() || now.Sub(r.events.At(first).at) <= r.ttl {
		return
	}
	cutoff := now.Add(-r.ttl)
	for first < r.events.Len() && r.events.At(first).at.Before(cutoff) {
		first++
	}
	r.events.DropBefore(first)
}

// count returns how many events were ever recorded, expired ones included.
func (r *recorder) count() int { return r.events.Len() }

// since returns the events recorded after the first i that have not
// expired, oldest first.
func (r *recorder) since(i int) []Event {
	if i < 0 || i > r.events.Len() {
		return nil
	}
	i = max(i, r.events.First())
	out := make([]Event, 0, r.events.Len()-i)
	for j := i; j < r.events.Len(); j++ {
		out = append(out, r.events.At(j).event())
	}
	return out
}

// about calls f with every event about the object with that UID that has
// not expired, oldest first.
func (r *recorder) about(uid string, f func(Event)) {
	for i := r.events.First(); i < r.events.Len(); i++ {
		if e := r.events.At(i); e.obj.UID == uid {
			f(e.event())
		}
	}
}

func (n *Node) record(at time.Time, kind eventKind, obj *ObjectReference, image, detail string) {
	n.events.record(at, kind, obj, image, detail)
}

// DefaultEventTTL is how long the API server keeps an event (--event-ttl).
const DefaultEventTTL = time.Hour

// WithEventTTL sets how long events are kept ([DefaultEventTTL], the API
// server's --event-ttl default): older events expire, from Events, Describe
// and memory alike. It must be positive.
func WithEventTTL(d time.Duration) Option { return func(o *config) { o.eventTTL = d } }

// Events returns the events the node has emitted that have not expired,
// oldest first.
func (n *Node) Events() []Event {
	n.catchUp()
	return n.events.since(0)
}

// PodEvents returns the events about the current pod of that name (matched
// by UID, as kubectl describe does), oldest first. It is empty for a pod
// that does not exist.
func (n *Node) PodEvents(namespace, name string) []Event {
	n.catchUp()
	p := n.workers.pods[podID(namespace, name)]
	if p == nil {
		return nil
	}
	var out []Event
	n.events.about(p.uid, func(e Event) { out = append(out, e) })
	return out
}

// EventCount returns how many events the node has emitted, expired ones
// included: pass it to EventsSince later to read what came after.
func (n *Node) EventCount() int {
	n.catchUp()
	return n.events.count()
}

// EventsSince returns the events emitted after the first i, so a caller can
// read what one step added: i := n.EventCount(); step(); n.EventsSince(i).
// Events that have expired meanwhile are left out.
func (n *Node) EventsSince(i int) []Event {
	n.catchUp()
	return n.events.since(i)
}
