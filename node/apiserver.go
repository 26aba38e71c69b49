package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/pullpolicy"
)

// setDefaults fills empty pull policies, of containers and image volumes,
// with the node's defaulting rule. p is the node's working copy of the
// caller's pod: the lists it changes are first copied into the pod
// workers' scratch space (podWorkers.scratch), so the caller's pod stays as it
// was and a create costs no allocation before the pod is stored; the stored
// spec is an interned copy (podWorkers.intern), never the scratch.
func (n *Node) setDefaults(p *Pod) {
	w := &n.workers
	s := &p.Spec
	ni, na := len(s.InitContainers), len(s.Containers)
	buf := append(w.scratch[:0], s.InitContainers...)
	buf = append(buf, s.Containers...)
	w.scratch = buf
	if ni > 0 {
		s.InitContainers = buf[:ni:ni]
	}
	if na > 0 {
		s.Containers = buf[ni : ni+na : ni+na]
	}
	for _, cs := range [2][]Container{s.InitContainers, s.Containers} {
		for i := range cs {
			if c := &cs[i]; c.ImagePullPolicy == "" {
				c.ImagePullPolicy = n.cfg.defaulting.DefaultFor(w.parse(c.Image))
			}
		}
	}
	if !slices.ContainsFunc(s.Volumes, func(v Volume) bool { return v.Image != nil && v.Image.PullPolicy == "" }) {
		return
	}
	vols := append(w.scratchVols[:0], s.Volumes...)
	w.scratchVols = vols
	srcs := w.scratchSrcs[:0]
	for i := range vols {
		if v := &vols[i]; v.Image != nil {
			srcs = append(srcs, *v.Image)
		}
	}
	w.scratchSrcs = srcs
	for i := range vols {
		if v := &vols[i]; v.Image != nil {
			v.Image, srcs = &srcs[0], srcs[1:]
			if v.Image.PullPolicy == "" {
				v.Image.PullPolicy = n.cfg.defaulting.DefaultFor(w.parse(v.Image.Reference))
			}
		}
	}
	s.Volumes = vols[:len(vols):len(vols)]
}

// clone copies the spec's lists, and what they point to, so that the copy
// shares nothing a caller could change. Nil lists stay nil and empty ones
// empty. The containers of the three lists come in one array, their volume
// mounts in another, and the image volumes' sources in a third.
func (s PodSpec) clone() PodSpec { return s.cloneInto(nil) }

// cloneInto is clone with room for the containers: it holds them when it
// is the size of the three lists together.
func (s PodSpec) cloneInto(room []Container) PodSpec {
	lists := [3]*[]Container{&s.InitContainers, &s.Containers, &s.EphemeralContainers}
	nc, nm := 0, 0
	for _, cs := range lists {
		nc += len(*cs)
		for i := range *cs {
			nm += len((*cs)[i].VolumeMounts)
		}
	}
	all := room
	if len(all) != nc {
		all = nil
		if nc > 0 {
			all = make([]Container, nc)
		}
	}
	var mounts []VolumeMount
	if nm > 0 {
		mounts = make([]VolumeMount, nm)
	}
	for _, cs := range lists {
		if len(*cs) == 0 {
			*cs = slices.Clone(*cs) // nil or empty, without allocating
			continue
		}
		k := len(*cs)
		dst := all[:k:k]
		all = all[k:]
		copy(dst, *cs)
		for i := range dst {
			if vm := dst[i].VolumeMounts; len(vm) > 0 {
				dst[i].VolumeMounts = mounts[:len(vm):len(vm)]
				mounts = mounts[len(vm):]
				copy(dst[i].VolumeMounts, vm)
			} else {
				dst[i].VolumeMounts = slices.Clone(vm)
			}
		}
		*cs = dst
	}
	s.ImagePullSecrets = slices.Clone(s.ImagePullSecrets)
	s.Volumes = slices.Clone(s.Volumes)
	nsrc := 0
	for _, v := range s.Volumes {
		if v.Image != nil {
			nsrc++
		}
	}
	if nsrc > 0 {
		srcs := make([]ImageVolumeSource, 0, nsrc)
		for i, v := range s.Volumes {
			if v.Image != nil {
				srcs = append(srcs, *v.Image)
				s.Volumes[i].Image = &srcs[len(srcs)-1]
			}
		}
	}
	if g := s.TerminationGracePeriodSeconds; g != nil {
		s.TerminationGracePeriodSeconds = new(*g)
	}
	return s
}

