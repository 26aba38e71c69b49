// Package ociserver serves a [registry.Registry] over HTTP with the OCI
// distribution API v1.1, so that real clients (crane, containerd, docker,
// skopeo, admission webhooks that pin digests, promotion scripts) pull from,
// push to and move tags in the same registry simulated nodes pull from.
//
// It is a test tool: content lives in memory, authentication is the
// registry's private repositories, and [ListenAndServe] refuses anything
// but a loopback address. It passes the OCI conformance suite, every API
// and data set, sha512 digests included.
//
// # One registry, two faces
//
// What a client pushes over HTTP is what a node pulls through
// [registry.Source], and what a test pushes in Go with
// [registry.Registry.Push] is what a client pulls. A manifest PUT by tag
// moves the tag and is recorded in [registry.Registry.History] as Push
// records it. From an index or manifest list a node pulls its linux/amd64
// entry (else one that names no platform) and names the image by the
// index's digest, as containerd does; with neither, the pull fails.
// Reads over HTTP count in [registry.Registry.Counters] as a node's do: a
// manifest HEAD is a resolve, a manifest GET a manifest fetch, a blob HEAD
// or GET a blob fetch. Layers pushed in Go are simulated: their bytes are
// short stand-ins whose digests match, while their manifests claim the
// simulated sizes, so a client that checks sizes rejects them; layers pushed
// over HTTP are real bytes.
//
// # Endpoints
//
//	GET    /v2/                                      ping
//	GET    /v2/<name>/manifests/<tag|digest>         also HEAD, PUT (?tag= too), DELETE
//	GET    /v2/<name>/blobs/<digest>                 also HEAD (Range is honoured), DELETE
//	POST   /v2/<name>/blobs/uploads/                 ?digest= (monolithic), ?mount=&from= (mount)
//	PATCH  /v2/<name>/blobs/uploads/<id>             also PUT ?digest=, GET, DELETE
//	GET    /v2/<name>/tags/list                      ?n= and ?last=, Link to the next page
//	GET    /v2/<name>/referrers/<digest>             ?artifactType=
//	GET    /token                                    also POST (OAuth2 password grant)
//
// Manifests are stored with their media type exactly as pushed: OCI image
// manifests and indexes, Docker schema 2 manifests and manifest lists, and
// manifests of any other media type as long as they are JSON objects (Docker
// schema 1 is refused). A PUT by digest may move tags with ?tag=; one
// invalid tag among them fails it with 400 TAG_INVALID, storing nothing.
// A mount without from mounts from any repository of
// the host that holds the blob and that the client may read.
//
// # Hosts
//
// One server serves every host of the registry. A request reaches:
//
//  1. the host named by the ns query parameter, which containerd adds when
//     it talks to a mirror, whether or not the registry holds it: reads of
//     a host it lacks answer 404 NAME_UNKNOWN, as a node resolving it
//     fails, and pushes create it (an ns that is not a lowercase registry
//     host answers 400 NAME_INVALID);
//  2. else the host named by the Host header, if the registry holds it;
//  3. else the default host, docker.io unless [WithDefaultHost] says
//     otherwise.
//
// So crane needs no configuration beyond plain HTTP, and reaches the
// default host:
//
//	crane --insecure digest 127.0.0.1:5000/library/nginx:1.28
//	crane --insecure push image.tar 127.0.0.1:5000/team/app:1.0
//
// (in Go, name.ParseReference("127.0.0.1:5000/team/app:1.0", name.Insecure)).
// containerd reaches any host through a mirror entry in
// /etc/containerd/certs.d/<host>/hosts.toml, which makes it add
// ns=<host>; for Docker Hub:
//
//	# /etc/containerd/certs.d/docker.io/hosts.toml
//	server = "https://registry-1.docker.io"
//	[host."http://127.0.0.1:5000"]
//	  capabilities = ["pull", "resolve", "push"]
//
// and the same with registry.example.com for a host of that name. Every
// URL the server hands out (upload, blob and manifest Locations, the tag
// list's Link) carries the request's ns parameter, so a client that
// follows it stays on that host, and an upload session commits into the
// host it was started for.
//
// # Faults and access
//
// The registry's faults ([registry.Registry.SetFault]) answer as a real
// registry does: NotFound with 404 MANIFEST_UNKNOWN; Unauthorized with 401
// UNAUTHORIZED and a challenge; TooManyRequests with 429 TOOMANYREQUESTS
// and Docker Hub's ratelimit-limit and ratelimit-remaining headers (a HEAD
// is not limited); ServerError with 500 UNKNOWN; Signature with 403
// DENIED; CorruptBlob with blob bytes that do not match the digest;
// Timeout by hanging until the client gives up ([WithTimeoutHang]) and
// dropping the connection; Unavailable by dropping the connection, after
// the headers and half the bytes for a blob; Message with 500 UNKNOWN
// carrying the fault's text. The kinds that fail every request
// (Unavailable, Timeout, Unauthorized, ServerError, Message) fail every
// endpoint alike, as an outage does: the ping (the host's fault), tag
// lists, referrers, uploads, manifest pushes (which then move no tag) and
// deletes. The other kinds concern a pull: a rate limit meets manifest
// and blob GETs only. A fault limited to an op (OpBlob, say) fails only
// those requests, so a client resolves and then fails mid-download.
// Fault kinds this package does not know answer 500 UNKNOWN with the
// registry's error text. Unknown
// repositories, tags and blobs answer 404 NAME_UNKNOWN, MANIFEST_UNKNOWN
// and BLOB_UNKNOWN.
//
// A private repository ([registry.Registry.SetPrivate]) answers requests
// without accepted credentials with 401 and
//
//	WWW-Authenticate: Bearer realm="http://<host>/token",service="<registry host>",scope="repository:<name>:pull"
//
// (pull,push for writes), and GET /v2/ challenges too when the host has a
// private repository, as Docker Hub's does. The token endpoint checks Basic
// credentials (or an OAuth2 password grant) against those the registry
// holds: the host's accounts are the credentials its private repositories
// accept, so credentials no private repository of the host accepts get
// 401 whatever the scope (docker login with a wrong password fails), a
// request without credentials gets an anonymous token for public
// repositories, and a host without private repositories takes any
// credentials. A token stands for the credentials it was issued for;
// Basic credentials are also accepted on every request directly, checked
// as the token endpoint checks them: on a host with private repositories
// they must be one of its accounts, even to read a public repository.
package ociserver
