package node

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"

	"github.com/pullsim/pullsim/registry"
)

// named returns a credential source that tags each credential with name,
// so that a lookup's result can be read as a list of names.
func named(name string) func(string, dockerConfigEntry) trackedCred {
	return func(string, dockerConfigEntry) trackedCred {
		return trackedCred{source: fromSecret, name: name}
	}
}

func names(creds []trackedCred) []string {
	var out []string
	for _, c := range creds {
		out = append(out, c.name)
	}
	return out
}

// The kubelet's BasicDockerKeyring.Add: "https://" is added when no scheme
// is given, the scheme is dropped, a /v1/ or /v2/ path prefix is cut to
// "/", and the key is the host, plus the path when it is not empty or "/".
// Case and a trailing slash are kept; entries that do not parse as URLs are
// skipped (pkg/credentialprovider/keyring.go).
func TestKeyringKeys(t *testing.T) {
	for i, tc := range keyringKeyCases {
		var k keyring
		k.add(map[string]dockerConfigEntry{tc.location: {Username: "u"}}, named(tc.location))
		var want []string
		if tc.key != "" {
			want = []string{tc.key}
		}
		if !slices.Equal(k.index, want) {
			t.Errorf("case %d: add(%q) index = %q, want %q", i, tc.location, k.index, want)
		}
		if tc.key != "" && len(k.creds[tc.key]) != 1 {
			t.Errorf("case %d: add(%q) creds[%q] = %d credentials, want 1", i, tc.location, tc.key, len(k.creds[tc.key]))
		}
	}
}

// keyringKeyCases is TestKeyringKeys' table, also FuzzURLsMatch's seeds.
var keyringKeyCases = []struct {
	location string // auths key as written in the docker config
	key      string // wanted keyring key; "" means the entry is skipped
}{
	{"https://index.docker.io/v1/", "index.docker.io"},
	{"index.docker.io", "index.docker.io"},
	{"docker.io", "docker.io"},
	{"http://r.example.com/path/", "r.example.com/path/"},
	{"registry.example.com", "registry.example.com"},
	{"registry.example.com:5000", "registry.example.com:5000"},
	{"*.example.com", "*.example.com"},
	{"localhost:5000/team", "localhost:5000/team"},
	{"https://registry.example.com/v2/", "registry.example.com"},
	{"registry.example.com/v2/team", "registry.example.com/team"},
	{"registry.example.com/v1/team/", "registry.example.com/team/"},
	{"registry.example.com/v2", "registry.example.com/v2"}, // no trailing slash: not the /v2/ prefix
	{"registry.example.com/", "registry.example.com"},
	{"Registry.Example.com/Team", "Registry.Example.com/Team"},
	{"a b.example.com", ""}, // url.Parse fails: ignored
	// IPv6 registries keep their brackets in the key.
	{"[::1]:5000", "[::1]:5000"},
	{"[::1]:5000/app", "[::1]:5000/app"},
	{"https://[::1]:5000/v2/", "[::1]:5000"},
	{"[::1]", "[::1]"},
}

// URLsMatch (pkg/credentialprovider/keyring.go): equal ports, the same
// number of dot-separated host parts, each matched by filepath.Match, and
// the key's path a plain string prefix of the image's path.
func TestURLsMatch(t *testing.T) {
	for i, tc := range urlsMatchCases {
		if got := urlsMatch(tc.glob, tc.target); got != tc.want {
			t.Errorf("case %d: urlsMatch(%q, %q) = %v, want %v", i, tc.glob, tc.target, got, tc.want)
		}
	}
}

