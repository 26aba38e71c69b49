package registry_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/registry"
)

// hex64 is the hex part of a well-formed SHA-256 digest.
const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// faultFixture is a registry with content on three hosts, and what was
// pushed, for the fault tests.
type faultFixture struct {
	r     *registry.Registry
	nginx registry.Manifest // nginx:1.28, build("nginx 1.28.0")
	app   registry.Manifest // localhost:5000/app:v1, build("app v1")
	other registry.Manifest // localhost:5000/other:v1, build("other v1")
	blobs map[digest.Digest]registry.Blob
}

func newFaultFixture(t testing.TB) faultFixture {
	t.Helper()
	f := faultFixture{r: registry.New(), blobs: make(map[digest.Digest]registry.Blob)}
	for _, p := range []struct {
		ref  string
		name string
		m    *registry.Manifest
	}{
		{"nginx:1.28", "nginx 1.28.0", &f.nginx},
		{"localhost:5000/app:v1", "app v1", &f.app},
		{"localhost:5000/other:v1", "other v1", &f.other},
	} {
		m, blobs := mustBuild(t, build(p.name))
		f.r.MustPush(p.ref, build(p.name))
		*p.m = m
		for _, b := range blobs {
			f.blobs[b.Digest] = b
		}
	}
	return f
}

// fetch makes one Source request: op is "resolve", "manifest" or "blob";
// dgst is the manifest or blob digest for the last two. It returns the
// blob a blob request served.
func fetch(t testing.TB, r *registry.Registry, op, ref string, dgst digest.Digest) (registry.Blob, error) {
	t.Helper()
	p := mustRef(t, ref)
	switch op {
	case "resolve":
		_, err := r.Resolve(p, registry.Credential{})
		return registry.Blob{}, err
	case "manifest":
		_, err := r.FetchManifest(p, dgst, registry.Credential{})
		return registry.Blob{}, err
	case "blob":
		return r.FetchBlob(p, dgst, registry.Credential{})
	}
	t.Fatalf("fetch: unknown op %q", op)
	return registry.Blob{}, nil
}

func TestFaultKindString(t *testing.T) {
	tests := []struct {
		kind registry.FaultKind // the kind
		want string             // its String()
	}{
		{registry.FaultUnavailable, "Unavailable"},
		{registry.FaultTimeout, "Timeout"},
		{registry.FaultNotFound, "NotFound"},
		{registry.FaultUnauthorized, "Unauthorized"},
		{registry.FaultTooManyRequests, "TooManyRequests"},
		{registry.FaultServerError, "ServerError"},
		{registry.FaultSignature, "Signature"},
		{registry.FaultCorruptBlob, "CorruptBlob"},
		{0, "FaultKind(0)"},
		{registry.FaultMessage, "Message"},
		{10, "FaultKind(10)"},
		{-1, "FaultKind(-1)"},
	}
	for i, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("step %d: FaultKind(%d).String() = %q, want %q", i, int(tt.kind), got, tt.want)
		}
	}
	// The kinds are numbered from 1: the zero value is no kind at all.
	if registry.FaultUnavailable != 1 || registry.FaultCorruptBlob != 8 {
		t.Errorf("FaultUnavailable = %d, FaultCorruptBlob = %d; want 1 and 8", registry.FaultUnavailable, registry.FaultCorruptBlob)
	}
}

func TestFaultSentinelTexts(t *testing.T) {
	tests := []struct {
		err  error  // the sentinel
		want string // its text
	}{
		{registry.ErrUnavailable, "registry unavailable"},
		{registry.ErrTimeout, "i/o timeout"},
		{registry.ErrUnauthorized, "401 Unauthorized"},
		{registry.ErrTooManyRequests, "429 Too Many Requests"},
		{registry.ErrServerError, "500 Internal Server Error"},
		{registry.ErrSignatureInvalid, "signature validation failed"},
	}
	for i, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("step %d: Error() = %q, want %q", i, got, tt.want)
		}
	}
}

// TestFaultKinds: which requests every kind fails, with which error, in
// which *registry.Error; the host scope and both spellings of the
// repository scope behave alike. Credentials make no difference.
func TestFaultKinds(t *testing.T) {
	tests := []struct {
		kind     registry.FaultKind // the fault switched on
		resolve  error              // the sentinel Resolve fails with; nil: it succeeds
		manifest error              // the sentinel FetchManifest fails with; nil: it succeeds
		blob     error              // the sentinel FetchBlob fails with; nil: it serves the blob
		corrupt  bool               // whether the served blob fails Verify
		stat     error              // the sentinel StatBlob (a blob HEAD) fails with
	}{
		{registry.FaultUnavailable, registry.ErrUnavailable, registry.ErrUnavailable, registry.ErrUnavailable, false, registry.ErrUnavailable},
		{registry.FaultTimeout, registry.ErrTimeout, registry.ErrTimeout, registry.ErrTimeout, false, registry.ErrTimeout},
		{registry.FaultNotFound, registry.ErrManifestUnknown, nil, nil, false, nil},
		{registry.FaultUnauthorized, registry.ErrUnauthorized, registry.ErrUnauthorized, registry.ErrUnauthorized, false, registry.ErrUnauthorized},
		{registry.FaultTooManyRequests, nil, registry.ErrTooManyRequests, registry.ErrTooManyRequests, false, nil}, // a HEAD is not metered
		{registry.FaultServerError, registry.ErrServerError, registry.ErrServerError, registry.ErrServerError, false, registry.ErrServerError},
		{registry.FaultSignature, registry.ErrSignatureInvalid, nil, nil, false, nil},
		{registry.FaultCorruptBlob, nil, nil, nil, true, nil},
	}
	cred := registry.Credential{Username: "u", Password: "p"}
	for i, tt := range tests {
		for _, scope := range []string{"docker.io", "nginx", "docker.io/library/nginx"} {
			f := newFaultFixture(t)
			if err := f.r.SetFault(registry.Fault{Scope: scope, Kind: tt.kind}); err != nil {
				t.Fatalf("step %d: SetFault(%q, %v) = %v", i, scope, tt.kind, err)
			}
			ref := mustRef(t, "nginx:1.28")
			layer := f.nginx.Layers[1]

			d, err := f.r.Resolve(ref, cred)
			checkFaultErr(t, i, tt.kind, scope, "Resolve", err, tt.resolve, "resolve", "1.28")
			if tt.resolve == nil && d != f.nginx.Descriptor {
				t.Errorf("step %d: %v on %q: Resolve(nginx:1.28) = %+v, want %+v", i, tt.kind, scope, d, f.nginx.Descriptor)
			}

			m, err := f.r.FetchManifest(ref, f.nginx.Digest, cred)
			checkFaultErr(t, i, tt.kind, scope, "FetchManifest", err, tt.manifest, "manifest", f.nginx.Digest.String())
			if tt.manifest == nil && !reflect.DeepEqual(m, f.nginx) {
				t.Errorf("step %d: %v on %q: FetchManifest(nginx) = %+v, want %+v", i, tt.kind, scope, m.Descriptor, f.nginx.Descriptor)
			}

			_, err = f.r.StatBlob(ref, layer.Digest, cred)
			checkFaultErr(t, i, tt.kind, scope, "StatBlob", err, tt.stat, "blob", layer.Digest.String())

			b, err := f.r.FetchBlob(ref, layer.Digest, cred)
			checkFaultErr(t, i, tt.kind, scope, "FetchBlob", err, tt.blob, "blob", layer.Digest.String())
			if tt.blob == nil {
				if b.Descriptor != layer {
					t.Errorf("step %d: %v on %q: FetchBlob(layer) descriptor = %+v, want %+v", i, tt.kind, scope, b.Descriptor, layer)
				}
				if got := b.Verify() != nil; got != tt.corrupt {
					t.Errorf("step %d: %v on %q: FetchBlob(layer).Verify() = %v, want failure %v", i, tt.kind, scope, b.Verify(), tt.corrupt)
				}
			}

			// A repository of the same host is affected by the host scope only.
			_, err = f.r.Resolve(mustRef(t, "docker.io/library/busybox:1.36"), cred)
			want := error(registry.ErrNameUnknown)
			if scope == "docker.io" && tt.resolve != nil {
				want = tt.resolve
			}
			if !errors.Is(err, want) {
				t.Errorf("step %d: %v on %q: Resolve(busybox:1.36) error = %v, want one wrapping %q", i, tt.kind, scope, err, want)
			}
			// Another host is never affected.
			if _, err := f.r.Resolve(mustRef(t, "localhost:5000/app:v1"), cred); err != nil {
				t.Errorf("step %d: %v on %q: Resolve(localhost:5000/app:v1) error = %v, want nil", i, tt.kind, scope, err)
			}
			if b, err := f.r.FetchBlob(mustRef(t, "localhost:5000/app:v1"), f.app.Layers[1].Digest, cred); err != nil || b.Verify() != nil {
				t.Errorf("step %d: %v on %q: FetchBlob(localhost:5000/app) = (verify %v, %v), want a good blob", i, tt.kind, scope, b.Verify(), err)
			}
		}
	}
}

