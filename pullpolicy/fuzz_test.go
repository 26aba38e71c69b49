package pullpolicy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

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

	// ImageID is the image as written exactly when that is a digest.
	if id, err := digest.Parse(image); (err == nil) != (r.ImageID() != "") || (err == nil && r.ImageID() != id) {
		t.Fatalf("ParseImageRef(%q): ImageID() = %q, digest.Parse = %q, %v", image, r.ImageID(), id, err)
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

// FuzzParsePullPolicy: ParsePullPolicy accepts exactly the three
// case-sensitive spellings, returning them as they are; "" is ErrRequired
// itself ("Required value"); anything else wraps ErrUnsupportedValue and
// names itself and the three supported values. Valid agrees, and a policy
// that does not parse is never asked about presence: it pulls. The corpus
// is seeded with the inputs of TestParsePullPolicy.
func FuzzParsePullPolicy(f *testing.F) {
	for _, s := range []string{"Always", "IfNotPresent", "Never", "always", "ALWAYS", " Always", "Always ",
		"ifnotpresent", "IfNotpresent", "never", "Sometimes", `"Always"`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pullpolicy.ParsePullPolicy(s)
		if p2, err2 := pullpolicy.ParsePullPolicy(s); p2 != p || fmt.Sprint(err2) != fmt.Sprint(err) {
			t.Fatalf("ParsePullPolicy(%q) not deterministic: (%q, %v) then (%q, %v)", s, p, err, p2, err2)
		}
		valid := s == "Always" || s == "IfNotPresent" || s == "Never"
		if (err == nil) != valid || pullpolicy.PullPolicy(s).Valid() != valid {
			t.Fatalf("ParsePullPolicy(%q) = (%q, %v), Valid() = %v, want valid = %v", s, p, err, pullpolicy.PullPolicy(s).Valid(), valid)
		}
		if valid {
			if string(p) != s || p.String() != s || !p.Valid() {
				t.Fatalf("ParsePullPolicy(%q) = %q, want it as written", s, p)
			}
			for _, other := range []string{strings.ToLower(s), strings.ToUpper(s), " " + s, s + " "} {
				if q, err := pullpolicy.ParsePullPolicy(other); err == nil {
					t.Fatalf("ParsePullPolicy(%q) = %q: spellings are case- and space-sensitive", other, q)
				}
			}
			return
		}
		if p != "" {
			t.Fatalf("ParsePullPolicy(%q) = (%q, %v), want no policy with the error", s, p, err)
		}
		if s == "" {
			if err != pullpolicy.ErrRequired || err.Error() != "Required value" {
				t.Fatalf("ParsePullPolicy(\"\") error = %v, want ErrRequired", err)
			}
		} else {
			u, ok := err.(interface{ Unwrap() error })
			if !ok || u.Unwrap() != pullpolicy.ErrUnsupportedValue {
				t.Fatalf("ParsePullPolicy(%q) error %v does not wrap ErrUnsupportedValue", s, err)
			}
			want := fmt.Sprintf("Unsupported value: %q: supported values: \"Always\", \"IfNotPresent\", \"Never\"", s)
			if err.Error() != want {
				t.Fatalf("ParsePullPolicy(%q) error = %q, want %q", s, err, want)
			}
		}
		if pullpolicy.NeedsPresenceCheck(pullpolicy.PullPolicy(s)) ||
			pullpolicy.Decide(pullpolicy.PullPolicy(s), true) != pullpolicy.Pull || pullpolicy.Decide(pullpolicy.PullPolicy(s), false) != pullpolicy.Pull {
			t.Fatalf("policy %q does not parse, yet is asked about presence or does not pull", s)
		}
	})
}
