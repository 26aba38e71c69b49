package pullsim

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// transcript writes what a person reading the cluster sees, step by step.
// A nil writer writes nothing.
type transcript struct {
	w   io.Writer
	wd  *world
	err error
}

func newTranscript(w io.Writer, wd *world) *transcript { return &transcript{w: w, wd: wd} }

func (t *transcript) printf(format string, args ...any) {
	if t.w == nil || t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// indent writes text with every line indented.
func (t *transcript) indent(prefix, text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		t.printf("%s\n", strings.TrimRight(prefix+l, " "))
	}
}

func (t *transcript) header(r *Result) {
	t.printf("Scenario %s (%s)\n", r.Name, r.File)
	if r.Description != "" {
		t.indent("  ", r.Description)
	}
}

func (t *transcript) footer(r *Result) {
	if t.w == nil {
		return
	}
	f := r.Failures()
	n := 0
	for _, st := range r.Steps {
		n += len(st.Expectations)
	}
	t.printf("\n")
	if len(f) == 0 {
		t.printf("PASS %s: %d expectations held over %s of virtual time\n", r.Name, n, r.End.Sub(r.Start))
		return
	}
	t.printf("FAIL %s: %d of %d expectations failed\n", r.Name, len(f), n)
	for _, o := range f {
		t.printf("  %s:%d: step %d: %s: want %s, got %s\n", r.File, o.Line, o.Step, o.What, o.Want, o.Got)
	}
}

// events prints events once each, with a count for repeats, as kubectl
// describe aggregates them.
func (t *transcript) events(rec *Record) {
	type key struct{ object, typ, reason, message string }
	var order []key
	count := map[key]int{}
	for _, e := range rec.Events {
		k := key{t.object(e), e.Type, e.Reason, e.Message}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	for _, k := range order {
		times := ""
		if c := count[k]; c > 1 {
			times = fmt.Sprintf(" (x%d)", c)
		}
		t.printf("    %s  %-7s  %-8s  %s%s\n", k.object, k.typ, k.reason, k.message, times)
	}
}

// object names an event's object: "pod/app" or, with several nodes,
// "node-1 pod/app".
func (t *transcript) object(e Event) string {
	o := "pod/" + e.Pod
	if e.Namespace != "default" {
		o = e.Namespace + "/" + o
	}
	if len(t.wd.nodes) > 1 {
		o = e.Node + " " + o
	}
	return o
}

func (t *transcript) step(st *Step, pl *plannedStep, sr *StepResult) {
	if t.w == nil || t.err != nil {
		return
	}
	t.printf("\n== step %d at %s: %s\n", sr.Index, offset(pl.at), sr.Action)
	if st.Name != "" {
		t.indent("   # ", st.Name)
	}
	if sr.Before != nil && len(sr.Before.Events) > 0 {
		t.printf("  meanwhile:\n")
		t.events(sr.Before)
	}
	if len(sr.Events) > 0 {
		t.printf("  events:\n")
		t.events(&sr.Record)
	}
	if gc := sr.GC; gc != nil {
		t.printf("  image GC on %s: usage %d -> %d bytes\n", gc.Node, gc.UsageBefore, gc.UsageAfter)
		for _, im := range gc.Removed {
			t.printf("    removed %s (%d bytes, %s)\n", strings.Join(im.Names, ", "), im.Size, im.Reason)
		}
		if gc.Error != "" {
			t.printf("    failed: %s\n", gc.Error)
		}
	}
	if len(sr.Pulls) > 0 || sr.Requests.Total > 0 {
		t.printf("  pulls: %d, registry requests: %d (resolve %d, manifest %d, blob %d), bytes: %d\n",
			len(sr.Pulls), sr.Requests.Total, sr.Requests.Resolves, sr.Requests.Manifests, sr.Requests.Blobs, sr.Bytes)
	}
	for _, i := range t.wd.nodesOf(st, pl) {
		n := t.wd.nodes[i]
		if len(n.Pods()) == 0 {
			continue
		}
		var b bytes.Buffer
		ns := "default"
		for _, p := range n.Pods() {
			if p.Namespace != "default" {
				ns = ""
			}
		}
		if t.err = n.GetPods(&b, ns); t.err != nil {
			return
		}
		cmd := "kubectl get pods"
		if ns == "" {
			cmd += " -A"
		}
		if len(t.wd.nodes) > 1 {
			cmd += " --field-selector spec.nodeName=" + n.Name()
		}
		t.printf("  $ %s\n", cmd)
		t.indent("  ", b.String())
	}
	if st.Expect != nil {
		seen := map[string]bool{}
		for _, pe := range st.Expect.Pods {
			n := t.wd.nodes[t.wd.nodeIndex(pe.Node, pl)]
			key := n.Name() + "/" + namespaceOr(pe.Namespace) + "/" + pe.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			var b bytes.Buffer
			if err := n.Describe(&b, namespaceOr(pe.Namespace), pe.Name); err != nil {
				continue // a pod that is gone: its expectation says so
			}
			t.printf("  $ kubectl describe pod %s%s\n", pe.Name, nsFlag(pe.Namespace))
			t.indent("  ", b.String())
		}
		t.printf("  expect:\n")
		for _, o := range sr.Expectations {
			t.printf("    %s\n", o)
		}
	}
}

// offset prints a scenario time: "0s", "1m0s", "168h0m0s".
func offset(d time.Duration) string { return d.String() }
