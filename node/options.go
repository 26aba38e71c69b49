package node

import (
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
)

// Option configures a [Node]. Every option has the kubelet's default.
type Option func(*config)

type config struct {
	clock        Clock
	refs         *pullpolicy.RefCache
	defaulting   pullpolicy.Defaulting
	ensureSecret bool // feature gate KubeletEnsureSecretPulledImages
	backOff      time.Duration
	maxBackOff   time.Duration
	resync       time.Duration
}

func defaultConfig() config {
	return config{
		refs:         pullpolicy.SharedRefs,
		ensureSecret: true,
		backOff:      DefaultImageBackOff,
		maxBackOff:   DefaultMaxImageBackOff,
		resync:       DefaultResyncInterval,
	}
}

// WithClock makes the node read time from c. The default is a
// [ManualClock] at [Epoch], reachable through [Node.Clock].
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithRefCache makes the node memoise image parsing in c instead of
// [pullpolicy.SharedRefs].
func WithRefCache(c *pullpolicy.RefCache) Option { return func(o *config) { o.refs = c } }

// WithDefaulting selects the rule that fills empty imagePullPolicy fields
// when pods are created. The default is [pullpolicy.TagLatestDefaulting],
// what the API server does; [pullpolicy.DigestAwareDefaulting] is the rule
// of KEP-6083.
func WithDefaulting(d pullpolicy.Defaulting) Option { return func(o *config) { o.defaulting = d } }

// WithEnsureSecretPulledImages sets the feature gate
// KubeletEnsureSecretPulledImages (KEP-2535), on by default since v1.35.
// With it on, an IfNotPresent or Never container may use a present image
// only if the pod's credentials (or the image's provenance) allow it, and
// the "already present" event reads "... and can be accessed by the pod".
// With it off any pod on the node may use any present image.
func WithEnsureSecretPulledImages(on bool) Option { return func(o *config) { o.ensureSecret = on } }

// WithImageBackOff sets the image pull backoff: the first wait after a failed
// pull and the cap it doubles up to. The kubelet uses 10s and 300s; its unit
// tests use 1s and 60s.
func WithImageBackOff(initial, max time.Duration) Option {
	return func(o *config) { o.backOff, o.maxBackOff = initial, max }
}

// WithResyncInterval sets how long after a failed sync the driver syncs the
// pod again ([DefaultResyncInterval], 10s). It must be positive.
func WithResyncInterval(d time.Duration) Option { return func(o *config) { o.resync = d } }
