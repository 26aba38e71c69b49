package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/pullpolicy"
)

// setDefaults fills empty pull policies, of containers and image volumes,
// with the node's defaulting rule, on fresh copies of the spec's lists.
func (n *Node) setDefaults(p *Pod) {
	p.Spec = p.Spec.clone()
	for _, cs := range []*[]Container{&p.Spec.InitContainers, &p.Spec.Containers} {
		for i := range *cs {
			if c := &(*cs)[i]; c.ImagePullPolicy == "" {
				ref, _ := n.cfg.refs.Parse(c.Image)
				c.ImagePullPolicy = n.cfg.defaulting.DefaultFor(ref)
			}
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil && v.Image.PullPolicy == "" {
			ref, _ := n.cfg.refs.Parse(v.Image.Reference)
			v.Image.PullPolicy = n.cfg.defaulting.DefaultFor(ref)
		}
	}
}

// clone copies the spec's lists, and what they point to, so that the copy
// shares nothing a caller could change.
func (s PodSpec) clone() PodSpec {
	for _, cs := range []*[]Container{&s.InitContainers, &s.Containers, &s.EphemeralContainers} {
		*cs = slices.Clone(*cs)
		for i := range *cs {
			(*cs)[i].VolumeMounts = slices.Clone((*cs)[i].VolumeMounts)
		}
	}
	s.ImagePullSecrets = slices.Clone(s.ImagePullSecrets)
	s.Volumes = slices.Clone(s.Volumes)
	for i, v := range s.Volumes {
		if v.Image != nil {
			img := *v.Image
			s.Volumes[i].Image = &img
		}
	}
	return s
}

// validatePod returns the API server's field errors for a pod being created.
func validatePod(p *Pod) []string {
	errs := validateObjectMeta(p.Namespace, p.Name)
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
