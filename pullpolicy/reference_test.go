package pullpolicy_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/pullpolicy"
)

// refTests lists every spelling ParseImageRef derives from an image
// (kubelet-semantics.md §2).
var refTests = []struct {
	image  string        // container.image as written, also Requested and String
	spec   string        // SpecImage: applyDefaultImageTag, what the CRI is handed
	repo   string        // Repository: fully normalised
	domain string        // Domain: registry host
	path   string        // Path: repository path on the host
	tag    string        // Tag: "latest" when neither tag nor digest, "" for digest only
	digest digest.Digest // Digest, "" when none
	name   string        // Name: the runtime's repo:tag or repo@digest
}{
	// applyDefaultImageTag appends ":latest" only to names with neither tag nor digest.
	{"nginx", "nginx:latest", "docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"nginx:latest", "nginx:latest", "docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"nginx:1", "nginx:1", "docker.io/library/nginx", "docker.io", "library/nginx", "1", "", "docker.io/library/nginx:1"},
	{"nginx:1.25", "nginx:1.25", "docker.io/library/nginx", "docker.io", "library/nginx", "1.25", "", "docker.io/library/nginx:1.25"},
	{"nginx:LATEST", "nginx:LATEST", "docker.io/library/nginx", "docker.io", "library/nginx", "LATEST", "", "docker.io/library/nginx:LATEST"},
	{"docker.io/nginx", "docker.io/nginx:latest", "docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"docker.io/library/nginx:latest", "docker.io/library/nginx:latest", "docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"docker.io/library/nginx:1", "docker.io/library/nginx:1", "docker.io/library/nginx", "docker.io", "library/nginx", "1", "", "docker.io/library/nginx:1"},
	{"index.docker.io/nginx", "index.docker.io/nginx:latest", "docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"user/app", "user/app:latest", "docker.io/user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest"},

	// Digests: SpecImage unchanged, Name drops the tag (containerd's repo@digest).
	{"nginx" + at, "nginx" + at, "docker.io/library/nginx", "docker.io", "library/nginx", "", sha, "docker.io/library/nginx" + at},
	{"nginx:latest" + at, "nginx:latest" + at, "docker.io/library/nginx", "docker.io", "library/nginx", "latest", sha, "docker.io/library/nginx" + at},
	{"nginx:1.25" + at, "nginx:1.25" + at, "docker.io/library/nginx", "docker.io", "library/nginx", "1.25", sha, "docker.io/library/nginx" + at},

	// Hosts and ports: the host is never added to SpecImage.
	{"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app", "localhost:5000", "app", "latest", "", "localhost:5000/app:latest"},
	{"localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app", "localhost:5000", "app", "v1", "", "localhost:5000/app:v1"},
	{"localhost:5000/app" + at, "localhost:5000/app" + at, "localhost:5000/app", "localhost:5000", "app", "", sha, "localhost:5000/app" + at},
	{"localhost:5000/team/app:v1" + at, "localhost:5000/team/app:v1" + at, "localhost:5000/team/app", "localhost:5000", "team/app", "v1", sha, "localhost:5000/team/app" + at},
	{"localhost:5000", "localhost:5000", "docker.io/library/localhost", "docker.io", "library/localhost", "5000", "", "docker.io/library/localhost:5000"},
	{"localhost/app", "localhost/app:latest", "localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
	{"[::1]:5000/app:v1", "[::1]:5000/app:v1", "[::1]:5000/app", "[::1]:5000", "app", "v1", "", "[::1]:5000/app:v1"},
	{"registry.example.com:443/app", "registry.example.com:443/app:latest", "registry.example.com:443/app", "registry.example.com:443", "app", "latest", "", "registry.example.com:443/app:latest"},
}

func TestParseImageRef(t *testing.T) {
	for i, tt := range refTests {
		r, err := pullpolicy.ParseImageRef(tt.image)
		if err != nil {
			t.Errorf("case %d (%q): ParseImageRef() error = %v", i, tt.image, err)
			continue
		}
		checks := []struct {
			method    string // accessor name
			got, want string // its result and the expected one
		}{
			{"Requested", r.Requested(), tt.image},
			{"String", r.String(), tt.image},
			{"SpecImage", r.SpecImage(), tt.spec},
			{"Repository", r.Repository(), tt.repo},
			{"Domain", r.Domain(), tt.domain},
			{"Path", r.Path(), tt.path},
			{"Tag", r.Tag(), tt.tag},
			{"Digest", string(r.Digest()), string(tt.digest)},
			{"Name", r.Name(), tt.name},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("case %d (%q): %s() = %q, want %q", i, tt.image, c.method, c.got, c.want)
			}
		}
	}
}

// ImageID is the image ID a reference is written as: a bare digest, which
// the kubelet parses as the image "sha256" with a tag and the runtime looks
// up as an image ID.
func TestImageID(t *testing.T) {
	for i, tc := range []struct {
		image string
		want  digest.Digest
	}{
		{string(sha), sha},
		{"nginx" + at, ""},
		{"docker.io/library/sha256:" + hex64, ""},
		{"sha256:" + hex64[:12], ""}, // short: a tag, not an ID
		{"sha256", ""},
		{"nginx:1.25", ""},
	} {
		r, err := pullpolicy.ParseImageRef(tc.image)
		if err != nil {
			t.Fatalf("case %d: ParseImageRef(%q) error = %v", i, tc.image, err)
		}
		if got := r.ImageID(); got != tc.want {
			t.Errorf("case %d: ParseImageRef(%q).ImageID() = %q, want %q", i, tc.image, got, tc.want)
		}
		if r.Repository() != "docker.io/library/sha256" && tc.want != "" {
			t.Errorf("case %d: ParseImageRef(%q).Repository() = %q, want docker.io/library/sha256", i, tc.image, r.Repository())
		}
	}
	if got := (*pullpolicy.ImageRef)(nil).ImageID(); got != "" {
		t.Errorf("nil ImageRef: ImageID() = %q, want \"\"", got)
	}
}

// ParseImageRef agrees with ParseImageName on every row of §1, errors
// included.
func TestParseImageRefMatchesParseImageName(t *testing.T) {
	for i, tt := range parseTests {
		r, err := pullpolicy.ParseImageRef(tt.image)
		if errText(err) != tt.err {
			t.Errorf("case %d (%q): ParseImageRef() error = %q, want %q", i, tt.image, errText(err), tt.err)
			continue
		}
		if err != nil {
			if r != nil {
				t.Errorf("case %d (%q): ParseImageRef() = %p with error, want nil", i, tt.image, r)
			}
			continue
		}
		if r.Repository() != tt.repo || r.Tag() != tt.tag || r.Digest() != tt.digest {
			t.Errorf("case %d (%q): ParseImageRef() = (%q, %q, %q), want (%q, %q, %q)",
				i, tt.image, r.Repository(), r.Tag(), r.Digest(), tt.repo, tt.tag, tt.digest)
		}
	}
}

func TestApplyDefaultTag(t *testing.T) {
	tests := []struct {
		image  string        // as written
		tag    string        // ParseImageName's tag
		digest digest.Digest // ParseImageName's digest
		want   string        // ImageSpec.Image
	}{
		{"nginx", "latest", "", "nginx:latest"},
		{"docker.io/nginx", "latest", "", "docker.io/nginx:latest"},
		{"localhost:5000/app", "latest", "", "localhost:5000/app:latest"},
		{"nginx:latest", "latest", "", "nginx:latest"},
		{"nginx:1.25", "1.25", "", "nginx:1.25"},
		{"nginx" + at, "", sha, "nginx" + at},
		{"nginx:latest" + at, "latest", sha, "nginx:latest" + at},
		{"nginx:1.25" + at, "1.25", sha, "nginx:1.25" + at},
		{"nginx", "", "", "nginx"}, // nothing to append
	}
	for i, tt := range tests {
		if got := pullpolicy.ApplyDefaultTag(tt.image, tt.tag, tt.digest); got != tt.want {
			t.Errorf("case %d (%q): ApplyDefaultTag(%q, %q) = %q, want %q", i, tt.image, tt.tag, tt.digest, got, tt.want)
		}
	}
}

// "nginx", "nginx:latest" and "docker.io/library/nginx:latest" are one image
// for the runtime, while the kubelet's messages keep each spelling.
func TestNameUnifiesSpellings(t *testing.T) {
	var names, keys []string
	for _, image := range []string{"nginx", "nginx:latest", "docker.io/library/nginx:latest"} {
		r, err := pullpolicy.ParseImageRef(image)
		if err != nil {
			t.Fatalf("ParseImageRef(%q) error = %v", image, err)
		}
		names = append(names, r.Name())
		keys = append(keys, r.Requested())
	}
	wantNames := []string{"docker.io/library/nginx:latest", "docker.io/library/nginx:latest", "docker.io/library/nginx:latest"}
	wantKeys := []string{"nginx", "nginx:latest", "docker.io/library/nginx:latest"}
	if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("Name() = %q, Requested() = %q, want %q, %q", names, keys, wantNames, wantKeys)
	}
}

