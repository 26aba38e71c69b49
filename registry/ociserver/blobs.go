package ociserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

// upload is one blob upload session. Its bytes live here until the final
// PUT; only a verified blob reaches the registry, in the repository (and
// so the host) the session was started for.
type upload struct {
	id   string
	host string
	ns   string
	name string
	repo string
	data []byte
}

// repoRef is the parsed repository a request addresses; repositories are
// few, so the shared cache stays small.
func (rq *request) repoRef() *pullpolicy.ImageRef {
	p, _ := pullpolicy.SharedRefs.Parse(rq.repo) // ParseRepository accepted it
	return p
}

// authorizeWrite meets the repository's fault and checks that the request
// may write the repository.
func (s *server) authorizeWrite(rq *request) bool {
	if !s.meetFault(rq) {
		return false
	}
	if err := s.reg.Authorize(rq.repo, rq.cred); err != nil {
		s.fail(rq, err)
		return false
	}
	return true
}

// serveBlob answers GET, HEAD and DELETE of /v2/<name>/blobs/<digest>.
func (s *server) serveBlob(rq *request, arg string) {
	dgst := digest.Digest(arg)
	if err := dgst.Validate(); err != nil {
		writeError(rq.w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+quote(arg)+": "+err.Error(), nil)
		return
	}
	h := rq.w.Header()
	switch rq.r.Method {
	case http.MethodHead:
		d, err := s.reg.StatBlob(rq.repoRef(), dgst, rq.cred)
		if err != nil {
			s.fail(rq, err)
			return
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
		h.Set("Docker-Content-Digest", dgst.String())
		h.Set("Accept-Ranges", "bytes")
		rq.w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		b, err := s.reg.FetchBlob(rq.repoRef(), dgst, rq.cred)
		if errors.Is(err, registry.ErrUnavailable) {
			s.dropMidBlob(rq, dgst)
		}
		if err != nil {
			s.fail(rq, err)
			return
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Docker-Content-Digest", dgst.String())
		h.Set("Etag", `"`+dgst.String()+`"`)
		h.Set("Cache-Control", "max-age=31536000")
		http.ServeContent(rq.w, rq.r, "", time.Time{}, bytes.NewReader(b.Data))
	case http.MethodDelete:
		if !s.authorizeWrite(rq) {
			return
		}
		if err := s.reg.DeleteBlob(rq.repo, dgst); err != nil {
			s.fail(rq, err)
			return
		}
		h.Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusAccepted)
	default:
		writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+rq.r.Method+" on a blob", nil)
	}
}

// dropMidBlob sends the headers of the blob and half its bytes, then drops
// the connection: an unavailable registry, seen by a client mid-download.
func (s *server) dropMidBlob(rq *request, dgst digest.Digest) {
	b, ok := s.reg.LookupBlob(rq.repo, dgst)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", dgst.String())
	h.Set("Content-Length", strconv.Itoa(len(b.Data)))
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(b.Data[:len(b.Data)/2])
	_ = http.NewResponseController(rq.w).Flush()
	panic(http.ErrAbortHandler)
}

// readBody reads a request body of at most limit bytes. A declared
// Content-Length that is negative (other than "unknown") or above the
// limit, or a body that runs past it, fails with 400 or 413 SIZE_INVALID.
func (s *server) readBody(rq *request, limit int64) ([]byte, bool) {
	if n := rq.r.ContentLength; n < -1 {
		writeError(rq.w, http.StatusBadRequest, "SIZE_INVALID", fmt.Sprintf("negative Content-Length %d", n), nil)
		return nil, false
	} else if n > limit {
		writeError(rq.w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Sprintf("Content-Length %d exceeds the limit of %d bytes", n, limit), nil)
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(rq.r.Body, limit+1))
	if err != nil {
		writeError(rq.w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "reading the body: "+err.Error(), nil)
		return nil, false
	}
	if int64(len(data)) > limit {
		writeError(rq.w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Sprintf("body exceeds the limit of %d bytes", limit), nil)
		return nil, false
	}
	return data, true
}

// serveUpload answers the upload endpoints: POST to start (monolithic with
// ?digest=, or a cross-repository mount with ?mount=), and PATCH, PUT, GET
// and DELETE of a session.
func (s *server) serveUpload(rq *request, id string) {
	if rq.r.Method == http.MethodPost {
		if id != "" {
			writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "POST to an upload session", nil)
			return
		}
		s.startUpload(rq)
		return
	}
	s.mu.Lock()
	u := s.uploads[id]
	s.mu.Unlock()
	// A session belongs to the repository path it was started for and
	// commits into that host, even when a request of it leaves out the ns
	// parameter that chose the host; one naming another host does not find it.
	if u == nil || u.name != rq.name || (rq.ns != "" && rq.ns != u.ns) {
		writeError(rq.w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "upload "+quote(id)+" unknown to the repository", nil)
		return
	}
	rq.host, rq.ns, rq.repo = u.host, u.ns, u.repo
	if _, bad := s.credential(rq.r, rq.host); bad {
		s.fail(rq, registry.ErrBadCredentials)
		return
	}
	if !s.authorizeWrite(rq) {
		return
	}
	switch rq.r.Method {
	case http.MethodGet:
		s.uploadStatus(rq, u, http.StatusNoContent)
	case http.MethodDelete:
		s.drop(u)
		rq.w.Header().Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		if s.appendChunk(rq, u) {
			s.uploadStatus(rq, u, http.StatusAccepted)
		}
	case http.MethodPut:
		if !s.appendChunk(rq, u) {
			return
		}
		dgst := digest.Digest(rq.r.URL.Query().Get("digest"))
		s.mu.Lock()
		data := u.data
		delete(s.uploads, u.id) // finished either way: nothing partial stays
		s.mu.Unlock()
		s.commitBlob(rq, dgst, data)
	default:
		writeError(rq.w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method "+rq.r.Method+" on an upload", nil)
	}
}