// checkFaultErr checks that err is nil when want is, and otherwise a
// *registry.Error for op on docker.io/library/nginx and reference whose
// cause is want itself.
func checkFaultErr(t *testing.T, i int, kind registry.FaultKind, scope, method string, err, want error, op, reference string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("step %d: %v on %q: %s error = %v, want nil", i, kind, scope, method, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("step %d: %v on %q: %s error = %v, want one wrapping %q", i, kind, scope, method, err, want)
		return
	}
	sep := ":"
	if op != "resolve" {
		sep = "@"
	}
	text := "registry: " + op + " docker.io/library/nginx" + sep + reference + ": " + want.Error()
	if err.Error() != text {
		t.Errorf("step %d: %v on %q: %s error = %q, want %q", i, kind, scope, method, err, text)
	}
	var re *registry.Error
	if !errors.As(err, &re) {
		t.Errorf("step %d: %v on %q: %s error = %v (%T), want a *registry.Error", i, kind, scope, method, err, err)
		return
	}
	if want := (registry.Error{Op: op, Repository: "docker.io/library/nginx", Reference: reference, Err: want}); *re != want {
		t.Errorf("step %d: %v on %q: %s error = %+v, want %+v", i, kind, scope, method, *re, want)
	}
}

// TestFaultErrorFields: the *registry.Error of a fault names the request as
// the client made it, by tag or by digest, and a fault answers before the
// registry looks for the host or repository.
func TestFaultErrorFields(t *testing.T) {
	f := newFaultFixture(t)
	missing := digest.FromString("missing")
	for _, fl := range []registry.Fault{
		{Scope: "localhost:5000/app", Kind: registry.FaultServerError},
		{Scope: "localhost:5001", Kind: registry.FaultUnavailable},
		{Scope: "docker.io/library/busybox", Kind: registry.FaultTimeout},
		{Scope: "registry.example.com:443", Kind: registry.FaultNotFound},
	} {
		if err := f.r.SetFault(fl); err != nil {
			t.Fatalf("SetFault(%+v) = %v", fl, err)
		}
	}
	tests := []struct {
		op   string         // "resolve", "manifest" or "blob"
		ref  string         // the reference
		dgst digest.Digest  // manifest or blob digest
		want registry.Error // the error wanted
		text string         // its text
	}{
		{"resolve", "localhost:5000/app@" + f.app.Digest.String(), "",
			registry.Error{Op: "resolve", Repository: "localhost:5000/app", Reference: f.app.Digest.String(), Err: registry.ErrServerError},
			"registry: resolve localhost:5000/app@" + f.app.Digest.String() + ": 500 Internal Server Error"},
		{"resolve", "localhost:5000/app", "",
			registry.Error{Op: "resolve", Repository: "localhost:5000/app", Reference: "latest", Err: registry.ErrServerError},
			"registry: resolve localhost:5000/app:latest: 500 Internal Server Error"},
		// The fault answers even for content the repository does not have.
		{"manifest", "localhost:5000/app:v1", missing,
			registry.Error{Op: "manifest", Repository: "localhost:5000/app", Reference: missing.String(), Err: registry.ErrServerError},
			"registry: manifest localhost:5000/app@" + missing.String() + ": 500 Internal Server Error"},
		{"blob", "localhost:5000/app@" + f.app.Digest.String(), f.app.Layers[0].Digest,
			registry.Error{Op: "blob", Repository: "localhost:5000/app", Reference: f.app.Layers[0].Digest.String(), Err: registry.ErrServerError},
			"registry: blob localhost:5000/app@" + f.app.Layers[0].Digest.String() + ": 500 Internal Server Error"},
		// A host nothing was pushed to: the fault, not "no such host".
		{"resolve", "localhost:5001/app:v1", "",
			registry.Error{Op: "resolve", Repository: "localhost:5001/app", Reference: "v1", Err: registry.ErrUnavailable},
			"registry: resolve localhost:5001/app:v1: registry unavailable"},
		{"blob", "localhost:5001/app:v1", f.app.Layers[0].Digest,
			registry.Error{Op: "blob", Repository: "localhost:5001/app", Reference: f.app.Layers[0].Digest.String(), Err: registry.ErrUnavailable},
			"registry: blob localhost:5001/app@" + f.app.Layers[0].Digest.String() + ": registry unavailable"},
		// A repository nothing was pushed to: the fault, not NAME_UNKNOWN.
		{"resolve", "busybox:1.36", "",
			registry.Error{Op: "resolve", Repository: "docker.io/library/busybox", Reference: "1.36", Err: registry.ErrTimeout},
			"registry: resolve docker.io/library/busybox:1.36: i/o timeout"},
		{"resolve", "registry.example.com:443/team/app:v1", "",
			registry.Error{Op: "resolve", Repository: "registry.example.com:443/team/app", Reference: "v1", Err: registry.ErrManifestUnknown},
			"registry: resolve registry.example.com:443/team/app:v1: manifest unknown"},
	}
	for i, tt := range tests {
		_, err := fetch(t, f.r, tt.op, tt.ref, tt.dgst)
		var re *registry.Error
		if !errors.As(err, &re) || *re != tt.want || err.Error() != tt.text {
			t.Errorf("step %d: %s(%q, %s) error = %#v, want %q (%+v)", i, tt.op, tt.ref, tt.dgst, err, tt.text, tt.want)
		}
	}
	// A fault that does not affect a request leaves the registry's own
	// errors: NotFound touches resolves only, so an unknown host is unknown.
	_, err := fetch(t, f.r, "manifest", "registry.example.com:443/team/app:v1", f.app.Digest)
	text := "registry: manifest registry.example.com:443/team/app@" + f.app.Digest.String() + ": lookup registry.example.com:443: no such host"
	if !errors.Is(err, registry.ErrHostUnknown) || err.Error() != text {
		t.Errorf("manifest(registry.example.com:443/team/app) under NotFound error = %v, want %q", err, text)
	}
}

