// Package capacity is the load model: what a number of concurrent users asks of the platform
// (requests, sockets, queries, cache memory, jobs), what each part of a stack's plan carries at
// its baseline (every minimum) and at its ceiling (every maximum), and which part runs short
// first. The figures are data with their sources (demand.yaml, parts.yaml, limits.yaml,
// headroom.yaml); a stack overrides them with scalestack:capacity. It reads the plan, never a
// cloud SDK, like the cost model and the guardrails.
package capacity

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/components/spec"
)

// Figure is one number of the model, with its unit and where it comes from.
type Figure struct {
	Value float64 `yaml:"value" json:"value"`
	Unit  string  `yaml:"unit" json:"unit"`
	// Source is a seed case, a provider's documentation, or why an assumption is reasonable.
	Source     string `yaml:"source" json:"source"`
	Assumption bool   `yaml:"assumption,omitempty" json:"assumption,omitempty"`
}

// Demand is what one concurrent user asks of the platform at its peak.
type Demand struct {
	RequestsPerUser         Figure `yaml:"requestsPerUser"`
	CPUSecondsPerRequest    Figure `yaml:"cpuSecondsPerRequest"`
	QueriesPerUser          Figure `yaml:"queriesPerUser"`
	WriteShare              Figure `yaml:"writeShare" share:"true"`
	QuerySeconds            Figure `yaml:"querySeconds"`
	PoolHeadroom            Figure `yaml:"poolHeadroom"`
	ClientConnectionsPerPod Figure `yaml:"clientConnectionsPerPod"`
	WebSocketsPerUser       Figure `yaml:"webSocketsPerUser"`
	ReconnectsPerUser       Figure `yaml:"reconnectsPerUser"`
	CacheKiBPerUser         Figure `yaml:"cacheKiBPerUser"`
	CacheSharedMiB          Figure `yaml:"cacheSharedMiB"`
	JobsPerUser             Figure `yaml:"jobsPerUser"`
	CPUSecondsPerJob        Figure `yaml:"cpuSecondsPerJob"`
}

// Headroom is what a preset must carry: Ceiling times its tier's users at every maximum, and
// Baseline times the previous tier's users at every minimum.
type Headroom struct {
	Ceiling  Figure `yaml:"ceiling"`
	Baseline Figure `yaml:"baseline"`
}

// Parts is what each part carries.
type Parts struct {
	Ingress       Ingress                 `yaml:"ingress"`
	LoadBalancers map[string]LoadBalancer `yaml:"loadBalancers"`
	Database      DatabaseParts           `yaml:"database"`
	Cache         map[string]CacheParts   `yaml:"cache"`
	Nodes         map[string]Nodes        `yaml:"nodes"`
	Addons        []Addon                 `yaml:"addons"`
}

// Ingress is ingress-nginx's throughput and the chart's defaults where the plan sets none.
type Ingress struct {
	RequestsPerVCPU  Figure `yaml:"requestsPerVCPU"`
	DefaultCPU       Figure `yaml:"defaultCPU"`
	DefaultMemory    Figure `yaml:"defaultMemory"`
	DefaultCPUTarget Figure `yaml:"defaultCPUTarget"`
}

// LoadBalancer is a cloud's load balancer: sized by nodes, or elastic.
type LoadBalancer struct {
	ConnectionsPerNode Figure `yaml:"connectionsPerNode,omitempty"`
	RequestsPerNode    Figure `yaml:"requestsPerNode,omitempty"`
	MaxNodes           Figure `yaml:"maxNodes,omitempty"`
	Elastic            bool   `yaml:"elastic,omitempty"`
	Source             string `yaml:"source,omitempty"`
}

// DatabaseParts is PostgreSQL's throughput.
type DatabaseParts struct {
	QueriesPerVCPU Figure `yaml:"queriesPerVCPU"`
	CPUTarget      Figure `yaml:"cpuTarget" share:"true"`
}