// urlsMatchCases is TestURLsMatch's table, also FuzzURLsMatch's seeds.
var urlsMatchCases = []struct {
	glob, target string // keyring key, normalised repository
	want         bool
}{
	{"registry.example.com", "registry.example.com/team/app", true},
	{"*.example.com", "a.example.com/x", true},
	{"*.example.com", "a.b.example.com/x", false}, // globs match one host part each
	{"*.example.com", "example.com/x", false},
	{"*.*.example.com", "a.b.example.com/x", true},
	{"*.dkr.ecr.*.amazonaws.com", "123.dkr.ecr.us-east-1.amazonaws.com/app", true},
	{"a.example.com", "a.example.com/x", true},
	{"registry.example.com", "registry.example.com:5000/x", false}, // ports must be equal
	{"registry.example.com:5000", "registry.example.com/x", false},
	{"registry.example.com:5000", "registry.example.com:5000/x", true},
	{"registry.example.com:5000", "registry.example.com:5001/x", false},
	{"*.example.com:5000", "a.example.com:5000/x", true},
	{"localhost:5000/team", "localhost:5000/team/app", true},
	{"localhost:5000/team", "localhost:5000/teamX/app", true}, // a string prefix, not a path segment
	{"localhost:5000/team", "localhost:5000/other/app", false},
	{"localhost:5000/team/", "localhost:5000/team", false},
	{"r.example.com/path/", "r.example.com/path", false},
	{"r.example.com/path/", "r.example.com/path/app", true},
	{"Registry.example.com", "registry.example.com/x", false}, // case-sensitive
	{"docker.io", "docker.io/library/nginx", true},
	{"index.docker.io", "docker.io/library/nginx", false}, // 3 host parts against 2
	{"registry-1.docker.io", "docker.io/library/nginx", false},
	{"reg[istry.example.com", "registry.example.com/x", false}, // a bad glob matches nothing
	{"a b.example.com", "a b.example.com/x", false},            // neither side parses
	// IPv6 hosts: net.SplitHostPort strips the brackets when there is
	// a port, so "::1" is one host part, matched as a glob.
	{"[::1]:5000", "[::1]:5000/app", true},
	{"[::1]:5000", "[::1]:5000/team/app", true},
	{"[::1]:5000/app", "[::1]:5000/app", true},
	{"[::1]:5000/app", "[::1]:5000/app/sub", true},
	{"[::1]:5000/app", "[::1]:5000/other", false},
	{"[::1]", "[::1]:5000/app", false}, // ports differ
	{"[::1]:5000", "[::1]/app", false},
	{"[::1]:5000", "[::1]:5001/app", false},
	{"[::1]:5000", "[::2]:5000/app", false},
	{"[::1]:5000", "localhost:5000/app", false},
	{"[fe80::1]:5000", "[fe80::1]:5000/app", true},
	{"[::ffff:10.0.0.1]:5000", "[::ffff:10.0.0.1]:5000/app", true},  // parts "::ffff:10", "0", "0", "1"
	{"[::ffff:10.*.0.1]:5000", "[::ffff:10.9.0.1]:5000/app", false}, // url.Parse rejects a glob in an IPv6 literal
	// Without a port net.SplitHostPort fails and the host stays whole:
	// "[::1]" is then a filepath.Match character class, matching one
	// character, so an IPv6 key without a port matches no image
	// (upstream behaves the same).
	{"[::1]", "[::1]/app", false},
}

// isDefaultRegistryMatch (pkg/credentialprovider/keyring.go): no slash,
// a docker.io or index.docker.io first component, or a first component with
// neither '.' nor ':'; never an empty first component.
func TestIsDefaultRegistryMatch(t *testing.T) {
	cases := []struct {
		repo string // normalised repository
		want bool
	}{
		{"nginx", true},
		{"docker.io/library/nginx", true},
		{"index.docker.io/library/nginx", true},
		{"library/nginx", true},
		{"localhost/app", true}, // no '.' and no ':': treated as Docker Hub
		{"localhost:5000/app", false},
		{"registry.example.com/app", false},
		{"registry-1.docker.io/library/nginx", false},
		{"/app", false},
		{"", false},
	}
	for i, tc := range cases {
		if got := isDefaultRegistryMatch(tc.repo); got != tc.want {
			t.Errorf("case %d: isDefaultRegistryMatch(%q) = %v, want %v", i, tc.repo, got, tc.want)
		}
	}
}

// BasicDockerKeyring.Lookup: every matching key contributes, keys in
// reverse byte order, credentials within a key in the order they were
// added; index.docker.io is the fallback for Docker Hub images only when no
// key matched at all.
func TestKeyringLookup(t *testing.T) {
	// config is one secret: its name and its auths keys.
	type config struct {
		name string
		keys []string
	}
	cases := []struct {
		configs []config // added in this order, as a pod's secrets are
		repo    string   // normalised repository looked up
		want    []string // wanted names of the credentials, in order
	}{
		{[]config{{"quay", []string{"quay.io"}}, {"coreos", []string{"quay.io/coreos"}}},
			"quay.io/coreos/etcd", []string{"coreos", "quay"}},
		{[]config{{"glob", []string{"*.example.com"}}, {"a", []string{"a.example.com"}}},
			"a.example.com/x", []string{"a", "glob"}}, // 'a' (0x61) sorts above '*' (0x2A)
		{[]config{{"short", []string{"registry.example.com"}}, {"team", []string{"registry.example.com/team-a"}}},
			"registry.example.com/team-a/app", []string{"team", "short"}},
		{[]config{{"first", []string{"registry.example.com"}}, {"second", []string{"registry.example.com"}}},
			"registry.example.com/app", []string{"first", "second"}}, // same key: insertion order
		{[]config{{"second", []string{"registry.example.com"}}, {"first", []string{"registry.example.com"}}},
			"registry.example.com/app", []string{"second", "first"}},
		{[]config{{"hub", []string{"https://index.docker.io/v1/"}}},
			"docker.io/library/nginx", []string{"hub"}}, // the fallback
		{[]config{{"hub", []string{"https://index.docker.io/v1/"}}, {"short", []string{"docker.io"}}},
			"docker.io/library/nginx", []string{"short"}}, // a docker.io key hides index.docker.io
		{[]config{{"hub", []string{"index.docker.io"}}, {"other", []string{"registry.example.com"}}},
			"docker.io/team/app", []string{"hub"}},
		{[]config{{"hub", []string{"index.docker.io"}}, {"other", []string{"registry.example.com"}}},
			"registry.example.com/app", []string{"other"}},
		{[]config{{"hub", []string{"index.docker.io"}}},
			"quay.io/coreos/etcd", nil}, // not Docker Hub: no fallback
		{[]config{{"hub", []string{"index.docker.io"}}},
			"localhost/app", []string{"hub"}}, // the kubelet's quirk: "localhost" looks like Docker Hub
		{[]config{{"hub", []string{"index.docker.io"}}},
			"localhost:5000/app", nil},
		{[]config{{"other", []string{"registry.example.com"}}},
			"docker.io/library/nginx", nil},
		{[]config{{"both", []string{"registry.example.com", "*.example.com"}}},
			"registry.example.com/app", []string{"both", "both"}},
		{nil, "registry.example.com/app", nil},
		// IPv6 registries: the longer key first, ports must agree.
		{[]config{{"host", []string{"[::1]:5000"}}, {"team", []string{"[::1]:5000/team"}}},
			"[::1]:5000/team/app", []string{"team", "host"}},
		{[]config{{"host", []string{"[::1]:5000"}}, {"team", []string{"[::1]:5000/team"}}},
			"[::1]:5000/other/app", []string{"host"}},
		{[]config{{"noport", []string{"[::1]"}}, {"other", []string{"[::1]:5001"}}},
			"[::1]:5000/app", nil},
		{[]config{{"hub", []string{"index.docker.io"}}},
			"[::1]:5000/app", nil}, // not Docker Hub: no fallback
	}
	for i, tc := range cases {
		var k keyring
		for _, c := range tc.configs {
			cfg := make(map[string]dockerConfigEntry)
			for _, key := range c.keys {
				cfg[key] = dockerConfigEntry{Username: c.name}
			}
			k.add(cfg, named(c.name))
		}
		if got := names(k.lookup(tc.repo)); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: lookup(%q) = %q, want %q", i, tc.repo, got, tc.want)
		}
	}
}