// TestCorruptBlob: a corrupt blob keeps its descriptor but not its data,
// every blob of the scope is corrupted (the manifest served as a blob
// too), and the registry's own copy stays intact.
func TestCorruptBlob(t *testing.T) {
	f := newFaultFixture(t)
	if err := f.r.SetFault(registry.Fault{Scope: "localhost:5000/app", Kind: registry.FaultCorruptBlob}); err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, "localhost:5000/app:v1")
	if d, err := f.r.Resolve(ref, registry.Credential{}); err != nil || d != f.app.Descriptor {
		t.Errorf("Resolve under CorruptBlob = (%+v, %v), want (%+v, nil)", d, err, f.app.Descriptor)
	}
	m, err := f.r.FetchManifest(ref, f.app.Digest, registry.Credential{})
	if err != nil || !reflect.DeepEqual(m, f.app) || digest.FromBytes(m.Raw) != f.app.Digest {
		t.Errorf("FetchManifest under CorruptBlob = (%+v, %v), want the intact manifest %+v", m.Descriptor, err, f.app.Descriptor)
	}
	digests := []digest.Digest{f.app.Layers[0].Digest, f.app.Layers[1].Digest, f.app.Config.Digest, f.app.Digest}
	for i, d := range digests {
		b, err := f.r.FetchBlob(ref, d, registry.Credential{})
		if err != nil {
			t.Errorf("step %d: FetchBlob(%s) error = %v, want nil", i, d, err)
			continue
		}
		want := f.blobs[d]
		if d == f.app.Digest {
			want = registry.Blob{Descriptor: f.app.Descriptor, Data: f.app.Raw}
		}
		if b.Descriptor != want.Descriptor {
			t.Errorf("step %d: FetchBlob(%s) descriptor = %+v, want %+v", i, d, b.Descriptor, want.Descriptor)
		}
		corrupted := append([]byte("corrupted "), want.Data...)
		if string(b.Data) != string(corrupted) {
			t.Errorf("step %d: FetchBlob(%s) data = %q, want %q", i, d, b.Data, corrupted)
		}
		text := fmt.Sprintf("unexpected commit digest %s, expected %s: failed precondition", digest.FromBytes(corrupted), d)
		if err := b.Verify(); err == nil || err.Error() != text {
			t.Errorf("step %d: FetchBlob(%s).Verify() = %v, want %q", i, d, err, text)
		}
	}
	if !f.r.ClearFault("localhost:5000/app") {
		t.Fatal("ClearFault(localhost:5000/app) = false, want true")
	}
	for i, d := range digests {
		if b, err := f.r.FetchBlob(ref, d, registry.Credential{}); err != nil || b.Verify() != nil {
			t.Errorf("step %d: after ClearFault: FetchBlob(%s) = (verify %v, %v), want an intact blob", i, d, b.Verify(), err)
		}
	}
}

// TestFaultScopes: a host scope covers every repository of that host and
// nothing else; a repository scope covers that repository under any
// spelling of its name.
func TestFaultScopes(t *testing.T) {
	refs := []string{
		"nginx:1.28",
		"docker.io/library/nginx:1.28",
		"busybox:1.36",
		"localhost:5000/app:v1",
		"localhost:5000/other:v1",
		"localhost/app:v1",
		"registry.example.com:443/team/app:v1",
		"registry.example.com/team/app:v1",
	}
	tests := []struct {
		scope string   // the fault's scope
		key   string   // the scope Faults() reports
		fail  []string // the refs whose Resolve fails with ErrUnavailable; the rest succeed
	}{
		{"docker.io", "docker.io", []string{"nginx:1.28", "docker.io/library/nginx:1.28", "busybox:1.36"}},
		{"localhost:5000", "localhost:5000", []string{"localhost:5000/app:v1", "localhost:5000/other:v1"}},
		{"localhost", "localhost", []string{"localhost/app:v1"}},
		{"registry.example.com:443", "registry.example.com:443", []string{"registry.example.com:443/team/app:v1"}},
		{"registry.example.com", "registry.example.com", []string{"registry.example.com/team/app:v1"}},
		{"nginx", "docker.io/library/nginx", []string{"nginx:1.28", "docker.io/library/nginx:1.28"}},
		{"library/nginx", "docker.io/library/nginx", []string{"nginx:1.28", "docker.io/library/nginx:1.28"}},
		{"docker.io/library/nginx", "docker.io/library/nginx", []string{"nginx:1.28", "docker.io/library/nginx:1.28"}},
		{"localhost:5000/app", "localhost:5000/app", []string{"localhost:5000/app:v1"}},
		{"localhost/app", "localhost/app", []string{"localhost/app:v1"}},
		{"registry.example.com:443/team/app", "registry.example.com:443/team/app", []string{"registry.example.com:443/team/app:v1"}},
		{"docker.io/library/redis", "docker.io/library/redis", nil}, // a repository nothing was pushed to
		{"localhost:5002", "localhost:5002", nil},                   // a host nothing was pushed to
	}
	for i, tt := range tests {
		r := registry.New()
		for j, ref := range refs {
			r.MustPush(ref, build(fmt.Sprintf("build %d", j)))
		}
		if err := r.SetFault(registry.Fault{Scope: tt.scope, Kind: registry.FaultUnavailable}); err != nil {
			t.Fatalf("step %d: SetFault(%q) = %v", i, tt.scope, err)
		}
		if got, want := r.Faults(), []registry.Fault{{Scope: tt.key, Kind: registry.FaultUnavailable}}; !slices.Equal(got, want) {
			t.Errorf("step %d: SetFault(%q): Faults() = %v, want %v", i, tt.scope, got, want)
		}
		for _, ref := range refs {
			_, err := r.Resolve(mustRef(t, ref), registry.Credential{})
			if want := slices.Contains(tt.fail, ref); want != errors.Is(err, registry.ErrUnavailable) || (!want && err != nil) {
				t.Errorf("step %d: fault on %q: Resolve(%q) error = %v, want failure %v", i, tt.scope, ref, err, want)
			}
		}
	}
}

