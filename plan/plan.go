// Package plan is the offline model of a stack: every resource the program registers, with its
// type, name, parent and inputs as plain Go values. It is what `scalestack plan` prints and what
// the cost model and the policy rules read, so it never imports a cloud SDK.
package plan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Secret is how a secret value appears in a plan: never the value itself.
const Secret = "[secret]"

// Unknown is how a value that is only known after deployment appears in a plan.
const Unknown = "[unknown]"

// Resource is one registered resource.
type Resource struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Parent is the name of the parent resource; empty for resources at the top of the stack.
	Parent string `json:"parent"`
	// ParentType is the type of the parent resource; empty with Parent.
	ParentType string `json:"parentType,omitempty"`
	// Custom is false for component resources (groupings that a provider does not manage).
	Custom bool `json:"custom"`
	// Provider is the name of the explicit provider resource that manages this one; empty for
	// component resources and for a package's default provider, which reads ambient
	// credentials (a kubeconfig, a token in the environment).
	Provider string `json:"provider,omitempty"`
	// Protect mirrors the resource option: the engine refuses to delete a protected resource.
	Protect bool `json:"protect,omitempty"`
	// Dependencies names, sorted, the resources the engine creates before this one: those its
	// inputs come from and those its dependsOn option lists.
	Dependencies []string `json:"dependencies,omitempty"`
	// IgnoreChanges lists the input paths the engine does not diff.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// Inputs holds the resource's inputs: strings, float64 numbers, bools, nil, []any and
	// map[string]any, with Secret and Unknown standing in for hidden and computed values.
	Inputs map[string]any `json:"inputs"`
}

// Key identifies a resource within a plan: Pulumi names are unique per type.
func (r Resource) Key() string { return r.Type + "::" + r.Name }

// Plan is the whole stack, ordered as a tree: each parent before its children, siblings by
// type then name, so that the same program always prints the same plan.
type Plan struct {
	Resources []Resource `json:"resources"`
}

// Sorted returns the plan's resources in tree order, whatever order they were registered in.
func Sorted(resources []Resource) Plan {
	children := map[string][]Resource{}
	known := map[string]bool{}
	for _, r := range resources {
		known[r.Key()] = true
	}
	for _, r := range resources {
		parent := ""
		if r.Parent != "" && known[r.ParentType+"::"+r.Parent] {
			parent = r.ParentType + "::" + r.Parent
		}
		children[parent] = append(children[parent], r)
	}
	for k := range children {
		slices.SortFunc(children[k], func(a, b Resource) int {
			return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name))
		})
	}
	out := make([]Resource, 0, len(resources))
	var walk func(key string)
	walk = func(key string) {
		for _, r := range children[key] {
			out = append(out, r)
			walk(r.Key())
		}
	}
	walk("")
	return Plan{Resources: out}
}

// Find returns the resource with this type and name.
func (p Plan) Find(typ, name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// OfType returns every resource of this type, in plan order.
func (p Plan) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Depth is how many ancestors a resource has in the plan.
func (p Plan) Depth(r Resource) int {
	index := make(map[string]Resource, len(p.Resources))
	for _, x := range p.Resources {
		index[x.Key()] = x
	}
	depth := 0
	for r.Parent != "" {
		parent, ok := index[r.ParentType+"::"+r.Parent]
		if !ok {
			break
		}
		depth++
		r = parent
	}
	return depth
}

// Get reads an input by a dotted path such as "nodePool.size" or "rules.0.type".
func (r Resource) Get(path string) (any, bool) {
	var cur any = r.Inputs
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// StringAt is the string at a path, or "" where there is none or it is not a string.
func (r Resource) StringAt(path string) string {
	v, _ := r.Get(path)
	s, _ := v.(string)
	return s
}

// NumberAt is the number at a path, and whether there is one.
func (r Resource) NumberAt(path string) (float64, bool) {
	v, _ := r.Get(path)
	n, ok := v.(float64)
	return n, ok
}

// ListAt is the list at a path; nil where there is none.
func (r Resource) ListAt(path string) []any {
	v, _ := r.Get(path)
	l, _ := v.([]any)
	return l
}

// MapAt is the object at a path; nil where there is none.
func (r Resource) MapAt(path string) map[string]any {
	v, _ := r.Get(path)
	m, _ := v.(map[string]any)
	return m
}

// SelectorMatches reports whether a Kubernetes selector's matchLabels (a map of plan inputs)
// all appear in a set of labels; an empty selector matches nothing here.
func SelectorMatches(selector, labels any) bool {
	sel, _ := selector.(map[string]any)
	lab, _ := labels.(map[string]any)
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lab[k] != v {
			return false
		}
	}
	return true
}

// JSON renders the plan in the documented shape {"resources":[{type,name,parent,inputs},...]}.
func (p Plan) JSON() ([]byte, error) {
	if p.Resources == nil {
		p.Resources = []Resource{}
	}
	for i := range p.Resources {
		if p.Resources[i].Inputs == nil {
			p.Resources[i].Inputs = map[string]any{}
		}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("plan: render json: %w", err)
	}
	return append(b, '\n'), nil
}

// Text renders the plan as an indented tree, one resource a line followed by its inputs
// flattened to path=value, one a line.
func (p Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d resources\n", len(p.Resources))
	for _, r := range p.Resources {
		indent := strings.Repeat("  ", p.Depth(r))
		flags := ""
		if r.Protect {
			flags = " [protected]"
		}
		fmt.Fprintf(&b, "%s%s  %s%s\n", indent, r.Type, r.Name, flags)
		for _, kv := range Flatten(r.Inputs) {
			fmt.Fprintf(&b, "%s    %s = %s\n", indent, kv.Path, kv.Value)
		}
	}
	return b.String()
}

// Leaf is one scalar input at a dotted path.
type Leaf struct {
	Path  string
	Value string
}

// Flatten lists every scalar leaf of an input tree in sorted path order.
func Flatten(inputs map[string]any) []Leaf {
	var out []Leaf
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(join(prefix, k), x[k])
			}
		case []any:
			if len(x) == 0 {
				out = append(out, Leaf{prefix, "[]"})
			}
			for i, e := range x {
				walk(join(prefix, fmt.Sprint(i)), e)
			}
		case string:
			out = append(out, Leaf{prefix, x})
		case nil:
			out = append(out, Leaf{prefix, "null"})
		default:
			out = append(out, Leaf{prefix, fmt.Sprint(x)})
		}
	}
	walk("", inputs)
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