// The index is kept de-duplicated and in reverse byte order however the
// keys arrive.
func TestKeyringIndexOrder(t *testing.T) {
	var k keyring
	for _, key := range []string{"quay.io", "*.example.com", "quay.io/coreos", "a.example.com", "quay.io", "registry.example.com:5000"} {
		k.add(map[string]dockerConfigEntry{key: {}}, named(key))
	}
	want := []string{"registry.example.com:5000", "quay.io/coreos", "quay.io", "a.example.com", "*.example.com"}
	if !slices.Equal(k.index, want) {
		t.Errorf("index = %q, want %q", k.index, want)
	}
	if got := names(k.creds["quay.io"]); !slices.Equal(got, []string{"quay.io", "quay.io"}) {
		t.Errorf("creds[quay.io] = %q, want both additions", got)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// parseDockerConfig is MakeDockerKeyring's reading of one secret
// (pkg/credentialprovider/secrets/secrets.go, pkg/credentialprovider/config.go).
func TestParseDockerConfig(t *testing.T) {
	for i, tc := range parseDockerConfigCases {
		s := Secret{Namespace: "default", Name: "s", Type: tc.typ}
		if tc.data != nil {
			s.Data = make(map[string][]byte)
			for k, v := range tc.data {
				s.Data[k] = []byte(v)
			}
		}
		got, ok, err := parseDockerConfig(s)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("case %d: parseDockerConfig(%s %q) error = %q, want none", i, tc.typ, tc.data, err)
			continue
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("case %d: parseDockerConfig(%s %q) error = %v, want %q", i, tc.typ, tc.data, err, tc.err)
			continue
		}
		for k, e := range got {
			e.Auth = ""
			got[k] = e
		}
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("case %d: parseDockerConfig(%s %q) = %q, %v, want %q, %v", i, tc.typ, tc.data, got, ok, tc.want, tc.ok)
		}
	}
}

