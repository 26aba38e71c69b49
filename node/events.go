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
// one costs no formatting: not even the Pulled event's durations and size,
// which recordPulled stores as numbers.
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
	evPulledArgs                      // evPulled with its numbers in recorder.extra (recordPulled)

	evKinds // how many kinds there are
)

// A storedEvent has 32-kindShift bits for its kind.
const _ = uint8(1<<(32-kindShift) - evKinds)

// Container lifecycle event reasons (pkg/kubelet/events/event.go).
const (
	EventCreated = "Created"
	EventStarted = "Started"
	EventKilling = "Killing"
	// EventBackOff is the reason of both backoff events: the image pull
	// backoff's (Normal) and the crash loop's (Warning).
	EventBackOff = "BackOff"
)

// eventRecord is an event unpacked: what [eventRecord.event] formats. The
// recorder stores events packed ([storedEvent]) and unpacks them when read.
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

// pulledDetail is the tail of the Pulled event's message, after the image:
// the pull's duration, the duration including the wait in the pull queue,
// and the image's size (pkg/kubelet/images/image_manager.go).
func pulledDetail(x *extraArgs) string {
	return fmt.Sprintf("in %v (%v including waiting). Image size: %d bytes.", x.pull, x.total, x.size)
}

// strings says which of record's string arguments an event kind's text
// shows; the others are not stored.
func (k eventKind) strings() (image, detail bool) {
	switch k {
	case evStartFailed, evInvalidName, evInspectFailed, evMissingSecrets:
		return false, true
	case evCreated, evStarted:
		return false, false
	case evPulled, evPullFailed, evNodeWarning, evCrashLoop:
		return true, true
	}
	return true, false
}

// storedEvent is one event as the recorder keeps it: 8 bytes and no
// pointers, so that the chunks holding a node's events are not scanned by
// the garbage collector, appending one needs no write barrier, and a
// simulation that keeps millions of events touches little new memory.
// What the event is about (its object, its string, and the time it counts
// from) is in a side list entry ([eventArgs]) that consecutive events
// about the same object share: the event stores its kind and its time
// after the entry's, in the finest of ns, µs, ms or s that holds it
// exactly in deltaBits bits: within 33ms of the entry's time in ns, and,
// on virtual time that moves in whole milliseconds, for 9 hours in ms, so
// a pod's events share an entry until one shows another string.
type storedEvent struct {
	args uint32 // index in recorder.args, modulo 2^32 (see index)
	x    uint32 // kind<<kindShift | unit<<deltaBits | time after the args entry's, in units
}

const (
	deltaBits = 25
	maxDelta  = 1<<deltaBits - 1
	kindShift = deltaBits + 2
)

// units are the units of storedEvent's time, in nanoseconds.
var units = [4]int64{1, 1e3, 1e6, 1e9}

// encodeDelta returns storedEvent.x's unit and time bits for d
// nanoseconds, and whether d fits.
func encodeDelta(d int64) (uint32, bool) {
	if d < 0 {
		return 0, false
	}
	for u, n := range units {
		if d%n != 0 {
			break
		}
		if d/n <= maxDelta {
			return uint32(u)<<deltaBits | uint32(d/n), true
		}
	}
	return 0, false
}

func (e storedEvent) kind() eventKind { return eventKind(e.x >> kindShift) }

// delta returns the event's time after its args entry's, in nanoseconds.
func (e storedEvent) delta() int64 {
	return int64(e.x&maxDelta) * units[e.x>>deltaBits&3]
}

// oddTime marks the nsec of an args entry whose time does not read back
// identical from sec and nsec in the recorder's Location (another
// Location, or a monotonic clock reading): its time.Time is in
// recorder.odd, and no other event shares the entry.
const oddTime = 1 << 31

// eventArgs is what one or more consecutive events are about: the object,
// the string argument their kinds show, and the time they count from. An
// event that needs more (a Pulled event's numbers, a second string) has it
// in recorder.extra; one event per entry can.
type eventArgs struct {
	obj *ObjectReference
	// s is the image argument, or the detail for kinds that show only
	// that.
	s     string
	sec   int64  // the time, as Unix seconds
	nsec  uint32 // and nanoseconds, with oddTime
	extra uint32 // index in recorder.extra: this entry's event's, or the next one's
}

