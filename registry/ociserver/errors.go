package ociserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pullsim/pullsim/registry"
)

// errorBody is the distribution API's error document.
type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, message string, detail any) {
	body, _ := json.Marshal(errorBody{Errors: []errorEntry{{Code: code, Message: message, Detail: detail}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func quote(s string) string { return strconv.Quote(s) }

// Docker Hub's rate-limit headers: 100 pulls per 6 hours for anonymous
// clients, none left.
const (
	rateLimitLimit     = "100;w=21600"
	rateLimitRemaining = "0;w=21600"
)

// status maps an error of the registry to the status and code a real
// registry answers with. Faults without a wire form of their own, and
// kinds added later, answer 500 UNKNOWN with the error's text.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, registry.ErrNameInvalid):
		return http.StatusBadRequest, "NAME_INVALID"
	case errors.Is(err, registry.ErrDigestInvalid):
		return http.StatusBadRequest, "DIGEST_INVALID"
	case errors.Is(err, registry.ErrManifestBlobUnknown):
		return http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN"
	case errors.Is(err, registry.ErrManifestInvalid), errors.Is(err, registry.ErrTagInvalid):
		return http.StatusBadRequest, "MANIFEST_INVALID"
	case errors.Is(err, registry.ErrNameUnknown), errors.Is(err, registry.ErrHostUnknown):
		return http.StatusNotFound, "NAME_UNKNOWN"
	case errors.Is(err, registry.ErrManifestUnknown):
		return http.StatusNotFound, "MANIFEST_UNKNOWN"
	case errors.Is(err, registry.ErrBlobUnknown):
		return http.StatusNotFound, "BLOB_UNKNOWN"
	case errors.Is(err, registry.ErrUnauthorized):
		return http.StatusUnauthorized, "UNAUTHORIZED"
	case errors.Is(err, registry.ErrTooManyRequests):
		return http.StatusTooManyRequests, "TOOMANYREQUESTS"
	case errors.Is(err, registry.ErrSignatureInvalid):
		// A registry that enforces signing policy refuses the pull.
		return http.StatusForbidden, "DENIED"
	default:
		return http.StatusInternalServerError, "UNKNOWN"
	}
}

// fail answers err. Two faults have no status: a timeout hangs until the
// client gives up (or the hang limit passes) and then drops the
// connection; an unavailable registry drops it at once. Everything else is
// an error document, with a challenge for 401 and Docker Hub's rate-limit
// headers for 429.
func (s *server) fail(rq *request, err error) {
	switch {
	case errors.Is(err, registry.ErrTimeout):
		t := time.NewTimer(s.opt.hang)
		defer t.Stop()
		select {
		case <-rq.r.Context().Done():
		case <-t.C:
		}
		panic(http.ErrAbortHandler)
	case errors.Is(err, registry.ErrUnavailable):
		panic(http.ErrAbortHandler)
	}
	code, name := status(err)
	switch code {
	case http.StatusUnauthorized:
		s.challenge(rq.w, rq.r, rq.host, rq.name, scopeActions(rq.r.Method))
	case http.StatusTooManyRequests:
		rq.w.Header().Set("RateLimit-Limit", rateLimitLimit)
		rq.w.Header().Set("RateLimit-Remaining", rateLimitRemaining)
		rq.w.Header().Set("Docker-RateLimit-Source", "pullsim")
		rq.w.Header().Set("Retry-After", "60")
	}
	if code == http.StatusInternalServerError && s.opt.logger != nil {
		s.opt.logger.Warn("request failed", "method", rq.r.Method, "path", rq.r.URL.Path, "error", err)
	}
	message := err.Error()
	var re *registry.Error
	if errors.As(err, &re) {
		message = re.Err.Error()
	}
	writeError(rq.w, code, name, message, nil)
}