// CacheParts is Valkey's usable memory.
type CacheParts struct {
	UsableMemoryShare Figure `yaml:"usableMemoryShare" share:"true"`
}

// Nodes is what a cloud's nodes keep for themselves and for the daemonsets.
type Nodes struct {
	// DigitalOcean: a fixed CPU reservation and a published allocatable memory per size.
	ReservedCPU       Figure      `yaml:"reservedCPU,omitempty"`
	AllocatableMemory MemoryTable `yaml:"allocatableMemory,omitempty"`
	// AWS: nodeadm's kube-reserved formula.
	ReservedCPUPercent      CPUSteps `yaml:"reservedCPUPercent,omitempty"`
	ReservedMemoryMiB       Figure   `yaml:"reservedMemoryMiB,omitempty"`
	ReservedMemoryMiBPerPod Figure   `yaml:"reservedMemoryMiBPerPod,omitempty"`
	EvictionMiB             Figure   `yaml:"evictionMiB,omitempty"`
	// MaxPods is one figure for every size, or a table by size.
	MaxPods    PodTable    `yaml:"maxPods,omitempty"`
	Daemonsets []Daemonset `yaml:"daemonsets,omitempty"`
	// Unsized clouds' nodes are not the stack's (the local cloud's existing cluster).
	Unsized bool   `yaml:"unsized,omitempty"`
	Source  string `yaml:"source,omitempty"`
}

// MemoryTable is allocatable GiB by the node's memory in GiB.
type MemoryTable struct {
	Source     string             `yaml:"source"`
	ByMemoryGB map[string]float64 `yaml:"byMemoryGiB"`
}

// CPUSteps is the share of each core kept for the kubelet, in percent: the first core, the
// second, ..., the last step for every core beyond.
type CPUSteps struct {
	Source string    `yaml:"source"`
	Steps  []float64 `yaml:"steps"`
}

// PodTable is the pods a node may run: one value for every size, or a value by size.
type PodTable struct {
	Value  float64        `yaml:"value,omitempty"`
	Unit   string         `yaml:"unit,omitempty"`
	Source string         `yaml:"source"`
	BySize map[string]int `yaml:"bySize,omitempty"`
}

// Daemonset is a pod on every node, in millicores and MiB.
type Daemonset struct {
	Name   string  `yaml:"name"`
	CPU    float64 `yaml:"cpu"`
	Memory float64 `yaml:"memory"`
	Source string  `yaml:"source"`
}

// Addon is the pods of one platform chart, in millicores and MiB a pod.
type Addon struct {
	Chart     string  `yaml:"chart"`
	Name      string  `yaml:"name,omitempty"`
	Replicas  int     `yaml:"replicas,omitempty"`
	DaemonSet bool    `yaml:"daemonset,omitempty"`
	CPU       float64 `yaml:"cpu"`
	Memory    float64 `yaml:"memory"`
	Source    string  `yaml:"source"`
}

// Limit is an account or plan limit and how to raise it.
type Limit struct {
	Value      float64 `yaml:"value" json:"value"`
	Unit       string  `yaml:"unit" json:"unit"`
	Source     string  `yaml:"source" json:"source"`
	Assumption bool    `yaml:"assumption,omitempty" json:"assumption,omitempty"`
	Raise      string  `yaml:"raise" json:"raise"`
}

// Model is the whole load model.
type Model struct {
	Demand   Demand                      `yaml:"demand"`
	Headroom Headroom                    `yaml:"headroom"`
	Parts    Parts                       `yaml:"parts"`
	Limits   map[string]map[string]Limit `yaml:"limits"`
}

//go:embed demand.yaml headroom.yaml parts.yaml limits.yaml
var files embed.FS

// maxFigure bounds every figure, so that no product of figures and users overflows.
const maxFigure = 1e9

// OverrideSource is the source a figure says it has once a stack overrides it.
const OverrideSource = "stack override"

