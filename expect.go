package pullsim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/pullsim/pullsim/node"
)

// buildOf answers "which build runs in this container?": the name of the
// build whose manifest digest is d, as the registry has it (the pushed
// Image's Config), or as a declared build of the scenario for content that
// was side-loaded and never pushed. It is "" for unknown content.
func (w *world) buildOf(d digest.Digest) string {
	if d == "" {
		return ""
	}
	if img, ok := w.reg.Pushed(d); ok {
		return img.Config
	}
	return w.names[d]
}

// check evaluates a step's expectations against the cluster and the step's
// record.
func (w *world) check(i int, path string, e *Expect, pl *plannedStep, rec Record) []Outcome {
	s := w.s
	var out []Outcome
	add := func(field, what, want, got string, ok bool) {
		out = append(out, Outcome{Step: i, Line: s.line(field), Field: field, What: what, Want: want, Got: got, OK: ok})
	}
	eq := func(field, what, want, got string) { add(field, what, want, got, want == got) }
	for j, pe := range e.Pods {
		pp := fmt.Sprintf("%s.pods[%d]", path, j)
		n := w.nodes[w.nodeIndex(pe.Node, pl)]
		ns := namespaceOr(pe.Namespace)
		subject := fmt.Sprintf("pod %s/%s on %s", ns, pe.Name, n.Name())
		p, ok := n.Pod(ns, pe.Name)
		if !ok {
			add(pp+".name", subject, "a pod", "no such pod (deleted?)", false)
			continue
		}
		if pe.Phase != "" {
			eq(pp+".phase", subject+": phase", pe.Phase, string(p.Status.Phase))
		}
		for k, ce := range pe.Containers {
			cp := fmt.Sprintf("%s.containers[%d]", pp, k)
			what := fmt.Sprintf("%s, container %s: ", subject, ce.Name)
			cs := p.ContainerStatus(ce.Name)
			if ce.ImagePullPolicy != "" {
				eq(cp+".imagePullPolicy", what+"imagePullPolicy", ce.ImagePullPolicy, policyOf(p, ce.Name))
			}
			if ce.Running != nil {
				eq(cp+".running", what+"running", strconv.FormatBool(*ce.Running), strconv.FormatBool(cs.Running()))
			}
			if ce.Reason != nil {
				eq(cp+".reason", what+"waiting reason", strconv.Quote(*ce.Reason), strconv.Quote(cs.Reason()))
			}
			if ce.Message != nil {
				add(cp+".message", what+"message", "a message containing "+strconv.Quote(*ce.Message), strconv.Quote(cs.Message()),
					strings.Contains(cs.Message(), *ce.Message))
			}
			if ce.Build != nil {
				got := "no build (not running)"
				if d := cs.Digest(); d != "" {
					got = strconv.Quote(w.buildOf(d))
				}
				eq(cp+".build", what+"build", strconv.Quote(*ce.Build), got)
			}
			if ce.Digest != nil {
				got := string(cs.Digest())
				if got == "" {
					got = "no digest (not running)"
				}
				eq(cp+".digest", what+"digest", *ce.Digest, got)
			}
			if ce.RestartCount != nil {
				got := -1
				if cs != nil {
					got = cs.RestartCount
				}
				eq(cp+".restartCount", what+"restartCount", strconv.Itoa(*ce.RestartCount), strconv.Itoa(got))
			}
		}
	}
	for j, ee := range e.Events {
		ep := fmt.Sprintf("%s.events[%d]", path, j)
		var matched []Event
		for _, ev := range rec.Events {
			if (ee.Node == "" || ev.Node == ee.Node) && (ee.Pod == "" || ev.Pod == ee.Pod) &&
				(ee.Type == "" || ev.Type == ee.Type) && (ee.Reason == "" || ev.Reason == ee.Reason) &&
				strings.Contains(ev.Message, ee.Message) {
				matched = append(matched, ev)
			}
		}
		what := "events " + eventFilter(ee)
		if ee.Count != nil {
			eq(ep+".count", what, strconv.Itoa(*ee.Count), strconv.Itoa(len(matched)))
		} else {
			add(ep, what, "at least 1", strconv.Itoa(len(matched)), len(matched) > 0)
		}
	}
	if e.Pulls != nil {
		eq(path+".pulls", "pulls", strconv.Itoa(*e.Pulls), strconv.Itoa(len(rec.Pulls)))
	}
	if e.RegistryRequests != nil {
		eq(path+".registryRequests", "registry requests", strconv.Itoa(*e.RegistryRequests), strconv.Itoa(rec.Requests.Total))
	}
	if e.Bytes != nil {
		eq(path+".bytes", "bytes downloaded", strconv.FormatInt(*e.Bytes, 10), strconv.FormatInt(rec.Bytes, 10))
	}
	return out
}

func policyOf(p node.Pod, container string) string {
	for _, list := range [][]node.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range list {
			if c.Name == container {
				return string(c.ImagePullPolicy)
			}
		}
	}
	return ""
}

// eventFilter describes an event expectation: `{pod app, Normal Pulled, "already present"}`.
func eventFilter(ee EventExpect) string {
	var parts []string
	if ee.Node != "" {
		parts = append(parts, "node "+ee.Node)
	}
	if ee.Pod != "" {
		parts = append(parts, "pod "+ee.Pod)
	}
	if t := strings.TrimSpace(ee.Type + " " + ee.Reason); t != "" {
		parts = append(parts, t)
	}
	if ee.Message != "" {
		parts = append(parts, strconv.Quote(ee.Message))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
