package node

import "time"

// Image pull backoff defaults, from pkg/kubelet/kubelet.go: imageBackOffPeriod
// and MaxImageBackOff. The kubelet's image backoff has no jitter.
const (
	DefaultImageBackOff    = 10 * time.Second
	DefaultMaxImageBackOff = 300 * time.Second
)

// backOff is client-go's flowcontrol.Backoff without jitter: one entry per
// key, doubling from initial to max, forgotten after 2×max without failures.
type backOff struct {
	initial, max time.Duration
	// expiry is how long an entry may be quiet before it is forgotten:
	// 2×max for the image backoff; the crash loop's is fixed at 600s
	// (newCrashLoopBackOff's HasExpiredFunc), whatever its max.
	expiry  time.Duration
	entries map[backOffID]*backOffEntry
	// oldest is no later than any entry's last update, so that GC, which
	// every successful pull calls, finds nothing to drop without looking
	// at the entries until oldest expires. Valid while there are entries.
	oldest time.Time
}

// backOffID is a backoff key: a pod's UID and what in it failed. The
// kubelet joins the two with "_" into one string (the image backoff's
// "<pod UID>_<image as written>", the crash loop's key of pod and
// container); a pair needs no string built to look an entry up.
type backOffID struct {
	uid string // the pod's
	of  string // the image as the container writes it, or the container's name
}

type backOffEntry struct {
	backoff    time.Duration
	lastUpdate time.Time
	// msg is the waiting message inside the window: the BackOff text with
	// the last failure's "<reason>: <message>" (the kubelet's
	// prevPullErrMsg), set by the caller of Next.
	msg string
}

func newBackOff(initial, max time.Duration) *backOff {
	return &backOff{initial: initial, max: max, expiry: 2 * max, entries: make(map[backOffID]*backOffEntry)}
}

// newCrashLoopBackOff is the kubelet's crash-loop backoff: entries expire
// after 600s whatever the maximum.
func newCrashLoopBackOff(initial, max time.Duration) *backOff {
	b := newBackOff(initial, max)
	b.expiry = 2 * DefaultMaxCrashLoopBackOff
	return b
}

// expired reports whether an entry last updated at last has been quiet for
// more than twice the maximum.
func (b *backOff) expired(now, last time.Time) bool {
	return now.Sub(last) > b.expiry
}

// Next records a failure for key at now: a new or expired entry waits the
// initial period, a live one doubles up to the maximum. It returns the
// entry, for the caller to note the failure's message.
func (b *backOff) Next(key backOffID, now time.Time) *backOffEntry { return b.nextSince(key, now, now) }

// InBackOffSinceUpdate reports whether key failed less than its current
// backoff ago (strictly: at exactly the backoff a new attempt is allowed).
func (b *backOff) InBackOffSinceUpdate(key backOffID, now time.Time) bool {
	_, in := b.window(key, now)
	return in
}

// window returns key's entry and whether now is inside its window.
func (b *backOff) window(key backOffID, now time.Time) (*backOffEntry, bool) {
	e := b.entries[key]
	if e == nil || b.expired(now, e.lastUpdate) {
		return nil, false
	}
	return e, now.Sub(e.lastUpdate) < e.backoff
}

// Get returns key's current backoff, or 0 when it has none.
func (b *backOff) Get(key backOffID, now time.Time) time.Duration {
	e := b.entries[key]
	if e == nil || b.expired(now, e.lastUpdate) {
		return 0
	}
	return e.backoff
}

// Until returns when key's window ends, or the zero time when it has none.
func (b *backOff) Until(key backOffID, now time.Time) time.Time {
	e := b.entries[key]
	if e == nil || b.expired(now, e.lastUpdate) {
		return time.Time{}
	}
	return e.lastUpdate.Add(e.backoff)
}

// GC drops entries quiet for more than twice the maximum. A success calls
// it; it never resets a live entry.
func (b *backOff) GC(now time.Time) {
	if len(b.entries) == 0 || !b.expired(now, b.oldest) {
		return // every entry was updated at or after oldest: none expired
	}
	kept := false
	for k, e := range b.entries {
		switch {
		case b.expired(now, e.lastUpdate):
			delete(b.entries, k)
		case !kept || e.lastUpdate.Before(b.oldest):
			b.oldest, kept = e.lastUpdate, true
		}
	}
}

// forget drops key's entry.
func (b *backOff) forget(key backOffID) { delete(b.entries, key) }

// inBackOffSince is client-go's IsInBackOffSince, the crash-loop check: key
// has a live entry (eventTime, when the container exited, within twice the
// maximum of the entry's last update) and less than its backoff has passed
// between eventTime and now.
func (b *backOff) inBackOffSince(key backOffID, eventTime, now time.Time) (*backOffEntry, bool) {
	e := b.entries[key]
	if e == nil || b.expired(eventTime, e.lastUpdate) {
		return nil, false
	}
	return e, now.Sub(eventTime) < e.backoff
}

// nextSince is client-go's Next(key, eventTime) for the crash loop: an
// entry whose last update is more than twice the maximum before eventTime
// starts afresh, a live one doubles; the update is dated now.
func (b *backOff) nextSince(key backOffID, eventTime, now time.Time) *backOffEntry {
	e := b.entries[key]
	if len(b.entries) == 0 || now.Before(b.oldest) {
		b.oldest = now
	}
	if e == nil || b.expired(eventTime, e.lastUpdate) {
		e = &backOffEntry{backoff: b.initial}
		b.entries[key] = e
	} else {
		e.backoff = min(2*e.backoff, b.max)
	}
	e.lastUpdate = now
	return e
}