// Default returns the shipped model, decoded strictly and checked.
func Default() (Model, error) {
	var m Model
	for _, f := range []struct {
		name string
		into any
	}{{"demand.yaml", &m.Demand}, {"headroom.yaml", &m.Headroom}, {"parts.yaml", &m.Parts}, {"limits.yaml", &m.Limits}} {
		raw, err := files.ReadFile(f.name)
		if err != nil {
			return Model{}, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(f.into); err != nil {
			return Model{}, fmt.Errorf("capacity: %s: %w", f.name, err)
		}
	}
	if err := m.Validate(); err != nil {
		return Model{}, fmt.Errorf("capacity: the shipped model: %w", err)
	}
	// A table of pods by size, or of allocatable memory by memory, covers every node size of
	// the catalog, so that no size falls back to a guess.
	for cloud, n := range m.Parts.Nodes {
		for _, size := range spec.Sizes(spec.Cloud(cloud), spec.NodeSize) {
			info, err := spec.Lookup(spec.Cloud(cloud), spec.NodeSize, size)
			if err != nil || len(n.AllocatableMemory.ByMemoryGB) == 0 {
				continue
			}
			if _, ok := n.AllocatableMemory.ByMemoryGB[fmt.Sprint(info.MemoryGiB)]; !ok {
				return Model{}, fmt.Errorf("capacity: parts.yaml: nodes.%s.allocatableMemory.byMemoryGiB has no %q (want every node memory of components/spec/catalog.yaml)", cloud, fmt.Sprint(info.MemoryGiB))
			}
		}
		if len(n.MaxPods.BySize) == 0 {
			continue
		}
		for _, size := range spec.Sizes(spec.Cloud(cloud), spec.NodeSize) {
			if _, ok := n.MaxPods.BySize[size]; !ok {
				return Model{}, fmt.Errorf("capacity: parts.yaml: nodes.%s.maxPods.bySize has no %q (want every node size of components/spec/catalog.yaml)", cloud, size)
			}
		}
	}
	return m, nil
}

// Validate reports every figure that is missing its source, or whose value is not a positive,
// finite number (a share at most 1), naming the figure's path.
func (m Model) Validate() error {
	var errs []error
	walkFigures(reflect.ValueOf(m), "", func(path string, f Figure, share bool) {
		switch {
		case math.IsNaN(f.Value) || math.IsInf(f.Value, 0) || f.Value <= 0:
			errs = append(errs, fmt.Errorf("%s: %v is not a positive number", path, f.Value))
		case f.Value > maxFigure:
			errs = append(errs, fmt.Errorf("%s: %v is above %g (want a figure of this world)", path, f.Value, float64(maxFigure)))
		case share && f.Value > 1:
			errs = append(errs, fmt.Errorf("%s: %v is a share above 1 (want a number in (0, 1])", path, f.Value))
		}
		if strings.TrimSpace(f.Source) == "" {
			errs = append(errs, fmt.Errorf("%s: has no source (want a seed, a documentation page, or the reason for an assumption)", path))
		}
	})
	for cloud, limits := range m.Limits {
		for name, l := range limits {
			path := "limits." + cloud + "." + name
			if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) || l.Value < 0 || l.Value != math.Trunc(l.Value) {
				errs = append(errs, fmt.Errorf("%s: %v is not a whole number of 0 or more", path, l.Value))
			}
			if l.Source == "" || l.Raise == "" {
				errs = append(errs, fmt.Errorf("%s: source and raise are required", path))
			}
		}
	}
	for cloud, n := range m.Parts.Nodes {
		for _, d := range n.Daemonsets {
			if d.CPU < 0 || d.Memory < 0 || d.Source == "" {
				errs = append(errs, fmt.Errorf("parts.nodes.%s.daemonsets: %q needs non-negative cpu and memory and a source", cloud, d.Name))
			}
		}
	}
	for _, a := range m.Parts.Addons {
		if a.Chart == "" || a.CPU < 0 || a.Memory < 0 || a.Source == "" || (!a.DaemonSet && a.Replicas < 1) {
			errs = append(errs, fmt.Errorf("parts.addons: %q needs a chart, replicas (or daemonset), non-negative cpu and memory and a source", a.Chart))
		}
	}
	return errors.Join(errs...)
}

