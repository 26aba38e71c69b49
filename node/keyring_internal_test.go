package node

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// named returns a credential source that tags each credential with name,
// so that a lookup's result can be read as a list of names.
func named(name string) func(dockerConfigEntry) trackedCred {
	return func(e dockerConfigEntry) trackedCred {
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
	cases := []struct {
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
	}
	for i, tc := range cases {
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

// URLsMatch (pkg/credentialprovider/keyring.go): equal ports, the same
// number of dot-separated host parts, each matched by filepath.Match, and
// the key's path a plain string prefix of the image's path.
func TestURLsMatch(t *testing.T) {
	cases := []struct {
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
	}
	for i, tc := range cases {
		if got := urlsMatch(tc.glob, tc.target); got != tc.want {
			t.Errorf("case %d: urlsMatch(%q, %q) = %v, want %v", i, tc.glob, tc.target, got, tc.want)
		}
	}
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
	cases := []struct {
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
	for i, tc := range cases {
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
	cases := []struct {
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
		{"nginx", "neither tag nor digest is accepted in an image reference: nginx"},
		{"library/nginx", "neither tag nor digest is accepted in an image reference: library/nginx"},
		{"docker.io/library/nginx:1", "neither tag nor digest is accepted in an image reference: docker.io/library/nginx:1"},
		{"docker.io/library/nginx@sha256:" + fmt.Sprintf("%064d", 0), "neither tag nor digest is accepted in an image reference: docker.io/library/nginx@sha256:" + fmt.Sprintf("%064d", 0)},
		{"image.repo/", "failed to parse as an image name: invalid reference format"},
	}
	for i, tc := range cases {
		err := validatePattern(tc.pattern)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("case %d: validatePattern(%q) = %q, want nil", i, tc.pattern, err)
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("case %d: validatePattern(%q) = %v, want %q", i, tc.pattern, err, tc.err)
		}
	}
}

// trimTagDigest cuts the tag and digest of an image as written, keeping a
// registry port.
func TestTrimTagDigest(t *testing.T) {
	d := "sha256:" + fmt.Sprintf("%064d", 0)
	cases := []struct {
		image, want string
	}{
		{"ubuntu:22.04", "ubuntu"},
		{"ubuntu", "ubuntu"},
		{"docker.io/library/ubuntu:22.04", "docker.io/library/ubuntu"},
		{"ubuntu@" + d, "ubuntu"},
		{"ubuntu:22.04@" + d, "ubuntu"},
		{"localhost:5000/app:v1", "localhost:5000/app"},
		{"localhost:5000/app", "localhost:5000/app"},
		{"localhost:5000/app@" + d, "localhost:5000/app"},
		{"registry.example.com/team-a/app:v1", "registry.example.com/team-a/app"},
		{"", ""},
	}
	for i, tc := range cases {
		if got := trimTagDigest(tc.image); got != tc.want {
			t.Errorf("case %d: trimTagDigest(%q) = %q, want %q", i, tc.image, got, tc.want)
		}
	}
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
