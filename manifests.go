package pullsim

import (
	"github.com/pullsim/pullsim/node/kube"
)

// decodeManifests turns the manifests of an apply step into what kubectl
// apply creates, in document order, as kubectl apply and the workload
// controllers would: the pods of every kind node/kube reads, v1 Lists,
// and secrets and service accounts (each with its place among the pods). Documents of kinds
// without pods are skipped, and named in Result.Skipped; workloads that
// make no pods as written are named in Result.Idle.
func decodeManifests(data []byte, opts ...kube.Option) (kube.Result, error) {
	return kube.Decode(data, opts...)
}
