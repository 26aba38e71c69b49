// Package pullpolicy is the vocabulary of image pulls and the pure decision
// the kubelet makes at every container start. It has no state and does no
// I/O; every other pullsim package may import it.
//
// # Policies and defaulting
//
// A container's imagePullPolicy is Always, IfNotPresent or Never (exact,
// case-sensitive spellings; see [ParsePullPolicy]). Left empty, the API
// server fills it in when the object is created, and never again
// ([DefaultPullPolicy]):
//
//	tag after parsing is exactly "latest"   Always
//	(no tag and no digest counts as latest)
//	anything else, parse errors included    IfNotPresent
//
// So nginx and nginx:latest are Always, nginx:1.28, nginx:LATEST and
// nginx@sha256:… are IfNotPresent, and nginx:latest@sha256:… is Always: the
// code looks only at the tag. The kubernetes.io docs say a digest means
// IfNotPresent; that is KEP-6083's proposal, offered here as
// [DigestAwareDefaulting].
//
// # References
//
// [ParseImageName] is the kubelet's parser. [ImageRef] carries every
// spelling derived from one image string: as written (for messages and the
// backoff key), with ":latest" appended (what the runtime is asked for), the
// normalised repository (for credentials), and the runtime's own name
// (docker.io/library/nginx:latest). [RefCache] parses each string once.
//
// # The decision
//
// [Decide] is the lesson's flowchart: Always pulls without asking whether
// the image is present; IfNotPresent and Never use a present image;
// IfNotPresent pulls an absent one; Never fails with ErrImageNeverPull.
//
// # Reasons and events
//
// The errors here ([ErrImagePull], [ErrImagePullBackOff], ...) have the
// kubelet's waiting reasons as their text, and the Event constants are the
// kubelet's event reasons. Event reasons and waiting reasons differ: a
// failed pull is the event "Failed" and the waiting reason "ErrImagePull".
package pullpolicy
