package node

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pullsim/pullsim/pullpolicy"
	"sigs.k8s.io/yaml"
)

// DecodePod reads a Pod manifest in YAML (or JSON), as `kubectl apply -f`
// would send it: apiVersion v1, kind Pod, metadata name and namespace, and
// the spec fields pullsim models (containers and initContainers with name,
// image, imagePullPolicy and volumeMounts; imagePullSecrets;
// serviceAccountName; nodeName; volumes, by name, with image volumes'
// reference and pullPolicy). Fields of a Pod that pullsim does not model
// (labels, annotations, ports, command, args, env, resources, the sources
// of other volume types, restartPolicy, ...) are accepted and ignored;
// anything else is an error naming the field, like the API server's strict
// decoding:
//
//	strict decoding error: unknown field "spec.containers[0].imagePulPolicy"
func DecodePod(data []byte) (Pod, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return Pod{}, fmt.Errorf("pod manifest: %w", err)
	}
	var raw any
	if err := json.Unmarshal(js, &raw); err != nil {
		return Pod{}, fmt.Errorf("pod manifest: %w", err)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return Pod{}, fmt.Errorf("pod manifest: want a YAML mapping (an object), got %s", kindOf(raw))
	}
	switch v, _ := obj["apiVersion"].(string); {
	case obj["apiVersion"] == nil:
		return Pod{}, fmt.Errorf("pod manifest: apiVersion not set")
	case v != "v1":
		if k, _ := obj["kind"].(string); k == "Pod" {
			return Pod{}, fmt.Errorf("pod manifest: no kind \"Pod\" is registered for version %q", v)
		}
	}
	switch k, _ := obj["kind"].(string); {
	case obj["kind"] == nil:
		return Pod{}, fmt.Errorf("pod manifest: kind not set")
	case k != "Pod":
		return Pod{}, fmt.Errorf("pod manifest: kind %q is not supported: want \"Pod\"", k)
	}
	var errs []string
	podSchema.check("", raw, &errs)
	if len(errs) > 0 {
		return Pod{}, fmt.Errorf("pod manifest: strict decoding error: %s", strings.Join(errs, ", "))
	}
	var m podManifest
	if err := json.Unmarshal(js, &m); err != nil {
		return Pod{}, fmt.Errorf("pod manifest: %w", err) // unreachable after the schema check
	}
	p := Pod{Name: m.Metadata.Name, Namespace: m.Metadata.Namespace}
	p.Spec.Containers = m.Spec.Containers.containers()
	p.Spec.InitContainers = m.Spec.InitContainers.containers()
	for _, s := range m.Spec.ImagePullSecrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, s.Name)
	}
	p.Spec.ServiceAccountName = m.Spec.ServiceAccountName
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = m.Spec.ServiceAccount // the deprecated alias
	}
	p.Spec.NodeName = m.Spec.NodeName
	for _, v := range m.Spec.Volumes {
		vol := Volume{Name: v.Name}
		if v.Image != nil {
			vol.Image = &ImageVolumeSource{Reference: v.Image.Reference, PullPolicy: pullpolicy.PullPolicy(v.Image.PullPolicy)}
		}
		p.Spec.Volumes = append(p.Spec.Volumes, vol)
	}
	return p, nil
}

// LoadPod reads a Pod manifest from a file; errors name the file.
func LoadPod(path string) (Pod, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Pod{}, err
	}
	p, err := DecodePod(data)
	if err != nil {
		return Pod{}, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "pod manifest: "))
	}
	return p, nil
}

type podManifest struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Containers         manifestContainers      `json:"containers"`
		InitContainers     manifestContainers      `json:"initContainers"`
		ImagePullSecrets   []struct{ Name string } `json:"imagePullSecrets"`
		ServiceAccountName string                  `json:"serviceAccountName"`
		ServiceAccount     string                  `json:"serviceAccount"`
		NodeName           string                  `json:"nodeName"`
		Volumes            []struct {
			Name  string `json:"name"`
			Image *struct {
				Reference  string `json:"reference"`
				PullPolicy string `json:"pullPolicy"`
			} `json:"image"`
		} `json:"volumes"`
	} `json:"spec"`
}