// extraArgs are the numbers of a Pulled event, formatted when read, or the
// detail of an event that shows both strings.
type extraArgs struct {
	detail      string
	pull, total time.Duration
	size        int64
}

// recorder is the kubelet's event recorder (client-go's
// record.EventRecorder, as pkg/kubelet/kubelet.go wires it) together with
// the API server's event store: it keeps every event the node emits until
// it expires after the event TTL (--event-ttl), and formats events only
// when they are read.
//
// Events are stored packed ([storedEvent]); their arguments live in side
// lists that expire with them: the args index of an event and the extra
// index of an args entry never decrease from one to the next, so dropping
// the events before the first kept one drops the side list entries before
// that event's too. The zero value with a ttl set is ready to use.
type recorder struct {
	events chunk.List[storedEvent]
	args   chunk.List[eventArgs]
	extra  chunk.List[extraArgs]
	odd    map[int]time.Time // exact times of the odd args entries, by index
	loc    *time.Location    // where the first event was recorded
	ttl    time.Duration
	// until is when the oldest kept event expires: expire has nothing to
	// do at or before it. Valid while an event is kept.
	untilSec  int64
	untilNsec int32
}

// index turns a side list index stored in 32 bits back into the absolute
// index: stored indexes are at or after the list's first kept element, and
// fewer than 2^32 elements after it.
func index(stored uint32, first int) int {
	return first + int(stored-uint32(first))
}

// record emits an event at time at, and lets the expired ones go.
func (r *recorder) record(at time.Time, kind eventKind, obj *ObjectReference, image, detail string) {
	useImage, useDetail := kind.strings()
	switch {
	case useImage && useDetail:
		r.add(at, kind, obj, image, true)
		r.extra.Append(extraArgs{detail: detail})
	case useImage:
		r.add(at, kind, obj, image, false)
	case useDetail:
		r.add(at, kind, obj, detail, false)
	default:
		r.add(at, kind, obj, "", false)
	}
	r.expire(at)
}

// recordPulled emits the Pulled event of a pull that took pull, total
// including its wait in the queue, of an image of size bytes. The message
// is formatted when read; recording it allocates nothing (but a new chunk
// now and then).
func (r *recorder) recordPulled(at time.Time, obj *ObjectReference, image string, pull, total time.Duration, size int64) {
	r.add(at, evPulledArgs, obj, image, true)
	r.extra.Append(extraArgs{pull: pull, total: total, size: size})
	r.expire(at)
}

// add stores an event whose kind shows the string s (if it shows one). An event with extra set gets an args entry whose extra index is
// that of the next extraArgs appended, which the caller appends.
func (r *recorder) add(at time.Time, kind eventKind, obj *ObjectReference, s string, extra bool) {
	img, det := kind.strings()
	shows := img || det
	if r.loc == nil {
		r.loc = at.Location()
	}
	sec, nsec := at.Unix(), uint32(at.Nanosecond())
	exact := at == time.Unix(sec, int64(nsec)).In(r.loc)
	// Share the newest args entry if it says what this event shows, its
	// extra is free if this event needs it, and the event's time after
	// the entry's fits.
	ai := r.args.Len() - 1
	var x uint32
	if ai < r.args.First() || !exact {
		ai = -1
	} else if a := r.args.At(ai); a.obj != obj || shows && a.s != s || a.nsec&oddTime != 0 ||
		extra && index(a.extra, r.extra.First()) != r.extra.Len() || sec < a.sec || sec-a.sec > maxDelta {
		ai = -1
	} else if d, ok := encodeDelta((sec-a.sec)*1e9 + int64(nsec) - int64(a.nsec)); ok {
		x = d
	} else {
		ai = -1
	}
	if ai < 0 {
		ai = r.args.Len()
		a := eventArgs{obj: obj, s: s, sec: sec, nsec: nsec, extra: uint32(r.extra.Len())}
		if !exact {
			a.nsec |= oddTime
			if r.odd == nil {
				r.odd = map[int]time.Time{}
			}
			r.odd[ai] = at
		}
		r.args.Append(a)
	}
	if r.events.Len() == r.events.First() {
		// Nothing kept: the oldest event is this one.
		u := at.Add(r.ttl)
		r.untilSec, r.untilNsec = u.Unix(), int32(u.Nanosecond())
	}
	r.events.Append(storedEvent{args: uint32(ai), x: uint32(kind)<<kindShift | x})
}

