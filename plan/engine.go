package plan

import (
	"strconv"
	"strings"
)

// URN is the resource's Pulumi URN in a stack of a project: its type qualified by its
// ancestors' types (the stack's root resource aside), as `pulumi state` commands take it.
func (p Plan) URN(r Resource, project, stack string) string {
	index := make(map[string]Resource, len(p.Resources))
	for _, x := range p.Resources {
		index[x.Key()] = x
	}
	chain := []string{r.Type}
	for cur := r; cur.Parent != ""; {
		parent, ok := index[cur.ParentType+"::"+cur.Parent]
		if !ok {
			// A parent outside the plan (the stack itself) qualifies nothing.
			break
		}
		chain = append([]string{parent.Type}, chain...)
		cur = parent
	}
	return "urn:pulumi:" + stack + "::" + project + "::" + strings.Join(chain, "$") + "::" + r.Name
}

// Kept is an input the program sets but the engine leaves as the stack has it: a path of the
// resource's ignoreChanges whose value differs from the stack's.
type Kept struct {
	Type, Name, Path string
	// Stack is the value the engine keeps; Program the one the program asked for.
	Stack, Program any
}

// Keep is the plan after as the engine would apply it over before: for a resource in both,
// every path its ignoreChanges names keeps before's value (DigitalOcean's HA control plane,
// which cannot be turned off; a Deployment's replicas, which its autoscaler owns). It returns
// the plan and what it kept; after itself is not changed.
func Keep(before, after Plan) (Plan, []Kept) {
	out := Plan{Resources: make([]Resource, len(after.Resources))}
	var kept []Kept
	for i, a := range after.Resources {
		out.Resources[i] = a
		if len(a.IgnoreChanges) == 0 {
			continue
		}
		b, ok := before.Find(a.Type, a.Name)
		if !ok {
			// Created: the engine applies the program's value.
			continue
		}
		inputs := a.Inputs
		copied := false
		for _, path := range a.IgnoreChanges {
			old, had := b.Get(path)
			cur, has := a.Get(path)
			if !had || has && equalValue(old, cur) {
				continue
			}
			if !copied {
				inputs, copied = deepCopy(a.Inputs).(map[string]any), true
			}
			if setPath(inputs, strings.Split(path, "."), deepCopy(old)) {
				kept = append(kept, Kept{Type: a.Type, Name: a.Name, Path: path, Stack: old, Program: cur})
			}
		}
		out.Resources[i].Inputs = inputs
	}
	return out, kept
}

func equalValue(a, b any) bool {
	la, lb := Flatten(map[string]any{"v": a}), Flatten(map[string]any{"v": b})
	if len(la) != len(lb) {
		return false
	}
	for i := range la {
		if la[i] != lb[i] {
			return false
		}
	}
	return true
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	default:
		return v
	}
}

// setPath sets a value at a dotted path, making the objects on the way; false where the path
// runs through a scalar or past a list's end.
func setPath(m map[string]any, parts []string, v any) bool {
	var cur any = m
	for i, part := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[part] = v
				return true
			}
			next, ok := c[part]
			if !ok {
				next = map[string]any{}
				c[part] = next
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(part)
			if err != nil || n < 0 || n >= len(c) {
				return false
			}
			if last {
				c[n] = v
				return true
			}
			cur = c[n]
		default:
			return false
		}
	}
	return false
}