type manifestContainers []struct {
	Name            string `json:"name"`
	Image           string `json:"image"`
	ImagePullPolicy string `json:"imagePullPolicy"`
	VolumeMounts    []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"volumeMounts"`
}

func (mc manifestContainers) containers() []Container {
	var out []Container
	for _, c := range mc {
		ct := Container{Name: c.Name, Image: c.Image, ImagePullPolicy: pullpolicy.PullPolicy(c.ImagePullPolicy)}
		for _, m := range c.VolumeMounts {
			ct.VolumeMounts = append(ct.VolumeMounts, VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: m.ReadOnly})
		}
		out = append(out, ct)
	}
	return out
}

// schema is the shape of the accepted part of a Pod: kinds of JSON values
// and, for objects, their fields.
type schema struct {
	kind   string // "string", "object", "array", "any"
	fields map[string]*schema
	elem   *schema
}

func obj(fields map[string]*schema) *schema { return &schema{kind: "object", fields: fields} }
func arr(elem *schema) *schema              { return &schema{kind: "array", elem: elem} }

var (
	str             = &schema{kind: "string"}
	boolean         = &schema{kind: "boolean"}
	anyValue        = &schema{kind: "any"}
	containerSchema = obj(map[string]*schema{
		"name": str, "image": str, "imagePullPolicy": str,
		"volumeMounts": arr(obj(map[string]*schema{
			"name": str, "mountPath": str, "readOnly": boolean,
			"subPath": anyValue, "subPathExpr": anyValue, "mountPropagation": anyValue, "recursiveReadOnly": anyValue,
		})),
		// Accepted, not modelled.
		"ports": anyValue, "command": anyValue, "args": anyValue, "env": anyValue, "envFrom": anyValue,
		"resources": anyValue, "workingDir": anyValue, "livenessProbe": anyValue,
		"readinessProbe": anyValue, "startupProbe": anyValue, "securityContext": anyValue, "restartPolicy": anyValue,
		"terminationMessagePath": anyValue, "terminationMessagePolicy": anyValue, "lifecycle": anyValue,
		"stdin": anyValue, "tty": anyValue,
	})
	volumeSchema = obj(map[string]*schema{
		"name":  str,
		"image": obj(map[string]*schema{"reference": str, "pullPolicy": str}),
		// Other volume types: accepted by name, their sources not modelled.
		"emptyDir": anyValue, "configMap": anyValue, "secret": anyValue, "hostPath": anyValue,
		"persistentVolumeClaim": anyValue, "projected": anyValue, "downwardAPI": anyValue, "ephemeral": anyValue,
		"csi": anyValue, "nfs": anyValue,
	})
	podSchema = obj(map[string]*schema{
		"apiVersion": str, "kind": str,
		"metadata": obj(map[string]*schema{
			"name": str, "namespace": str,
			"labels": anyValue, "annotations": anyValue, "generateName": anyValue, "uid": anyValue,
			"resourceVersion": anyValue, "creationTimestamp": anyValue, "ownerReferences": anyValue,
		}),
		"spec": obj(map[string]*schema{
			"containers": arr(containerSchema), "initContainers": arr(containerSchema),
			"imagePullSecrets":   arr(obj(map[string]*schema{"name": str})),
			"serviceAccountName": str, "serviceAccount": str, "nodeName": str,
			"restartPolicy": anyValue, "volumes": arr(volumeSchema), "nodeSelector": anyValue, "tolerations": anyValue,
			"affinity": anyValue, "securityContext": anyValue, "terminationGracePeriodSeconds": anyValue,
			"dnsPolicy": anyValue, "schedulerName": anyValue, "priority": anyValue, "priorityClassName": anyValue,
			"enableServiceLinks": anyValue, "preemptionPolicy": anyValue, "hostname": anyValue, "subdomain": anyValue,
		}),
		"status": anyValue,
	})
)

// check walks v against s, collecting the API server's strict decoding
// errors with their field paths.
func (s *schema) check(path string, v any, errs *[]string) {
	if v == nil || s.kind == "any" {
		return
	}
	got := kindOf(v)
	if got != s.kind {
		*errs = append(*errs, fmt.Sprintf("%s: expected %s, got %s", path, s.kind, got))
		return
	}
	switch s.kind {
	case "object":
		m := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := s.fields[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			if !ok {
				*errs = append(*errs, fmt.Sprintf("unknown field %q", p))
				continue
			}
			f.check(p, m[k], errs)
		}
	case "array":
		for i, e := range v.([]any) {
			s.elem.check(path+"["+strconv.Itoa(i)+"]", e, errs)
		}
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}