// walkFigures calls fn for every Figure in v, by its YAML path; an empty Figure (an optional one
// a cloud does not use) is skipped.
func walkFigures(v reflect.Value, path string, fn func(string, Figure, bool)) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := yamlName(f)
			p := join(path, name)
			if f.Type == reflect.TypeOf(Figure{}) {
				fig := v.Field(i).Interface().(Figure)
				if fig != (Figure{}) {
					fn(p, fig, f.Tag.Get("share") == "true")
				}
				continue
			}
			walkFigures(v.Field(i), p, fn)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			walkFigures(v.MapIndex(k), join(path, k.String()), fn)
		}
	}
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Override applies a stack's scalestack:capacity object (or a --model file) to the model: an
// object shaped like the model whose leaves are numbers, {"demand": {"requestsPerUser": 0.08},
// "limits": {"digitalocean": {"droplets": 100}}}. Each figure it sets says so in its source. An
// unknown key, a value that is not a number, or a number out of range is an error naming the
// key and the allowed ones.
func (m Model) Override(over map[string]any, where string) (Model, error) {
	if len(over) == 0 {
		return m, nil
	}
	out := m.clone()
	var errs []error
	v := reflect.ValueOf(&out).Elem()
	for _, k := range sortedKeys(over) {
		f, ok := fieldByYAML(v.Type(), k)
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not a key (want one of %s)", k, strings.Join(yamlNames(v.Type()), ", ")))
			continue
		}
		if k == "limits" {
			errs = append(errs, out.overrideLimits(over[k], where)...)
			continue
		}
		errs = append(errs, apply(v.FieldByIndex(f.Index), k, over[k], where)...)
	}
	if err := errors.Join(errs...); err != nil {
		return Model{}, err
	}
	if err := out.Validate(); err != nil {
		return Model{}, err
	}
	return out, nil
}

// apply sets the figures of one branch of the model from an override.
func apply(v reflect.Value, path string, over any, where string) []error {
	if v.Type() == reflect.TypeOf(Figure{}) {
		n, ok := number(over)
		if !ok {
			return []error{fmt.Errorf("%q: %s is not a number", path, describe(over))}
		}
		f := v.Interface().(Figure)
		if f == (Figure{}) {
			return []error{fmt.Errorf("%q: is not a figure of this cloud", path)}
		}
		f.Value, f.Source, f.Assumption = n, OverrideSource+" ("+where+")", false
		v.Set(reflect.ValueOf(f))
		return nil
	}
	obj, ok := over.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%q: %s is not an object (want keys %s)", path, describe(over), strings.Join(keysOf(v), ", "))}
	}
	var errs []error
	switch v.Kind() {
	case reflect.Struct:
		for _, k := range sortedKeys(obj) {
			f, ok := fieldByYAML(v.Type(), k)
			if !ok || !overridable(f.Type) {
				errs = append(errs, fmt.Errorf("%q is not a figure (want one of %s)", path+"."+k, strings.Join(keysOf(v), ", ")))
				continue
			}
			errs = append(errs, apply(v.FieldByIndex(f.Index), path+"."+k, obj[k], where)...)
		}
	case reflect.Map:
		for _, k := range sortedKeys(obj) {
			elem := v.MapIndex(reflect.ValueOf(k))
			if !elem.IsValid() {
				errs = append(errs, fmt.Errorf("%q is not a key (want one of %s)", path+"."+k, strings.Join(keysOf(v), ", ")))
				continue
			}
			cp := reflect.New(elem.Type()).Elem()
			cp.Set(elem)
			errs = append(errs, apply(cp, path+"."+k, obj[k], where)...)
			v.SetMapIndex(reflect.ValueOf(k), cp)
		}
	default:
		errs = append(errs, fmt.Errorf("%q: is not overridable", path))
	}
	return errs
}