// TestRepositoryFaultWinsOverHost: a repository's fault decides every
// request for that repository, even the requests its kind does not affect;
// the host's fault decides the rest of the host.
func TestRepositoryFaultWinsOverHost(t *testing.T) {
	f := newFaultFixture(t)
	set := func(fl registry.Fault) {
		t.Helper()
		if err := f.r.SetFault(fl); err != nil {
			t.Fatalf("SetFault(%+v) = %v", fl, err)
		}
	}
	set(registry.Fault{Scope: "localhost:5000", Kind: registry.FaultUnauthorized})
	set(registry.Fault{Scope: "localhost:5000/app", Kind: registry.FaultServerError})
	tests := []struct {
		op   string        // "resolve", "manifest", "blob", or "clear" (ClearFault(ref))
		ref  string        // the reference, or the scope for "clear"
		dgst digest.Digest // manifest or blob digest
		err  error         // the sentinel wanted; nil: success
	}{
		{"resolve", "localhost:5000/app:v1", "", registry.ErrServerError},
		{"blob", "localhost:5000/app:v1", f.app.Layers[0].Digest, registry.ErrServerError},
		{"resolve", "localhost:5000/other:v1", "", registry.ErrUnauthorized},
		{"manifest", "localhost:5000/other:v1", f.other.Digest, registry.ErrUnauthorized},
		// The repository's NotFound replaces its ServerError: resolves fail,
		// manifests and blobs go through, the host's 401 notwithstanding.
		{"set NotFound", "localhost:5000/app", "", nil},
		{"resolve", "localhost:5000/app:v1", "", registry.ErrManifestUnknown},
		{"manifest", "localhost:5000/app:v1", f.app.Digest, nil},
		{"blob", "localhost:5000/app:v1", f.app.Layers[0].Digest, nil},
		{"resolve", "localhost:5000/other:v1", "", registry.ErrUnauthorized},
		// Without the repository's fault, the host's applies.
		{"clear", "localhost:5000/app", "", nil},
		{"resolve", "localhost:5000/app:v1", "", registry.ErrUnauthorized},
		{"manifest", "localhost:5000/app:v1", f.app.Digest, registry.ErrUnauthorized},
		{"clear", "localhost:5000", "", nil},
		{"resolve", "localhost:5000/app:v1", "", nil},
		{"resolve", "localhost:5000/other:v1", "", nil},
	}
	for i, tt := range tests {
		var err error
		switch tt.op {
		case "set NotFound":
			set(registry.Fault{Scope: tt.ref, Kind: registry.FaultNotFound})
		case "clear":
			if !f.r.ClearFault(tt.ref) {
				t.Errorf("step %d: ClearFault(%q) = false, want true", i, tt.ref)
			}
		default:
			_, err = fetch(t, f.r, tt.op, tt.ref, tt.dgst)
		}
		if (tt.err == nil && err != nil) || !errors.Is(err, tt.err) {
			t.Errorf("step %d: %s(%q, %s) error = %v, want %v", i, tt.op, tt.ref, tt.dgst, err, tt.err)
		}
	}
}

func TestSetFaultErrors(t *testing.T) {
	f := newFaultFixture(t)
	kept := registry.Fault{Scope: "localhost:5000", Kind: registry.FaultTimeout, Requests: 2}
	if err := f.r.SetFault(kept); err != nil {
		t.Fatal(err)
	}
	const notBare = "name a host or a repository, without tag or digest"
	tests := []struct {
		fault registry.Fault // the fault set
		want  string         // the error text
	}{
		{registry.Fault{Scope: "", Kind: registry.FaultUnavailable},
			"registry: fault scope is empty; name a host or a repository"},
		{registry.Fault{Scope: "nginx:1.28", Kind: registry.FaultUnavailable},
			`registry: fault scope "nginx:1.28": ` + notBare},
		{registry.Fault{Scope: "nginx:latest", Kind: registry.FaultUnavailable},
			`registry: fault scope "nginx:latest": ` + notBare},
		{registry.Fault{Scope: "nginx@sha256:" + hex64, Kind: registry.FaultUnavailable},
			`registry: fault scope "nginx@sha256:` + hex64 + `": ` + notBare},
		{registry.Fault{Scope: "nginx:1.28@sha256:" + hex64, Kind: registry.FaultUnavailable},
			`registry: fault scope "nginx:1.28@sha256:` + hex64 + `": ` + notBare},
		{registry.Fault{Scope: "localhost:5000/app:v1", Kind: registry.FaultUnavailable},
			`registry: fault scope "localhost:5000/app:v1": ` + notBare},
		{registry.Fault{Scope: "NGINX", Kind: registry.FaultUnavailable},
			`registry: fault scope "NGINX": couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase`},
		{registry.Fault{Scope: "nginx", Kind: 0},
			`registry: set fault on "nginx": unknown fault kind 0`},
		{registry.Fault{Scope: "nginx", Kind: 10},
			`registry: set fault on "nginx": unknown fault kind 10`},
		{registry.Fault{Scope: "nginx", Kind: registry.FaultMessage},
			`registry: set fault on "nginx": a Message fault needs the runtime error text in Message`},
		{registry.Fault{Scope: "nginx", Kind: registry.FaultUnavailable, Message: "x"},
			`registry: set fault on "nginx": Message is only for Message faults, not Unavailable`},
		{registry.Fault{Scope: "nginx", Kind: registry.FaultUnavailable, Op: "pull"},
			`registry: set fault on "nginx": unknown op "pull"; want "resolve", "manifest" or "blob"`},
		{registry.Fault{Scope: "nginx", Kind: registry.FaultCorruptBlob, Op: registry.OpResolve},
			`registry: set fault on "nginx": a CorruptBlob fault corrupts blobs; it cannot be limited to "resolve" requests`},
		{registry.Fault{Scope: "docker.io", Kind: -1},
			`registry: set fault on "docker.io": unknown fault kind -1`},
		{registry.Fault{Scope: "nginx", Kind: registry.FaultUnavailable, Requests: -1},
			`registry: set fault on "nginx": negative request count -1`},
		// The kind is checked first, then the count, then the scope.
		{registry.Fault{Scope: "", Kind: 0, Requests: -1},
			`registry: set fault on "": unknown fault kind 0`},
		{registry.Fault{Scope: "NGINX", Kind: registry.FaultUnavailable, Requests: -3},
			`registry: set fault on "NGINX": negative request count -3`},
		// A failed SetFault does not replace the fault of its scope.
		{registry.Fault{Scope: "localhost:5000", Kind: registry.FaultCorruptBlob, Requests: -1},
			`registry: set fault on "localhost:5000": negative request count -1`},
	}
	for i, tt := range tests {
		if err := f.r.SetFault(tt.fault); err == nil || err.Error() != tt.want {
			t.Errorf("step %d: SetFault(%+v) = %v, want %q", i, tt.fault, err, tt.want)
		}
		if got := f.r.Faults(); !slices.Equal(got, []registry.Fault{kept}) {
			t.Errorf("step %d: after SetFault(%+v): Faults() = %v, want %v", i, tt.fault, got, []registry.Fault{kept})
		}
	}
	// Nothing was switched on: nginx answers.
	if _, err := f.r.Resolve(mustRef(t, "nginx:1.28"), registry.Credential{}); err != nil {
		t.Errorf("Resolve(nginx:1.28) after failed SetFaults error = %v, want nil", err)
	}
}

