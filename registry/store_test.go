package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/pullsim/pullsim/pullpolicy"
	"github.com/pullsim/pullsim/registry"
)

func imageManifest(t *testing.T, r *registry.Registry, repo, text string) (digest.Digest, []byte) {
	t.Helper()
	cfg, err := r.PutBlob(repo, "", []byte(`{"architecture":"amd64","os":"linux","config":{"Labels":{"v":"`+text+`"}}}`))
	require.NoError(t, err)
	layer, err := r.PutBlob(repo, "", []byte("layer "+text))
	require.NoError(t, err)
	raw := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		registry.MediaTypeManifest, registry.MediaTypeConfig, cfg.Digest, cfg.Size, registry.MediaTypeLayer, layer.Digest, layer.Size)
	return digest.FromString(raw), []byte(raw)
}

func TestPutBlob(t *testing.T) {
	r := registry.New()
	data := []byte("hello")
	steps := []struct {
		repo    string
		dgst    digest.Digest
		wantErr error // nil: stored
	}{
		{"docker.io/team/app", "", nil},
		{"docker.io/team/app", digest.SHA512.FromBytes(data), nil},
		{"docker.io/team/app", digest.FromString("other"), registry.ErrDigestInvalid},
		{"docker.io/team/app", "sha256:xyz", registry.ErrDigestInvalid},
		{"docker.io/team/app:tag", "", registry.ErrNameInvalid},
		{"docker.io/Team/app", "", registry.ErrNameInvalid},
		{"docker.io/team/../app", "", registry.ErrNameInvalid},
	}
	for i, s := range steps {
		d, err := r.PutBlob(s.repo, s.dgst, data)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Errorf("step %d: PutBlob(%q, %q) = %v, want %v", i, s.repo, s.dgst, err, s.wantErr)
			continue
		}
		if err == nil {
			if b, ok := r.LookupBlob(s.repo, d.Digest); !ok || string(b.Data) != "hello" || d.Size != 5 {
				t.Errorf("step %d: stored %v %q %v", i, ok, b.Data, d)
			}
		}
	}
	_, ok := r.LookupBlob("docker.io/team/app", digest.FromString("other"))
	require.False(t, ok)
}

func TestMountAndDeleteBlob(t *testing.T) {
	r := registry.New()
	alice := registry.Credential{Username: "alice", Password: "pw"}
	d, err := r.PutBlob("docker.io/team/src", "", []byte("shared"))
	require.NoError(t, err)
	_, err = r.PutBlob("docker.io/team/secret", "", []byte("hidden"))
	require.NoError(t, err)
	require.NoError(t, r.SetPrivate("docker.io/team/secret", alice))
	hidden := digest.FromString("hidden")

	steps := []struct {
		from, to string
		dgst     digest.Digest
		cred     registry.Credential
		wantErr  error
	}{
		{"docker.io/team/src", "docker.io/team/dst", d.Digest, registry.Credential{}, nil},
		{"", "docker.io/team/anon", d.Digest, registry.Credential{}, nil},
		{"docker.io/team/nothing", "docker.io/team/dst2", d.Digest, registry.Credential{}, registry.ErrBlobUnknown},
		{"docker.io/team/secret", "docker.io/team/dst3", hidden, registry.Credential{}, registry.ErrBlobUnknown},
		{"", "docker.io/team/dst3", hidden, registry.Credential{}, registry.ErrBlobUnknown},
		{"docker.io/team/secret", "docker.io/team/dst3", hidden, alice, nil},
		{"docker.io/team/src", "localhost:5000/team/dst", d.Digest, registry.Credential{}, registry.ErrBlobUnknown},
	}
	for i, s := range steps {
		_, err := r.MountBlob(s.from, s.to, s.dgst, s.cred)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Errorf("step %d: MountBlob(%q, %q) = %v, want %v", i, s.from, s.to, err, s.wantErr)
		}
		_, linked := r.LookupBlob(s.to, s.dgst)
		if linked != (s.wantErr == nil) {
			t.Errorf("step %d: linked in %s = %v", i, s.to, linked)
		}
	}
	// The host keeps the bytes while any repository links them.
	for _, repo := range []string{"docker.io/team/src", "docker.io/team/dst"} {
		require.NoError(t, r.DeleteBlob(repo, d.Digest))
	}
	_, ok := r.LookupBlob("docker.io/team/anon", d.Digest)
	require.True(t, ok)
	require.NoError(t, r.DeleteBlob("docker.io/team/anon", d.Digest))
	_, err = r.MountBlob("", "docker.io/team/again", d.Digest, registry.Credential{})
	require.ErrorIs(t, err, registry.ErrBlobUnknown, "the last unlink forgets the bytes")
	require.ErrorIs(t, r.DeleteBlob("docker.io/team/anon", d.Digest), registry.ErrBlobUnknown)
}