// overridable is a branch of the model that holds figures.
func overridable(t reflect.Type) bool {
	if t == reflect.TypeOf(Figure{}) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if overridable(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Map:
		return overridable(t.Elem())
	}
	return false
}

func (m *Model) overrideLimits(over any, where string) []error {
	clouds := slices.Sorted(mapKeys(m.Limits))
	obj, ok := over.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%q: %s is not an object (want keys %s)", "limits", describe(over), strings.Join(clouds, ", "))}
	}
	var errs []error
	for _, cloud := range sortedKeys(obj) {
		limits, ok := m.Limits[cloud]
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not a key (want one of %s)", "limits."+cloud, strings.Join(clouds, ", ")))
			continue
		}
		byName, ok := obj[cloud].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("%q: %s is not an object (want keys %s)", "limits."+cloud, describe(obj[cloud]), strings.Join(slices.Sorted(mapKeys(limits)), ", ")))
			continue
		}
		for _, name := range sortedKeys(byName) {
			l, ok := limits[name]
			path := "limits." + cloud + "." + name
			if !ok {
				errs = append(errs, fmt.Errorf("%q is not a key (want one of %s)", path, strings.Join(slices.Sorted(mapKeys(limits)), ", ")))
				continue
			}
			n, ok := number(byName[name])
			if !ok || n < 0 || n != math.Trunc(n) || n > 1e9 {
				errs = append(errs, fmt.Errorf("%q: %s is not a whole number of 0 or more", path, describe(byName[name])))
				continue
			}
			l.Value, l.Source, l.Assumption = n, OverrideSource+" ("+where+")", false
			limits[name] = l
		}
	}
	return errs
}

// clone copies the model's maps, so that an override never changes the default.
func (m Model) clone() Model {
	out := m
	out.Parts.LoadBalancers = maps(m.Parts.LoadBalancers)
	out.Parts.Nodes = maps(m.Parts.Nodes)
	out.Parts.Cache = maps(m.Parts.Cache)
	out.Limits = make(map[string]map[string]Limit, len(m.Limits))
	for c, l := range m.Limits {
		out.Limits[c] = maps(l)
	}
	return out
}

func maps[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(mapKeys(m)) }

func fieldByYAML(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func yamlNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		out = append(out, yamlName(t.Field(i)))
	}
	return out
}

// keysOf lists the overridable keys of a branch.
func keysOf(v reflect.Value) []string {
	var out []string
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !overridable(f.Type) {
				continue
			}
			if f.Type == reflect.TypeOf(Figure{}) && v.Field(i).Interface().(Figure) == (Figure{}) {
				continue
			}
			out = append(out, yamlName(f))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			out = append(out, k.String())
		}
		sort.Strings(out)
	}
	return out
}

// number reads a JSON or YAML number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

// ParseOverride reads a --model file (YAML or JSON, the shape of scalestack:capacity).
func ParseOverride(b []byte) (map[string]any, error) {
	var out map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("is not a YAML or JSON object: %w", err)
	}
	return normalize(out).(map[string]any), nil
}

// normalize turns YAML's map[string]any with int values into the JSON shapes Override reads.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case int:
		return float64(x)
	case nil:
		return nil
	}
	return v
}

// overridden lists the figures and limits whose source is a stack's or a run's override.
func (m Model) overridden() []string {
	out := []string{}
	walkFigures(reflect.ValueOf(m), "", func(path string, f Figure, _ bool) {
		if strings.HasPrefix(f.Source, OverrideSource) {
			out = append(out, fmt.Sprintf("%s = %v (%s)", path, f.Value, f.Source))
		}
	})
	for _, cloud := range slices.Sorted(mapKeys(m.Limits)) {
		for _, name := range slices.Sorted(mapKeys(m.Limits[cloud])) {
			if l := m.Limits[cloud][name]; strings.HasPrefix(l.Source, OverrideSource) {
				out = append(out, fmt.Sprintf("limits.%s.%s = %v (%s)", cloud, name, l.Value, l.Source))
			}
		}
	}
	return out
}