func TestClearFault(t *testing.T) {
	f := newFaultFixture(t)
	for _, fl := range []registry.Fault{
		{Scope: "nginx", Kind: registry.FaultUnavailable},
		{Scope: "localhost:5000", Kind: registry.FaultTimeout, Requests: 3},
		{Scope: "localhost:5000/app", Kind: registry.FaultCorruptBlob},
	} {
		if err := f.r.SetFault(fl); err != nil {
			t.Fatalf("SetFault(%+v) = %v", fl, err)
		}
	}
	tests := []struct {
		scope  string   // the scope cleared
		want   bool     // ClearFault's result
		scopes []string // the scopes Faults() lists afterwards
	}{
		{"", false, []string{"docker.io/library/nginx", "localhost:5000", "localhost:5000/app"}},
		{"NGINX", false, []string{"docker.io/library/nginx", "localhost:5000", "localhost:5000/app"}},
		{"nginx:1.28", false, []string{"docker.io/library/nginx", "localhost:5000", "localhost:5000/app"}}, // a tag is not a scope
		{"docker.io", false, []string{"docker.io/library/nginx", "localhost:5000", "localhost:5000/app"}},  // the host has no fault of its own
		{"localhost:5000/other", false, []string{"docker.io/library/nginx", "localhost:5000", "localhost:5000/app"}},
		{"docker.io/library/nginx", true, []string{"localhost:5000", "localhost:5000/app"}}, // the same scope as "nginx"
		{"nginx", false, []string{"localhost:5000", "localhost:5000/app"}},
		{"localhost:5000", true, []string{"localhost:5000/app"}}, // the host's fault only
		{"localhost:5000", false, []string{"localhost:5000/app"}},
		{"localhost:5000/app", true, []string{}},
		{"localhost:5000/app", false, []string{}},
	}
	for i, tt := range tests {
		if got := f.r.ClearFault(tt.scope); got != tt.want {
			t.Errorf("step %d: ClearFault(%q) = %v, want %v", i, tt.scope, got, tt.want)
		}
		var scopes []string
		for _, fl := range f.r.Faults() {
			scopes = append(scopes, fl.Scope)
		}
		if !slices.Equal(scopes, tt.scopes) {
			t.Errorf("step %d: after ClearFault(%q): Faults() scopes = %q, want %q", i, tt.scope, scopes, tt.scopes)
		}
	}
	if _, err := fetch(t, f.r, "resolve", "nginx:1.28", ""); err != nil {
		t.Errorf("Resolve(nginx:1.28) after ClearFault error = %v, want nil", err)
	}
}

