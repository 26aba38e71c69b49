package pullsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pullsim/pullsim/registry"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// Scenario is a scenario file, decoded and validated: Load or Parse it, then
// Run it. Its exported fields are the file's contents, for reading: Run
// assumes they are as Parse validated them (the manifests of apply steps are
// read once, by Parse), so change the file and parse it again instead.
type Scenario struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   ObjectMeta   `json:"metadata"`
	Spec       ScenarioSpec `json:"spec"`

	file  string
	lines map[string]int     // field path -> line
	plan  []plannedStep      // per step: what validation resolved
	known map[podKey]nodePod // every pod some step creates
}

// Error is a scenario refused before anything ran, or a step that could not
// be carried out: which file, line and field, and what is wrong.
type Error struct {
	File  string
	Line  int    // 0 when unknown
	Field string // spec.steps[2].at; "" for the whole file
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Load reads and validates the scenario file at path. Manifests named by
// apply steps are read relative to it.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse decodes and validates a scenario. name is the file name used in
// errors, and the directory of apply steps' relative paths. Decoding is
// strict: an unknown field, a value of the wrong type, an unparsable
// duration or quantity is refused; so is a step out of time order, a
// reference to a node, registry, build or pod that does not exist, an
// expectation that could never be checked, and a pod or service account the
// API server would refuse at create: each apply step's objects are created,
// in order, on throwaway nodes with the scenario's settings and a cluster
// as it stands at that step, through the calls Run makes, so Run does not
// refuse what Parse passed. A file holds one scenario: a
// second YAML document ("---") that is not empty is refused, since it would
// never run. Every problem found is reported,
// each as an *Error with file, line and field, joined with errors.Join.
func Parse(data []byte, name string) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: name, Line: yamlErrorLine(err), Err: err}
	}
	if line, err := secondDocument(data); err != nil || line > 0 {
		if err != nil {
			return nil, &Error{File: name, Line: yamlErrorLine(err), Err: err}
		}
		return nil, &Error{File: name, Line: line, Err: errors.New("document 1: only one scenario per file, and this second document would be ignored: put it in a file of its own")}
	}
	s := &Scenario{file: name, lines: map[string]int{}}
	var errs []error
	if len(root.Content) == 0 {
		return nil, &Error{File: name, Err: errors.New("empty document")}
	}
	walk(root.Content[0], reflect.TypeOf(s).Elem(), "", s.lines, func(line int, field, msg string) {
		errs = append(errs, &Error{File: name, Line: line, Field: field, Err: errors.New(msg)})
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := sigsyaml.UnmarshalStrict(data, s); err != nil {
		// The walk catches what strict decoding refuses; this is a backstop.
		return nil, &Error{File: name, Err: err}
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// secondDocument returns the line of a second YAML document that holds
// anything but comments, or 0 when there is none. A scenario file is one
// object, as a Kubernetes object file is: a second scenario would never
// run, and silently ignoring it would hide its expectations.
func secondDocument(data []byte) (int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if i > 0 && len(doc.Content) > 0 && !(doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
			return doc.Content[0].Line, nil
		}
	}
}

// Registry returns the scenario's registries as they stand before its first
// step: its builds pushed, its links set, its private repositories made
// private. It is what `pullsim serve` serves.
func (s *Scenario) Registry() (*registry.Registry, error) {
	w, err := s.newWorld()
	if err != nil {
		return nil, err
	}
	return w.reg, nil
}

// Name returns the scenario's metadata.name.
func (s *Scenario) Name() string { return s.Metadata.Name }

// File returns the file name the scenario was parsed under.
func (s *Scenario) File() string { return s.file }

// line returns the line of a field path, or of its nearest ancestor.
func (s *Scenario) line(path string) int {
	for path != "" {
		if l, ok := s.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (s *Scenario) errorf(path, format string, args ...any) *Error {
	return &Error{File: s.file, Line: s.line(path), Field: path, Err: fmt.Errorf(format, args...)}
}

// yamlErrorLine digs the line out of a YAML syntax error ("yaml: line 3: ...").
func yamlErrorLine(err error) int {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "yaml: line ")
	if !ok {
		return 0
	}
	n, _, _ := strings.Cut(rest, ":")
	l, _ := strconv.Atoi(n)
	return l
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// walk checks a YAML node against the Go type it decodes into, as strict
// decoding will, but with the line and the field path of each problem; it
// records the line of every field path it visits. Field names match the
// json tags exactly (case included).
func walk(n *yaml.Node, t reflect.Type, path string, lines map[string]int, report func(line int, field, msg string)) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, ok := lines[path]; !ok && path != "" {
		lines[path] = n.Line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch {
	case t == rawMessageType:
		return
	case reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice:
		var v any
		if err := n.Decode(&v); err != nil {
			report(n.Line, path, err.Error())
			return
		}
		data, err := json.Marshal(v)
		if err != nil {
			report(n.Line, path, err.Error())
			return
		}
		if err := json.Unmarshal(data, reflect.New(t).Interface()); err != nil {
			report(n.Line, path, valueError(err, n, t))
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			report(n.Line, path, "expected a mapping (field: value)")
			return
		}
		fields := jsonFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if seen[k.Value] {
				report(k.Line, p, "duplicate field")
				continue
			}
			seen[k.Value] = true
			f, ok := fields[k.Value]
			if !ok {
				report(k.Line, p, fmt.Sprintf("unknown field %q", k.Value))
				continue
			}
			lines[p] = k.Line
			walk(v, f, p, lines, report)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			report(n.Line, path, "expected a mapping (key: value)")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			lines[p] = k.Line
			walk(v, t.Elem(), p, lines, report)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			report(n.Line, path, "expected a list")
			return
		}
		for i, e := range n.Content {
			walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", lines, report)
		}
	}
}

// durationSyntax is what time.ParseDuration reads: a sign, then numbers
// (decimals allowed), each with a unit.
var durationSyntax = regexp.MustCompile(`^[-+]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$`)

// valueError words a decoding error of one value.
func valueError(err error, n *yaml.Node, t reflect.Type) string {
	if t == reflect.TypeFor[metav1.Duration]() {
		if durationSyntax.MatchString(n.Value) {
			// Written as a duration, but time.ParseDuration overflows.
			if strings.HasPrefix(n.Value, "-") {
				return fmt.Sprintf("duration %q out of range: at least %v", n.Value, time.Duration(math.MinInt64))
			}
			return fmt.Sprintf("duration %q out of range: at most %v", n.Value, time.Duration(math.MaxInt64))
		}
		return fmt.Sprintf("invalid duration %q: want a Go duration such as \"30s\" or \"1h30m\"", n.Value)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.Kind().String()
		if te.Type.Kind() == reflect.Bool {
			want = "true or false"
		}
		return fmt.Sprintf("cannot use %q: want %s", n.Value, want)
	}
	return fmt.Sprintf("invalid value %q: %v", n.Value, err)
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// jsonFields returns the fields of a struct by json name (embedded structs
// flattened).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
