package ociserver

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pullsim/pullsim/registry"
)

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"repository:library/nginx:pull", "repository:a/b:pull,push", "registry:catalog:*", "repository::pull", "repository:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, actions, ok := parseScope(s)
		if !ok {
			return
		}
		if name == "" || !strings.HasPrefix(s, "repository:"+name+":") {
			t.Fatalf("parseScope(%q) = %q, %q", s, name, actions)
		}
	})
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"0-99", "bytes 100-199", "5-4", "-1-3", "x-y", "0-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, ok := parseContentRange(s)
		if ok && (start < 0 || end < start) {
			t.Fatalf("parseContentRange(%q) = %d, %d", s, start, end)
		}
		if ok && !strings.Contains(s, strconv.FormatInt(end, 10)) {
			t.Fatalf("parseContentRange(%q) = %d, %d: end not in the input", s, start, end)
		}
	})
}

// FuzzHandler sends arbitrary methods, paths and bodies: the handler
// answers each without panicking, and the registry holds only what a
// successful write stored.
func FuzzHandler(f *testing.F) {
	for _, s := range [][3]string{
		{"GET", "/v2/library/app/manifests/1", ""},
		{"PUT", "/v2/a/manifests/t", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`},
		{"POST", "/v2/a/blobs/uploads/?digest=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "foo"},
		{"GET", "/v2/../x/tags/list?n=1&last=a", ""},
		{"DELETE", "/v2/a/blobs/sha512:00", ""},
		{"GET", "/token?service=docker.io&scope=repository:a:pull", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	reg := registry.New()
	reg.MustPush("library/app:1", registry.Image{Config: "app"})
	h := MustNew(reg)
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		switch method {
		case "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE":
		default:
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("%s %s: status %d", method, target, rec.Code)
		}
	})
}