func TestRefCacheSamePointer(t *testing.T) {
	var c pullpolicy.RefCache // the zero value is ready to use
	for i, tt := range refTests {
		first, err := c.Parse(tt.image)
		if err != nil {
			t.Fatalf("case %d (%q): first Parse() error = %v", i, tt.image, err)
		}
		second, err := c.Parse(tt.image)
		if err != nil || second != first {
			t.Errorf("case %d (%q): second Parse() = (%p, %v), want (%p, nil)", i, tt.image, second, err, first)
		}
		fresh, _ := pullpolicy.ParseImageRef(tt.image)
		if !reflect.DeepEqual(first, fresh) {
			t.Errorf("case %d (%q): Parse() = %+v, want %+v as from ParseImageRef", i, tt.image, *first, *fresh)
		}
	}
}

// The cache is keyed by the string as written: two spellings of one image
// are two entries.
func TestRefCacheKeyedByString(t *testing.T) {
	var c pullpolicy.RefCache
	a, _ := c.Parse("nginx")
	b, _ := c.Parse("nginx:latest")
	if a == b || a.Requested() != "nginx" || b.Requested() != "nginx:latest" {
		t.Errorf("Parse(nginx) = %p %q, Parse(nginx:latest) = %p %q, want two refs", a, a.Requested(), b, b.Requested())
	}
}

