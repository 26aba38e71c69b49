package pullpolicy_test

import (
	"errors"
	"testing"

	"github.com/pullsim/pullsim/pullpolicy"
)

func TestParsePullPolicy(t *testing.T) {
	const supported = `supported values: "Always", "IfNotPresent", "Never"`
	tests := []struct {
		in      string                // imagePullPolicy as written
		want    pullpolicy.PullPolicy // the parsed policy, "" on error
		wantErr error                 // the sentinel the error wraps, nil for none
		text    string                // the exact error text, "" for none
	}{
		// Exactly three spellings are accepted.
		{"Always", pullpolicy.PullAlways, nil, ""},
		{"IfNotPresent", pullpolicy.PullIfNotPresent, nil, ""},
		{"Never", pullpolicy.PullNever, nil, ""},
		// Case and whitespace matter.
		{"always", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "always": ` + supported},
		{"ALWAYS", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "ALWAYS": ` + supported},
		{" Always", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: " Always": ` + supported},
		{"Always ", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "Always ": ` + supported},
		{"ifnotpresent", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "ifnotpresent": ` + supported},
		{"IfNotpresent", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "IfNotpresent": ` + supported},
		{"never", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "never": ` + supported},
		{"Sometimes", "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "Sometimes": ` + supported},
		{`"Always"`, "", pullpolicy.ErrUnsupportedValue, `Unsupported value: "\"Always\"": ` + supported},
		// The empty string is missing, not unsupported.
		{"", "", pullpolicy.ErrRequired, "Required value"},
	}
	for i, tt := range tests {
		got, err := pullpolicy.ParsePullPolicy(tt.in)
		if got != tt.want || errText(err) != tt.text {
			t.Errorf("case %d (%q): ParsePullPolicy() = (%q, %q), want (%q, %q)", i, tt.in, got, errText(err), tt.want, tt.text)
		}
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("case %d (%q): ParsePullPolicy() error %v does not wrap %v", i, tt.in, err, tt.wantErr)
		}
		if tt.wantErr == pullpolicy.ErrRequired && errors.Is(err, pullpolicy.ErrUnsupportedValue) {
			t.Errorf("case %d (%q): ParsePullPolicy() error %v wraps ErrUnsupportedValue too", i, tt.in, err)
		}
	}
}

func TestPullPolicyValid(t *testing.T) {
	tests := []struct {
		p    pullpolicy.PullPolicy // the policy
		want bool                  // Valid()
	}{
		{pullpolicy.PullAlways, true},
		{pullpolicy.PullIfNotPresent, true},
		{pullpolicy.PullNever, true},
		{"", false},
		{"always", false},
		{"Sometimes", false},
	}
	for i, tt := range tests {
		if got := tt.p.Valid(); got != tt.want {
			t.Errorf("case %d (%q): Valid() = %v, want %v", i, tt.p, got, tt.want)
		}
		if got := tt.p.String(); got != string(tt.p) {
			t.Errorf("case %d (%q): String() = %q, want %q", i, tt.p, got, string(tt.p))
		}
	}
}

// The spellings are core/v1's, byte for byte.
func TestPullPolicySpellings(t *testing.T) {
	got := []pullpolicy.PullPolicy{pullpolicy.PullAlways, pullpolicy.PullIfNotPresent, pullpolicy.PullNever}
	want := []string{"Always", "IfNotPresent", "Never"}
	for i := range got {
		if string(got[i]) != want[i] {
			t.Errorf("case %d: policy constant = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestDecide is the flowchart of decide.go, branch by branch.
func TestDecide(t *testing.T) {
	tests := []struct {
		policy  pullpolicy.PullPolicy // the container's policy
		present bool                  // whether the image is on the node
		want    pullpolicy.Decision   // what the kubelet does
	}{
		{pullpolicy.PullAlways, true, pullpolicy.Pull}, // present is not even asked
		{pullpolicy.PullAlways, false, pullpolicy.Pull},
		{pullpolicy.PullIfNotPresent, true, pullpolicy.UseCached},
		{pullpolicy.PullIfNotPresent, false, pullpolicy.Pull},
		{pullpolicy.PullNever, true, pullpolicy.UseCached},
		{pullpolicy.PullNever, false, pullpolicy.NeverPull},
		// Anything else is never asked about presence, so it pulls.
		{"", true, pullpolicy.Pull},
		{"", false, pullpolicy.Pull},
		{"always", true, pullpolicy.Pull},
		{"always", false, pullpolicy.Pull},
		{"never", true, pullpolicy.Pull},
		{"never", false, pullpolicy.Pull},
	}
	for i, tt := range tests {
		if got := pullpolicy.Decide(tt.policy, tt.present); got != tt.want {
			t.Errorf("case %d (%q): Decide(present=%v) = %v, want %v", i, tt.policy, tt.present, got, tt.want)
		}
	}
}

func TestNeedsPresenceCheck(t *testing.T) {
	tests := []struct {
		policy pullpolicy.PullPolicy // the container's policy
		want   bool                  // whether the kubelet asks the runtime first
	}{
		{pullpolicy.PullAlways, false},
		{pullpolicy.PullIfNotPresent, true},
		{pullpolicy.PullNever, true},
		{"", false},
		{"always", false},
		{"never", false},
	}
	for i, tt := range tests {
		if got := pullpolicy.NeedsPresenceCheck(tt.policy); got != tt.want {
			t.Errorf("case %d (%q): NeedsPresenceCheck() = %v, want %v", i, tt.policy, got, tt.want)
		}
		// Where the kubelet does not ask, the answer must not matter.
		if !tt.want && pullpolicy.Decide(tt.policy, true) != pullpolicy.Decide(tt.policy, false) {
			t.Errorf("case %d (%q): NeedsPresenceCheck() = false, but Decide depends on presence", i, tt.policy)
		}
	}
}

func TestDecisionString(t *testing.T) {
	tests := []struct {
		d    pullpolicy.Decision // the decision
		want string              // its String
	}{
		{pullpolicy.UseCached, "UseCached"},
		{pullpolicy.Pull, "Pull"},
		{pullpolicy.NeverPull, "NeverPull"},
		{0, "Decision(?)"}, // the zero value is no decision
		{4, "Decision(?)"},
	}
	for i, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("case %d: Decision(%d).String() = %q, want %q", i, int(tt.d), got, tt.want)
		}
	}
}
