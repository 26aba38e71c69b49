package pullsim

import (
	"fmt"

	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/registry"
)

// featureEnsureSecretPulledImages is the one kubelet feature gate pullsim
// models.
const featureEnsureSecretPulledImages = "KubeletEnsureSecretPulledImages"

// fieldError is a kubelet setting pullsim cannot turn into a node option.
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
			return nil, &fieldError{"registryPullQPS", fmt.Errorf("must not be negative")}
		}
		if burst < 0 {
			return nil, &fieldError{"registryBurst", fmt.Errorf("must not be negative")}
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
	for gate, on := range k.FeatureGates {
		if gate != featureEnsureSecretPulledImages {
			return nil, &fieldError{"featureGates." + gate, fmt.Errorf("pullsim models only the gate %s", featureEnsureSecretPulledImages)}
		}
		opts = append(opts, node.WithEnsureSecretPulledImages(on))
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
		if n.ImageFSCapacity.Sign() < 0 {
			return nil, &fieldError{"imageFSCapacity", fmt.Errorf("must not be negative")}
		}
		opts = append(opts, node.WithImageFSCapacity(n.ImageFSCapacity.Value()))
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
