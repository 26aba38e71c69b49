package node

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pullsim/pullsim/node/internal/credentialprovider"
	"github.com/pullsim/pullsim/registry"
)

// This file is the kubelet's credential keyring (pkg/credentialprovider):
// docker config entries keyed by registry location, matched against the
// normalised repository of an image, each credential tagged with where it
// came from so that KEP-2535 can record who pulled.

// credSource says where a credential came from.
type credSource uint8

const (
	fromNode           credSource = iota // node docker config: no source
	fromSecret                           // a pod pull secret
	fromServiceAccount                   // a service-account credential provider
)

// trackedCred is a credential and its source (TrackedAuthConfig).
type trackedCred struct {
	cred   registry.Credential
	source credSource
	// Coordinates of the secret or service account.
	uid, namespace, name string
	hash                 string // secrets: the credential hash
}

// keyring maps docker config locations to credentials.
type keyring struct {
	index []string // locations, reverse-sorted so longer paths match first
	creds map[string][]trackedCred
	globs map[string]location // each location, split for matching
}

// location is a keyring location or a repository split as urlsMatch
// compares them: host parts, port and path.
type location struct {
	parts []string
	port  string
	path  string
	ok    bool // it parsed
}

func parseLocation(s string) location {
	u, err := parseSchemeless(s)
	if err != nil {
		return location{}
	}
	parts, port := splitHost(u.Host)
	return location{parts, port, u.Path, true}
}

// matches is urlsMatch on split values.
func (g location) matches(t location) bool {
	if !g.ok || !t.ok || g.port != t.port || len(g.parts) != len(t.parts) || !strings.HasPrefix(t.path, g.path) {
		return false
	}
	for i, p := range g.parts {
		if ok, err := filepath.Match(p, t.parts[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// dockerConfigEntry is one auths entry as the kubelet reads it.
type dockerConfigEntry = credentialprovider.DockerConfigEntry

// add files the entries of a docker config (location -> entry); source
// turns an entry, with its location as written, into a credential.
func (k *keyring) add(cfg map[string]dockerConfigEntry, source func(string, dockerConfigEntry) trackedCred) {
	if k.creds == nil {
		k.creds = make(map[string][]trackedCred)
		k.globs = make(map[string]location)
	}
	locs := make([]string, 0, len(cfg))
	for loc := range cfg {
		locs = append(locs, loc)
	}
	sort.Strings(locs) // deterministic order within one config
	for _, loc := range locs {
		value := loc
		if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
			value = "https://" + value
		}
		parsed, err := url.Parse(value)
		if err != nil {
			continue // the kubelet logs and ignores the entry
		}
		// The docker client treats /v1/ and /v2/ as the bare host.
		path := parsed.Path
		if strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, "/v1/") {
			path = path[3:]
		}
		key := parsed.Host
		if path != "" && path != "/" {
			key = parsed.Host + path
		}
		k.creds[key] = append(k.creds[key], source(loc, cfg[loc]))
		if !slices.Contains(k.index, key) {
			k.index = append(k.index, key)
			k.globs[key] = parseLocation(key)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(k.index)))
}

// lookup returns the credentials for a normalised repository
// (docker.io/library/nginx), most specific location first.
func (k *keyring) lookup(repo string) []trackedCred {
	if len(k.index) == 0 {
		return nil
	}
	var out []trackedCred
	target := parseLocation(repo)
	for _, key := range k.index {
		if k.globs[key].matches(target) {
			out = append(out, k.creds[key]...)
		}
	}
	if len(out) == 0 && isDefaultRegistryMatch(repo) {
		out = append(out, k.creds["index.docker.io"]...)
	}
	return out
}

// isDefaultRegistryMatch reports whether repo is pulled from Docker Hub.
func isDefaultRegistryMatch(repo string) bool {
	first, _, found := strings.Cut(repo, "/")
	if first == "" {
		return false
	}
	if !found || first == "docker.io" || first == "index.docker.io" {
		return true
	}
	return !strings.ContainsAny(first, ".:")
}

// urlsMatch matches a keyring location (a host glob, optionally with port
// and path) against a repository: same port, same number of host parts each
// matching its glob, and the location's path a prefix of the repository's.
func urlsMatch(glob, target string) bool {
	return parseLocation(glob).matches(parseLocation(target))
}

func parseSchemeless(s string) (*url.URL, error) {
	u, err := url.Parse("https://" + s)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// splitHost splits a URL host into its dot-separated parts and its port,
// as the kubelet's splitURL does: net.SplitHostPort, and where that fails
// (no port, or more colons than a host:port has) the whole host and no
// port. So "[::1]:5000" is the part "::1" and the port "5000", while a
// bracketed address without a port, "[::1]", stays one part, brackets and
// all, which as a filepath.Match pattern is a character class: upstream, a
// "[::1]" key matches no "[::1]" image.
func splitHost(host string) ([]string, string) {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = host, ""
	}
	return strings.Split(h, "."), port
}

// parseDockerConfig reads the auths of a pull secret: ok is false for a
// secret of another type, or one without the key, which the kubelet ignores.
// Bad JSON is an error the kubelet returns as it is.
//
// Decoding follows the kubelet's types, so errors come out as the kubelet's
// do: each entry decodes its own auth field (as DockerConfigEntry does), so
// encoding/json stops at the first bad entry in document order, while a
// mistyped value outside the entries is remembered and reported only if no
// entry fails.
func parseDockerConfig(s Secret) (map[string]dockerConfigEntry, bool, error) {
	var raw []byte
	switch s.Type {
	case SecretTypeDockerConfigJSON:
		raw = s.Data[DockerConfigJSONKey]
	case SecretTypeDockercfg:
		raw = s.Data[DockerConfigKey]
	default:
		return nil, false, nil // other secret types are silently ignored
	}
	if len(raw) == 0 {
		return nil, false, nil
	}
	// Decoded into the kubelet's own types, so type errors name them.
	if s.Type == SecretTypeDockerConfigJSON {
		var cfg credentialprovider.DockerConfigJSON
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, false, err
		}
		return cfg.Auths, true, nil
	}
	var cfg credentialprovider.DockerConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, false, err
	}
	return cfg, true, nil
}

// decodeAuth decodes an auth field, base64(username:password).
func decodeAuth(auth string) (user, pass string, err error) {
	return credentialprovider.DecodeAuth(auth)
}

// credentialHash is KEP-2535's hash of a credential: SHA-256 of the JSON of
// its username and password (and e-mail, if any).
func credentialHash(e dockerConfigEntry) string {
	b, _ := json.Marshal(struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		Email    string `json:"email,omitempty"`
	}{e.Username, e.Password, e.Email})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
