package pullsim

import (
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
)

// decodeManifests turns the manifests of an apply step into pods, in
// document order, as kubectl apply and the workload controllers would:
// every kind node/kube reads, and v1 Lists. Documents of kinds without pods
// are skipped.
func decodeManifests(data []byte) ([]node.Pod, error) {
	r, err := kube.Decode(data)
	if err != nil {
		return nil, err
	}
	return r.Pods, nil
}
