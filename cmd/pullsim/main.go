// Command pullsim runs image pull scenarios on simulated kubelets.
//
//	go install github.com/pullsim/pullsim/cmd/pullsim@latest
//
//	pullsim run testdata/scenarios/quiz1.yaml
//	pullsim run -o json scenario.yaml   (or -o yaml)
//	pullsim run --timeline rollout.svg scenario.yaml
//	pullsim explain pod.yaml --node-has nginx:1.28
//	pullsim validate testdata/scenarios/*.yaml
//
// Each verb is a call into the pullsim library plus printing: run is
// pullsim.Load and Scenario.Run (with a transcript, Result as JSON or
// Result.WriteTimeline), explain is pullsim.Explain, validate is pullsim.Load.
// Exit status: 0 when everything passed, 1 when an expectation failed, 2 for
// bad input or usage. Errors go to standard error.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pullsim/pullsim"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // an expectation did not hold
	exitError  = 2 // bad input or usage
)

// verb is one subcommand.
type verb struct {
	name    string
	summary string
	usage   string // the arguments, after "pullsim <name>"
	help    string // flags and examples, shown by -h
	run     func(v *verb, args []string, stdout, stderr io.Writer) int
}

// verbs is the command table. To add a verb, append an entry.
var verbs = []verb{
	{
		name:    "run",
		summary: "run scenario files and print what the nodes did",
		usage:   "[-o text|json|yaml] [--timeline FILE.svg] FILE...",
		help: `Runs each scenario and prints, step by step, the events, kubectl get pods,
kubectl describe pod for the pods the step's expectations name, and each
expectation's outcome. Exit status 1 when an expectation fails.

Examples:
  pullsim run testdata/scenarios/quiz1.yaml
  pullsim run -o json testdata/scenarios/lab.yaml | jq '.steps[].expectations'
  pullsim run --timeline quiz2.svg testdata/scenarios/quiz2.yaml`,
		run: runVerb,
	},
	{
		name:    "validate",
		summary: "check scenario files without running them",
		usage:   "FILE...",
		help: `Decodes and validates each scenario: unknown fields, steps out of time order,
references to nodes, registries, builds or pods that do not exist, unparsable
durations, and pods the API server would refuse at create (each apply step's
pods are created on throwaway nodes, as run creates them). Problems are
printed as FILE:LINE: FIELD: what is wrong.

Example:
  pullsim validate testdata/scenarios/*.yaml`,
		run: validateVerb,
	},
	{
		name:    "explain",
		summary: "say whether a pod's containers pull, hit the cache or fail with ErrImageNeverPull",
		usage:   "[--node-has IMAGE]... [-o text|json|yaml] POD.yaml",
		help: `Creates each of the manifest's pods on a fresh simulated node that holds
only the --node-has images (side-loaded, as tags) and a registry that has
every image the pods and their image volumes name, and prints, per container
and per image volume, the pull policy after defaulting, the kubelet's
decision (pull, cache hit, ErrImageNeverPull), why, and the events; then the
pod's own events (a pull secret that does not exist, ...).

Examples:
  pullsim explain examples/lab/testdata/pull-policy-pod.yaml
  pullsim explain --node-has busybox:1.36 examples/lab/testdata/never-pod.yaml`,
		run: explainVerb,
	},
	// serve (serve.go) adds itself.
}

func main() {
	os.Exit(pullsimMain(os.Args[1:], os.Stdout, os.Stderr))
}

func pullsimMain(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0: // a usage error: the usage goes to standard error
		usage(stderr)
		return exitError
	case len(args) > 1 && args[0] == "help": // pullsim help run: run's help, asked for
		if v := lookup(args[1]); v != nil {
			return v.run(v, []string{"-h"}, stdout, stdout)
		}
		fmt.Fprintf(stderr, "pullsim help: unknown command %q\n", args[1])
		usage(stderr)
		return exitError
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		usage(stdout)
		return exitOK
	}
	if v := lookup(args[0]); v != nil {
		return v.run(v, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "pullsim: unknown command %q\n", args[0])
	usage(stderr)
	return exitError
}

// lookup returns the verb of that name, or nil.
func lookup(name string) *verb {
	for i := range verbs {
		if verbs[i].name == name {
			return &verbs[i]
		}
	}
	return nil
}

