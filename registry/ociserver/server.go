package ociserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/pullsim/pullsim/registry"
)

// Option configures a handler made by [New].
type Option func(*options)

type options struct {
	defaultHost     string
	realm           string
	logger          *slog.Logger
	maxBlobSize     int64
	maxManifestSize int64
	maxUploads      int
	hang            time.Duration
	err             error // the first invalid option
}

// WithDefaultHost names the registry host a request reaches when it has
// no ns query parameter and its Host header names no host the registry
// holds: what a client pointed at 127.0.0.1:5000 talks to. The default is
// "docker.io"; an empty host keeps it. The host must be a registry host as
// distribution/reference reads the domain of a reference, lowercase
// ("registry.example.com", "localhost:5000"): anything else ("Docker.IO",
// "https://docker.io") makes [ListenAndServe] and [New] return an error
// (and [MustNew] panic).
func WithDefaultHost(host string) Option {
	return func(o *options) {
		if host == "" {
			return
		}
		if err := checkHost(host); err != nil {
			if o.err == nil {
				o.err = fmt.Errorf("ociserver: WithDefaultHost: %w", err)
			}
			return
		}
		o.defaultHost = host
	}
}

// WithTokenRealm sets the realm of the Bearer challenge, the URL clients
// fetch tokens from. The default is the server's own /token endpoint at
// the address the request came to.
func WithTokenRealm(url string) Option { return func(o *options) { o.realm = url } }

// WithLogger logs one line per request (method, path, host, status) at
// debug level, and failures of the handler at warn level. The default
// logs nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxBlobSize caps the size of one blob upload, in bytes; larger ones
// fail with 413 SIZE_INVALID and store nothing. The default is 1 GiB; a
// size below 1 keeps it.
func WithMaxBlobSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBlobSize = n
		}
	}
}

// WithMaxManifestSize caps a manifest, in bytes; the default is 4 MiB, the
// limit distribution and containerd apply; a size below 1 keeps it.
func WithMaxManifestSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxManifestSize = n
		}
	}
}

// WithMaxUploads caps the upload sessions open at once; the default is
// 1000, and a number below 1 keeps it. Another POST fails with 429
// TOOMANYREQUESTS until one finishes.
func WithMaxUploads(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxUploads = n
		}
	}
}

// WithTimeoutHang sets how long a request meeting [registry.FaultTimeout]
// hangs before the server drops its connection, unless the client gives
// up first. The default is 30 s, containerd's dial timeout; a negative
// duration keeps it.
func WithTimeoutHang(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.hang = d
		}
	}
}

// server is the handler New returns.
type server struct {
	reg *registry.Registry
	opt options

	mu      sync.Mutex
	uploads map[string]*upload
	nextID  int
	tokens  map[string]registry.Credential
}

// New returns an http.Handler that serves reg over the OCI distribution
// API v1.1, or an error naming an invalid option. See the package
// documentation for hosts, authentication and faults.
func New(reg *registry.Registry, opts ...Option) (http.Handler, error) {
	return newHandler(reg, opts...)
}

// MustNew is New for tests and examples: it panics on an invalid option.
func MustNew(reg *registry.Registry, opts ...Option) http.Handler {
	h, err := New(reg, opts...)
	if err != nil {
		panic(err)
	}
	return h
}

// newHandler is New.
func newHandler(reg *registry.Registry, opts ...Option) (http.Handler, error) {
	s := &server{
		reg: reg,
		opt: options{
			defaultHost:     "docker.io",
			maxBlobSize:     1 << 30,
			maxManifestSize: 4 << 20,
			maxUploads:      1000,
			hang:            30 * time.Second,
		},
		uploads: make(map[string]*upload),
		tokens:  make(map[string]registry.Credential),
	}
	for _, o := range opts {
		o(&s.opt)
	}
	if s.opt.err != nil {
		return nil, s.opt.err
	}
	if s.opt.logger == nil {
		return s, nil
	}
	return logged{s}, nil
}

// request is one parsed request of the distribution API.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	host string // the registry host chosen
	ns   string // the ns parameter, carried into every URL handed out
	name string // repository path as the client wrote it
	repo string // host/name, fully qualified
	cred registry.Credential
}