func TestRefCacheMemoisesErrors(t *testing.T) {
	var c pullpolicy.RefCache
	for i, tt := range parseTests {
		if tt.err == "" {
			continue
		}
		r1, err1 := c.Parse(tt.image)
		r2, err2 := c.Parse(tt.image)
		if r1 != nil || r2 != nil {
			t.Errorf("case %d (%q): Parse() = %p, %p, want nil refs", i, tt.image, r1, r2)
		}
		if err1 == nil || err2 != err1 || err1.Error() != tt.err {
			t.Errorf("case %d (%q): Parse() errors = %v (%p), %v (%p), want one error %q", i, tt.image, err1, err1, err2, err2, tt.err)
		}
	}
}

func TestSharedRefs(t *testing.T) {
	if pullpolicy.SharedRefs == nil {
		t.Fatal("SharedRefs is nil")
	}
	a, err := pullpolicy.SharedRefs.Parse("busybox:1.36")
	b, _ := pullpolicy.SharedRefs.Parse("busybox:1.36")
	if err != nil || a != b || a.Name() != "docker.io/library/busybox:1.36" {
		t.Errorf("SharedRefs.Parse(busybox:1.36) = (%p, %v), then %p, want one ref named docker.io/library/busybox:1.36", a, err, b)
	}
}

