package pullpolicy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/pullpolicy"
)

// hex64 is a 64-character hexadecimal string, the SHA-256 of nothing.
const hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// sha is a well-formed SHA-256 digest, and at the "@sha256:…" it follows.
const (
	sha = digest.Digest("sha256:" + hex64)
	at  = "@" + string(sha)
)

var (
	tag128  = strings.Repeat("t", 128)                  // the longest tag the grammar allows
	tag129  = strings.Repeat("t", 129)                  // one character too many
	name256 = strings.Repeat("a", 256)                  // the spec's "name > 255 chars"
	name247 = strings.Repeat("b", 247)                  // library/ + 247 = 255: the longest Docker Hub short name
	name248 = strings.Repeat("b", 248)                  // library/ + 248 = 256: one too many
	host255 = "example.com/" + strings.Repeat("c", 255) // a path of 255 under a host: the limit is on the path
)

// parseTests is the table of kubelet-semantics.md §1, row by row, with the
// results of ParseImageName and of the API server's defaulting. The fuzz
// target seeds its corpus from it.
var parseTests = []struct {
	image  string                // container.image as written
	repo   string                // ParseImageName's repo: fully normalised
	tag    string                // ParseImageName's tag: "latest" when neither tag nor digest
	digest digest.Digest         // ParseImageName's digest, "" when none
	err    string                // the exact error text, "" for none
	policy pullpolicy.PullPolicy // DefaultPullPolicy: the tag-latest rule
}{
	// Docker Hub short names and the case-sensitive "latest".
	{"nginx", "docker.io/library/nginx", "latest", "", "", pullpolicy.PullAlways},
	{"nginx:latest", "docker.io/library/nginx", "latest", "", "", pullpolicy.PullAlways},
	{"nginx:1.25", "docker.io/library/nginx", "1.25", "", "", pullpolicy.PullIfNotPresent},
	{"nginx:LATEST", "docker.io/library/nginx", "LATEST", "", "", pullpolicy.PullIfNotPresent},
	{"nginx:Latest", "docker.io/library/nginx", "Latest", "", "", pullpolicy.PullIfNotPresent},

	// Digests: the tag decides, so latest@digest is still Always.
	{"nginx" + at, "docker.io/library/nginx", "", sha, "", pullpolicy.PullIfNotPresent},
	{"nginx:latest" + at, "docker.io/library/nginx", "latest", sha, "", pullpolicy.PullAlways},
	{"nginx:1.25" + at, "docker.io/library/nginx", "1.25", sha, "", pullpolicy.PullIfNotPresent},

	// Registries with hosts and ports.
	{"localhost:5000/app", "localhost:5000/app", "latest", "", "", pullpolicy.PullAlways},
	{"localhost:5000/app:v1", "localhost:5000/app", "v1", "", "", pullpolicy.PullIfNotPresent},
	{"localhost:5000", "docker.io/library/localhost", "5000", "", "", pullpolicy.PullIfNotPresent}, // port parsed as a tag
	{"localhost/app", "localhost/app", "latest", "", "", pullpolicy.PullAlways},
	{"192.168.1.1:5000/app", "192.168.1.1:5000/app", "latest", "", "", pullpolicy.PullAlways},
	{"registry.example.com:443/app", "registry.example.com:443/app", "latest", "", "", pullpolicy.PullAlways},
	{"[::1]:5000/app:v1", "[::1]:5000/app", "v1", "", "", pullpolicy.PullIfNotPresent},

	// Spellings of Docker Hub.
	{"docker.io/nginx:latest", "docker.io/library/nginx", "latest", "", "", pullpolicy.PullAlways},
	{"index.docker.io/nginx", "docker.io/library/nginx", "latest", "", "", pullpolicy.PullAlways},
	{"library/nginx", "docker.io/library/nginx", "latest", "", "", pullpolicy.PullAlways},
	{"user/app", "docker.io/user/app", "latest", "", "", pullpolicy.PullAlways},

	// Names that do not parse: the API server ignores the error, the tag is "", IfNotPresent.
	{"NGINX", "", "", "", `couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase`, pullpolicy.PullIfNotPresent},
	{"Nginx:1.0", "", "", "", `couldn't parse image name "Nginx:1.0": invalid reference format: repository name (library/Nginx) must be lowercase`, pullpolicy.PullIfNotPresent},
	{"foo/Bar", "", "", "", `couldn't parse image name "foo/Bar": invalid reference format: repository name (foo/Bar) must be lowercase`, pullpolicy.PullIfNotPresent},
	{"", "", "", "", `couldn't parse image name "": invalid reference format`, pullpolicy.PullIfNotPresent},
	{"nginx:", "", "", "", `couldn't parse image name "nginx:": invalid reference format`, pullpolicy.PullIfNotPresent},
	{":latest", "", "", "", `couldn't parse image name ":latest": invalid reference format`, pullpolicy.PullIfNotPresent},
	{"nginx::1", "", "", "", `couldn't parse image name "nginx::1": invalid reference format`, pullpolicy.PullIfNotPresent},
	{"nginx@sha256:abc", "", "", "", `couldn't parse image name "nginx@sha256:abc": invalid reference format`, pullpolicy.PullIfNotPresent},
	{"nginx:-bad", "", "", "", `couldn't parse image name "nginx:-bad": invalid reference format`, pullpolicy.PullIfNotPresent},
	{"http://url", "", "", "", `couldn't parse image name "http://url": invalid reference format`, pullpolicy.PullIfNotPresent},
	{hex64, "", "", "", `couldn't parse image name "` + hex64 + `": invalid repository name (` + hex64 + `), cannot specify 64-byte hexadecimal strings`, pullpolicy.PullIfNotPresent},

	// Length limits: 255 characters of repository path, 128 of tag.
	{name256, "", "", "", `couldn't parse image name "` + name256 + `": repository name must not be more than 255 characters`, pullpolicy.PullIfNotPresent},
	{name247, "docker.io/library/" + name247, "latest", "", "", pullpolicy.PullAlways},
	{name248, "", "", "", `couldn't parse image name "` + name248 + `": repository name must not be more than 255 characters`, pullpolicy.PullIfNotPresent},
	{host255, host255, "latest", "", "", pullpolicy.PullAlways},
	{"nginx:" + tag128, "docker.io/library/nginx", tag128, "", "", pullpolicy.PullIfNotPresent},
	{"nginx:" + tag129, "", "", "", `couldn't parse image name "nginx:` + tag129 + `": invalid reference format`, pullpolicy.PullIfNotPresent},
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseImageName(t *testing.T) {
	for i, tt := range parseTests {
		repo, tag, dgst, err := pullpolicy.ParseImageName(tt.image)
		if repo != tt.repo || tag != tt.tag || dgst != tt.digest || errText(err) != tt.err {
			t.Errorf("case %d (%q): ParseImageName() = (%q, %q, %q, %q), want (%q, %q, %q, %q)",
				i, tt.image, repo, tag, dgst, errText(err), tt.repo, tt.tag, tt.digest, tt.err)
		}
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for i, tt := range parseTests {
		if got := pullpolicy.DefaultPullPolicy(tt.image); got != tt.policy {
			t.Errorf("case %d (%q): DefaultPullPolicy() = %q, want %q", i, tt.image, got, tt.policy)
		}
		if got := pullpolicy.TagLatestDefaulting.Default(tt.image); got != tt.policy {
			t.Errorf("case %d (%q): TagLatestDefaulting.Default() = %q, want %q", i, tt.image, got, tt.policy)
		}
	}
}

// The digest-aware rule of the kubernetes.io docs and KEP-6083 (§14): any
// digest gives IfNotPresent; everything else follows the tag rule.
func TestDigestAwareDefaulting(t *testing.T) {
	for i, tt := range parseTests {
		want := tt.policy
		if tt.digest != "" {
			want = pullpolicy.PullIfNotPresent
		}
		if got := pullpolicy.DigestAwareDefaulting.Default(tt.image); got != want {
			t.Errorf("case %d (%q): DigestAwareDefaulting.Default() = %q, want %q", i, tt.image, got, want)
		}
	}
}

// The one row where the two rules part: a "latest" tag pinned by digest.
func TestDefaultingRulesDiffer(t *testing.T) {
	const image = "nginx:latest" + at
	tagRule := pullpolicy.TagLatestDefaulting.Default(image)
	digestRule := pullpolicy.DigestAwareDefaulting.Default(image)
	if tagRule != pullpolicy.PullAlways || digestRule != pullpolicy.PullIfNotPresent {
		t.Errorf("Default(%q) = %q (TagLatest), %q (DigestAware), want Always, IfNotPresent", image, tagRule, digestRule)
	}
}

func TestDefaultForNil(t *testing.T) {
	for _, d := range []pullpolicy.Defaulting{pullpolicy.TagLatestDefaulting, pullpolicy.DigestAwareDefaulting} {
		if got := d.DefaultFor(nil); got != pullpolicy.PullIfNotPresent {
			t.Errorf("%v.DefaultFor(nil) = %q, want IfNotPresent", d, got)
		}
	}
}

func TestDefaultingZeroValue(t *testing.T) {
	var d pullpolicy.Defaulting
	if d != pullpolicy.TagLatestDefaulting {
		t.Errorf("zero Defaulting = %v, want TagLatest", d)
	}
}

func TestDefaultingString(t *testing.T) {
	tests := []struct {
		d    pullpolicy.Defaulting // the rule
		want string                // its String
	}{
		{pullpolicy.TagLatestDefaulting, "TagLatest"},
		{pullpolicy.DigestAwareDefaulting, "DigestAware"},
		{pullpolicy.Defaulting(7), "Defaulting(7)"},
		{pullpolicy.Defaulting(-1), "Defaulting(-1)"},
	}
	for i, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("case %d: Defaulting(%d).String() = %q, want %q", i, int(tt.d), got, tt.want)
		}
	}
}