// ServeHTTP routes /v2/ and /token.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	switch {
	case r.URL.Path == "/token":
		s.serveToken(w, r)
		return
	case r.URL.Path == "/v2" || r.URL.Path == "/v2/":
		s.servePing(w, r)
		return
	case !strings.HasPrefix(r.URL.Path, "/v2/"):
		writeError(w, http.StatusNotFound, "NOT_FOUND", "not a distribution API path: "+r.URL.Path, nil)
		return
	}
	host, err := s.hostOf(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", err.Error(), nil)
		return
	}
	rq := &request{w: w, r: r, host: host, ns: r.URL.Query().Get("ns")}
	cred, bad := s.credential(r, host)
	rq.cred = cred
	seg := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	n := len(seg)
	var route string
	var arg string
	switch {
	case n >= 3 && seg[n-2] == "tags" && seg[n-1] == "list":
		route, seg = "tags", seg[:n-2]
	case n >= 3 && seg[n-2] == "manifests":
		route, arg, seg = "manifest", seg[n-1], seg[:n-2]
	case n >= 3 && seg[n-2] == "referrers":
		route, arg, seg = "referrers", seg[n-1], seg[:n-2]
	case n >= 4 && seg[n-3] == "blobs" && seg[n-2] == "uploads":
		route, arg, seg = "upload", seg[n-1], seg[:n-3]
	case n >= 3 && seg[n-2] == "blobs" && seg[n-1] == "uploads" && r.Method == http.MethodPost:
		route, seg = "upload", seg[:n-2]
	case n >= 3 && seg[n-2] == "blobs":
		route, arg, seg = "blob", seg[n-1], seg[:n-2]
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "not a distribution API path: "+r.URL.Path, nil)
		return
	}
	rq.name = strings.Join(seg, "/")
	repo, err := registry.ParseRepository(rq.host + "/" + rq.name)
	if err != nil || rq.name == "" {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name "+quote(rq.name), nil)
		return
	}
	rq.repo = repo
	if bad && (route != "upload" || arg == "") {
		// A token this server never issued, as a registry answers an
		// expired or forged one, or credentials that are no account of
		// the host, whatever the repository. An upload session's host is
		// its own: serveUpload checks against it.
		s.fail(rq, registry.ErrBadCredentials)
		return
	}
	switch route {
	case "tags":
		s.serveTags(rq)
	case "manifest":
		s.serveManifest(rq, arg)
	case "referrers":
		s.serveReferrers(rq, arg)
	case "upload":
		s.serveUpload(rq, arg)
	case "blob":
		s.serveBlob(rq, arg)
	}
}

// hostOf chooses the registry host of a request: the host the ns query
// parameter names, which containerd adds when it talks to a mirror, held
// by the registry or not (reads of a host it lacks answer 404, pushes
// create it); else the Host header when the registry holds that host;
// else the default host. A malformed ns is an error.
func (s *server) hostOf(r *http.Request) (string, error) {
	if ns := r.URL.Query().Get("ns"); ns != "" {
		if err := checkHost(ns); err != nil {
			return "", fmt.Errorf("invalid ns parameter: %w", err)
		}
		return ns, nil
	}
	if r.Host != "" && s.reg.HasHost(r.Host) {
		return r.Host, nil
	}
	return s.opt.defaultHost, nil
}

// checkHost checks that host is a registry host as distribution/reference
// reads the domain of a reference ("docker.io", "registry.example.com",
// "localhost:5000", "[::1]:5000"), written as it stays: lowercase, and not
// a name reference would read as a path ("library") or rewrite
// ("index.docker.io").
func checkHost(host string) error {
	named, err := reference.ParseNormalizedNamed(host + "/x")
	if err != nil || reference.Domain(named) != host || strings.ToLower(host) != host {
		return fmt.Errorf("%q is not a registry host; want a lowercase host such as docker.io or localhost:5000", host)
	}
	return nil
}

// url is a URL the server hands out (a Location, a Link) for path on the
// request's repository, with query and the request's ns parameter, so
// that a client following it through a mirror reaches the same host.
func (rq *request) url(path string, query url.Values) string {
	if rq.ns != "" {
		if query == nil {
			query = url.Values{}
		}
		query.Set("ns", rq.ns)
	}
	u := "/v2/" + rq.name + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// servePing answers GET /v2/: 200, or 401 with a challenge when the host
// has private repositories, as Docker Hub challenges every client, so that
// clients that decide how to authenticate from the ping (go-containerregistry)
// learn the realm.
func (s *server) servePing(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+r.Method+" on /v2/", nil)
		return
	}
	host, err := s.hostOf(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", err.Error(), nil)
		return
	}
	if !s.meetFault(&request{w: w, r: r, host: host}) {
		return
	}
	if cred, bad := s.credential(r, host); (cred.Anonymous() || bad) && s.reg.HasPrivate(host) {
		s.challenge(w, r, host, "", "")
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte("{}"))
	}
}

// meetFault fails a request that is none of a pull's reads (those meet
// faults in the registry) with its repository's or host's fault, as an
// outage fails every request, and reports whether the request may go on.
func (s *server) meetFault(rq *request) bool {
	scope := rq.repo
	if scope == "" {
		scope = rq.host
	}
	if err := s.reg.RequestFault(scope); err != nil {
		s.fail(rq, err)
		return false
	}
	return true
}

// logged wraps the handler with request logging.
type logged struct{ s *server }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (l logged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			l.s.opt.logger.Debug("request", "method", r.Method, "path", r.URL.Path, "host", r.Host, "status", "connection dropped")
			panic(v)
		}
		l.s.opt.logger.Debug("request", "method", r.Method, "path", r.URL.Path, "host", r.Host, "status", sw.status)
	}()
	l.s.ServeHTTP(sw, r)
}
