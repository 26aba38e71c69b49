package ociserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// reference turns the last path segment of a manifest URL into a
// reference string for the registry: host/name@digest or host/name:tag.
func (rq *request) reference(arg string) (string, bool) {
	if strings.Contains(arg, ":") {
		if err := digest.Digest(arg).Validate(); err != nil {
			writeError(rq.w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+quote(arg)+": "+err.Error(), nil)
			return "", false
		}
		return rq.repo + "@" + arg, true
	}
	if arg == "" || len(arg) > 128 {
		writeError(rq.w, http.StatusBadRequest, "MANIFEST_INVALID", "invalid tag "+quote(arg), nil)
		return "", false
	}
	return rq.repo + ":" + arg, true
}

// validTags checks the tag parameters of a manifest PUT before anything is
// stored: a tag distribution/reference refuses fails the push with 400
// TAG_INVALID, as distribution answers.
func (rq *request) validTags(tags []string) bool {
	named, err := reference.ParseNormalizedNamed(rq.repo)
	if err != nil { // ParseRepository accepted it
		writeError(rq.w, http.StatusBadRequest, "NAME_INVALID", err.Error(), nil)
		return false
	}
	for _, tag := range tags {
		if _, err := reference.WithTag(named, tag); err != nil {
			writeError(rq.w, http.StatusBadRequest, "TAG_INVALID", "invalid tag "+quote(tag)+": "+err.Error(), nil)
			return false
		}
	}
	return true
}

// serveManifest answers GET, HEAD, PUT and DELETE of
// /v2/<name>/manifests/<reference>.
func (s *server) serveManifest(rq *request, arg string) {
	ref, ok := rq.reference(arg)
	if !ok {
		return
	}
	h := rq.w.Header()
	switch rq.r.Method {
	case http.MethodGet, http.MethodHead:
		p, err := pullpolicy.ParseImageRef(ref)
		if err != nil {
			writeError(rq.w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error(), nil)
			return
		}
		var m registry.Manifest
		if rq.r.Method == http.MethodHead {
			m.Descriptor, err = s.reg.HeadManifest(p, rq.cred)
		} else {
			m, err = s.reg.GetManifest(p, rq.cred)
		}
		if err != nil {
			s.fail(rq, err)
			return
		}
		h.Set("Content-Type", m.MediaType)
		h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
		h.Set("Docker-Content-Digest", m.Digest.String())
		h.Set("Etag", `"`+m.Digest.String()+`"`)
		rq.w.WriteHeader(http.StatusOK)
		if rq.r.Method == http.MethodGet {
			_, _ = rq.w.Write(m.Raw)
		}
	case http.MethodPut:
		if !s.authorizeWrite(rq) {
			return
		}
		tags := rq.r.URL.Query()["tag"]
		if !rq.validTags(tags) {
			return
		}
		raw, ok := s.readBody(rq, s.opt.maxManifestSize)
		if !ok {
			return
		}
		mediaType := rq.r.Header.Get("Content-Type")
		dgst, err := s.reg.PutManifest(ref, mediaType, raw)
		if err != nil {
			s.fail(rq, err)
			return
		}
		var tagged []string
		for _, tag := range tags {
			if err := s.reg.Tag(rq.repo+":"+tag, dgst); err != nil {
				s.fail(rq, err)
				return
			}
			tagged = append(tagged, tag)
		}
		if m, err := registry.ParseManifest(mediaType, raw, dgst.Algorithm()); err == nil && m.Subject() != "" {
			h.Set("OCI-Subject", m.Subject().String())
		}
		if len(tagged) > 0 {
			h.Set("OCI-Tag", strings.Join(tagged, ","))
		}
		h.Set("Location", rq.url("/manifests/"+dgst.String(), nil))
		h.Set("Docker-Content-Digest", dgst.String())
		h.Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusCreated)
	case http.MethodDelete:
		if !s.authorizeWrite(rq) {
			return
		}
		if err := s.reg.DeleteManifest(ref); err != nil {
			s.fail(rq, err)
			return
		}
		h.Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusAccepted)
	default:
		writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+rq.r.Method+" on a manifest", nil)
	}
}

// authorizeRead meets the repository's fault and checks that the request
// may read the repository, for the endpoints that do not go through a
// counted read.
func (s *server) authorizeRead(rq *request) bool {
	if !s.meetFault(rq) {
		return false
	}
	if err := s.reg.Authorize(rq.repo, rq.cred); err != nil {
		s.fail(rq, err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, mediaType string, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// serveTags answers GET /v2/<name>/tags/list with n and last, and a Link
// header to the next page.
func (s *server) serveTags(rq *request) {
	if rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead {
		writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+rq.r.Method+" on tags/list", nil)
		return
	}
	if !s.authorizeRead(rq) {
		return
	}
	q := rq.r.URL.Query()
	n := -1
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeError(rq.w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid n "+quote(v), nil)
			return
		}
	}
	last := q.Get("last")
	tags, more, err := s.reg.TagsPage(rq.repo, last, n)
	if err != nil {
		s.fail(rq, err)
		return
	}
	if more && len(tags) > 0 {
		next := url.Values{"last": {tags[len(tags)-1]}, "n": {strconv.Itoa(n)}}
		rq.w.Header().Set("Link", "<"+rq.url("/tags/list", next)+`>; rel="next"`)
	}
	if tags == nil {
		tags = []string{}
	}
	writeJSON(rq.w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rq.name, tags})
}

// serveReferrers answers GET /v2/<name>/referrers/<digest>, filtered by
// artifactType when asked.
func (s *server) serveReferrers(rq *request, arg string) {
	if rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead {
		writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+rq.r.Method+" on referrers", nil)
		return
	}
	dgst := digest.Digest(arg)
	if err := dgst.Validate(); err != nil {
		writeError(rq.w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+quote(arg)+": "+err.Error(), nil)
		return
	}
	if !s.authorizeRead(rq) {
		return
	}
	at := rq.r.URL.Query().Get("artifactType")
	refs, err := s.reg.Referrers(rq.repo, dgst, at)
	if err != nil {
		s.fail(rq, err)
		return
	}
	if at != "" {
		rq.w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(rq.w, registry.MediaTypeIndex, struct {
		SchemaVersion int                 `json:"schemaVersion"`
		MediaType     string              `json:"mediaType"`
		Manifests     []registry.Referrer `json:"manifests"`
	}{2, registry.MediaTypeIndex, refs})
}
