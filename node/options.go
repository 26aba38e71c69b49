package node

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// Option configures a [Node]. Every option has the kubelet's default.
type Option func(*config)

type config struct {
	clock        Clock
	runtime      ContainerRuntime
	refs         *pullpolicy.RefCache
	defaulting   pullpolicy.Defaulting
	ensureSecret bool            // feature gate KubeletEnsureSecretPulledImages, as resolved
	version      string          // kubelet minor
	gates        map[string]bool // --feature-gates as given
	gatesInForce map[string]bool // the minor's defaults with gates on top
	backOff      time.Duration
	maxBackOff   time.Duration
	resync       time.Duration
	eventTTL     time.Duration

	serialize   *bool // serializeImagePulls; nil: defaulted from maxParallel
	maxParallel *int  // maxParallelImagePulls; nil: unset
	qps         float64
	burst       int
	cluster     *Cluster

	verification *string  // imagePullCredentialsVerificationPolicy; nil: default
	allowlist    []string // preloadedImagesVerificationAllowlist
	nodeCreds    map[string]registry.Credential
	providers    []CredentialProvider

	gcHigh, gcLow   int
	gcMinAge        time.Duration
	gcMaxAge        time.Duration
	fsCapacity      int64
	statusMaxImages int
}

// verifyPolicy is the verification policy in force.
func (o *config) verifyPolicy() string {
	if o.verification == nil || *o.verification == "" {
		return NeverVerifyPreloadedImages // the kubelet's defaulting fills an empty field
	}
	return *o.verification
}

