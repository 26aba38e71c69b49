package pullsim

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// fieldError is a node setting pullsim cannot turn into a node option; field
// is its path under the node ("kubelet.registryBurst").
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// options maps a node's settings to node options; node.New checks how they
// combine, as the kubelet's config validation does.
func (n NodeSpec) options() ([]node.Option, error) {
	k := n.Kubelet
	var opts []node.Option
	if k.SerializeImagePulls != nil {
		opts = append(opts, node.WithSerializeImagePulls(*k.SerializeImagePulls))
	}
	if k.MaxParallelImagePulls != nil {
		opts = append(opts, node.WithMaxParallelImagePulls(int(*k.MaxParallelImagePulls)))
	}
	if k.RegistryPullQPS != nil || k.RegistryBurst != nil {
		qps, burst := int32(node.DefaultRegistryPullQPS), int32(node.DefaultRegistryBurst)
		if k.RegistryPullQPS != nil {
			qps = *k.RegistryPullQPS
		}
		if k.RegistryBurst != nil {
			burst = *k.RegistryBurst
		}
		if qps < 0 {
			return nil, &fieldError{"kubelet.registryPullQPS", fmt.Errorf("must not be negative")}
		}
		if burst < 0 {
			return nil, &fieldError{"kubelet.registryBurst", fmt.Errorf("must not be negative")}
		}
		opts = append(opts, node.WithRegistryPullQPS(float64(qps), int(burst)))
	}
	if k.ImageGCHighThresholdPercent != nil || k.ImageGCLowThresholdPercent != nil {
		high, low := int32(node.DefaultImageGCHighThresholdPercent), int32(node.DefaultImageGCLowThresholdPercent)
		if k.ImageGCHighThresholdPercent != nil {
			high = *k.ImageGCHighThresholdPercent
		}
		if k.ImageGCLowThresholdPercent != nil {
			low = *k.ImageGCLowThresholdPercent
		}
		opts = append(opts, node.WithImageGCThresholds(int(high), int(low)))
	}
	if k.ImageMinimumGCAge != nil {
		opts = append(opts, node.WithImageMinimumGCAge(k.ImageMinimumGCAge.Duration))
	}
	if k.ImageMaximumGCAge != nil {
		opts = append(opts, node.WithImageMaximumGCAge(k.ImageMaximumGCAge.Duration))
	}
	if n.KubeletVersion != "" {
		opts = append(opts, node.WithKubeletVersion(n.KubeletVersion))
	}
	if n.ContainerRuntime != "" {
		opts = append(opts, node.WithContainerRuntime(node.ContainerRuntime(n.ContainerRuntime)))
	}
	for _, gate := range slices.Sorted(maps.Keys(k.FeatureGates)) {
		opts = append(opts, node.WithFeatureGate(gate, k.FeatureGates[gate]))
	}
	if k.ImagePullCredentialsVerificationPolicy != "" {
		opts = append(opts, node.WithImagePullCredentialsVerificationPolicy(k.ImagePullCredentialsVerificationPolicy))
	}
	if k.PreloadedImagesVerificationAllowlist != nil {
		opts = append(opts, node.WithPreloadedImagesVerificationAllowlist(k.PreloadedImagesVerificationAllowlist...))
	}
	if k.NodeStatusMaxImages != nil {
		opts = append(opts, node.WithNodeStatusMaxImages(int(*k.NodeStatusMaxImages)))
	}
	if n.ImageFSCapacity != nil {
		capacity, err := bytesOf(*n.ImageFSCapacity)
		if err != nil {
			return nil, &fieldError{"imageFSCapacity", err}
		}
		opts = append(opts, node.WithImageFSCapacity(capacity))
	}
	if len(n.Credentials) > 0 {
		auths := make(map[string]registry.Credential, len(n.Credentials))
		for loc, c := range n.Credentials {
			auths[loc] = registry.Credential(c)
		}
		opts = append(opts, node.WithNodeCredentials(auths))
	}
	return opts, nil
}

// bytesOf returns a quantity of bytes as an int64: an error for a negative
// quantity, and for one too large for an int64 (1e100, 8Ei), which
// resource.Quantity.Value would turn into another number (0 for 1e100).
func bytesOf(q resource.Quantity) (int64, error) {
	if q.Sign() < 0 {
		return 0, errors.New("must not be negative")
	}
	// Value clamps or wraps what does not fit; AsInt64 says so (it also
	// refuses fractions, which Value rounds up, as before).
	if _, ok := q.AsInt64(); !ok && q.CmpInt64(math.MaxInt64) >= 0 {
		return 0, fmt.Errorf("out of range: at most %d bytes", int64(math.MaxInt64))
	}
	return q.Value(), nil
}
