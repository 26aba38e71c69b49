package ociserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/registry"
)

// credential reads the Authorization header of a request to host: Basic
// credentials as they are, a Bearer token as the credentials it was issued
// for. bad reports a token this server never issued, or Basic credentials
// that are none of the host's accounts (the credentials its private
// repositories accept; a host without them takes any), as the token
// endpoint refuses them.
func (s *server) credential(r *http.Request, host string) (cred registry.Credential, bad bool) {
	if u, p, ok := r.BasicAuth(); ok {
		cred = registry.Credential{Username: u, Password: p}
		return cred, s.badAccount(host, cred)
	}
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return registry.Credential{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cred, ok = s.tokens[strings.TrimSpace(token)]
	return cred, !ok
}

// badAccount reports whether cred is none of host's accounts: the
// credentials its private repositories accept. A host without private
// repositories has no accounts, and takes any credentials.
func (s *server) badAccount(host string, cred registry.Credential) bool {
	return s.reg.HasPrivate(host) && !s.reg.AcceptsCredential(host, cred)
}

// scopeActions is what a request needs: pull to read, pull,push to write.
func scopeActions(method string) string {
	if method == http.MethodGet || method == http.MethodHead {
		return "pull"
	}
	return "pull,push"
}

// challenge sets the Bearer challenge of a 401, as Docker Hub words it:
// realm, service (the registry host, which the token endpoint reads back)
// and, for a repository, its scope.
func (s *server) challenge(w http.ResponseWriter, r *http.Request, host, name, actions string) {
	realm := s.opt.realm
	if realm == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		realm = scheme + "://" + r.Host + "/token"
	}
	c := fmt.Sprintf("Bearer realm=%s,service=%s", strconv.Quote(realm), strconv.Quote(host))
	if name != "" {
		c += fmt.Sprintf(",scope=%s", strconv.Quote("repository:"+name+":"+actions))
	}
	w.Header().Set("WWW-Authenticate", c)
}

// parseScope reads a token scope, "repository:<name>:<actions>"; ok is
// false for any other resource type or a malformed scope.
func parseScope(scope string) (name string, actions []string, ok bool) {
	rest, found := strings.CutPrefix(scope, "repository:")
	if !found {
		return "", nil, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", nil, false
	}
	name = rest[:i]
	for a := range strings.SplitSeq(rest[i+1:], ",") {
		if a = strings.TrimSpace(a); a != "" {
			actions = append(actions, a)
		}
	}
	return name, actions, true
}

// tokenFor returns the token standing for cred; the same credentials
// always get the same token.
func (s *server) tokenFor(cred registry.Credential) string {
	sum := sha256.Sum256([]byte(cred.Username + "\x00" + cred.Password))
	token := "pullsim." + hex.EncodeToString(sum[:16])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = cred
	return token
}

// serveToken is the token endpoint of the Docker token protocol: GET with
// Basic credentials (or none, for an anonymous token), or an OAuth2 POST
// with grant_type=password, as containerd sends. The service names the
// registry host whose repositories the scopes name, held by the registry
// or not (a push may create it); without one, the default host.
//
// The registry's accounts are the credentials its private repositories
// accept ([registry.Registry.SetPrivate]). So credentials are valid for a
// host when one of its private repositories accepts them, and, when the
// scopes name private repositories, when each of those does; a host
// without private repositories has no accounts and takes any credentials.
// Invalid credentials get 401 UNAUTHORIZED whatever the scope, as Docker
// Hub answers docker login with a wrong password. Anything else, an
// anonymous request included, gets a token that carries the credentials
// to the requests that present it.
func (s *server) serveToken(w http.ResponseWriter, r *http.Request) {
	var cred registry.Credential
	var service string
	var scopes []string
	switch r.Method {
	case http.MethodGet:
		if u, p, ok := r.BasicAuth(); ok {
			cred = registry.Credential{Username: u, Password: p}
		}
		service, scopes = r.URL.Query().Get("service"), r.URL.Query()["scope"]
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "UNSUPPORTED", "token request: "+err.Error(), nil)
			return
		}
		if gt := r.PostForm.Get("grant_type"); gt != "password" {
			writeError(w, http.StatusBadRequest, "UNSUPPORTED", "token request: grant_type "+strconv.Quote(gt)+" is not supported; use password", nil)
			return
		}
		cred = registry.Credential{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password")}
		service = r.PostForm.Get("service")
		for _, sc := range r.PostForm["scope"] {
			scopes = append(scopes, strings.Fields(sc)...)
		}
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+r.Method+" on /token", nil)
		return
	}
	host := s.opt.defaultHost
	if service != "" {
		// The service is the host the challenge named, as ns names one.
		if err := checkHost(service); err != nil {
			writeError(w, http.StatusBadRequest, "NAME_INVALID", "token request: service: "+err.Error(), nil)
			return
		}
		host = service
	}
	if !cred.Anonymous() {
		if s.badAccount(host, cred) {
			w.Header().Set("WWW-Authenticate", `Basic realm="pullsim"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "invalid username/password for "+strconv.Quote(host), nil)
			return
		}
		for _, sc := range scopes {
			name, _, ok := parseScope(sc)
			if !ok {
				continue
			}
			if err := s.reg.Authorize(host+"/"+name, cred); err != nil {
				w.Header().Set("WWW-Authenticate", `Basic realm="pullsim"`)
				writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "invalid username/password for "+strconv.Quote(name), nil)
				return
			}
		}
	}
	token := s.tokenFor(cred)
	body, _ := json.Marshal(map[string]any{"token": token, "access_token": token, "expires_in": 300})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