// parseDockerConfigCases is TestParseDockerConfig's table, also FuzzParseDockerConfig's seeds.
var parseDockerConfigCases = []struct {
	typ  string                       // secret type
	data map[string]string            // secret data
	want map[string]dockerConfigEntry // wanted entries, Auth aside
	ok   bool                         // wanted: the secret carries credentials
	err  string                       // wanted error text; "" for none
}{
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"registry.example.com":{"username":"u","password":"p"}}}`},
		map[string]dockerConfigEntry{"registry.example.com": {Username: "u", Password: "p"}}, true, ""},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"` + b64("user:pass") + `","email":"me@example.com"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "user", Password: "pass", Email: "me@example.com"}}, true, ""},
	// auth wins over username and password.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"username":"x","password":"y","auth":"` + b64("user:pass") + `"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "user", Password: "pass"}}, true, ""},
	// Only the first ':' separates.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"` + b64("user:pa:ss") + `"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "user", Password: "pa:ss"}}, true, ""},
	// An auth without padding: the kubelet decodes it with RawStdEncoding
	// (decodeDockerConfigFieldAuth: StdEncoding only when it ends in '=').
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"dXNlcjpwYXNzd29yZA"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "user", Password: "password"}}, true, ""},
	// The kubelet keeps the password as decoded (password = parts[1]);
	// trimming NULs is CRI-O's decodeDockerAuth, not the kubelet's.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"` + b64("user:pass\x00") + `"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "user", Password: "pass\x00"}}, true, ""},
	// encoding/json matches field names case-insensitively.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"AUTHS":{"r.example.com":{"Username":"u","PASSWORD":"p"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "u", Password: "p"}}, true, ""},
	// identitytoken is ignored: an entry with no username or password.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"identitytoken":"tok"}}}`},
		map[string]dockerConfigEntry{"r.example.com": {}}, true, ""},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{}`}, nil, true, ""},
	// encoding/json merges repeated auths objects; a repeated key's last value wins.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"a.example.com":{"username":"a"}},"Auths":{"b.example.com":{"auth":"` + b64("b:p") + `"}}}`},
		map[string]dockerConfigEntry{"a.example.com": {Username: "a"}, "b.example.com": {Username: "b", Password: "p"}}, true, ""},
	{SecretTypeDockercfg, map[string]string{DockerConfigKey: `{"r.example.com":{"auth":"` + b64("old:p") + `"},"r.example.com":{"auth":"` + b64("new:p") + `"}}`},
		map[string]dockerConfigEntry{"r.example.com": {Username: "new", Password: "p"}}, true, ""},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"username":"u"}},"auths":null}`}, nil, true, ""},
	{SecretTypeDockercfg, map[string]string{DockerConfigKey: `{"https://index.docker.io/v1/":{"auth":"` + b64("hub:secret") + `","email":"hub@example.com"}}`},
		map[string]dockerConfigEntry{"https://index.docker.io/v1/": {Username: "hub", Password: "secret", Email: "hub@example.com"}}, true, ""},
	// Skipped silently: wrong type, wrong key for the type, empty data.
	{"Opaque", map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"username":"u"}}}`}, nil, false, ""},
	{SecretTypeDockercfg, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"username":"u"}}}`}, nil, false, ""},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigKey: `{"r.example.com":{"username":"u"}}`}, nil, false, ""},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: ""}, nil, false, ""},
	{SecretTypeDockercfg, map[string]string{DockerConfigKey: ""}, nil, false, ""},
	{SecretTypeDockerConfigJSON, nil, nil, false, ""},
	// Errors, returned as they are.
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"not base64!"}}}`},
		nil, false, "illegal base64 data at input byte 3"},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":{"r.example.com":{"auth":"` + b64("userpass") + `"}}}`},
		nil, false, "unable to parse auth field, must be formatted as base64(username:password)"},
	{SecretTypeDockercfg, map[string]string{DockerConfigKey: `{"r.example.com":{"auth":"` + b64("nocolon") + `"}}`},
		nil, false, "unable to parse auth field, must be formatted as base64(username:password)"},
	{SecretTypeDockerConfigJSON, map[string]string{DockerConfigJSONKey: `{"auths":`}, nil, false, "unexpected end of JSON input"},
	{SecretTypeDockercfg, map[string]string{DockerConfigKey: `x`}, nil, false, "invalid character 'x' looking for beginning of value"},
}

// The credential hash is hex(sha256(json.Marshal(AuthConfig))), with
// AuthConfig's omitempty fields in its order: username, password, (auth),
// email (credentialprovider.NewTrackedAuthConfig).
func TestCredentialHash(t *testing.T) {
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	cases := []struct {
		entry dockerConfigEntry
		want  string
	}{
		// The value the kubelet's own unit test expects.
		{dockerConfigEntry{Username: "user", Password: "password"}, "a55436fc140d516560d072c5fe8700385ce9f41629abf65c1edcbcb39fac691d"},
		{dockerConfigEntry{Username: "user", Password: "password", Auth: b64("user:password")}, "a55436fc140d516560d072c5fe8700385ce9f41629abf65c1edcbcb39fac691d"},
		{dockerConfigEntry{Username: "u", Password: "p", Email: "e@example.com"}, sum(`{"username":"u","password":"p","email":"e@example.com"}`)},
		{dockerConfigEntry{Password: "p"}, sum(`{"password":"p"}`)},
		{dockerConfigEntry{Username: "u", Password: "<&>"}, sum(`{"username":"u","password":"\u003c\u0026\u003e"}`)},
		{dockerConfigEntry{}, sum(`{}`)},
	}
	for i, tc := range cases {
		if got := credentialHash(tc.entry); got != tc.want {
			t.Errorf("case %d: credentialHash(%+v) = %s, want %s", i, tc.entry, got, tc.want)
		}
	}
}

// getAllowlistImagePattern (pkg/kubelet/images/pullmanager/image_pull_policies.go).
func TestValidatePattern(t *testing.T) {
	for i, tc := range validatePatternCases {
		err := validatePattern(tc.pattern)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("case %d: validatePattern(%q) = %q, want nil", i, tc.pattern, err)
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("case %d: validatePattern(%q) = %v, want %q", i, tc.pattern, err, tc.err)
		}
	}
}