func (s *server) startUpload(rq *request) {
	if !s.authorizeWrite(rq) {
		return
	}
	q := rq.r.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		from := ""
		if f := q.Get("from"); f != "" {
			var err error
			if from, err = registry.ParseRepository(rq.host + "/" + f); err != nil {
				writeError(rq.w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name "+quote(f), nil)
				return
			}
		}
		if d, err := s.reg.MountBlob(from, rq.repo, digest.Digest(mount), rq.cred); err == nil {
			s.created(rq, d.Digest)
			return
		}
		// Not mountable: a plain upload session, as the spec says.
	}
	if dgst := q.Get("digest"); dgst != "" {
		data, ok := s.readBody(rq, s.opt.maxBlobSize)
		if ok {
			s.commitBlob(rq, digest.Digest(dgst), data)
		}
		return
	}
	s.mu.Lock()
	if len(s.uploads) >= s.opt.maxUploads {
		s.mu.Unlock()
		writeError(rq.w, http.StatusTooManyRequests, "TOOMANYREQUESTS", fmt.Sprintf("%d uploads are open; finish or cancel one", len(s.uploads)), nil)
		return
	}
	s.nextID++
	u := &upload{id: "pullsim-" + strconv.Itoa(s.nextID), host: rq.host, ns: rq.ns, name: rq.name, repo: rq.repo}
	s.uploads[u.id] = u
	s.mu.Unlock()
	s.uploadStatus(rq, u, http.StatusAccepted)
}

// appendChunk adds the request body to the session. A Content-Range must
// start where the session ends (416 otherwise, with the session's range).
func (s *server) appendChunk(rq *request, u *upload) bool {
	s.mu.Lock()
	size := int64(len(u.data))
	s.mu.Unlock()
	if cr := rq.r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseContentRange(cr)
		if !ok {
			writeError(rq.w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "malformed Content-Range "+quote(cr), nil)
			return false
		}
		if start != size {
			s.uploadHeaders(rq, u)
			writeError(rq.w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", fmt.Sprintf("Content-Range %s does not continue the upload at %d", cr, size), nil)
			return false
		}
		if rq.r.ContentLength >= 0 && rq.r.ContentLength != end-start+1 {
			writeError(rq.w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID", fmt.Sprintf("Content-Range %s does not match Content-Length %d", cr, rq.r.ContentLength), nil)
			return false
		}
	}
	data, ok := s.readBody(rq, s.opt.maxBlobSize-size)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if int64(len(u.data)) != size {
		writeError(rq.w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "a concurrent request changed the upload", nil)
		return false
	}
	u.data = append(u.data, data...)
	return true
}

// parseContentRange reads "<start>-<end>" (and tolerates a "bytes " prefix).
func parseContentRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(s, "bytes ")
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	return start, end, true
}

func (s *server) drop(u *upload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.uploads, u.id)
}

func (s *server) uploadHeaders(rq *request, u *upload) {
	s.mu.Lock()
	n := len(u.data)
	s.mu.Unlock()
	h := rq.w.Header()
	h.Set("Location", rq.url("/blobs/uploads/"+u.id, nil))
	h.Set("Docker-Upload-UUID", u.id)
	h.Set("Range", "0-"+strconv.Itoa(max(n-1, 0)))
}

func (s *server) uploadStatus(rq *request, u *upload, code int) {
	s.uploadHeaders(rq, u)
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(code)
}

// commitBlob verifies data against dgst and stores it.
func (s *server) commitBlob(rq *request, dgst digest.Digest, data []byte) {
	if dgst == "" {
		writeError(rq.w, http.StatusBadRequest, "DIGEST_INVALID", "the digest query parameter is required", nil)
		return
	}
	d, err := s.reg.PutBlob(rq.repo, dgst, data)
	if err != nil {
		s.fail(rq, err)
		return
	}
	s.created(rq, d.Digest)
}

func (s *server) created(rq *request, dgst digest.Digest) {
	h := rq.w.Header()
	h.Set("Location", rq.url("/blobs/"+dgst.String(), nil))
	h.Set("Docker-Content-Digest", dgst.String())
	h.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusCreated)
}