func TestPutManifest(t *testing.T) {
	r := registry.New()
	want, raw := imageManifest(t, r, "docker.io/team/app", "1")
	steps := []struct {
		ref       string
		mediaType string
		raw       string
		wantErr   error
	}{
		{"docker.io/team/app:1", registry.MediaTypeManifest, string(raw), nil},
		{"docker.io/team/app@" + want.String(), registry.MediaTypeManifest, string(raw), nil},
		{"docker.io/team/app@" + digest.SHA512.FromBytes(raw).String(), registry.MediaTypeManifest, string(raw), nil},
		{"docker.io/team/app@" + digest.FromString("x").String(), registry.MediaTypeManifest, string(raw), registry.ErrDigestInvalid},
		{"docker.io/team/other:1", registry.MediaTypeManifest, string(raw), registry.ErrManifestBlobUnknown},
		{"docker.io/team/app:1", registry.MediaTypeIndex, string(raw), registry.ErrManifestInvalid},
		{"docker.io/team/app:-bad", registry.MediaTypeManifest, string(raw), registry.ErrTagInvalid},
		{"docker.io/team/app", registry.MediaTypeManifest, string(raw), registry.ErrManifestInvalid},
		{"docker.io/team/app:2", registry.MediaTypeManifest, `{"schemaVersion":2,"config":{"digest":"sha256:1","size":1}}`, registry.ErrManifestInvalid},
		{"docker.io/team/app:2", registry.MediaTypeManifest, `{"schemaVersion":1}`, registry.ErrManifestInvalid},
		{"docker.io/team/app:2", registry.MediaTypeIndex, `{"schemaVersion":2}`, registry.ErrManifestInvalid},
	}
	for i, s := range steps {
		got, err := r.PutManifest(s.ref, s.mediaType, []byte(s.raw))
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Errorf("step %d: PutManifest(%q) = %s, %v, want %v", i, s.ref, got, err, s.wantErr)
		}
	}
	require.Equal(t, []string{"1"}, r.Tags("team/app"), "failed pushes store no tag")
	require.Empty(t, r.Tags("team/other"))

	// A node pulls what was pushed: config and layer are real bytes.
	p, err := pullpolicy.ParseImageRef("team/app:1")
	require.NoError(t, err)
	d, err := r.Resolve(p, registry.Credential{})
	require.NoError(t, err)
	require.Equal(t, want, d.Digest)
	m, err := r.FetchManifest(p, d.Digest, registry.Credential{})
	require.NoError(t, err)
	require.Len(t, m.Layers, 1)
	b, err := r.FetchBlob(p, m.Layers[0].Digest, registry.Credential{})
	require.NoError(t, err)
	require.NoError(t, b.Verify())
	require.Equal(t, "layer 1", string(b.Data))
}