// equal reports whether s and t are the same spec, field by field, nil
// lists telling from empty ones (a clone of either keeps the difference).
func (s *PodSpec) equal(t *PodSpec) bool {
	if s.ServiceAccountName != t.ServiceAccountName || s.NodeName != t.NodeName || s.RestartPolicy != t.RestartPolicy ||
		!sameNil(s.ImagePullSecrets, t.ImagePullSecrets) || !slices.Equal(s.ImagePullSecrets, t.ImagePullSecrets) ||
		!sameNil(s.Volumes, t.Volumes) || !slices.EqualFunc(s.Volumes, t.Volumes, Volume.equal) ||
		!containersEqual(s.InitContainers, t.InitContainers) || !containersEqual(s.Containers, t.Containers) ||
		!containersEqual(s.EphemeralContainers, t.EphemeralContainers) {
		return false
	}
	g, h := s.TerminationGracePeriodSeconds, t.TerminationGracePeriodSeconds
	return g == nil && h == nil || g != nil && h != nil && *g == *h
}

func (v Volume) equal(u Volume) bool {
	return v.Name == u.Name && (v.Image == nil && u.Image == nil || v.Image != nil && u.Image != nil && *v.Image == *u.Image)
}

func containersEqual(a, b []Container) bool {
	return sameNil(a, b) && slices.EqualFunc(a, b, func(c, d Container) bool {
		return c.Name == d.Name && c.Image == d.Image && c.ImagePullPolicy == d.ImagePullPolicy &&
			c.RestartPolicy == d.RestartPolicy && sameNil(c.VolumeMounts, d.VolumeMounts) && slices.Equal(c.VolumeMounts, d.VolumeMounts)
	})
}

// sameNil reports whether a and b are both nil or both not.
func sameNil[T any](a, b []T) bool { return (a == nil) == (b == nil) }

// validatePodSpec returns the API server's field errors about the spec of
// a pod being created; they come after validateObjectMeta's. A spec a node
// has stored passed them, so a pod with a stored spec needs only its
// metadata checked.
func validatePodSpec(p *Pod) []string {
	var errs []string
	if len(p.Spec.Containers) == 0 {
		errs = append(errs, "spec.containers: Required value")
	}
	if len(p.Spec.EphemeralContainers) > 0 {
		errs = append(errs, "spec.ephemeralContainers: Forbidden: cannot be set on create")
	}
	var buf [8]string
	names := buf[:0] // container names so far; pods have few
	check := func(field string, cs []Container) {
		for i := range cs {
			c := &cs[i]
			path := func() string { return "spec." + field + "[" + strconv.Itoa(i) + "]" }
			switch {
			case c.Name == "":
				errs = append(errs, path()+".name: Required value")
			case slices.Contains(names, c.Name):
				errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", path(), c.Name))
			default:
				if bad := isDNS1123Label(c.Name); bad != nil {
					errs = append(errs, invalidValues(path()+".name", c.Name, bad)...)
				}
			}
			names = append(names, c.Name)
			switch {
			case c.Image == "":
				errs = append(errs, path()+".image: Required value")
			case strings.TrimSpace(c.Image) != c.Image:
				errs = append(errs, fmt.Sprintf("%s.image: Invalid value: %q: must not have leading or trailing whitespace", path(), c.Image))
			}
			if _, err := pullpolicy.ParsePullPolicy(string(c.ImagePullPolicy)); err != nil {
				errs = append(errs, path()+".imagePullPolicy: "+err.Error())
			}
		}
	}
	check("initContainers", p.Spec.InitContainers)
	check("containers", p.Spec.Containers)
	errs = append(errs, validateRestartPolicies(&p.Spec)...)
	return append(errs, validateVolumes(&p.Spec)...)
}

// validateVolumes returns the API server's errors for the pod's volumes and
// the containers' mounts of them.
func validateVolumes(s *PodSpec) []string {
	var errs []string
	names := make(map[string]bool, len(s.Volumes))
	for i, v := range s.Volumes {
		path := "spec.volumes[" + strconv.Itoa(i) + "]"
		switch {
		case v.Name == "":
			errs = append(errs, path+".name: Required value")
		case names[v.Name]:
			errs = append(errs, fmt.Sprintf("%s.name: Duplicate value: %q", path, v.Name))
		default:
			errs = append(errs, invalidValues(path+".name", v.Name, isDNS1123Label(v.Name))...)
		}
		names[v.Name] = true
		if v.Image == nil {
			continue
		}
		if v.Image.Reference == "" {
			errs = append(errs, path+".image.reference: Required value")
		}
		if _, err := pullpolicy.ParsePullPolicy(string(v.Image.PullPolicy)); err != nil {
			errs = append(errs, path+".image.pullPolicy: "+err.Error())
		}
	}
	for _, f := range []struct {
		field string
		cs    []Container
	}{{"initContainers", s.InitContainers}, {"containers", s.Containers}} {
		for i, c := range f.cs {
			for j, m := range c.VolumeMounts {
				path := fmt.Sprintf("spec.%s[%d].volumeMounts[%d]", f.field, i, j)
				switch {
				case m.Name == "":
					errs = append(errs, path+".name: Required value")
				case !names[m.Name]:
					errs = append(errs, fmt.Sprintf("%s.name: Not found: %q", path, m.Name))
				}
				if m.MountPath == "" {
					errs = append(errs, path+".mountPath: Required value")
				}
			}
		}
	}
	return errs
}