// validatePatternCases is TestValidatePattern's table, also FuzzValidatePattern's seeds.
var validatePatternCases = []struct {
	pattern string
	err     string // wanted error text; "" for a valid pattern
}{
	{"docker.io/library/nginx", ""},
	{"registry.example.com/team-a/app", ""},
	{"localhost:5000/app", ""},
	{"registry.example.com/team-a/*", ""},
	{"test.io/*", ""},
	{"library/*", ""}, // accepted, though no normalised name starts with it
	{"", "the supplied pattern is too short: "},
	{"*", "not a valid wildcard pattern, only patterns ending with '/*' are allowed: *"},
	{"a/pokus*", "not a valid wildcard pattern, only patterns ending with '/*' are allowed: a/pokus*"},
	{"a/*/b", "not a valid wildcard pattern, only patterns ending with '/*' are allowed: a/*/b"},
	{"*/*", "not a valid wildcard pattern, only patterns ending with '/*' are allowed: */*"},
	{"/*", "at least registry hostname is required"},
	{" x", "leading/trailing spaces are not allowed:  x"},
	{"docker.io/library/nginx ", "leading/trailing spaces are not allowed: docker.io/library/nginx "},
	// Entries are not normalised (v1.36+): short names are valid.
	{"nginx", ""},
	{"library/nginx", ""},
	{"myimage", ""},
	{"nginx:1", "neither tag nor digest is accepted in an image reference: nginx:1"},
	{"NGINX", "failed to parse as an image name: repository name must be lowercase"},
	{"docker.io/library/nginx:1", "neither tag nor digest is accepted in an image reference: docker.io/library/nginx:1"},
	{"docker.io/library/nginx@sha256:" + fmt.Sprintf("%064d", 0), "neither tag nor digest is accepted in an image reference: docker.io/library/nginx@sha256:" + fmt.Sprintf("%064d", 0)},
	{"image.repo/", "failed to parse as an image name: invalid reference format"},
}

// aggregate prints errors as apimachinery's NewAggregate: none is nil, one
// is itself, several are "[e1, e2]", identical messages once.
func TestAggregate(t *testing.T) {
	cases := []struct {
		errs []string
		want string // "" means nil
	}{
		{nil, ""},
		{[]string{}, ""},
		{[]string{"e1"}, "e1"},
		{[]string{"e1", "e2"}, "[e1, e2]"},
		{[]string{"e1", "e1"}, "e1"},
		{[]string{"e1", "e2", "e1", "e3"}, "[e1, e2, e3]"},
	}
	for i, tc := range cases {
		err := aggregate(tc.errs)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want || (err == nil) != (tc.want == "") {
			t.Errorf("case %d: aggregate(%q) = %v, want %q", i, tc.errs, err, tc.want)
		}
	}
}

// An IPv6 registry end to end: a pull secret or the node's docker config
// keyed "[::1]:5000" (with or without a path) is used for
// "[::1]:5000/app:v1"; a key without the port, or with another port, is not,
// and the anonymous pull is refused.
func TestIPv6RegistryCredentials(t *testing.T) {
	const image = "[::1]:5000/app:v1"
	cred := registry.Credential{Username: "v6", Password: "v6-secret"}
	for i, tc := range []struct {
		secretKey string // the pod's pull secret's auths key; "" for no secret
		nodeKey   string // the node's docker config key; "" for none
		running   bool   // wanted: the container runs
	}{
		{"[::1]:5000", "", true},
		{"[::1]:5000/app", "", true},
		{"https://[::1]:5000/v2/", "", true},
		{"", "[::1]:5000", true},
		{"[::1]", "", false},
		{"[::1]:5001", "", false},
		{"", "[::1]", false},
		{"", "", false},
	} {
		reg := registry.New()
		reg.SetDefaultLink(registry.InstantLink)
		reg.MustPush(image, registry.Image{Config: "v6 app", Layers: []registry.Layer{{Content: "v6 app", Size: 1 << 20}}})
		if err := reg.SetPrivate(image, cred); err != nil {
			t.Fatal(err)
		}
		cl := NewCluster()
		opts := []Option{WithCluster(cl)}
		if tc.nodeKey != "" {
			opts = append(opts, WithNodeCredentials(map[string]registry.Credential{tc.nodeKey: cred}))
		}
		n := MustNew("n", reg, opts...)
		pod := Pod{Name: "p", Spec: PodSpec{Containers: []Container{{Name: "app", Image: image}}}}
		if tc.secretKey != "" {
			if _, err := cl.CreateSecret(DockerConfigSecret("", "v6", map[string]registry.Credential{tc.secretKey: cred})); err != nil {
				t.Fatal(err)
			}
			pod.Spec.ImagePullSecrets = []string{"v6"}
		}
		p := n.MustCreatePod(pod)
		st := p.Status.ContainerStatuses[0].State
		if got := st.Running != nil; got != tc.running {
			t.Errorf("case %d: secret key %q, node key %q: running = %v (waiting %+v), want %v", i, tc.secretKey, tc.nodeKey, got, st.Waiting, tc.running)
		}
		if !tc.running && (st.Waiting == nil || st.Waiting.Reason != "ErrImagePull") {
			t.Errorf("case %d: secret key %q, node key %q: state %+v, want waiting ErrImagePull", i, tc.secretKey, tc.nodeKey, st)
		}
		if got := reg.Counters().Resolves; got != 1 {
			t.Errorf("case %d: resolves = %d, want 1 (one credential, or an anonymous pull)", i, got)
		}
	}
}