func defaultConfig() config {
	return config{
		refs:         pullpolicy.SharedRefs,
		runtime:      Containerd,
		ensureSecret: true,
		version:      DefaultKubeletVersion,
		backOff:      DefaultImageBackOff,
		maxBackOff:   DefaultMaxImageBackOff,
		resync:       DefaultResyncInterval,
		eventTTL:     DefaultEventTTL,
		qps:          DefaultRegistryPullQPS,
		burst:        DefaultRegistryBurst,

		gcHigh:          DefaultImageGCHighThresholdPercent,
		gcLow:           DefaultImageGCLowThresholdPercent,
		gcMinAge:        DefaultImageMinimumGCAge,
		fsCapacity:      DefaultImageFSCapacity,
		statusMaxImages: DefaultNodeStatusMaxImages,
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
func WithEnsureSecretPulledImages(on bool) Option {
	return WithFeatureGate(GateKubeletEnsureSecretPulledImages, on)
}

// WithImageBackOff sets the image pull backoff: the first wait after a failed
// pull and the cap it doubles up to. The kubelet uses 10s and 300s; its unit
// tests use 1s and 60s.
func WithImageBackOff(initial, max time.Duration) Option {
	return func(o *config) { o.backOff, o.maxBackOff = initial, max }
}

// WithResyncInterval sets how long after a failed sync the driver syncs the
// pod again ([DefaultResyncInterval], 10s). It must be positive.
func WithResyncInterval(d time.Duration) Option { return func(o *config) { o.resync = d } }

// Kubelet defaults for the pull throttle (registryPullQPS, registryBurst).
const (
	DefaultRegistryPullQPS = 5
	DefaultRegistryBurst   = 10
)

// WithSerializeImagePulls sets serializeImagePulls. Unset, it is true unless
// maxParallelImagePulls is 2 or more, as the kubelet defaults it.
func WithSerializeImagePulls(on bool) Option { return func(o *config) { o.serialize = &on } }

// WithMaxParallelImagePulls sets maxParallelImagePulls, the number of pulls
// that may run at once when pulls are not serialized (unset: no limit). It
// must be positive, and more than 1 requires serialized pulls off.
func WithMaxParallelImagePulls(n int) Option { return func(o *config) { o.maxParallel = &n } }

// WithRegistryPullQPS sets registryPullQPS and registryBurst: a token bucket
// of burst pulls refilled at qps a second, checked when a pull starts. When
// it is empty the pull fails at once with "pull QPS exceeded". qps 0 turns
// the throttle off. The kubelet's defaults are 5 and 10.
func WithRegistryPullQPS(qps float64, burst int) Option {
	return func(o *config) { o.qps, o.burst = qps, burst }
}

// validate checks the kubelet configuration the way the kubelet does and
// returns its errors, aggregated as the kubelet aggregates them.
func (o *config) validate() error {
	// The kubelet's order (ValidateKubeletConfiguration): the feature
	// gates first, alone when they fail; then the image GC settings,
	// nodeStatusMaxImages and the pull settings; the checks that are
	// pullsim's own, or that the kubelet makes elsewhere, come after, but
	// for imageMinimumGCAge's, which stands with the other GC ages.
	if errs := o.resolveGates(); len(errs) > 0 {
		return errors.New(errs[0])
	}
	var errs []string
	if o.gcHigh < 0 || o.gcHigh > 100 {
		errs = append(errs, fmt.Sprintf("invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) %v must be between 0 and 100, inclusive", o.gcHigh))
	}
	if o.gcLow < 0 || o.gcLow > 100 {
		errs = append(errs, fmt.Sprintf("invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) %v must be between 0 and 100, inclusive", o.gcLow))
	}
	if o.gcLow >= o.gcHigh {
		errs = append(errs, fmt.Sprintf("invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) %v must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) %v", o.gcLow, o.gcHigh))
	}
	if o.gcMinAge < 0 {
		// The spec's rule; the kubelet's text is modelled on the
		// maximum age's.
		errs = append(errs, fmt.Sprintf("invalid configuration: imageMinimumGCAge %v must not be negative", o.gcMinAge))
	}
	if o.gcMaxAge != 0 && !o.gatesInForce[GateImageMaximumGCAge] {
		errs = append(errs, "invalid configuration: ImageMaximumGCAge feature gate is required for Kubelet configuration option imageMaximumGCAge")
	}
	if o.gcMaxAge < 0 {
		errs = append(errs, fmt.Sprintf("invalid configuration: imageMaximumGCAge %v must not be negative", o.gcMaxAge))
	}
	if o.gcMaxAge > 0 && o.gcMaxAge <= o.gcMinAge {
		errs = append(errs, fmt.Sprintf("invalid configuration: imageMaximumGCAge %v must be greater than imageMinimumGCAge %v", o.gcMaxAge, o.gcMinAge))
	}
	if o.statusMaxImages < -1 {
		errs = append(errs, fmt.Sprintf("invalid configuration: nodeStatusMaxImages (--node-status-max-images) %v must be -1 or greater", o.statusMaxImages))
	}
	if o.burst < 0 {
		errs = append(errs, fmt.Sprintf("invalid configuration: registryBurst (--registry-burst) %v must not be a negative number", o.burst))
	}
	if o.qps < 0 {
		errs = append(errs, fmt.Sprintf("invalid configuration: registryPullQPS (--registry-qps) %v must not be a negative number", o.qps))
	} else if !(o.qps >= 0) || math.IsInf(o.qps, 0) {
		// Not a kubelet check (its config cannot hold NaN); pullsim's.
		errs = append(errs, fmt.Sprintf("invalid configuration: registryPullQPS (--registry-qps) %v must be a finite number", o.qps))
	}
	if o.maxParallel != nil && *o.maxParallel < 1 {
		errs = append(errs, fmt.Sprintf("invalid configuration: maxParallelImagePulls %v must be a positive number", *o.maxParallel))
	}
	if o.serializePulls() && o.maxParallel != nil && *o.maxParallel > 1 {
		errs = append(errs, "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false")
	}
	for i, p := range o.providers {
		if len(p.MatchImages) == 0 {
			errs = append(errs, "providers.matchImages: Required value: at least 1 item in matchImages is required")
		}
		if p.Credentials == nil {
			errs = append(errs, fmt.Sprintf("credential provider %d (%s): Credentials is required", i, strings.Join(p.MatchImages, ", ")))
		}
	}
	errs = append(errs, o.validateVerification()...)
	if err := o.runtime.validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if err := o.defaulting.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if o.eventTTL <= 0 {
		errs = append(errs, fmt.Sprintf("event TTL %v must be positive", o.eventTTL))
	}
	if o.maxBackOff > math.MaxInt64/2 {
		// Not a kubelet check: its entries expire after twice the maximum,
		// which must fit in a time.Duration.
		errs = append(errs, fmt.Sprintf("image backoff max %v is too large: twice it must fit in a time.Duration (at most %v)", o.maxBackOff, time.Duration(math.MaxInt64/2)))
	}
	return aggregate(errs)
}

// serializePulls is serializeImagePulls after the kubelet's defaulting.
func (o *config) serializePulls() bool {
	if o.serialize != nil {
		return *o.serialize
	}
	return o.maxParallel == nil || *o.maxParallel < 2
}

// pullSlots is how many pulls may run at once; 0 means no limit.
func (o *config) pullSlots() int {
	switch {
	case o.serializePulls():
		return 1
	case o.maxParallel != nil:
		return *o.maxParallel
	default:
		return 0
	}
}

// aggregate joins errors as k8s.io/apimachinery's NewAggregate prints them:
// identical messages once, one distinct message alone, several as
// "[e1, e2]".
func aggregate(errs []string) error {
	var distinct []string
	for _, e := range errs {
		if !slices.Contains(distinct, e) {
			distinct = append(distinct, e)
		}
	}
	switch len(distinct) {
	case 0:
		return nil
	case 1:
		return errors.New(distinct[0])
	default:
		return errors.New("[" + strings.Join(distinct, ", ") + "]")
	}
}

// WithCluster makes the node part of c: its pods are admitted by c and
// read their pull secrets and service accounts from c. Without it, the
// node has a cluster of its own.
func WithCluster(c *Cluster) Option { return func(o *config) { o.cluster = c } }

// WithImagePullCredentialsVerificationPolicy sets the KEP-2535 policy:
// NeverVerify, NeverVerifyPreloadedImages (the default),
// NeverVerifyAllowlistedImages or AlwaysVerify. Setting it with the gate off
// is a configuration error, as on a kubelet.
func WithImagePullCredentialsVerificationPolicy(policy string) Option {
	return func(o *config) { o.verification = &policy }
}

// WithPreloadedImagesVerificationAllowlist sets
// preloadedImagesVerificationAllowlist: fully qualified image names without
// tag or digest ("docker.io/library/ubuntu"), or prefixes ending in "/*"
// ("registry.example.com/base/*"). It requires NeverVerifyAllowlistedImages.
// Matching is literal: a pod's image is compared as written, so "ubuntu"
// does not match docker.io/library/ubuntu.
func WithPreloadedImagesVerificationAllowlist(patterns ...string) Option {
	return func(o *config) { o.allowlist = slices.Clone(patterns) }
}

// WithNodeCredentials gives the node a docker config of its own
// (/var/lib/kubelet/config.json): credentials by registry location, used for
// every pod after the pod's own pull secrets. Images pulled with them are
// node-accessible under KEP-2535.
func WithNodeCredentials(auths map[string]registry.Credential) Option {
	return func(o *config) { o.nodeCreds = maps.Clone(auths) }
}

// CredentialProvider is a kubelet credential provider plugin.
type CredentialProvider struct {
	// MatchImages are registry locations the plugin serves, in the keyring's
	// syntax ("*.dkr.ecr.*.amazonaws.com", "registry.example.com").
	MatchImages []string
	// ServiceAccount makes it a service-account token provider: the
	// credentials depend on the pod's service account, and KEP-2535 records
	// pulls against that service account.
	ServiceAccount bool
	// Credentials returns the credential for a pod's namespace and service
	// account; false means none.
	Credentials func(namespace, serviceAccount string) (registry.Credential, bool)
}

// WithCredentialProvider adds a credential provider plugin; its credentials
// come after the pod's pull secrets and the node's docker config.
func WithCredentialProvider(p CredentialProvider) Option {
	p.MatchImages = slices.Clone(p.MatchImages) // the caller's slice stays theirs
	return func(o *config) { o.providers = append(o.providers, p) }
}

// Kubelet defaults for image garbage collection and node status.
const (
	DefaultImageGCHighThresholdPercent = 85
	DefaultImageGCLowThresholdPercent  = 80
	DefaultImageMinimumGCAge           = 2 * time.Minute
	// ImageGCPeriod is how often the kubelet collects images (and detects
	// them): every 5 minutes.
	ImageGCPeriod = 5 * time.Minute
	// DefaultImageFSCapacity is pullsim's default image filesystem: 100 GB.
	// The kubelet reads it from the runtime; set it with WithImageFSCapacity.
	DefaultImageFSCapacity     = 100_000_000_000
	DefaultNodeStatusMaxImages = 50
)

// WithImageGCThresholds sets imageGCHighThresholdPercent and
// imageGCLowThresholdPercent (85 and 80): when the image filesystem is at
// least high percent full, GC frees images down to low percent. Both must
// be in 0–100 and low below high. high 100 with no maximum age disables GC.
func WithImageGCThresholds(high, low int) Option {
	return func(o *config) { o.gcHigh, o.gcLow = high, low }
}

// WithImageMinimumGCAge sets imageMinimumGCAge (2m; 0 means 2m): images
// detected more recently are not collected by the size-based pass. It must
// not be negative.
func WithImageMinimumGCAge(d time.Duration) Option {
	return func(o *config) {
		if d == 0 {
			d = DefaultImageMinimumGCAge
		}
		o.gcMinAge = d
	}
}

// WithImageMaximumGCAge sets imageMaximumGCAge (0, off): unused images not
// used for longer are collected whatever the disk usage. When set it must
// be greater than the minimum age.
func WithImageMaximumGCAge(d time.Duration) Option { return func(o *config) { o.gcMaxAge = d } }

// WithImageFSCapacity sets the size of the node's image filesystem in bytes
// (DefaultImageFSCapacity). Zero is allowed and makes every GC fail with
// InvalidDiskCapacity, as on a kubelet whose runtime reports no capacity.
func WithImageFSCapacity(bytes int64) Option { return func(o *config) { o.fsCapacity = bytes } }

// WithNodeStatusMaxImages sets nodeStatusMaxImages (50; -1 means no limit):
// how many images the node status lists.
func WithNodeStatusMaxImages(n int) Option { return func(o *config) { o.statusMaxImages = n } }