// TestFaults: Faults lists every fault by normalised scope, sorted, with
// the requests left; SetFault replaces a fault of the same scope whatever
// its spelling; the list is the caller's own.
func TestFaults(t *testing.T) {
	r := registry.New()
	if got := r.Faults(); got == nil || len(got) != 0 {
		t.Errorf("Faults() of a new registry = %#v, want an empty slice", got)
	}
	for _, fl := range []registry.Fault{
		{Scope: "registry.example.com:443", Kind: registry.FaultSignature},
		{Scope: "localhost:5000/app", Kind: registry.FaultCorruptBlob, Requests: 2},
		{Scope: "localhost", Kind: registry.FaultServerError},
		{Scope: "nginx", Kind: registry.FaultNotFound, Requests: 7},
		{Scope: "localhost:5000", Kind: registry.FaultTimeout},
		{Scope: "docker.io", Kind: registry.FaultUnauthorized, Requests: 1},
		{Scope: "localhost/app", Kind: registry.FaultUnavailable},
		// Replaces the "nginx" fault: same repository.
		{Scope: "docker.io/library/nginx", Kind: registry.FaultTooManyRequests, Requests: 4},
	} {
		if err := r.SetFault(fl); err != nil {
			t.Fatalf("SetFault(%+v) = %v", fl, err)
		}
	}
	want := []registry.Fault{
		{Scope: "docker.io", Kind: registry.FaultUnauthorized, Requests: 1},
		{Scope: "docker.io/library/nginx", Kind: registry.FaultTooManyRequests, Requests: 4},
		{Scope: "localhost", Kind: registry.FaultServerError},
		{Scope: "localhost/app", Kind: registry.FaultUnavailable},
		{Scope: "localhost:5000", Kind: registry.FaultTimeout},
		{Scope: "localhost:5000/app", Kind: registry.FaultCorruptBlob, Requests: 2},
		{Scope: "registry.example.com:443", Kind: registry.FaultSignature},
	}
	got := r.Faults()
	if !slices.Equal(got, want) {
		t.Errorf("Faults() = %v, want %v", got, want)
	}
	got[0].Kind, got[1].Requests = registry.FaultCorruptBlob, 100
	if again := r.Faults(); !slices.Equal(again, want) {
		t.Errorf("Faults() after changing a returned copy = %v, want %v", again, want)
	}
	// Replacing an uncounted fault with a counted one, and back.
	if err := r.SetFault(registry.Fault{Scope: "localhost", Kind: registry.FaultServerError, Requests: 3}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetFault(registry.Fault{Scope: "docker.io/library/nginx", Kind: registry.FaultTooManyRequests}); err != nil {
		t.Fatal(err)
	}
	want[1].Requests, want[2].Requests = 0, 3
	if got := r.Faults(); !slices.Equal(got, want) {
		t.Errorf("Faults() after replacing = %v, want %v", got, want)
	}
}

// TestCountedFaults plays counted faults: Requests: N fails the next N
// requests the fault affects, then the fault is gone; requests it does not
// affect (another op, another repository or host, a repository with a
// fault of its own) do not use up the count.
func TestCountedFaults(t *testing.T) {
	f := newFaultFixture(t)
	nginxLayer, appLayer, appConfig := f.nginx.Layers[0].Digest, f.app.Layers[1].Digest, f.app.Config.Digest
	type step struct {
		op      string           // "set" (SetFault(fault)), "clear" (ClearFault(ref)), "resolve", "manifest" or "blob"
		ref     string           // the reference requested, or the scope cleared
		dgst    digest.Digest    // manifest or blob digest
		fault   registry.Fault   // the fault "set" switches on
		err     error            // the sentinel the request fails with; nil: it succeeds
		corrupt bool             // for a blob served: whether it fails Verify
		faults  []registry.Fault // Faults() after the step
	}
	F := func(scope string, kind registry.FaultKind, n int) registry.Fault {
		return registry.Fault{Scope: scope, Kind: kind, Requests: n}
	}
	steps := []step{
		// A host's counted 429: every kind of request on the host counts, other hosts do not.
		{op: "set", fault: F("docker.io", registry.FaultUnauthorized, 3),
			faults: []registry.Fault{F("docker.io", registry.FaultUnauthorized, 3)}},
		{op: "resolve", ref: "nginx:1.28", err: registry.ErrUnauthorized,
			faults: []registry.Fault{F("docker.io", registry.FaultUnauthorized, 2)}},
		{op: "resolve", ref: "localhost:5000/app:v1",
			faults: []registry.Fault{F("docker.io", registry.FaultUnauthorized, 2)}},
		{op: "manifest", ref: "docker.io/library/nginx:1.28", dgst: f.nginx.Digest, err: registry.ErrUnauthorized,
			faults: []registry.Fault{F("docker.io", registry.FaultUnauthorized, 1)}},
		{op: "blob", ref: "busybox", dgst: nginxLayer, err: registry.ErrUnauthorized, // any repository of the host
			faults: []registry.Fault{}},
		{op: "resolve", ref: "nginx:1.28", faults: []registry.Fault{}},
		{op: "blob", ref: "nginx:1.28", dgst: nginxLayer, faults: []registry.Fault{}},

		// A repository's counted NotFound: only its resolves count.
		{op: "set", fault: F("nginx", registry.FaultNotFound, 2),
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 2)}},
		{op: "manifest", ref: "nginx:1.28", dgst: f.nginx.Digest,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 2)}},
		{op: "blob", ref: "nginx:1.28", dgst: nginxLayer,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 2)}},
		{op: "resolve", ref: "busybox:1.36", err: registry.ErrNameUnknown, // another repository
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 2)}},
		{op: "resolve", ref: "nginx:1.28", err: registry.ErrManifestUnknown,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 1)}},
		{op: "manifest", ref: "nginx:1.28", dgst: f.nginx.Digest,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultNotFound, 1)}},
		{op: "resolve", ref: "nginx@" + f.nginx.Digest.String(), err: registry.ErrManifestUnknown,
			faults: []registry.Fault{}},
		{op: "resolve", ref: "nginx:1.28", faults: []registry.Fault{}},

		// A host's counted CorruptBlob: only blobs count, each served corrupt.
		{op: "set", fault: F("localhost:5000", registry.FaultCorruptBlob, 2),
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 2)}},
		{op: "resolve", ref: "localhost:5000/app:v1",
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 2)}},
		{op: "manifest", ref: "localhost:5000/app:v1", dgst: f.app.Digest,
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 2)}},
		{op: "blob", ref: "nginx:1.28", dgst: nginxLayer, // another host
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 2)}},
		{op: "blob", ref: "localhost:5000/app:v1", dgst: appLayer, corrupt: true,
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 1)}},
		{op: "resolve", ref: "localhost:5000/app:v1",
			faults: []registry.Fault{F("localhost:5000", registry.FaultCorruptBlob, 1)}},
		{op: "blob", ref: "localhost:5000/app:v1", dgst: appConfig, corrupt: true,
			faults: []registry.Fault{}},
		{op: "blob", ref: "localhost:5000/app:v1", dgst: appLayer, faults: []registry.Fault{}},

		// A repository's counted fault shadows its host's: the repository's
		// requests never use up the host's count.
		{op: "set", fault: F("localhost:5000", registry.FaultUnavailable, 1),
			faults: []registry.Fault{F("localhost:5000", registry.FaultUnavailable, 1)}},
		{op: "set", fault: F("localhost:5000/app", registry.FaultSignature, 1),
			faults: []registry.Fault{F("localhost:5000", registry.FaultUnavailable, 1), F("localhost:5000/app", registry.FaultSignature, 1)}},
		{op: "manifest", ref: "localhost:5000/app:v1", dgst: f.app.Digest,
			faults: []registry.Fault{F("localhost:5000", registry.FaultUnavailable, 1), F("localhost:5000/app", registry.FaultSignature, 1)}},
		{op: "resolve", ref: "localhost:5000/app:v1", err: registry.ErrSignatureInvalid,
			faults: []registry.Fault{F("localhost:5000", registry.FaultUnavailable, 1)}},
		{op: "resolve", ref: "localhost:5000/other:v1", err: registry.ErrUnavailable,
			faults: []registry.Fault{}},
		{op: "resolve", ref: "localhost:5000/app:v1", faults: []registry.Fault{}},
		{op: "resolve", ref: "localhost:5000/other:v1", faults: []registry.Fault{}},

		// Setting a fault again restarts its count; Requests: 0 lasts until cleared.
		{op: "set", fault: F("nginx", registry.FaultServerError, 2),
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 2)}},
		{op: "resolve", ref: "nginx:1.28", err: registry.ErrServerError,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 1)}},
		{op: "set", fault: F("docker.io/library/nginx", registry.FaultServerError, 2),
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 2)}},
		{op: "resolve", ref: "nginx:1.28", err: registry.ErrServerError,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 1)}},
		{op: "set", fault: F("nginx", registry.FaultServerError, 0),
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 0)}},
		{op: "resolve", ref: "nginx:1.28", err: registry.ErrServerError,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 0)}},
		{op: "manifest", ref: "nginx:1.28", dgst: f.nginx.Digest, err: registry.ErrServerError,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 0)}},
		{op: "blob", ref: "nginx:1.28", dgst: nginxLayer, err: registry.ErrServerError,
			faults: []registry.Fault{F("docker.io/library/nginx", registry.FaultServerError, 0)}},
		{op: "clear", ref: "nginx", faults: []registry.Fault{}},
		{op: "resolve", ref: "nginx:1.28", faults: []registry.Fault{}},
	}
	for i, s := range steps {
		var (
			b   registry.Blob
			err error
		)
		switch s.op {
		case "set":
			err = f.r.SetFault(s.fault)
		case "clear":
			if !f.r.ClearFault(s.ref) {
				t.Errorf("step %d: ClearFault(%q) = false, want true", i, s.ref)
			}
		default:
			b, err = fetch(t, f.r, s.op, s.ref, s.dgst)
		}
		if (s.err == nil && err != nil) || !errors.Is(err, s.err) {
			t.Errorf("step %d: %s(%q, %s %+v) error = %v, want %v", i, s.op, s.ref, s.dgst, s.fault, err, s.err)
		}
		if s.op == "blob" && err == nil {
			if got := b.Verify() != nil; got != s.corrupt {
				t.Errorf("step %d: blob(%q, %s).Verify() = %v, want failure %v", i, s.ref, s.dgst, b.Verify(), s.corrupt)
			}
		}
		if got := f.r.Faults(); !slices.Equal(got, s.faults) {
			t.Errorf("step %d: after %s(%q, %s %+v): Faults() = %v, want %v", i, s.op, s.ref, s.dgst, s.fault, got, s.faults)
		}
	}
}

// TestCountedCorruptBlobCountsServedBlobs: a corrupt-blob fault "for one
// request corrupts the next blob" (faultFor's contract): a blob request
// the registry cannot serve anyway (unknown blob, unknown repository) is
// not affected by the fault and must not use up its count.
func TestCountedCorruptBlobCountsServedBlobs(t *testing.T) {
	f := newFaultFixture(t)
	fault := registry.Fault{Scope: "localhost:5000", Kind: registry.FaultCorruptBlob, Requests: 1}
	missing := digest.FromString("missing")
	tests := []struct {
		ref  string        // the reference of the blob request
		dgst digest.Digest // the blob, which the registry cannot serve
		err  error         // the registry's own error
	}{
		{"localhost:5000/app:v1", missing, registry.ErrBlobUnknown},
		{"localhost:5000/app:v1", f.other.Layers[1].Digest, registry.ErrBlobUnknown}, // another repository's blob
		{"localhost:5000/nope:v1", f.app.Layers[1].Digest, registry.ErrNameUnknown},
	}
	for i, tt := range tests {
		if err := f.r.SetFault(fault); err != nil {
			t.Fatal(err)
		}
		if _, err := fetch(t, f.r, "blob", tt.ref, tt.dgst); !errors.Is(err, tt.err) {
			t.Errorf("step %d: blob(%q, %s) error = %v, want %v", i, tt.ref, tt.dgst, err, tt.err)
		}
		if got := f.r.Faults(); !slices.Equal(got, []registry.Fault{fault}) {
			t.Errorf("step %d: after blob(%q, %s) failed with %q: Faults() = %v, want %v (no blob was served, so none was corrupted)", i, tt.ref, tt.dgst, tt.err, got, []registry.Fault{fault})
		}
		b, err := fetch(t, f.r, "blob", "localhost:5000/app:v1", f.app.Layers[1].Digest)
		if err != nil || b.Verify() == nil {
			t.Errorf("step %d: first blob served after blob(%q, %s) failed: (Verify() = %v, error %v), want a corrupt blob", i, tt.ref, tt.dgst, b.Verify(), err)
		}
		if got := f.r.Faults(); len(got) != 0 {
			t.Errorf("step %d: Faults() after the first blob served = %v, want none", i, got)
		}
	}
}

