package registry

import (
	"encoding/json"
	"fmt"
	"time"
)

// Run is what a container of an image does once started, as the image's
// entrypoint decides in life. The zero Run is a server: it runs until it is
// stopped. As an init container, which the kubelet waits on to exit, the
// zero Run completes at once, as the usual init job does.
//
// A Run is part of the image's content: it is written into the image
// config, so two builds that behave differently have different digests,
// and a node learns it from the config it pulls. "A bad build pushed under
// the same tag" is one Push with a crashing Run.
type Run struct {
	// ExitAfter is how long the container runs before its process exits;
	// 0 means it runs until stopped.
	ExitAfter time.Duration
	// ExitCode is the exit status when it exits: 0 completes, anything
	// else fails (0–255, as a process's status).
	ExitCode int32
	// Reason is the terminated reason the runtime reports. Empty means
	// the runtime's own: "Completed" for 0, "Error" otherwise. Set
	// "OOMKilled" for a process the kernel killed for memory (exit 137).
	Reason string
	// StopAfter is how long the process takes to exit once asked to stop
	// (SIGTERM); 0 means at once. The kubelet kills it when the pod's
	// termination grace period ends.
	StopAfter time.Duration
}

// Validate reports whether r is a run a process can have.
func (r Run) Validate() error {
	switch {
	case r.ExitAfter < 0:
		return fmt.Errorf("run: negative run time %v", r.ExitAfter)
	case r.StopAfter < 0:
		return fmt.Errorf("run: negative stop time %v", r.StopAfter)
	case r.ExitCode < 0 || r.ExitCode > 255:
		return fmt.Errorf("run: exit code %d out of range 0-255", r.ExitCode)
	case r.ExitAfter == 0 && (r.ExitCode != 0 || r.Reason != ""):
		return fmt.Errorf("run: an exit code or reason needs ExitAfter: a container that never exits has no exit status")
	}
	return nil
}

// TerminatedReason is the reason the runtime reports when the process
// exits: Reason, else "Completed" for exit code 0 and "Error" otherwise.
func (r Run) TerminatedReason() string {
	switch {
	case r.Reason != "":
		return r.Reason
	case r.ExitCode == 0:
		return "Completed"
	default:
		return "Error"
	}
}

// runLabel is the image-config label a Run travels under.
const runLabel = "dev.pullsim.run"

type runJSON struct {
	ExitAfter string `json:"exitAfter"`
	StopAfter string `json:"stopAfter,omitempty"`
	ExitCode  int32  `json:"exitCode,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// label returns the label value of r; "" for the zero Run, which adds no
// label (so images without a Run keep the digests they always had).
func (r Run) label() string {
	if r == (Run{}) {
		return ""
	}
	j := runJSON{ExitAfter: r.ExitAfter.String(), ExitCode: r.ExitCode, Reason: r.Reason}
	if r.StopAfter != 0 {
		j.StopAfter = r.StopAfter.String()
	}
	return string(mustJSON(j))
}

// RunOf reads the Run an image config carries; an image config without one
// (any image not built by pullsim, or built with the zero Run) runs until
// stopped. Malformed labels read as the zero Run.
func RunOf(config []byte) Run {
	var cfg imageConfig
	if json.Unmarshal(config, &cfg) != nil {
		return Run{}
	}
	v, ok := cfg.Config.Labels[runLabel]
	if !ok {
		return Run{}
	}
	var j runJSON
	if json.Unmarshal([]byte(v), &j) != nil {
		return Run{}
	}
	d, err := time.ParseDuration(j.ExitAfter)
	r := Run{ExitAfter: d, ExitCode: j.ExitCode, Reason: j.Reason}
	if j.StopAfter != "" {
		stop, serr := time.ParseDuration(j.StopAfter)
		if serr != nil {
			return Run{}
		}
		r.StopAfter = stop
	}
	if err != nil || r.Validate() != nil {
		return Run{}
	}
	return r
}