// printLoadError prints an error of pullsim.Load: a *pullsim.Error as it
// is (FILE:LINE: FIELD: ...), anything else (a file that cannot be read)
// after the verb's name.
func printLoadError(w io.Writer, verb string, err error) {
	if se := (*pullsim.Error)(nil); errors.As(err, &se) {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintf(w, "pullsim %s: %v\n", verb, err)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pullsim simulates the kubelet's decision to pull a container image.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  pullsim %s %s\n", v.name, v.usage)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %-9s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "pullsim help <command>" or "pullsim <command> -h" for a command's flags and examples.`)
}

// flags returns a flag set for a verb whose -h prints its help.
func flags(v *verb, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pullsim "+v.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pullsim %s %s\n\n%s\n", v.name, v.usage, v.help)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags anywhere among the arguments (kubectl style) and
// returns the rest.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runVerb(v *verb, args []string, stdout, stderr io.Writer) int {
	fs := flags(v, stderr)
	output := fs.String("o", "text", "output format: text (a transcript), or json or yaml (the whole result)")
	timeline := fs.String("timeline", "", "write an SVG timeline of the run to this file (one scenario only)")
	files, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError
	}
	switch {
	case len(files) == 0:
		fmt.Fprintln(stderr, "pullsim run: name at least one scenario file")
		return exitError
	case *output != "text" && *output != "json" && *output != "yaml":
		fmt.Fprintf(stderr, "pullsim run: -o %s: want text, json or yaml\n", *output)
		return exitError
	case *timeline != "" && len(files) > 1:
		fmt.Fprintln(stderr, "pullsim run: --timeline draws one scenario; name one file")
		return exitError
	}
	status := exitOK
	var results []*pullsim.Result
	for i, file := range files {
		s, err := pullsim.Load(file)
		if err != nil {
			printLoadError(stderr, "run", err)
			status = exitError
			continue
		}
		var opts []pullsim.RunOption
		if *output == "text" {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			opts = append(opts, pullsim.WithTranscript(stdout))
		}
		r, err := s.Run(opts...)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = exitError
			continue
		}
		results = append(results, r)
		if !r.Passed() && status == exitOK {
			status = exitFailed
		}
		if *timeline != "" {
			if err := writeTimeline(*timeline, r); err != nil {
				fmt.Fprintln(stderr, "pullsim run:", err)
				status = exitError
			}
		}
	}
	if *output != "text" {
		var v any = results
		if len(files) == 1 && len(results) == 1 {
			v = results[0]
		}
		if err := encode(stdout, *output, v); err != nil {
			fmt.Fprintln(stderr, "pullsim run:", err)
			return exitError
		}
	}
	return status
}

// encode writes v as indented JSON or as YAML (converted from the JSON, as
// kubectl does).
func encode(w io.Writer, format string, v any) error {
	if format == "yaml" {
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeTimeline(path string, r *pullsim.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.WriteTimeline(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func validateVerb(v *verb, args []string, stdout, stderr io.Writer) int {
	fs := flags(v, stderr)
	files, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "pullsim validate: name at least one scenario file")
		return exitError
	}
	status := exitOK
	for _, file := range files {
		s, err := pullsim.Load(file)
		if err != nil {
			printLoadError(stderr, "validate", err)
			status = exitError
			continue
		}
		fmt.Fprintf(stdout, "%s: scenario %s is valid (%s, %s)\n", file, s.Name(), count(len(s.Spec.Nodes), "node"), count(len(s.Spec.Steps), "step"))
	}
	return status
}

func explainVerb(v *verb, args []string, stdout, stderr io.Writer) int {
	fs := flags(v, stderr)
	var nodeHas stringList
	fs.Var(&nodeHas, "node-has", "an image the node already has, by tag as a pod writes it, such as nginx:1.28; not a digest, which side-loading cannot give (repeatable)")
	output := fs.String("o", "text", "output format: text, json or yaml")
	files, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "pullsim explain: name one manifest file")
		return exitError
	}
	if *output != "text" && *output != "json" && *output != "yaml" {
		fmt.Fprintf(stderr, "pullsim explain: -o %s: want text, json or yaml\n", *output)
		return exitError
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		fmt.Fprintln(stderr, "pullsim explain:", err)
		return exitError
	}
	e, err := pullsim.Explain(data, nodeHas...)
	if err != nil {
		fmt.Fprintf(stderr, "pullsim explain: %s: %v\n", files[0], err)
		return exitError
	}
	if *output != "text" {
		if err := encode(stdout, *output, e); err != nil {
			fmt.Fprintln(stderr, "pullsim explain:", err)
			return exitError
		}
		return exitOK
	}
	has := "nothing"
	if len(nodeHas) > 0 {
		has = strings.Join(nodeHas, ", ")
	}
	for _, p := range e.Pods {
		fmt.Fprintf(stdout, "pod %s/%s on a kubelet v%s node that has %s:\n", p.Namespace, p.Name, e.KubeletVersion, has)
		for _, c := range p.Containers {
			printDecision(stdout, fmt.Sprintf("container %s: image %s", c.Name, c.Image), "imagePullPolicy", c.ImageDecision)
		}
		for _, v := range p.Volumes {
			printDecision(stdout, fmt.Sprintf("image volume %s: reference %s", v.Name, v.Reference), "pullPolicy", v.ImageDecision)
		}
		if len(p.Events) > 0 {
			printEvents(stdout, "  pod events:", p.Events)
		}
	}
	return exitOK
}

// decision prints a verdict and why; "none" when the kubelet did not get to
// the image.
func decision(d pullsim.Verdict, why string) string {
	if d == "" {
		return "none: " + why
	}
	return string(d) + ": " + why
}

// printDecision writes what explain found about one image: what (the
// container or the volume, and its image), its policy field's name, the
// policy and why, the decision and the events.
func printDecision(w io.Writer, what, field string, d pullsim.ImageDecision) {
	onNode := "not on the node"
	if d.OnNode {
		onNode = "on the node"
	}
	fmt.Fprintf(w, "  %s (%s)\n", what, onNode)
	fmt.Fprintf(w, "    %s: %s (%s)\n", field, d.Policy, d.Defaulting)
	fmt.Fprintf(w, "    decision: %s\n", decision(d.Decision, d.Why))
	printEvents(w, "    events:", d.Events)
}

func printEvents(w io.Writer, title string, events []string) {
	fmt.Fprintln(w, title)
	for _, ev := range events {
		fmt.Fprintf(w, "%s  %s\n", strings.Repeat(" ", len(title)-len(strings.TrimLeft(title, " "))), ev)
	}
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