// The kubelet's DockerConfigEntry decodes its own auth field, so
// json.Unmarshal stops at the first bad entry in document order (not map
// order, not key order), a bad auth or a mistyped field alike, and decodes
// every occurrence of a repeated key; a mistyped auths value is only
// remembered by encoding/json, so a bad entry after it still wins.
func TestParseDockerConfigFirstBadEntry(t *testing.T) {
	for i, tc := range firstBadEntryCases() {
		key := DockerConfigJSONKey
		if tc.typ == SecretTypeDockercfg {
			key = DockerConfigKey
		}
		s := Secret{Namespace: "default", Name: "s", Type: tc.typ, Data: map[string][]byte{key: []byte(tc.data)}}
		got, ok, err := parseDockerConfig(s)
		if err == nil || err.Error() != tc.err || got != nil || ok {
			t.Errorf("case %d: parseDockerConfig(%s %s) = %v, %v, %v, want error %q", i, tc.typ, tc.data, got, ok, err, tc.err)
		}
	}
}

// firstBadEntryCases is TestParseDockerConfigFirstBadEntry's table, also
// FuzzParseDockerConfig's seeds.
func firstBadEntryCases() []struct{ typ, data, err string } {
	const (
		badB64    = "illegal base64 data at input byte 3"
		noColon   = "unable to parse auth field, must be formatted as base64(username:password)"
		userType  = "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths.username of type string"
		entryType = "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths of type credentialprovider.dockerConfigEntryWithAuth"
		authsType = "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths of type credentialprovider.DockerConfig"
	)
	bad := `{"auth":"not base64!"}`              // fails with badB64
	colon := `{"auth":"` + b64("nocolon") + `"}` // fails with noColon
	good := `{"auth":"` + b64("u:p") + `"}`
	return []struct {
		typ, data string
		err       string // wanted error text
	}{
		// Two bad entries: the first written wins, whichever sorts first.
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":` + bad + `,"a.example.com":` + colon + `}}`, badB64},
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":` + colon + `,"a.example.com":` + bad + `}}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + bad + `,"b.example.com":` + colon + `}}`, badB64},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + colon + `,"b.example.com":` + bad + `}}`, noColon},
		{SecretTypeDockercfg, `{"b.example.com":` + bad + `,"a.example.com":` + colon + `}`, badB64},
		{SecretTypeDockercfg, `{"b.example.com":` + colon + `,"a.example.com":` + bad + `}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"x":` + good + `,"y":` + colon + `,"z":` + good + `,"w":` + bad + `}}`, noColon},
		// Every occurrence counts: a repeated key, a second auths object,
		// an auths object later replaced by null.
		{SecretTypeDockerConfigJSON, `{"auths":{"r.example.com":` + bad + `,"r.example.com":` + good + `}}`, badB64},
		{SecretTypeDockercfg, `{"r.example.com":` + colon + `,"r.example.com":` + good + `}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + good + `},"auths":{"b.example.com":` + colon + `}}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + colon + `},"AUTHS":{"b.example.com":` + bad + `}}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + bad + `},"auths":null}`, badB64},
		{SecretTypeDockerConfigJSON, `{"auths":null,"auths":{"b.example.com":` + bad + `,"a.example.com":` + colon + `}}`, badB64},
		{SecretTypeDockerConfigJSON, `{"auths":null,"auths":{"b.example.com":` + colon + `,"a.example.com":` + bad + `}}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + good + `},"auths":null,"auths":{"b.example.com":` + colon + `}}`, noColon},
		// A mistyped field is a bad entry too, in its place.
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":` + bad + `,"a.example.com":{"username":1}}}`, badB64},
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":{"username":1},"a.example.com":` + bad + `}}`, userType},
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":5,"a.example.com":` + bad + `}}`, entryType},
		{SecretTypeDockerConfigJSON, `{"auths":{"b.example.com":` + bad + `,"a.example.com":5}}`, badB64},
		{SecretTypeDockercfg, `{"b.example.com":{"username":1},"a.example.com":` + bad + `}`,
			"json: cannot unmarshal number into Go struct field dockerConfigEntryWithAuth.username of type string"},
		// A mistyped auths value is reported only when no entry is bad.
		{SecretTypeDockerConfigJSON, `{"auths":5,"auths":{"a.example.com":` + colon + `}}`, noColon},
		{SecretTypeDockerConfigJSON, `{"auths":5,"auths":{"a.example.com":{"username":1}}}`, userType},
		{SecretTypeDockerConfigJSON, `{"auths":5,"auths":{"a.example.com":` + good + `}}`, authsType},
		// The kubelet's type names, as encoding/json prints them.
		{SecretTypeDockercfg, `5`, "json: cannot unmarshal number into Go value of type credentialprovider.DockerConfig"},
		{SecretTypeDockerConfigJSON, `[]`, "json: cannot unmarshal array into Go value of type credentialprovider.DockerConfigJSON"},
		// Bad JSON is reported before any entry is decoded.
		{SecretTypeDockerConfigJSON, `{"auths":{"a.example.com":` + bad + `}`, "unexpected end of JSON input"},
	}
}

