// Package forcenew knows which input changes make a provider replace a resource, as data with
// its sources, and finds them in the difference between two plans. The tier-switch tests and
// (later) the policies and the cost diff use it to tell an in-place update from a replacement.
package forcenew

import (
	_ "embed"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/plan"
)

// When says which changes of a property replace the resource.
type When string

// The kinds of replace-forcing change.
const (
	Always   When = "always"
	Decrease When = "decrease"
)

// Property is one replace-forcing input.
type Property struct {
	Path string `yaml:"path"`
	When When   `yaml:"when"`
}

// Entry is what is known of one resource type.
type Entry struct {
	Source     string     `yaml:"source"`
	AsOf       string     `yaml:"as_of"`
	Properties []Property `yaml:"properties"`
}

//go:embed forcenew.yaml
var data []byte

// Table returns the replace-forcing properties per resource type.
var Table = sync.OnceValues(func() (map[string]Entry, error) {
	var t map[string]Entry
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("forcenew: forcenew.yaml: %w", err)
	}
	for typ, e := range t {
		if e.Source == "" || e.AsOf == "" || len(e.Properties) == 0 {
			return nil, fmt.Errorf("forcenew: forcenew.yaml: %s: source, as_of and properties are required", typ)
		}
		for _, p := range e.Properties {
			if p.Path == "" || !slices.Contains([]When{Always, Decrease}, p.When) {
				return nil, fmt.Errorf("forcenew: forcenew.yaml: %s: property %q: when %q (want always or decrease)", typ, p.Path, p.When)
			}
		}
	}
	return t, nil
})

// Replacement is a property change that would replace a resource.
type Replacement struct {
	Type, Name, Path string
	Old, New         any
}

func (r Replacement) String() string {
	return fmt.Sprintf("%s %q: %s changes from %v to %v", r.Type, r.Name, r.Path, r.Old, r.New)
}

// Replacements lists the resources present in both plans (same type and name) whose
// replace-forcing inputs differ. Values unknown before deployment on either side are reported
// too: the engine cannot prove them equal. A path the new resource ignores (its ignoreChanges
// option names the path or a parent of it) is not diffed by the engine, so it replaces nothing.
func Replacements(before, after plan.Plan) ([]Replacement, error) {
	table, err := Table()
	if err != nil {
		return nil, err
	}
	var out []Replacement
	for _, a := range after.Resources {
		entry, ok := table[a.Type]
		if !ok {
			continue
		}
		b, ok := before.Find(a.Type, a.Name)
		if !ok {
			continue
		}
		for _, p := range entry.Properties {
			if ignored(a.IgnoreChanges, p.Path) {
				continue
			}
			oldV, _ := b.Get(p.Path)
			newV, _ := a.Get(p.Path)
			if reflect.DeepEqual(oldV, newV) {
				continue
			}
			if p.When == Decrease && !versionLess(newV, oldV) {
				continue
			}
			out = append(out, Replacement{Type: a.Type, Name: a.Name, Path: p.Path, Old: oldV, New: newV})
		}
	}
	return out, nil
}

// ignored reports whether an ignoreChanges list covers a path: the path itself or a parent.
func ignored(ignoreChanges []string, path string) bool {
	for _, ig := range ignoreChanges {
		if ig == path || strings.HasPrefix(path, ig+".") {
			return true
		}
	}
	return false
}

// versionLess compares dotted versions such as 1.33.1-do.0 numerically, part by part.
func versionLess(a, b any) bool {
	as, bs := fmt.Sprint(a), fmt.Sprint(b)
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	}
	ap, bp := split(as), split(bs)
	for i := 0; i < len(ap) && i < len(bp); i++ {
		an, aerr := strconv.Atoi(ap[i])
		bn, berr := strconv.Atoi(bp[i])
		if aerr != nil || berr != nil {
			if ap[i] != bp[i] {
				return ap[i] < bp[i]
			}
			continue
		}
		if an != bn {
			return an < bn
		}
	}
	return len(ap) < len(bp)
}
