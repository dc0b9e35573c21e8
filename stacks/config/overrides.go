package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// notOverridable are preset keys a stack sets elsewhere.
var notOverridable = map[string]string{
	"tier": "set " + Key(KeyTier) + " instead",
}

// Resolve merges overrides onto a tier's preset file and returns the preset with defaults.
// Objects merge key by key; lists and scalars replace what the preset had. Every unknown key and
// every value of the wrong type is reported, each by its dotted path, before anything merges.
func Resolve(tier string, overrides map[string]any) (tiers.Preset, error) {
	raw, err := tiers.Raw(tier)
	if err != nil {
		return tiers.Preset{}, fmt.Errorf("stacks: config %q: %w", Key(KeyTier), err)
	}
	if len(overrides) == 0 {
		return tiers.Decode(raw)
	}
	var errs []error
	checkValue(reflect.TypeFor[tiers.Preset](), "", overrides, &errs)
	if len(errs) > 0 {
		return tiers.Preset{}, errors.Join(errs...)
	}
	var base map[string]any
	if err := yaml.Unmarshal(raw, &base); err != nil {
		return tiers.Preset{}, fmt.Errorf("stacks: tier %s: %w", tier, err)
	}
	merged, err := yaml.Marshal(merge(base, overrides))
	if err != nil {
		return tiers.Preset{}, fmt.Errorf("stacks: config %q: %w", Key(KeyOverrides), err)
	}
	p, err := tiers.Decode(merged)
	if err != nil {
		return tiers.Preset{}, fmt.Errorf("stacks: config %q: %w", Key(KeyOverrides), err)
	}
	return p, nil
}

func merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = merge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// checkValue checks an override value against the preset's Go type, by yaml field names.
func checkValue(t reflect.Type, path string, v any, errs *[]error) {
	bad := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("stacks: config %q: %q: %s", Key(KeyOverrides), path, fmt.Sprintf(format, args...)))
	}
	if t == reflect.TypeFor[spec.PerCloudInt]() {
		switch v.(type) {
		case float64:
			checkValue(reflect.TypeFor[int](), path, v, errs)
			return
		case map[string]any:
		default:
			bad("is %s (want a whole number for every cloud, or an object with keys %s)", describe(v), strings.Join(fieldNames(t), ", "))
			return
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("is a %s (want an object with keys %s)", kindOf(v), strings.Join(fieldNames(t), ", "))
			return
		}
		fields := fieldsByName(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := join(path, k)
			if why, ok := notOverridable[sub]; ok {
				*errs = append(*errs, fmt.Errorf("stacks: config %q: %q cannot be overridden (%s)", Key(KeyOverrides), sub, why))
				continue
			}
			f, ok := fields[k]
			if !ok {
				*errs = append(*errs, fmt.Errorf("stacks: config %q: %q is not a key (want one of %s)", Key(KeyOverrides), sub, strings.Join(fieldNames(t), ", ")))
				continue
			}
			if n, ok := obj[k].(float64); ok && n == 0 && f.Tag.Get(spec.DefaultTag) == "absent" {
				// WithDefaults cannot tell this 0 from a missing key: refuse it here.
				*errs = append(*errs, fmt.Errorf("stacks: config %q: %q: 0 is not allowed (want at least 1, or leave the key out for the default)", Key(KeyOverrides), sub))
				continue
			}
			checkValue(f.Type, sub, obj[k], errs)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			bad("is a %s (want a list; a list replaces the preset's whole list)", kindOf(v))
			return
		}
		for i, e := range list {
			checkValue(t.Elem(), join(path, fmt.Sprint(i)), e, errs)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("is a %s (want an object)", kindOf(v))
			return
		}
		for k, e := range obj {
			checkValue(t.Elem(), join(path, k), e, errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			bad("is %s (want a string)", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			bad("is %s (want true or false)", describe(v))
		}
	case reflect.Int:
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			bad("is %s (want a whole number)", describe(v))
		}
	case reflect.Float64:
		if _, ok := v.(float64); !ok {
			bad("is %s (want a number)", describe(v))
		}
	default:
		bad("cannot be overridden")
	}
}

func fieldsByName(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out[name] = f
		}
	}
	return out
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for name := range fieldsByName(t) {
		if _, blocked := notOverridable[name]; !blocked {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case float64, bool:
		return fmt.Sprintf("%v", x)
	default:
		return "a " + kindOf(v)
	}
}