// before reports whether the time sec, nsec is before the time s2, n2.
func before(sec int64, nsec int32, s2 int64, n2 int32) bool {
	return sec < s2 || sec == s2 && nsec < n2
}

// expire drops the events older than the event TTL at now, as the API
// server lets them expire (--event-ttl), with their side list entries.
func (r *recorder) expire(now time.Time) {
	first, n := r.events.First(), r.events.Len()
	if first == n || !before(r.untilSec, r.untilNsec, now.Unix(), int32(now.Nanosecond())) {
		return
	}
	cutoff := now.Add(-r.ttl)
	csec, cnsec := cutoff.Unix(), int32(cutoff.Nanosecond())
	for ; first < n; first++ {
		if sec, nsec := r.unix(first); !before(sec, nsec, csec, cnsec) {
			break
		}
	}
	r.events.DropBefore(first)
	args, extra := r.args.Len(), r.extra.Len()
	if first < n {
		args = index(r.events.At(first).args, r.args.First())
		extra = index(r.args.At(args).extra, r.extra.First())
		u := r.at(first).Add(r.ttl)
		r.untilSec, r.untilNsec = u.Unix(), int32(u.Nanosecond())
	}
	if len(r.odd) > 0 {
		for i := r.args.First(); i < args; i++ {
			delete(r.odd, i)
		}
	}
	r.args.DropBefore(args)
	r.extra.DropBefore(extra)
}

// entry returns the kept event i and its args entry.
func (r *recorder) entry(i int) (storedEvent, *eventArgs, int) {
	e := *r.events.At(i)
	ai := index(e.args, r.args.First())
	return e, r.args.At(ai), ai
}

// unix returns the time of the kept event i as Unix seconds and
// nanoseconds.
func (r *recorder) unix(i int) (int64, int32) {
	e, a, _ := r.entry(i)
	nsec := int64(a.nsec&^oddTime) + e.delta()
	return a.sec + nsec/1e9, int32(nsec % 1e9)
}

// at returns the time of the kept event i.
func (r *recorder) at(i int) time.Time {
	if _, a, ai := r.entry(i); a.nsec&oddTime != 0 {
		return r.odd[ai]
	}
	sec, nsec := r.unix(i)
	return time.Unix(sec, int64(nsec)).In(r.loc)
}

// unpack returns the kept event i unpacked.
func (r *recorder) unpack(i int) eventRecord {
	e, a, _ := r.entry(i)
	u := eventRecord{at: r.at(i), kind: e.kind(), obj: a.obj}
	switch image, detail := u.kind.strings(); {
	case u.kind == evPulledArgs:
		u.kind, u.image, u.detail = evPulled, a.s, pulledDetail(r.extra.At(index(a.extra, r.extra.First())))
	case image && detail:
		u.image, u.detail = a.s, r.extra.At(index(a.extra, r.extra.First())).detail
	case image:
		u.image = a.s
	case detail:
		u.detail = a.s
	}
	return u
}

// obj returns the object of the kept event i.
func (r *recorder) obj(i int) *ObjectReference {
	_, a, _ := r.entry(i)
	return a.obj
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
		u := r.unpack(j)
		out = append(out, u.event())
	}
	return out
}

// about calls f with every event about the object with that UID that has
// not expired, oldest first.
func (r *recorder) about(uid string, f func(Event)) {
	for i := r.events.First(); i < r.events.Len(); i++ {
		if r.obj(i).UID == uid {
			u := r.unpack(i)
			f(u.event())
		}
	}
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
	n.events.about(p.uid(), func(e Event) { out = append(out, e) })
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