// TestFaultCounters: failed requests count like any other; a corrupt blob
// is served, so its bytes count; a failed blob's bytes do not.
func TestFaultCounters(t *testing.T) {
	f := newFaultFixture(t)
	layer := f.nginx.Layers[0] // 28_000_000 bytes
	type step struct {
		fault registry.FaultKind // the fault on "docker.io" for the step; 0: none
		op    string             // "resolve", "manifest" or "blob"
		ref   string             // the reference
		dgst  digest.Digest      // manifest or blob digest
		ok    bool               // whether the request succeeds
		total registry.Counters  // r.Counters() after the step
		nginx registry.Counters  // r.CountersFor("nginx") after the step
	}
	steps := []step{
		{registry.FaultUnavailable, "resolve", "nginx:1.28", "", false,
			registry.Counters{Resolves: 1}, registry.Counters{Resolves: 1}},
		{registry.FaultUnavailable, "manifest", "nginx:1.28", f.nginx.Digest, false,
			registry.Counters{Resolves: 1, Manifests: 1}, registry.Counters{Resolves: 1, Manifests: 1}},
		{registry.FaultUnavailable, "blob", "nginx:1.28", layer.Digest, false,
			registry.Counters{Resolves: 1, Manifests: 1, Blobs: 1}, registry.Counters{Resolves: 1, Manifests: 1, Blobs: 1}},
		{registry.FaultTimeout, "blob", "nginx:1.28", layer.Digest, false,
			registry.Counters{Resolves: 1, Manifests: 1, Blobs: 2}, registry.Counters{Resolves: 1, Manifests: 1, Blobs: 2}},
		// A repository nothing was pushed to counts in the total only.
		{registry.FaultTooManyRequests, "resolve", "busybox:1.36", "", false,
			registry.Counters{Resolves: 2, Manifests: 1, Blobs: 2}, registry.Counters{Resolves: 1, Manifests: 1, Blobs: 2}},
		{registry.FaultSignature, "resolve", "nginx:1.28", "", false,
			registry.Counters{Resolves: 3, Manifests: 1, Blobs: 2}, registry.Counters{Resolves: 2, Manifests: 1, Blobs: 2}},
		{registry.FaultNotFound, "resolve", "nginx:1.28", "", false,
			registry.Counters{Resolves: 4, Manifests: 1, Blobs: 2}, registry.Counters{Resolves: 3, Manifests: 1, Blobs: 2}},
		// A corrupt blob is served: its claimed size counts.
		{registry.FaultCorruptBlob, "blob", "nginx:1.28", layer.Digest, true,
			registry.Counters{Resolves: 4, Manifests: 1, Blobs: 3, BlobBytes: 28_000_000}, registry.Counters{Resolves: 3, Manifests: 1, Blobs: 3, BlobBytes: 28_000_000}},
		{0, "blob", "nginx:1.28", layer.Digest, true,
			registry.Counters{Resolves: 4, Manifests: 1, Blobs: 4, BlobBytes: 56_000_000}, registry.Counters{Resolves: 3, Manifests: 1, Blobs: 4, BlobBytes: 56_000_000}},
		{registry.FaultServerError, "blob", "nginx:1.28", layer.Digest, false,
			registry.Counters{Resolves: 4, Manifests: 1, Blobs: 5, BlobBytes: 56_000_000}, registry.Counters{Resolves: 3, Manifests: 1, Blobs: 5, BlobBytes: 56_000_000}},
	}
	for i, s := range steps {
		f.r.ClearFault("docker.io")
		if s.fault != 0 {
			if err := f.r.SetFault(registry.Fault{Scope: "docker.io", Kind: s.fault}); err != nil {
				t.Fatalf("step %d: SetFault(docker.io, %v) = %v", i, s.fault, err)
			}
		}
		_, err := fetch(t, f.r, s.op, s.ref, s.dgst)
		if (err == nil) != s.ok {
			t.Errorf("step %d: %s(%q, %s) under %v error = %v, want success %v", i, s.op, s.ref, s.dgst, s.fault, err, s.ok)
		}
		if got := f.r.Counters(); got != s.total {
			t.Errorf("step %d: after %s(%q) under %v: Counters() = %+v, want %+v", i, s.op, s.ref, s.fault, got, s.total)
		}
		if got := f.r.CountersFor("nginx"); got != s.nginx {
			t.Errorf("step %d: after %s(%q) under %v: CountersFor(nginx) = %+v, want %+v", i, s.op, s.ref, s.fault, got, s.nginx)
		}
	}
}

// TestConcurrentFaults, under -race: a counted fault fails exactly its
// count of requests however many goroutines ask, and faults switched on
// and off while others resolve give only the fault's error or success.
func TestConcurrentFaults(t *testing.T) {
	const workers, rounds, count = 8, 50, 100
	f := newFaultFixture(t)
	if err := f.r.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultUnauthorized, Requests: count}); err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, "nginx:1.28")
	var failed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for range workers {
		wg.Go(func() {
			for range rounds {
				_, err := f.r.Resolve(ref, registry.Credential{})
				switch {
				case errors.Is(err, registry.ErrUnauthorized):
					failed.Add(1)
				case err != nil:
					errs <- err
				}
				_ = f.r.Faults()
			}
		})
	}
	wg.Wait()
	if got := failed.Load(); got != count {
		t.Errorf("%d workers × %d resolves under a fault for %d requests: %d failed, want %d", workers, rounds, count, got, count)
	}
	if got := f.r.Faults(); len(got) != 0 {
		t.Errorf("Faults() after the count ran out = %v, want none", got)
	}
	if got, want := f.r.Counters(), (registry.Counters{Resolves: workers * rounds}); got != want {
		t.Errorf("Counters() = %+v, want %+v", got, want)
	}

	// Switching faults on and off while other goroutines resolve.
	app := mustRef(t, "localhost:5000/app:v1")
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if w%2 == 0 {
					if err := f.r.SetFault(registry.Fault{Scope: "localhost:5000/app", Kind: registry.FaultUnavailable, Requests: i % 3}); err != nil {
						errs <- err
					}
					if err := f.r.SetFault(registry.Fault{Scope: "localhost:5000", Kind: registry.FaultUnavailable}); err != nil {
						errs <- err
					}
					f.r.ClearFault("localhost:5000")
					f.r.ClearFault("localhost:5000/app")
					continue
				}
				if _, err := f.r.Resolve(app, registry.Credential{}); err != nil && !errors.Is(err, registry.ErrUnavailable) {
					errs <- err
				}
				if _, err := f.r.FetchBlob(app, f.app.Layers[0].Digest, registry.Credential{}); err != nil && !errors.Is(err, registry.ErrUnavailable) {
					errs <- err
				}
				_ = f.r.Faults()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := f.r.Faults(); len(got) != 0 {
		t.Errorf("Faults() after every fault was cleared = %v, want none", got)
	}
}

