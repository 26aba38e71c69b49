package node

import (
	"fmt"
	"regexp"
	"strings"
)

// Name validation as the API server does it
// (k8s.io/apimachinery/pkg/util/validation): object names of pods, secrets
// and service accounts are DNS-1123 subdomains, namespaces and container
// and volume names DNS-1123 labels. Without it, "team/x" would be a
// namespace whose objects collide with namespace "team"'s.

const (
	dns1123LabelMaxLength     = 63
	dns1123SubdomainMaxLength = 253

	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"

	dns1123LabelErrMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
)

var (
	dns1123LabelRegexp     = regexp.MustCompile("^" + dns1123LabelFmt + "$")
	dns1123SubdomainRegexp = regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
)

// isDNS1123Label returns the API server's complaints about value as a
// DNS-1123 label; none means it is one.
func isDNS1123Label(value string) []string {
	var errs []string
	if len(value) > dns1123LabelMaxLength {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123LabelMaxLength))
	}
	if !isLabel(value) && !dns1123LabelRegexp.MatchString(value) {
		errs = append(errs, dns1123LabelErrMsg+" (e.g. 'my-name',  or '123-abc', regex used for validation is '"+dns1123LabelFmt+"')")
	}
	return errs
}

// isDNS1123Subdomain is isDNS1123Label's rule for subdomains.
func isDNS1123Subdomain(value string) []string {
	var errs []string
	if len(value) > dns1123SubdomainMaxLength {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123SubdomainMaxLength))
	}
	if !isSubdomain(value) && !dns1123SubdomainRegexp.MatchString(value) {
		errs = append(errs, dns1123SubdomainErrMsg+" (e.g. 'example.com', regex used for validation is '"+dns1123SubdomainFmt+"')")
	}
	return errs
}

// isLabel reports whether value matches dns1123LabelFmt, without the
// regexp: the fast path of every pod's validation. When it says no, the
// regexp is asked too, so it can only make validation faster, never
// different (FuzzDNS1123 compares them).
func isLabel(value string) bool {
	if value == "" {
		return false
	}
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
	for i := 0; i < len(value); i++ {
		if c := value[i]; !alnum(c) && (c != '-' || i == 0 || i == len(value)-1) {
			return false
		}
	}
	return true
}

// isSubdomain reports whether value matches dns1123SubdomainFmt: labels
// joined by dots.
func isSubdomain(value string) bool {
	for {
		i := strings.IndexByte(value, '.')
		if i < 0 {
			return isLabel(value)
		}
		if !isLabel(value[:i]) {
			return false
		}
		value = value[i+1:]
	}
}

// invalidValues turns a validator's complaints about value at path into
// field errors: "<path>: Invalid value: "<value>": <complaint>".
func invalidValues(path, value string, complaints []string) []string {
	if len(complaints) == 0 {
		return nil
	}
	out := make([]string, len(complaints))
	for i, c := range complaints {
		out[i] = fmt.Sprintf("%s: Invalid value: %q: %s", path, value, c)
	}
	return out
}

// validateObjectMeta checks an object's name (a DNS-1123 subdomain) and
// namespace (a DNS-1123 label), as ValidateObjectMeta does.
func validateObjectMeta(namespace, name string) []string {
	var errs []string
	if name == "" {
		errs = append(errs, "metadata.name: Required value: name or generateName is required")
	} else {
		errs = append(errs, invalidValues("metadata.name", name, isDNS1123Subdomain(name))...)
	}
	return append(errs, invalidValues("metadata.namespace", namespace, isDNS1123Label(namespace))...)
}
