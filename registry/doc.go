// Package registry is an in-memory set of container registries as nodes see
// them: any number of hosts (docker.io, localhost:5000,
// registry.example.com:443), repositories of content-addressed images,
// tags that move, private repositories, network links and fault switches,
// with every request counted. It is a test tool: nothing touches the
// network.
//
// Push a build under a tag and the registry stores its manifest, config and
// layers ([Build] computes them; the same [Image] always gives the same
// digests). Push another build under the same tag and the tag moves;
// [Registry.History] remembers where it pointed.
//
// Nodes pull through the small [Source] interface: resolve a reference,
// fetch a manifest, fetch a blob. [Registry] implements it and counts each
// request ([Registry.Counters]); implement it yourself to put anything else
// behind a node. A Source that also implements [Timed] gives nodes the
// [Link] (latency, bandwidth, timeout) to time pulls with.
//
// Clients of the OCI distribution API push through the same Registry
// ([Registry.PutBlob], [Registry.PutManifest], [Registry.MountBlob], the
// deletes) and read through [Registry.HeadManifest], [Registry.GetManifest],
// [Registry.StatBlob], [Registry.Referrers] and [Registry.TagsPage], which
// count and meet faults as nodes' requests do; package
// registry/ociserver serves them over HTTP. What they push, nodes pull:
// from an index, a node fetches the index, then its linux/amd64 manifest
// ([Manifest.PlatformManifest]).
//
// Faults ([Registry.SetFault]) make a host or a repository unavailable,
// slow, unauthorized, rate-limited, failing, unsigned or corrupt, forever or
// for a number of requests. The registry answers with distribution's error
// codes; turning them into the texts a kubelet shows is the node's job, as
// it is containerd's.
package registry
