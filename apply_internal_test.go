package pullsim

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/pullsim/pullsim/pullpolicy"
)

// mergePullPolicies is kubectl apply's three-way rule for each container,
// init container and image volume: the applied value wins; a field the
// last manifest set and the new one leaves out is removed and defaulted
// again from the new image; a field neither sets keeps the stored value,
// whatever the image became.
func TestMergePullPolicies(t *testing.T) {
	const none = corev1.PullPolicy("")
	for i, tc := range []struct {
		last    corev1.PullPolicy // in the manifest applied last; "" when left out
		stored  corev1.PullPolicy // as the API server stores it; "" when there is no such container
		applied corev1.PullPolicy // in the new manifest; "" when left out
		image   string            // the new manifest's image
		want    corev1.PullPolicy
	}{
		// omitted -> omitted: the stored value stays, even for :latest.
		{last: none, stored: corev1.PullIfNotPresent, applied: none, image: "web:latest", want: corev1.PullIfNotPresent},
		{last: none, stored: corev1.PullAlways, applied: none, image: "web:2.4", want: corev1.PullAlways},
		// explicit -> removed: defaulted again from the new image.
		{last: corev1.PullNever, stored: corev1.PullNever, applied: none, image: "web:latest", want: corev1.PullAlways},
		{last: corev1.PullAlways, stored: corev1.PullAlways, applied: none, image: "web:2.4", want: corev1.PullIfNotPresent},
		{last: corev1.PullIfNotPresent, stored: corev1.PullIfNotPresent, applied: none, image: "web", want: corev1.PullAlways},
		// explicit -> changed, omitted -> explicit: the new value.
		{last: corev1.PullIfNotPresent, stored: corev1.PullIfNotPresent, applied: corev1.PullNever, image: "web:latest", want: corev1.PullNever},
		{last: none, stored: corev1.PullIfNotPresent, applied: corev1.PullAlways, image: "web:2.4", want: corev1.PullAlways},
		// A container new in this manifest is defaulted from its image.
		{last: none, stored: none, applied: none, image: "web:latest", want: corev1.PullAlways},
		{last: none, stored: none, applied: none, image: "web:2.4", want: corev1.PullIfNotPresent},
	} {
		template := func(p corev1.PullPolicy, image string) *corev1.PodTemplateSpec {
			return &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: image, ImagePullPolicy: p}},
				Containers:     []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: p}},
				Volumes:        []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: image, PullPolicy: p}}}},
			}}
		}
		last := template(tc.last, "web:1.0")
		stored := template(tc.stored, "web:1.0")
		if tc.stored == none { // no such container or volume is stored
			stored.Spec = corev1.PodSpec{}
		}
		got := mergePullPolicies(last, stored, template(tc.applied, tc.image), pullpolicy.TagLatestDefaulting)
		for what, p := range map[string]corev1.PullPolicy{
			"container": got.Spec.Containers[0].ImagePullPolicy, "init container": got.Spec.InitContainers[0].ImagePullPolicy, "image volume": got.Spec.Volumes[0].Image.PullPolicy,
		} {
			if p != tc.want {
				t.Errorf("step %d: %s: last %q, stored %q, applied %q with %s: got %q, want %q", i, what, tc.last, tc.stored, tc.applied, tc.image, p, tc.want)
			}
		}
	}
}

// At create there is nothing to merge with: every empty policy is
// defaulted from its image, by the rule in force.
func TestDefaulted(t *testing.T) {
	for i, tc := range []struct {
		image string
		d     pullpolicy.Defaulting
		want  corev1.PullPolicy
	}{
		{"web:2.4", pullpolicy.TagLatestDefaulting, corev1.PullIfNotPresent},
		{"web:latest", pullpolicy.TagLatestDefaulting, corev1.PullAlways},
		{"web:latest@sha256:" + sha64, pullpolicy.TagLatestDefaulting, corev1.PullAlways},
		{"web:latest@sha256:" + sha64, pullpolicy.DigestAwareDefaulting, corev1.PullIfNotPresent},
	} {
		got := defaulted(&corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: tc.image}}}}, tc.d)
		if p := got.Spec.Containers[0].ImagePullPolicy; p != tc.want {
			t.Errorf("step %d: defaulted(%s, %v) = %q, want %q", i, tc.image, tc.d, p, tc.want)
		}
	}
}

const sha64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
