package node

import "testing"

// FuzzDNS1123 holds isLabel and isSubdomain, validation's fast paths, to
// the API server's regexps.
func FuzzDNS1123(f *testing.F) {
	for _, s := range []string{"", "a", "web-0", "-a", "a-", "a.b", "a..b", ".a", "a.", "A", "a_b", "1-2.x-y", "a.-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isLabel(s), dns1123LabelRegexp.MatchString(s); got != want {
			t.Errorf("isLabel(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := isSubdomain(s), dns1123SubdomainRegexp.MatchString(s); got != want {
			t.Errorf("isSubdomain(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
