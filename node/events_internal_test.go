package node

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// A node keeps every event for the event TTL: at the fleet targets (65,000
// nodes × 110 pods, several events per start, an hour's worth kept) each
// byte of a stored event costs gigabytes. storedEvent is two uint32s, with
// no pointers, so the garbage collector never scans a node's events; what
// consecutive events share (object, strings, base time) is in eventArgs.
// If either grows, the fleet's memory budget must be recomputed.
func TestStoredEventSize(t *testing.T) {
	if got := unsafe.Sizeof(storedEvent{}); got > 8 {
		t.Errorf("storedEvent is %d bytes, want at most 8", got)
	}
	if got := unsafe.Sizeof(eventArgs{}); got > 40 {
		t.Errorf("eventArgs is %d bytes, want at most 40", got)
	}
	if got := unsafe.Sizeof(extraArgs{}); got > 40 {
		t.Errorf("extraArgs is %d bytes, want at most 40", got)
	}
}

// Every event reads back the time it was recorded at, identical (==, so
// Location and monotonic reading included), whatever the gaps between
// events, the Location or the year.
func TestRecorderTimes(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	ns := time.Nanosecond
	obj := &ObjectReference{Kind: "Pod", Name: "a", UID: "a"}
	other := &ObjectReference{Kind: "Pod", Name: "b", UID: "b"}
	for i, times := range [][]time.Time{
		{Epoch, Epoch, Epoch.Add(ns), Epoch.Add(maxDelta * ns), Epoch.Add((maxDelta + 1) * ns), Epoch.Add(time.Second)},
		{Epoch.Add(time.Second - ns), Epoch.Add(time.Second), Epoch.Add(2*time.Second - 1), Epoch.Add(3 * time.Second)},
		{Epoch.In(cet), Epoch.In(cet).Add(ns), Epoch, Epoch.Add(ns), Epoch.In(cet).Add(2 * ns)}, // another Location than the first
		{{}, time.Time{}.Add(ns), time.Time{}.Add(time.Hour)},                                   // year 1
		{endOfTime.Add(-ns), endOfTime, endOfTime},                                              // year 9999
		{Epoch.In(time.Local), Epoch.Add(ns).In(time.Local)},
		{Epoch.Add(time.Second), Epoch}, // backwards
	} {
		r := recorder{ttl: 1 << 62}
		for j, at := range times {
			o := obj
			if j%3 == 2 {
				o = other
			}
			r.record(at, evCreated, o, "", "")
		}
		got := r.since(0)
		if len(got) != len(times) {
			t.Fatalf("step %d: got %d events, want %d", i, len(got), len(times))
		}
		for j, e := range got {
			if e.At != times[j] {
				t.Errorf("step %d: event %d: got %v, want %v", i, j, e.At, times[j])
			}
		}
	}
}

// Consecutive events about the same object share an args entry; another
// object, other strings or a later time get one of their own.
func TestRecorderSharesArgs(t *testing.T) {
	a := &ObjectReference{Kind: "Pod", Name: "a", UID: "a"}
	b := &ObjectReference{Kind: "Pod", Name: "b", UID: "b"}
	r := recorder{ttl: time.Hour}
	ms := time.Millisecond
	for i, s := range []struct {
		at     time.Duration
		kind   eventKind
		obj    *ObjectReference
		image  string
		detail string
		args   int // wanted args entries after it
		want   string
	}{
		{0, evPulling, a, "nginx", "", 1, `Normal Pulling Pulling image "nginx"`},
		{0, evCreated, a, "ignored", "", 1, "Normal Created Container created"},
		{ms, evStarted, a, "", "", 1, "Normal Started Container started"},
		{ms, evKilling, a, "app", "", 2, "Normal Killing Stopping container app"},
		{ms, evKilling, b, "app", "", 3, "Normal Killing Stopping container app"},
		{time.Hour, evKilling, b, "app", "", 3, "Normal Killing Stopping container app"},                // in ms after the entry's time
		{time.Hour + 1, evKilling, b, "app", "", 4, "Normal Killing Stopping container app"},            // not in ns, µs, ms or s
		{time.Hour + 1 + maxDelta, evKilling, b, "app", "", 4, "Normal Killing Stopping container app"}, // in ns
		{time.Hour + 2 + maxDelta, evKilling, b, "app", "", 5, "Normal Killing Stopping container app"}, // not in ns
		{time.Hour + 2 + maxDelta, evPullFailed, b, "app", "boom", 5, `Warning Failed Failed to pull image "app": boom`},
		{time.Hour + 2 + maxDelta, evPullFailed, b, "app", "bang", 6, `Warning Failed Failed to pull image "app": bang`}, // the entry's extra is taken
		{time.Hour + 2 + maxDelta, evStartFailed, b, "", "bang", 7, "Warning Failed Error: bang"},
		{time.Hour + 2 + maxDelta, evPulling, b, "", "", 8, `Normal Pulling Pulling image ""`},
		{time.Hour + 2 + maxDelta, evPulling, b, "", "", 8, `Normal Pulling Pulling image ""`},
		{time.Hour + 2 + maxDelta, evCrashLoop, b, "", "default/b", 8, "Warning BackOff Back-off restarting failed container  in pod default/b"},
		{time.Hour + 2 + maxDelta, evNodeWarning, b, "", "disk", 9, "Warning  disk"},
	} {
		r.record(Epoch.Add(s.at), s.kind, s.obj, s.image, s.detail)
		if got := r.args.Len(); got != s.args {
			t.Errorf("step %d: got %d args entries, want %d", i, got, s.args)
		}
		if got := r.since(i)[0]; got.String() != s.want || got.Object != *s.obj || got.At != Epoch.Add(s.at) {
			t.Errorf("step %d: got %v about %v at %v, want %q about %v at %v", i, got, got.Object, got.At, s.want, *s.obj, Epoch.Add(s.at))
		}
	}
}