// kubeletEntry is the fuzz oracle's DockerConfigEntry: like the kubelet's,
// it decodes its own auth field in UnmarshalJSON, so that encoding/json
// itself decides which bad entry a docker config reports.
type kubeletEntry struct{ e dockerConfigEntry }

// authError marks the oracle's auth-field errors.
type authError struct{ error }

func (k *kubeletEntry) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &k.e); err != nil {
		return err
	}
	if k.e.Auth == "" {
		return nil
	}
	user, pass, err := decodeAuth(k.e.Auth)
	if err != nil {
		return authError{err}
	}
	k.e.Username, k.e.Password = user, pass
	return nil
}

// kubeletDecode is MakeDockerKeyring's json.Unmarshal of a docker config.
func kubeletDecode(raw []byte, nested bool) (map[string]dockerConfigEntry, error) {
	var m map[string]kubeletEntry
	var err error
	if nested {
		var cfg struct {
			Auths map[string]kubeletEntry `json:"auths"`
		}
		err = json.Unmarshal(raw, &cfg)
		m = cfg.Auths
	} else {
		err = json.Unmarshal(raw, &m)
	}
	if m == nil {
		return nil, err
	}
	out := make(map[string]dockerConfigEntry, len(m))
	for k, v := range m {
		out[k] = v.e
	}
	return out, err
}

// FuzzParseDockerConfig: parseDockerConfig never panics, is deterministic,
// fails exactly when the kubelet's decoding fails, with the same auth error
// (the first bad entry in document order) or bad-JSON error, or a type
// error where the kubelet has one; and when it succeeds its entries are
// the kubelet's, username and password filled in from auth.
func FuzzParseDockerConfig(f *testing.F) {
	for _, tc := range parseDockerConfigCases {
		if d, ok := tc.data[DockerConfigJSONKey]; ok {
			f.Add([]byte(d), false)
		}
		if d, ok := tc.data[DockerConfigKey]; ok {
			f.Add([]byte(d), true)
		}
	}
	for _, tc := range firstBadEntryCases() {
		f.Add([]byte(tc.data), tc.typ == SecretTypeDockercfg)
	}
	f.Fuzz(func(t *testing.T, data []byte, dockercfg bool) {
		s := Secret{Type: SecretTypeDockerConfigJSON, Data: map[string][]byte{DockerConfigJSONKey: data}}
		if dockercfg {
			s = Secret{Type: SecretTypeDockercfg, Data: map[string][]byte{DockerConfigKey: data}}
		}
		got, ok, err := parseDockerConfig(s)
		for range 3 {
			got2, ok2, err2 := parseDockerConfig(s)
			if fmt.Sprint(err2) != fmt.Sprint(err) || ok2 != ok || !reflect.DeepEqual(got2, got) {
				t.Fatalf("parseDockerConfig(%q) not deterministic: (%v, %v, %v) then (%v, %v, %v)", data, got, ok, err, got2, ok2, err2)
			}
		}
		if err != nil && (got != nil || ok) {
			t.Fatalf("parseDockerConfig(%q) = %v, %v with error %v", data, got, ok, err)
		}
		if len(data) == 0 {
			if got != nil || ok || err != nil {
				t.Fatalf("parseDockerConfig(empty) = %v, %v, %v, want nothing", got, ok, err)
			}
			return
		}
		want, werr := kubeletDecode(data, !dockercfg)
		var wauth authError
		var wtype *json.UnmarshalTypeError
		switch {
		case werr == nil:
			if err != nil || !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("parseDockerConfig(%q) = %v, %v, %v, want %v", data, got, ok, err, want)
			}
		case errors.As(werr, &wauth):
			if err == nil || err.Error() != wauth.Error() {
				t.Fatalf("parseDockerConfig(%q) error = %v, want the auth error %q", data, err, wauth.Error())
			}
		case errors.As(werr, &wtype):
			if !errors.As(err, new(*json.UnmarshalTypeError)) {
				t.Fatalf("parseDockerConfig(%q) error = %v, want a type error like %q", data, err, werr)
			}
		default: // bad JSON
			if err == nil || err.Error() != werr.Error() {
				t.Fatalf("parseDockerConfig(%q) error = %v, want %q", data, err, werr)
			}
		}
	})
}