// Many goroutines parse a mix of images, good and bad, through one cache;
// run with -race. Every result matches ParseImageRef, and once the storm is
// over the cache hands out one pointer per image.
func TestRefCacheConcurrent(t *testing.T) {
	images := []string{"NGINX", "nginx:"}
	for _, tt := range refTests {
		images = append(images, tt.image)
	}
	var c pullpolicy.RefCache
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := range 50 {
				image := images[(g+k)%len(images)]
				got, err := c.Parse(image)
				want, wantErr := pullpolicy.ParseImageRef(image)
				if !reflect.DeepEqual(got, want) || errText(err) != errText(wantErr) {
					t.Errorf("goroutine %d step %d: Parse(%q) = (%v, %v), want (%v, %v)", g, k, image, got, err, want, wantErr)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, image := range images {
		a, errA := c.Parse(image)
		b, errB := c.Parse(image)
		if a != b || errA != errB {
			t.Errorf("after concurrent use: Parse(%q) = (%p, %v) then (%p, %v), want the same", image, a, errA, b, errB)
		}
	}
}

// "Each distinct image string is parsed once", even when the first callers
// arrive together: they all receive the one *ImageRef the cache keeps.
// Rounds repeat the race on a fresh cache until it shows or the rounds run
// out; a correct cache never fails this test.
func TestRefCacheConcurrentFirstParseSharesResult(t *testing.T) {
	const rounds, callers = 500, 8
	for round := range rounds {
		var c pullpolicy.RefCache
		var wg sync.WaitGroup
		start := make(chan struct{})
		got := make([]*pullpolicy.ImageRef, callers)
		for g := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[g], _ = c.Parse("nginx:1.25")
			}()
		}
		close(start)
		wg.Wait()
		kept, _ := c.Parse("nginx:1.25")
		for g, r := range got {
			if r != kept {
				t.Fatalf("round %d: caller %d of %d concurrent first Parse(%q) got %p, cache keeps %p: parsed more than once",
					round, g, callers, "nginx:1.25", r, kept)
			}
		}
	}
}

// A lookup of an image seen before does not allocate, hit or memoised miss.
func TestRefCacheParseAllocs(t *testing.T) {
	var c pullpolicy.RefCache
	for _, image := range []string{"nginx:1.25", "NGINX", "localhost:5000/app" + at} {
		c.Parse(image)
		allocs := testing.AllocsPerRun(100, func() { c.Parse(image) })
		if allocs != 0 {
			t.Errorf("Parse(%q) on a warm cache: %v allocs, want 0", image, allocs)
		}
	}
}

// TestUntagged: the image as written without tag and digest, not
// normalised, keeping a registry port (trimImageTagDigest).
func TestUntagged(t *testing.T) {
	d := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		image, want string
	}{
		{"ubuntu:22.04", "ubuntu"},
		{"ubuntu", "ubuntu"},
		{"docker.io/library/ubuntu:22.04", "docker.io/library/ubuntu"},
		{"docker.io/ubuntu", "docker.io/ubuntu"},
		{"ubuntu@" + d, "ubuntu"},
		{"ubuntu:22.04@" + d, "ubuntu"},
		{"localhost:5000/app:v1", "localhost:5000/app"},
		{"localhost:5000/app", "localhost:5000/app"},
		{"localhost:5000/app@" + d, "localhost:5000/app"},
		{"[::1]:5000/app:v1", "[::1]:5000/app"},
		{"registry.example.com/team-a/app:v1", "registry.example.com/team-a/app"},
	}
	for i, tc := range cases {
		ref, err := pullpolicy.ParseImageRef(tc.image)
		if err != nil {
			t.Fatalf("case %d: ParseImageRef(%q): %v", i, tc.image, err)
		}
		if got := ref.Untagged(); got != tc.want {
			t.Errorf("case %d: ParseImageRef(%q).Untagged() = %q, want %q", i, tc.image, got, tc.want)
		}
	}
}

// A nil *ImageRef answers every method with the empty string.
func TestNilImageRef(t *testing.T) {
	var r *pullpolicy.ImageRef
	for i, got := range []string{r.Requested(), r.String(), r.SpecImage(), r.Repository(), r.Untagged(), r.Domain(), r.Path(), r.Tag(), string(r.Digest()), r.Name()} {
		if got != "" {
			t.Errorf("method %d of a nil *ImageRef = %q, want \"\"", i, got)
		}
	}
}
