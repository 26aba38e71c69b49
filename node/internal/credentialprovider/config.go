// Package credentialprovider holds the docker config types of the
// kubelet's pkg/credentialprovider (config.go), named as the kubelet names
// them, so that encoding/json's errors for a malformed pull secret read as
// the kubelet's do: "json: cannot unmarshal number into Go value of type
// credentialprovider.DockerConfig".
package credentialprovider

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// DockerConfigJSON is the content of a kubernetes.io/dockerconfigjson
// secret's .dockerconfigjson key.
type DockerConfigJSON struct {
	Auths DockerConfig `json:"auths"`
	// HTTPHeaders are read and ignored, as by the kubelet.
	HTTPHeaders map[string]string `json:"HttpHeaders,omitempty"`
}

// DockerConfig is the content of a kubernetes.io/dockercfg secret's
// .dockercfg key, and the auths of a DockerConfigJSON: entries by registry
// location.
type DockerConfig map[string]DockerConfigEntry

// DockerConfigEntry is one entry: a username and password, given directly
// or as auth, base64(username:password).
type DockerConfigEntry struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
	Auth     string `json:"auth"`
}

// dockerConfigEntryWithAuth is an entry as written; the name is the
// kubelet's, which encoding/json puts in the text of a type error.
type dockerConfigEntryWithAuth struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// UnmarshalJSON decodes an entry and its auth field, which when set gives
// the username and password, as the kubelet's DockerConfigEntry does: so
// encoding/json stops at the first bad entry in document order.
func (e *DockerConfigEntry) UnmarshalJSON(b []byte) error {
	var w dockerConfigEntryWithAuth
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = DockerConfigEntry{Username: w.Username, Password: w.Password, Email: w.Email, Auth: w.Auth}
	if w.Auth == "" {
		return nil
	}
	var err error
	e.Username, e.Password, err = DecodeAuth(w.Auth)
	return err
}

// ErrAuthField is the kubelet's error for an auth field without a colon.
var ErrAuthField = errors.New("unable to parse auth field, must be formatted as base64(username:password)")

// DecodeAuth decodes an auth field, base64(username:password); "" is no
// credential. Padded base64 decodes with StdEncoding, unpadded with
// RawStdEncoding.
func DecodeAuth(auth string) (user, pass string, err error) {
	if auth == "" {
		return "", "", nil
	}
	enc := base64.RawStdEncoding
	if strings.HasSuffix(strings.TrimSpace(auth), "=") {
		enc = base64.StdEncoding
	}
	dec, err := enc.DecodeString(auth)
	if err != nil {
		return "", "", err
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok {
		return "", "", ErrAuthField
	}
	return user, pass, nil
}
