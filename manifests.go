package pullsim

import (
	"github.com/pullsim/pullsim/node"
	"github.com/pullsim/pullsim/node/kube"
)

// decodeManifests turns the manifests of an apply step into pods, in
// document order, as kubectl apply and the workload controllers would:
// every kind node/kube reads, and v1 Lists. Documents of kinds without pods
// are skipped, and named in the second result ("Service/web").
func decodeManifests(data []byte) ([]node.Pod, []string, error) {
	r, err := kube.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	var skipped []string
	for _, s := range r.Skipped {
		skipped = append(skipped, s.Kind+"/"+s.Name)
	}
	return r.Pods, skipped, nil
}
