package node

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// This file is the choice of kubelet: which minor version the node runs,
// and its feature gates (pkg/features/kube_features.go of each minor).
// The image-pull behaviour changed between v1.34 and v1.37:
//
//	                                   v1.34   v1.35   v1.36   v1.37
//	KubeletEnsureSecretPulledImages     off     on      on      on
//	"already present" text              short   + "and can be accessed by the pod"
//	allowlist entries (no /* wildcard)  compared with the image as written,
//	                                    tag included    without tag and digest
//	lifecycle events                    "Created container: <c>",
//	                                    "Started container <c>"
//	                                            "Container created", "Container started"
//	GC failure (FreeDiskSpaceFailed)    "Failed to garbage collect required
//	                                    amount of images. ..."
//	                                            "Insufficient free disk space ..."
//	ImageMaximumGCAge                   beta    GA, locked on
//	KubeletCrashLoopBackOffMax          off     on      on      on
//
// v1.34 with KubeletEnsureSecretPulledImages turned on behaves as v1.35.
// Defaulting, backoff timing and texts, the ImagePullBackOff message,
// RegistryUnavailable and SignatureValidationFailed, Never, invalid names
// and the pull QPS throttle are the same in all four.

// The kubelet minors pullsim models, and the default.
const (
	KubeletV134 = "1.34"
	KubeletV135 = "1.35"
	KubeletV136 = "1.36"
	KubeletV137 = "1.37"
	// DefaultKubeletVersion is the kubelet a node runs unless told
	// otherwise: v1.37 (v1.37.2).
	DefaultKubeletVersion = KubeletV137
)

// KubeletVersions returns the supported kubelet minors, oldest first.
func KubeletVersions() []string { return []string{KubeletV134, KubeletV135, KubeletV136, KubeletV137} }

// Feature gates of the kubelet that touch what pullsim models.
const (
	// GateKubeletEnsureSecretPulledImages is KEP-2535: present images are
	// checked against the pod's credentials. Alpha (off) in v1.34, beta
	// (on) since v1.35.
	GateKubeletEnsureSecretPulledImages = "KubeletEnsureSecretPulledImages"
	// GateImageMaximumGCAge allows imageMaximumGCAge. Beta (on) in v1.34,
	// GA and locked on since v1.35.
	GateImageMaximumGCAge = "ImageMaximumGCAge"
	// GateKubeletCrashLoopBackOffMax lets the kubelet config lower the
	// crash-loop maximum (not modelled: pullsim has no such setting). Beta
	// and on since v1.35.
	GateKubeletCrashLoopBackOffMax = "KubeletCrashLoopBackOffMax"
	// GateReduceDefaultCrashLoopBackOffDecay makes the crash-loop backoff
	// 1s doubling to 60s. Alpha, off, in every minor pullsim models.
	GateReduceDefaultCrashLoopBackOffDecay = "ReduceDefaultCrashLoopBackOffDecay"
	// GateRuntimeClassInImageCriAPI passes the runtime handler in image
	// requests (not modelled). Alpha, off.
	GateRuntimeClassInImageCriAPI = "RuntimeClassInImageCriAPI"
)

// gateSpec is a gate's default in a minor, and whether it is locked there.
type gateSpec struct {
	on, locked bool
}

// gateDefaults are each minor's gates.
var gateDefaults = map[string]map[string]gateSpec{
	KubeletV134: {
		GateKubeletEnsureSecretPulledImages:    {on: false},
		GateImageMaximumGCAge:                  {on: true},
		GateKubeletCrashLoopBackOffMax:         {on: false},
		GateReduceDefaultCrashLoopBackOffDecay: {on: false},
		GateRuntimeClassInImageCriAPI:          {on: false},
	},
	KubeletV135: {
		GateKubeletEnsureSecretPulledImages:    {on: true},
		GateImageMaximumGCAge:                  {on: true, locked: true},
		GateKubeletCrashLoopBackOffMax:         {on: true},
		GateReduceDefaultCrashLoopBackOffDecay: {on: false},
		GateRuntimeClassInImageCriAPI:          {on: false},
	},
}

func init() {
	// v1.36 and v1.37 keep v1.35's gates for everything pullsim models.
	gateDefaults[KubeletV136] = gateDefaults[KubeletV135]
	gateDefaults[KubeletV137] = gateDefaults[KubeletV135]
}

// WithKubeletVersion selects the kubelet minor the node runs: "1.34",
// "1.35", "1.36" or "1.37" ([DefaultKubeletVersion]). It sets that minor's
// feature-gate defaults and the rules and texts that differ (see the
// table in this file's package documentation, [Node.KubeletVersion]).
func WithKubeletVersion(v string) Option { return func(o *config) { o.version = v } }

// WithFeatureGate sets one kubelet feature gate on top of the minor's
// defaults, as --feature-gates does. A gate the minor does not have, or a
// locked gate set against its lock, is refused when the node is built.
func WithFeatureGate(name string, on bool) Option {
	return func(o *config) {
		if o.gates == nil {
			o.gates = make(map[string]bool)
		}
		o.gates[name] = on
	}
}

// resolveGates applies the minor's defaults and the explicit gates, and
// returns the kubelet's errors for what it refuses.
func (o *config) resolveGates() []string {
	defaults, ok := gateDefaults[o.version]
	if !ok {
		return []string{fmt.Sprintf("unsupported kubelet version %q; supported: %s", o.version, strings.Join(KubeletVersions(), ", "))}
	}
	var errs []string
	o.gatesInForce = make(map[string]bool, len(defaults))
	for name, g := range defaults {
		o.gatesInForce[name] = g.on
	}
	for _, name := range slices.Sorted(maps.Keys(o.gates)) {
		on := o.gates[name]
		g, ok := defaults[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("unrecognized feature gate: %s", name))
		case g.locked && on != g.on:
			errs = append(errs, fmt.Sprintf("cannot set feature gate %s to %v, feature is locked to %v", name, on, g.on))
		default:
			o.gatesInForce[name] = on
		}
	}
	o.ensureSecret = o.gatesInForce[GateKubeletEnsureSecretPulledImages]
	return errs
}

// FeatureGate is a kubelet feature gate and whether it is on.
type FeatureGate struct {
	Name    string
	Enabled bool
}

// FeatureGates returns the gates in force on the node, by name: the
// minor's defaults with [WithFeatureGate]'s settings on top.
func (n *Node) FeatureGates() []FeatureGate {
	out := make([]FeatureGate, 0, len(n.cfg.gatesInForce))
	for _, name := range slices.Sorted(maps.Keys(n.cfg.gatesInForce)) {
		out = append(out, FeatureGate{name, n.cfg.gatesInForce[name]})
	}
	return out
}

// KubeletVersion returns the kubelet minor the node runs, "1.37" unless
// [WithKubeletVersion] chose another.
func (n *Node) KubeletVersion() string { return n.cfg.version }

// before reports whether the node's kubelet is older than minor v.
func (o *config) before(v string) bool {
	return slices.Index(KubeletVersions(), o.version) < slices.Index(KubeletVersions(), v)
}

// crashLoopPeriods are the crash-loop backoff's initial and maximum
// windows: 10s and 300s, or 1s and 60s with
// ReduceDefaultCrashLoopBackOffDecay.
func (o *config) crashLoopPeriods() (time.Duration, time.Duration) {
	if o.gatesInForce[GateReduceDefaultCrashLoopBackOffDecay] {
		return time.Second, time.Minute
	}
	return DefaultCrashLoopBackOff, DefaultMaxCrashLoopBackOff
}
