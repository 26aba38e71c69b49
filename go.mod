module github.com/pullsim/pullsim

go 1.26.8

require (
	github.com/distribution/reference v0.6.0
	github.com/opencontainers/go-digest v1.0.0
	golang.org/x/time v0.16.0
	sigs.k8s.io/yaml v1.6.0
)

require go.yaml.in/yaml/v2 v2.4.2 // indirect