// A set policy is kept as written, whatever the image and the rule (it is
// not re-defaulted when the image changes, §1 and §14); only the empty
// string is defaulted.
func TestResolvePullPolicy(t *testing.T) {
	tests := []struct {
		d      pullpolicy.Defaulting // the rule in force
		image  string                // container.image
		policy pullpolicy.PullPolicy // imagePullPolicy as written, "" for unset
		want   pullpolicy.PullPolicy // what the API server stores
	}{
		// Set policies are kept.
		{pullpolicy.TagLatestDefaulting, "nginx:latest", pullpolicy.PullIfNotPresent, pullpolicy.PullIfNotPresent},
		{pullpolicy.TagLatestDefaulting, "nginx", pullpolicy.PullNever, pullpolicy.PullNever},
		{pullpolicy.TagLatestDefaulting, "nginx:1.25", pullpolicy.PullAlways, pullpolicy.PullAlways},
		{pullpolicy.TagLatestDefaulting, "NGINX", pullpolicy.PullAlways, pullpolicy.PullAlways},
		{pullpolicy.TagLatestDefaulting, "nginx:latest" + at, pullpolicy.PullNever, pullpolicy.PullNever},
		{pullpolicy.DigestAwareDefaulting, "nginx:latest" + at, pullpolicy.PullAlways, pullpolicy.PullAlways},
		{pullpolicy.DigestAwareDefaulting, "nginx:latest", pullpolicy.PullNever, pullpolicy.PullNever},
		{pullpolicy.TagLatestDefaulting, "nginx", "always", "always"}, // not validated here
		// The empty policy is defaulted by the rule.
		{pullpolicy.TagLatestDefaulting, "nginx", "", pullpolicy.PullAlways},
		{pullpolicy.TagLatestDefaulting, "nginx:1.25", "", pullpolicy.PullIfNotPresent},
		{pullpolicy.TagLatestDefaulting, "NGINX", "", pullpolicy.PullIfNotPresent},
		{pullpolicy.TagLatestDefaulting, "nginx:latest" + at, "", pullpolicy.PullAlways},
		{pullpolicy.DigestAwareDefaulting, "nginx:latest" + at, "", pullpolicy.PullIfNotPresent},
		{pullpolicy.DigestAwareDefaulting, "nginx:latest", "", pullpolicy.PullAlways},
	}
	for i, tt := range tests {
		if got := tt.d.ResolvePullPolicy(tt.image, tt.policy); got != tt.want {
			t.Errorf("case %d (%q): %v.ResolvePullPolicy(%q) = %q, want %q", i, tt.image, tt.d, tt.policy, got, tt.want)
		}
	}
}

func TestDefaultingValidate(t *testing.T) {
	for _, tc := range []struct {
		d    pullpolicy.Defaulting
		want string
	}{
		{pullpolicy.TagLatestDefaulting, ""},
		{pullpolicy.DigestAwareDefaulting, ""},
		{2, "unknown defaulting rule Defaulting(2); want TagLatest or DigestAware"},
		{-1, "unknown defaulting rule Defaulting(-1); want TagLatest or DigestAware"},
	} {
		err := tc.d.Validate()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%v.Validate() = %v, want %q", tc.d, err, tc.want)
		}
	}
}