func TestIndexResolvesToPlatform(t *testing.T) {
	r := registry.New()
	amd, rawAmd := imageManifest(t, r, "docker.io/team/app", "amd64")
	arm, rawArm := imageManifest(t, r, "docker.io/team/app", "arm64")
	for _, raw := range [][]byte{rawAmd, rawArm} {
		_, err := r.PutManifest("docker.io/team/app@"+digest.FromBytes(raw).String(), registry.MediaTypeManifest, raw)
		require.NoError(t, err)
	}
	index := func(entries ...string) string {
		return `{"schemaVersion":2,"mediaType":"` + registry.MediaTypeIndex + `","manifests":[` + strings.Join(entries, ",") + `]}`
	}
	entry := func(d digest.Digest, os, arch string) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":1,"platform":{"os":%q,"architecture":%q}}`, registry.MediaTypeManifest, d, os, arch)
	}
	noPlatform := func(d digest.Digest) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":1}`, registry.MediaTypeManifest, d)
	}
	// Resolve names the index, as a HEAD does; a linux/amd64 client then
	// picks from it as containerd's matcher does: the entry for its
	// platform, else one that names no platform, else none.
	steps := []struct {
		name    string
		index   string
		want    digest.Digest // the platform manifest; "" when none
		wantErr error         // of fetching it
	}{
		{"amd64 second", index(entry(arm, "linux", "arm64"), entry(amd, "linux", "amd64")), amd, nil},
		{"no amd64", index(entry(arm, "linux", "arm64"), entry(amd, "windows", "amd64")), "", nil},
		{"no platform named", index(entry(arm, "linux", "arm64"), noPlatform(amd)), amd, nil},
		{"amd64 before one with no platform", index(noPlatform(arm), entry(amd, "linux", "amd64")), amd, nil},
		{"missing child", index(entry(digest.FromString("gone"), "linux", "amd64")), digest.FromString("gone"), registry.ErrManifestUnknown},
		{"empty index", index(), "", nil},
	}
	p, err := pullpolicy.ParseImageRef("team/app:multi")
	require.NoError(t, err)
	for i, s := range steps {
		idx, err := r.PutManifest("docker.io/team/app:multi", registry.MediaTypeIndex, []byte(s.index))
		require.NoError(t, err)
		got, err := r.Resolve(p, registry.Credential{})
		if got.Digest != idx || err != nil || got.MediaType != registry.MediaTypeIndex {
			t.Errorf("step %d (%s): Resolve = %v, %v, want the index %s", i, s.name, got, err, idx)
		}
		m, err := r.FetchManifest(p, idx, registry.Credential{})
		require.NoError(t, err)
		child, ok := m.PlatformManifest("linux", "amd64")
		if !m.IsIndex() || child != s.want || ok != (s.want != "") {
			t.Errorf("step %d (%s): IsIndex = %v, PlatformManifest = %s, %v, want true, %s", i, s.name, m.IsIndex(), child, ok, s.want)
		}
		if ok {
			if _, err := r.FetchManifest(p, child, registry.Credential{}); !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
				t.Errorf("step %d (%s): FetchManifest(%s) error = %v, want %v", i, s.name, child, err, s.wantErr)
			}
		}
		head, err := r.HeadManifest(p, registry.Credential{})
		if err != nil || head.Digest != idx || head.MediaType != registry.MediaTypeIndex {
			t.Errorf("step %d (%s): HeadManifest = %v, %v, want the index %s", i, s.name, head, err, idx)
		}
		if looked, _ := r.Lookup("team/app:multi"); looked != idx {
			t.Errorf("step %d (%s): Lookup = %s, want the index %s", i, s.name, looked, idx)
		}
	}
	// An image manifest is no index and names no platform manifest.
	m, err := r.FetchManifest(p, amd, registry.Credential{})
	require.NoError(t, err)
	if d, ok := m.PlatformManifest("linux", "amd64"); m.IsIndex() || ok {
		t.Errorf("image manifest: IsIndex = %v, PlatformManifest = %s, %v, want false, \"\", false", m.IsIndex(), d, ok)
	}
}