// The Pulled event keeps numbers and formats them when read, so recording
// it allocates nothing.
func TestRecordPulledAllocs(t *testing.T) {
	r := recorder{ttl: time.Hour}
	obj := &ObjectReference{Kind: "Pod", Name: "web", UID: "web"}
	at := Epoch
	allocs := testing.AllocsPerRun(10000, func() {
		r.recordPulled(at, obj, "nginx:1.28", 150*time.Millisecond, 1500*time.Millisecond, 407)
		at = at.Add(time.Second)
	})
	if allocs != 0 {
		t.Errorf("recordPulled: %v allocations per call, want 0", allocs)
	}
	want := `Normal Pulled Successfully pulled image "nginx:1.28" in 150ms (1.5s including waiting). Image size: 407 bytes.`
	if got := r.since(r.count() - 1)[0].String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Expired events free their side list entries too: a recorder that has
// run for many TTLs holds only the last TTL's worth.
func TestRecorderExpireFreesArgs(t *testing.T) {
	r := recorder{ttl: time.Minute}
	cet := time.FixedZone("CET", 3600)
	objs := make([]ObjectReference, 10)
	at := Epoch
	for i := range 100000 {
		o := &objs[i%len(objs)]
		switch i % 4 {
		case 0:
			r.recordPulled(at, o, "nginx", time.Second, time.Second, int64(i))
		case 1:
			r.record(at.In(cet), evCreated, o, "", "") // odd: its time is kept whole
		default:
			r.record(at, evStarted, o, "", "")
		}
		at = at.Add(time.Second)
		if i%1000 == 999 {
			r.expire(at)
			kept := r.count() - r.events.First()
			args, pulls := r.args.Len()-r.args.First(), r.extra.Len()-r.extra.First()
			if kept != 60 || args > kept || pulls > kept/4+1 || len(r.odd) > kept/4+1 {
				t.Fatalf("step %d: kept %d events, %d args, %d pulls, %d odd times; want 60 events and no more of the others",
					i, kept, args, pulls, len(r.odd))
			}
		}
	}
	first := r.events.First()
	for j, e := range r.since(0) {
		if want := Epoch.Add(time.Duration(first+j) * time.Second); !e.At.Equal(want) {
			t.Fatalf("event %d: at %v, want %v", j, e.At, want)
		}
		if (first+j)%4 == 0 {
			if want := fmt.Sprintf("Image size: %d bytes.", first+j); e.Message[len(e.Message)-len(want):] != want {
				t.Fatalf("event %d: %q, want it to end in %q", j, e.Message, want)
			}
		}
	}
	r.expire(at.Add(time.Hour))
	if r.count() != r.events.First() || r.args.Len() != r.args.First() || r.extra.Len() != r.extra.First() || len(r.odd) != 0 {
		t.Errorf("an hour later: %d events, %d args, %d pulls, %d odd times kept; want none",
			r.count()-r.events.First(), r.args.Len()-r.args.First(), r.extra.Len()-r.extra.First(), len(r.odd))
	}
}

// BenchmarkRecorder records the events of pod starts (Pulling, Pulled,
// Created, Started; one start a second) into a recorder with the default
// event TTL, in steady state: events expire as fast as they come. B/event
// is the heap per kept event (the pods' own objects and strings excluded).
func BenchmarkRecorder(b *testing.B) {
	objs := make([]ObjectReference, 110)
	for i := range objs {
		objs[i] = ObjectReference{Kind: "Pod", Namespace: "default", Name: fmt.Sprint("p-", i), UID: fmt.Sprint("uid-", i), FieldPath: "spec.containers{app}"}
	}
	start := func(r *recorder, i int, at time.Time) {
		o := &objs[i%len(objs)]
		r.record(at, evPulling, o, "web:v1", "")
		at = at.Add(800 * time.Millisecond)
		r.recordPulled(at, o, "web:v1", 750*time.Millisecond, 800*time.Millisecond, 1<<20)
		r.record(at, evCreated, o, "", "")
		r.record(at, evStarted, o, "", "")
	}
	heap := func() int64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	// Memory: an hour of starts, kept.
	before := heap()
	r := &recorder{ttl: DefaultEventTTL}
	at := Epoch
	for i := range 3600 {
		start(r, i, at)
		at = at.Add(time.Second)
	}
	perEvent := float64(heap()-before) / float64(r.count()-r.events.First())
	runtime.KeepAlive(r)

	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start(r, i, at)
		at = at.Add(time.Second)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(4*b.N), "ns/event")
	b.ReportMetric(perEvent, "B/event")
}
