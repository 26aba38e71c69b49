package node

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRecorderMatchesPlain holds the recorder's packed events to a plain
// list of every event kept whole, with the API server's TTL applied: the
// same events, times identical (==: instant, Location and all), after
// every record. The times are what the packing could get wrong: steps of
// a nanosecond to a year (beyond the 9 hours a millisecond delta holds and
// the 388 days a second delta holds), other Locations, times before 1970,
// up to year 9999, several objects, strings that change, and TTLs that
// expire some events and every event.
func TestRecorderMatchesPlain(t *testing.T) {
	cet, ny := time.FixedZone("CET", 3600), time.FixedZone("EST", -5*3600)
	steps := []time.Duration{0, 1, 999, time.Microsecond, time.Millisecond, 33 * time.Millisecond, time.Second,
		9*time.Hour + time.Millisecond, 10 * time.Hour, 400 * 24 * time.Hour, 10 * time.Minute, time.Hour + 1}
	starts := []time.Time{Epoch, time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC), {}}
	objs := []*ObjectReference{{Kind: "Pod", Name: "a", UID: "a"}, {Kind: "Pod", Name: "b", UID: "b"}}
	kinds := []eventKind{evPulling, evCreated, evPullFailed, evPresent, evPulledArgs}
	type plain struct {
		at    time.Time
		event Event
	}
	for i, ttl := range []time.Duration{time.Hour, 10 * time.Hour, 1 << 62, time.Nanosecond} {
		for j, start := range starts {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(j)))
			r := recorder{ttl: ttl}
			var want []plain
			at := start
			for k := range 400 {
				at = at.Add(steps[rng.IntN(len(steps))])
				if at.After(endOfTime) {
					at = endOfTime
				}
				rec := at
				switch rng.IntN(8) {
				case 0:
					rec = at.In(cet)
				case 1:
					rec = at.In(ny)
				}
				obj, kind := objs[rng.IntN(len(objs))], kinds[rng.IntN(len(kinds))]
				image, detail := fmt.Sprintf("img-%d", rng.IntN(2)), fmt.Sprintf("detail %d", rng.IntN(2))
				var e eventRecord
				if kind == evPulledArgs {
					pull := time.Duration(rng.IntN(1e6)) * time.Microsecond
					r.recordPulled(rec, obj, image, pull, 2*pull, int64(k))
					e = eventRecord{at: rec, kind: evPulled, obj: obj, image: image, detail: pulledDetail(&extraArgs{pull: pull, total: 2 * pull, size: int64(k)})}
				} else {
					r.record(rec, kind, obj, image, detail)
					e = eventRecord{at: rec, kind: kind, obj: obj, image: image, detail: detail}
				}
				want = append(want, plain{rec, e.event()})
				// The API server keeps an event until it is older than
				// the TTL.
				cutoff := rec.Add(-ttl)
				for len(want) > 0 && want[0].at.Before(cutoff) {
					want = want[1:]
				}
				got := r.since(0)
				if len(got) != len(want) {
					t.Fatalf("ttl %v, start %v, step %d: %d events kept, want %d", ttl, start, k, len(got), len(want))
				}
				for m := range want {
					if got[m] != want[m].event {
						t.Fatalf("ttl %v, start %v, step %d: event %d:\n got %+v\nwant %+v", ttl, start, k, m, got[m], want[m].event)
					}
				}
			}
		}
	}
}