// FuzzValidatePattern: validatePattern never panics and accepts exactly
// trimmed patterns that are a repository name as normalised (no tag, no
// digest) or that end in "/*" after a non-empty prefix with no other '*';
// each rejection is worded as the kubelet words it, naming the pattern.
func FuzzValidatePattern(f *testing.F) {
	for _, tc := range validatePatternCases {
		f.Add(tc.pattern)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := validatePattern(p)
		if fmt.Sprint(validatePattern(p)) != fmt.Sprint(err) {
			t.Fatalf("validatePattern(%q) not deterministic", p)
		}
		if p != strings.TrimSpace(p) {
			if want := "leading/trailing spaces are not allowed: " + p; err == nil || err.Error() != want {
				t.Fatalf("validatePattern(%q) = %v, want %q", p, err, want)
			}
			return
		}
		rest, wildcard := strings.CutSuffix(p, "/*")
		parsed, perr := reference.Parse(p)
		named, ok := parsed.(reference.Named)
		isName := perr == nil && ok && named.Name() == p
		valid := !strings.Contains(rest, "*") && (wildcard && rest != "" || !wildcard && isName)
		if (err == nil) != valid {
			t.Fatalf("validatePattern(%q) = %v, want valid = %v", p, err, valid)
		}
		if err == nil {
			if !wildcard {
				// A repository takes a wildcard, never a tag.
				if e := validatePattern(p + "/*"); e != nil {
					t.Fatalf("validatePattern(%q) = nil, but validatePattern(%q) = %v", p, p+"/*", e)
				}
				want := "neither tag nor digest is accepted in an image reference: " + p + ":latest"
				if e := validatePattern(p + ":latest"); e == nil || e.Error() != want {
					t.Fatalf("validatePattern(%q) = %v, want %q", p+":latest", e, want)
				}
			}
			return
		}
		msg := err.Error()
		switch {
		case msg == "at least registry hostname is required":
			if p != "/*" {
				t.Fatalf("validatePattern(%q) = %q", p, msg)
			}
		case strings.HasPrefix(msg, "failed to parse as an image name: "):
			if perr == nil || wildcard || strings.Contains(p, "*") {
				t.Fatalf("validatePattern(%q) = %q, but the pattern parses or is a wildcard", p, msg)
			}
		case msg == "the supplied pattern is too short: "+p:
			if p != "" {
				t.Fatalf("validatePattern(%q) = %q", p, msg)
			}
		case msg == "not a valid wildcard pattern, only patterns ending with '/*' are allowed: "+p:
			if !strings.Contains(rest, "*") {
				t.Fatalf("validatePattern(%q) = %q, but only a final /* is a wildcard", p, msg)
			}
		case msg == "neither tag nor digest is accepted in an image reference: "+p:
			if perr != nil || isName {
				t.Fatalf("validatePattern(%q) = %q, but ParseNormalizedNamed gives %v, %v", p, msg, named, perr)
			}
		default:
			t.Fatalf("validatePattern(%q) = unexpected error %q", p, msg)
		}
	})
}

// literalHost reports whether a location's host (without its port, as the
// kubelet's splitURL has it) has no glob metacharacters.
func literalHost(u *url.URL) bool {
	h, _, err := net.SplitHostPort(u.Host)
	if err != nil {
		h = u.Host
	}
	return !strings.ContainsAny(h, `*?[]\`)
}

// FuzzURLsMatch: urlsMatch never panics and is deterministic; a location
// that does not parse matches nothing; a match means equal ports, the
// key's path a prefix of the target's and, for a key without glob
// characters, the same host name; a key without glob characters matches
// itself (an IPv6 "[::1]:5000" included) and, filed in a keyring, is found
// by looking itself up; a match survives a longer target path.
func FuzzURLsMatch(f *testing.F) {
	for _, tc := range urlsMatchCases {
		f.Add(tc.glob, tc.target)
	}
	for _, tc := range keyringKeyCases {
		f.Add(tc.location, tc.key)
	}
	f.Fuzz(func(t *testing.T, glob, target string) {
		got := urlsMatch(glob, target)
		if urlsMatch(glob, target) != got {
			t.Fatalf("urlsMatch(%q, %q) not deterministic", glob, target)
		}
		gu, gerr := parseSchemeless(glob)
		tu, terr := parseSchemeless(target)
		if gerr != nil || terr != nil {
			if got {
				t.Fatalf("urlsMatch(%q, %q) = true, but parsing gives %v, %v", glob, target, gerr, terr)
			}
			return
		}
		if got {
			if gu.Port() != tu.Port() || !strings.HasPrefix(tu.Path, gu.Path) {
				t.Fatalf("urlsMatch(%q, %q) = true: ports %q, %q, paths %q, %q", glob, target, gu.Port(), tu.Port(), gu.Path, tu.Path)
			}
			if literalHost(gu) && gu.Hostname() != tu.Hostname() {
				t.Fatalf("urlsMatch(%q, %q) = true: host %q is not %q", glob, target, tu.Hostname(), gu.Hostname())
			}
			if longer := target + "/x"; !urlsMatch(glob, longer) {
				if lu, err := parseSchemeless(longer); err == nil && lu.Host == tu.Host && strings.HasPrefix(lu.Path, tu.Path) {
					t.Fatalf("urlsMatch(%q, %q) = true, but urlsMatch(%q, %q) = false", glob, target, glob, longer)
				}
			}
		}
		if literalHost(gu) && !urlsMatch(glob, glob) {
			t.Fatalf("urlsMatch(%q, %q) = false: a key without globs must match itself", glob, glob)
		}
		var k keyring
		k.add(map[string]dockerConfigEntry{glob: {}}, named("k"))
		for _, key := range k.index {
			// The key is the host and the decoded path, as upstream: one
			// with an escape ("/a%20b") may not parse again, matching nothing.
			ku, err := parseSchemeless(key)
			if err == nil && literalHost(ku) && !slices.Contains(names(k.lookup(key)), "k") {
				t.Fatalf("add(%q) filed %q, but lookup(%q) = %q", glob, key, key, names(k.lookup(key)))
			}
		}
	})
}