// TestFaultOpAndMessage: a fault limited to one op lets the other requests
// of a pull through, and a Message fault returns its text exactly.
func TestFaultOpAndMessage(t *testing.T) {
	f := newFaultFixture(t)
	layer := f.nginx.Layers[0].Digest
	tests := []struct {
		fault registry.Fault
		op    string // request made after the fault is set
		dgst  digest.Digest
		want  string // "" for success; else the error's text
	}{
		// Unavailable on blobs only: the resolve and manifest work.
		0: {registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable, Op: registry.OpBlob}, "resolve", "", ""},
		1: {registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable, Op: registry.OpBlob}, "manifest", f.nginx.Digest, ""},
		2: {registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable, Op: registry.OpBlob}, "blob", layer,
			"registry: blob docker.io/library/nginx@" + layer.String() + ": registry unavailable"},
		// NotFound limited to blobs answers BLOB_UNKNOWN.
		3: {registry.Fault{Scope: "nginx", Kind: registry.FaultNotFound, Op: registry.OpBlob}, "blob", layer,
			"registry: blob docker.io/library/nginx@" + layer.String() + ": blob unknown to registry"},
		4: {registry.Fault{Scope: "nginx", Kind: registry.FaultNotFound, Op: registry.OpBlob}, "resolve", "", ""},
		// A Message fault fails every request with its text.
		5: {registry.Fault{Scope: "nginx", Kind: registry.FaultMessage, Message: "RegistryUnavailable"}, "resolve", "",
			"registry: resolve docker.io/library/nginx:1.28: RegistryUnavailable"},
		6: {registry.Fault{Scope: "nginx", Kind: registry.FaultMessage, Message: "x: y", Op: registry.OpManifest}, "resolve", "", ""},
		7: {registry.Fault{Scope: "nginx", Kind: registry.FaultMessage, Message: "x: y", Op: registry.OpManifest}, "manifest", f.nginx.Digest,
			"registry: manifest docker.io/library/nginx@" + f.nginx.Digest.String() + ": x: y"},
	}
	for i, tt := range tests {
		f.r.ClearFault("docker.io")
		f.r.ClearFault("nginx")
		if err := f.r.SetFault(tt.fault); err != nil {
			t.Fatalf("step %d: SetFault: %v", i, err)
		}
		_, err := fetch(t, f.r, tt.op, "nginx:1.28", tt.dgst)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("step %d: %s = %q, want %q", i, tt.op, got, tt.want)
		}
		var me *registry.MessageError
		if isMsg := errors.As(err, &me); isMsg != (tt.fault.Kind == registry.FaultMessage && tt.want != "") {
			t.Errorf("step %d: errors.As(err, *MessageError) = %v", i, isMsg)
		} else if isMsg && me.Text != tt.fault.Message {
			t.Errorf("step %d: MessageError.Text = %q, want %q", i, me.Text, tt.fault.Message)
		}
	}
	if got := f.r.Faults(); len(got) != 1 || got[0].Message != "x: y" || got[0].Op != registry.OpManifest {
		t.Errorf("Faults() = %+v, want the message fault with its op and text", got)
	}
}

// TestRequestFault: the requests that are no pull's (a ping, a push, a
// tag list, ...) meet the faults that fail every request, of the host or
// of the repository, and use up counted ones; the faults of a pull's own
// requests and those limited to an Op leave them alone.
func TestRequestFault(t *testing.T) {
	for i, tc := range []struct {
		fault registry.Fault
		scope string // of the request
		want  error  // nil: it passes
	}{
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable}, "docker.io", registry.ErrUnavailable},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable}, "docker.io/team/app", registry.ErrUnavailable},
		{registry.Fault{Scope: "team/app", Kind: registry.FaultServerError}, "docker.io/team/app", registry.ErrServerError},
		{registry.Fault{Scope: "team/app", Kind: registry.FaultServerError}, "docker.io/team/other", nil},
		{registry.Fault{Scope: "team/app", Kind: registry.FaultServerError}, "docker.io", nil},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultUnauthorized}, "docker.io/team/app", registry.ErrUnauthorized},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultTimeout}, "docker.io", registry.ErrTimeout},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultTooManyRequests}, "docker.io/team/app", nil},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultNotFound}, "docker.io/team/app", nil},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultSignature}, "docker.io/team/app", nil},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultCorruptBlob}, "docker.io/team/app", nil},
		{registry.Fault{Scope: "docker.io", Kind: registry.FaultUnavailable, Op: registry.OpBlob}, "docker.io/team/app", nil},
		{registry.Fault{Scope: "localhost:5000", Kind: registry.FaultUnavailable}, "docker.io/team/app", nil},
	} {
		r := registry.New()
		if err := r.SetFault(tc.fault); err != nil {
			t.Fatalf("case %d: SetFault(%+v) = %v", i, tc.fault, err)
		}
		if err := r.RequestFault(tc.scope); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("case %d: %v on %q: RequestFault(%q) = %v, want %v", i, tc.fault.Kind, tc.fault.Scope, tc.scope, err, tc.want)
		}
	}
	// A counted fault is used up by these requests too.
	r := registry.New()
	if err := r.SetFault(registry.Fault{Scope: "docker.io", Kind: registry.FaultServerError, Requests: 2}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{registry.ErrServerError, registry.ErrServerError, nil} {
		if err := r.RequestFault("docker.io"); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("request %d of a 2-request fault: %v, want %v", i, err, want)
		}
	}
	if err := r.RequestFault("not a scope!"); err == nil {
		t.Error(`RequestFault("not a scope!") = nil, want an error`)
	}
}

// TestAcceptsCredential: a host's accounts are the credentials its private
// repositories accept.
func TestAcceptsCredential(t *testing.T) {
	r := registry.New()
	alice, bob := registry.Credential{Username: "alice", Password: "s3cret"}, registry.Credential{Username: "bob", Password: "hunter2"}
	r.MustPush("registry.example.com/team/app:1", registry.Image{Config: "app"})
	r.MustPush("registry.example.com/team/web:1", registry.Image{Config: "web"})
	r.MustPush("quay.io/org/app:1", registry.Image{Config: "quay"})
	if err := r.SetPrivate("registry.example.com/team/app", alice); err != nil {
		t.Fatal(err)
	}
	if err := r.SetPrivate("quay.io/org/app", bob); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		host string
		cred registry.Credential
		want bool
	}{
		{"registry.example.com", alice, true},
		{"registry.example.com", bob, false},
		{"registry.example.com", registry.Credential{Username: "alice", Password: "wrong"}, false},
		{"registry.example.com", registry.Credential{}, false},
		{"quay.io", bob, true},
		{"docker.io", alice, false},
		{"registry.example", alice, false}, // a host whose name prefixes another's
	} {
		if got := r.AcceptsCredential(tc.host, tc.cred); got != tc.want {
			t.Errorf("case %d: AcceptsCredential(%q, %q) = %v, want %v", i, tc.host, tc.cred.Username, got, tc.want)
		}
	}
}