func TestDeleteManifest(t *testing.T) {
	r := registry.New()
	d := r.MustPush("team/app:1", registry.Image{Config: "1"})
	require.NoError(t, r.Tag("team/app:also", d))
	steps := []struct {
		ref      string
		wantErr  error
		wantTags []string
	}{
		{"docker.io/team/app:also", nil, []string{"1"}},
		{"docker.io/team/app:also", registry.ErrManifestUnknown, []string{"1"}},
		{"docker.io/team/app@" + d.String(), nil, []string{}},
		{"docker.io/team/app@" + d.String(), registry.ErrManifestUnknown, []string{}},
		{"docker.io/team/none:1", registry.ErrNameUnknown, []string{}},
	}
	for i, s := range steps {
		err := r.DeleteManifest(s.ref)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Errorf("step %d: DeleteManifest(%q) = %v, want %v", i, s.ref, err, s.wantErr)
		}
		if got := r.Tags("team/app"); fmt.Sprint(got) != fmt.Sprint(s.wantTags) {
			t.Errorf("step %d: tags %v, want %v", i, got, s.wantTags)
		}
	}
	require.Len(t, r.History("team/app:1"), 1, "history stays")
}

func TestReferrersAndTagsPage(t *testing.T) {
	r := registry.New()
	subject := r.MustPush("team/app:1", registry.Image{Config: "1"})
	cfg, err := r.PutBlob("docker.io/team/app", "", []byte("{}"))
	require.NoError(t, err)
	artifact := func(artifactType, note string) digest.Digest {
		at := ""
		if artifactType != "" {
			at = `"artifactType":"` + artifactType + `",`
		}
		raw := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,%s"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":%q,"size":2},"layers":[],"subject":{"mediaType":%q,"digest":%q,"size":1},"annotations":{"note":%q}}`,
			registry.MediaTypeManifest, at, cfg.Digest, registry.MediaTypeManifest, subject, note)
		d, err := r.PutManifest("docker.io/team/app@"+digest.FromString(raw).String(), registry.MediaTypeManifest, []byte(raw))
		require.NoError(t, err)
		return d
	}
	sig := artifact("application/vnd.example.sig", "signed")
	sbom := artifact("", "sbom")
	steps := []struct {
		artifactType string
		want         map[digest.Digest]string // digest -> artifact type
	}{
		{"", map[digest.Digest]string{sig: "application/vnd.example.sig", sbom: "application/vnd.oci.empty.v1+json"}},
		{"application/vnd.example.sig", map[digest.Digest]string{sig: "application/vnd.example.sig"}},
		{"application/vnd.none", map[digest.Digest]string{}},
	}
	for i, s := range steps {
		refs, err := r.Referrers("docker.io/team/app", subject, s.artifactType)
		require.NoError(t, err)
		got := map[digest.Digest]string{}
		for _, ref := range refs {
			got[ref.Digest] = ref.ArtifactType
		}
		if fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("step %d: Referrers(%q) = %v, want %v", i, s.artifactType, got, s.want)
		}
	}
	none, err := r.Referrers("docker.io/team/none", subject, "")
	require.NoError(t, err)
	require.Empty(t, none)

	for _, tag := range []string{"b", "a", "c"} {
		require.NoError(t, r.Tag("team/app:"+tag, subject))
	}
	pages := []struct {
		last     string
		n        int
		want     []string
		wantMore bool
	}{
		{"", -1, []string{"1", "a", "b", "c"}, false},
		{"", 2, []string{"1", "a"}, true},
		{"a", 2, []string{"b", "c"}, false},
		{"aa", 1, []string{"b"}, true},
		{"c", 5, []string{}, false},
		{"", 0, []string{}, true},
	}
	for i, p := range pages {
		got, more, err := r.TagsPage("docker.io/team/app", p.last, p.n)
		require.NoError(t, err)
		if fmt.Sprint(got) != fmt.Sprint(p.want) || more != p.wantMore {
			t.Errorf("step %d: TagsPage(%q, %d) = %v %v, want %v %v", i, p.last, p.n, got, more, p.want, p.wantMore)
		}
	}
	_, _, err = r.TagsPage("docker.io/team/none", "", -1)
	require.ErrorIs(t, err, registry.ErrNameUnknown)
}

func TestHostsAndAccess(t *testing.T) {
	r := registry.New()
	require.Equal(t, []string{"docker.io"}, r.Hosts())
	r.MustPush("registry.example.com/app:1", registry.Image{Config: "1"})
	r.MustPush("localhost:5000/app:1", registry.Image{Config: "1"})
	require.Equal(t, []string{"docker.io", "localhost:5000", "registry.example.com"}, r.Hosts())
	require.True(t, r.HasHost("docker.io"))
	require.False(t, r.HasHost("elsewhere.example.org"))
	require.False(t, r.HasPrivate("registry.example.com"))
	alice := registry.Credential{Username: "alice", Password: "pw"}
	require.NoError(t, r.SetPrivate("registry.example.com/app", alice))
	require.True(t, r.HasPrivate("registry.example.com"))
	require.False(t, r.HasPrivate("localhost:5000"))
	require.ErrorIs(t, r.Authorize("registry.example.com/app", registry.Credential{}), registry.ErrAuthRequired)
	require.ErrorIs(t, r.Authorize("registry.example.com/app", registry.Credential{Username: "alice", Password: "no"}), registry.ErrBadCredentials)
	require.NoError(t, r.Authorize("registry.example.com/app", alice))
	require.NoError(t, r.Authorize("localhost:5000/app", registry.Credential{}))
}

// TestHTTPFaceCounts: the reads of the HTTP face count and meet faults as
// a node's do; a corrupt-blob fault spares a HEAD.
func TestHTTPFaceCounts(t *testing.T) {
	r := registry.New()
	d := r.MustPush("app:1", registry.Image{Config: "1", Layers: []registry.Layer{{Content: "l", Size: 7}}})
	m, _, err := registry.Build(registry.Image{Config: "1", Layers: []registry.Layer{{Content: "l", Size: 7}}})
	require.NoError(t, err)
	p, err := pullpolicy.ParseImageRef("app:1")
	require.NoError(t, err)
	require.NoError(t, r.SetFault(registry.Fault{Scope: "app", Kind: registry.FaultCorruptBlob, Requests: 1}))

	head, err := r.HeadManifest(p, registry.Credential{})
	require.NoError(t, err)
	require.Equal(t, d, head.Digest)
	got, err := r.GetManifest(p, registry.Credential{})
	require.NoError(t, err)
	require.Equal(t, d, got.Digest)
	stat, err := r.StatBlob(p, m.Layers[0].Digest, registry.Credential{})
	require.NoError(t, err, "a HEAD of a corrupt blob is fine")
	require.Equal(t, int64(len("pullsim layer\nsize 7\nl")), stat.Size, "the bytes served, not the simulated size")
	b, err := r.FetchBlob(p, m.Layers[0].Digest, registry.Credential{})
	require.NoError(t, err)
	require.Error(t, b.Verify(), "the GET meets the fault")
	require.Equal(t, registry.Counters{Resolves: 1, Manifests: 1, Blobs: 2, BlobBytes: 7}, r.CountersFor("app"))

	require.NoError(t, r.SetFault(registry.Fault{Scope: "app", Kind: registry.FaultTooManyRequests}))
	_, err = r.HeadManifest(p, registry.Credential{})
	require.NoError(t, err, "HEAD is not rate limited")
	_, err = r.GetManifest(p, registry.Credential{})
	require.ErrorIs(t, err, registry.ErrTooManyRequests)
	_, err = r.StatBlob(p, m.Layers[0].Digest, registry.Credential{})
	require.NoError(t, err, "a blob HEAD is not rate limited either")
}

func TestHTTPFaceNilReference(t *testing.T) {
	r := registry.New()
	_, err := r.HeadManifest(nil, registry.Credential{})
	require.ErrorIs(t, err, registry.ErrNameInvalid)
	_, err = r.GetManifest(nil, registry.Credential{})
	require.ErrorIs(t, err, registry.ErrNameInvalid)
	_, err = r.StatBlob(nil, digest.FromString("x"), registry.Credential{})
	require.ErrorIs(t, err, registry.ErrNameInvalid)
	require.Equal(t, registry.Counters{}, r.Counters())
}
