package pullsim

import (
	"bytes"
	"errors"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/pullsim/pullsim/node"
)

// decodeManifests turns the manifests of an apply step into pods, in
// document order.
//
// TODO(issue12): use node/kube.Decode, which reads every workload kind and
// v1 Lists; until it is merged only Pod documents are read.
func decodeManifests(data []byte) ([]node.Pod, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var pods []node.Pod
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return pods, nil
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		raw, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, err
		}
		p, err := node.DecodePod(raw)
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
}
