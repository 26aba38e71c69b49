package pullpolicy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/distribution/reference"

	"github.com/pullsim/pullsim/pullpolicy"
)

// FuzzParseImageRef parses arbitrary strings and checks the invariants of
// checkImageRef. The corpus is seeded with the rows of §1 and §2.
func FuzzParseImageRef(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.image)
	}
	for _, tt := range refTests {
		f.Add(tt.image)
	}
	f.Fuzz(func(t *testing.T, image string) { checkImageRef(t, image) })
}

// checkImageRef checks what must hold for any image string, using
// distribution/reference itself as the oracle for what the string carries.
func checkImageRef(t *testing.T, image string) {
	t.Helper()

	// Defaulting never panics, never gives Never, always gives a valid policy.
	for _, d := range []pullpolicy.Defaulting{pullpolicy.TagLatestDefaulting, pullpolicy.DigestAwareDefaulting} {
		if p := d.Default(image); p == pullpolicy.PullNever || !p.Valid() {
			t.Fatalf("%v.Default(%q) = %q, want Always or IfNotPresent", d, image, p)
		}
	}

	named, oracleErr := reference.ParseNormalizedNamed(image)
	r, err := pullpolicy.ParseImageRef(image)
	if (err != nil) != (oracleErr != nil) {
		t.Fatalf("ParseImageRef(%q) error = %v, ParseNormalizedNamed error = %v", image, err, oracleErr)
	}
	if err != nil {
		want := fmt.Sprintf("couldn't parse image name %q: %v", image, oracleErr)
		if r != nil || err.Error() != want {
			t.Fatalf("ParseImageRef(%q) = (%v, %q), want (nil, %q)", image, r, err, want)
		}
		if p := pullpolicy.DefaultPullPolicy(image); p != pullpolicy.PullIfNotPresent {
			t.Fatalf("DefaultPullPolicy(%q) = %q for a name that does not parse, want IfNotPresent", image, p)
		}
		return
	}

	var tag, dgst string
	if tagged, ok := named.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	if digested, ok := named.(reference.Digested); ok {
		dgst = digested.Digest().String()
	}
	neither := tag == "" && dgst == ""

	if r.Requested() != image || r.String() != image {
		t.Fatalf("ParseImageRef(%q): Requested() = %q, String() = %q", image, r.Requested(), r.String())
	}
	if r.Repository() != named.Name() || r.Domain()+"/"+r.Path() != r.Repository() {
		t.Fatalf("ParseImageRef(%q): Repository() = %q, Domain() = %q, Path() = %q, want %q", image, r.Repository(), r.Domain(), r.Path(), named.Name())
	}
	wantTag := tag
	if neither {
		wantTag = "latest"
	}
	if r.Tag() != wantTag || string(r.Digest()) != dgst {
		t.Fatalf("ParseImageRef(%q): Tag() = %q, Digest() = %q, want %q, %q", image, r.Tag(), r.Digest(), wantTag, dgst)
	}

	// The tag rule: Always exactly for the tag "latest", written or implied.
	wantPolicy := pullpolicy.PullIfNotPresent
	if wantTag == "latest" {
		wantPolicy = pullpolicy.PullAlways
	}
	if p := pullpolicy.DefaultPullPolicy(image); p != wantPolicy {
		t.Fatalf("DefaultPullPolicy(%q) = %q, want %q", image, p, wantPolicy)
	}

	// SpecImage gains ":latest" iff the image had neither tag nor digest;
	// otherwise it is the image as written.
	wantSpec := image
	if neither {
		wantSpec = image + ":latest"
	}
	if r.SpecImage() != wantSpec {
		t.Fatalf("ParseImageRef(%q): SpecImage() = %q, want %q", image, r.SpecImage(), wantSpec)
	}
	if got, want := strings.HasSuffix(r.SpecImage(), ":latest"), dgst == "" && wantTag == "latest"; got != want {
		t.Fatalf("ParseImageRef(%q): SpecImage() = %q ends in :latest = %v, want %v", image, r.SpecImage(), got, want)
	}

	// Name parses back to the same repository and is a fixed point.
	back, err := pullpolicy.ParseImageRef(r.Name())
	if err != nil {
		t.Fatalf("ParseImageRef(%q): Name() = %q does not parse: %v", image, r.Name(), err)
	}
	if back.Repository() != r.Repository() || back.Name() != r.Name() || back.Digest() != r.Digest() {
		t.Fatalf("ParseImageRef(%q): Name() = %q parses back to repo %q name %q digest %q", image, r.Name(), back.Repository(), back.Name(), back.Digest())
	}
}
