package kube

// kubectl's -o yaml and -o json printers
// (k8s.io/cli-runtime/pkg/printers: YAMLPrinter marshals the object to JSON
// and converts that to YAML; JSONPrinter indents with four spaces).

import (
	"encoding/json"

	"github.com/pullsim/pullsim/node"
	"sigs.k8s.io/yaml"
)

// PodYAML returns what `kubectl get pod -o yaml` prints for the pod: the
// object of [PodToCore] (apiVersion v1, kind Pod, metadata, spec and
// status), fields in the API's order within each object, keys sorted.
func PodYAML(p node.Pod) ([]byte, error) {
	return yaml.Marshal(PodToCore(p))
}

// PodJSON returns what `kubectl get pod -o json` prints for the pod: the
// object of [PodToCore], indented by four spaces, with a final newline.
func PodJSON(p node.Pod) ([]byte, error) {
	b, err := json.MarshalIndent(PodToCore(p), "", "    ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
