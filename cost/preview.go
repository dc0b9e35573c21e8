package cost

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/plan"
)

// Preview is `pulumi preview --json` read as two plans: the stack before the change (base) and
// after it (head), with the resources the change replaces.
type Preview struct {
	// Stack is the stack's name, from the URNs.
	Stack string
	// Config is the stack's configuration as the preview printed it (secrets as [secret]).
	Config   map[string]string
	Base     []plan.Resource
	Head     []plan.Resource
	Replaced map[Ref]bool
	// URNs are the resources' URNs, by plan key.
	URNs map[string]string
	// Discarded are the resources the change drops from the stack but leaves in the cloud
	// (retainOnDelete), by plan key.
	Discarded map[string]bool
	// Steps counts the preview's steps by operation.
	Steps map[string]int
}

// The operations of a preview step, and which side of the change each one describes.
var (
	headOps   = []string{"same", "create", "update", "replace", "create-replacement", "import", "import-replacement"}
	baseOps   = []string{"same", "update", "delete", "replace", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"}
	ignoreOps = []string{"read", "read-replacement", "refresh"} // resources read, not managed: not this stack's bill
	replaceOp = []string{"replace", "create-replacement", "delete-replaced", "discard-replaced", "import-replacement"}
)

// Pulumi's sentinels in serialized state: a secret's signature key and an unknown value.
const (
	secretSig    = "4dabf18193072939515e22adb298388d"
	unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
)

type previewDoc struct {
	Config map[string]any `json:"config"`
	Steps  *[]previewStep `json:"steps"`
}

type previewStep struct {
	Op       string        `json:"op"`
	URN      string        `json:"urn"`
	OldState *previewState `json:"oldState"`
	NewState *previewState `json:"newState"`
}

type previewState struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	Custom  bool           `json:"custom"`
	Protect bool           `json:"protect"`
	Inputs  map[string]any `json:"inputs"`
}

// ReadPreview reads the output of `pulumi preview --json`. Malformed or truncated JSON, a step
// with an operation Pulumi does not have, and a state without a type are errors that say which
// step; it never guesses.
func ReadPreview(r io.Reader) (Preview, error) {
	var doc previewDoc
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Preview{}, fmt.Errorf("preview: the JSON ends early (want the whole output of pulumi preview --json)")
		}
		return Preview{}, fmt.Errorf("preview: %w (want the output of pulumi preview --json)", err)
	}
	if doc.Steps == nil {
		return Preview{}, errors.New(`preview: no "steps" (want the output of pulumi preview --json)`)
	}
	p := Preview{Config: map[string]string{}, Replaced: map[Ref]bool{}, URNs: map[string]string{}, Discarded: map[string]bool{}, Steps: map[string]int{}}
	// A resource of one type and name whose URN differs between the sides moved (a new parent
	// without an alias): the engine deletes the old one and creates the new one, a replacement.
	sideURN := [2]map[string]string{{}, {}}
	for k, v := range doc.Config {
		switch x := v.(type) {
		case string:
			p.Config[k] = x
		case nil:
		default:
			b, _ := json.Marshal(normalize(x))
			p.Config[k] = string(b)
		}
	}
	known := slices.Concat(headOps, baseOps, ignoreOps)
	base, head := map[string]plan.Resource{}, map[string]plan.Resource{}
	var order []string
	for i, s := range *doc.Steps {
		where := fmt.Sprintf("preview: steps[%d]", i)
		if !slices.Contains(known, s.Op) {
			return Preview{}, fmt.Errorf("%s: op %q is not a Pulumi step (want one of %s)", where, s.Op, strings.Join(slices.Compact(slices.Sorted(slices.Values(known))), ", "))
		}
		p.Steps[s.Op]++
		if slices.Contains(ignoreOps, s.Op) {
			continue
		}
		wantNew, wantOld := slices.Contains(headOps, s.Op), slices.Contains(baseOps, s.Op)
		newState, oldState := s.NewState, s.OldState
		// A state the op implies but the preview left out is the other side's (a same step
		// may carry only one).
		if wantNew && newState == nil {
			newState = oldState
		}
		if wantOld && oldState == nil {
			oldState = newState
		}
		if (wantNew && newState == nil) || (wantOld && oldState == nil) {
			return Preview{}, fmt.Errorf("%s: op %q without the state it changes (want oldState or newState)", where, s.Op)
		}
		if p.Stack == "" {
			p.Stack = stackOf(s.URN)
		}
		var ref Ref
		for i, side := range []struct {
			want  bool
			state *previewState
			into  map[string]plan.Resource
		}{{wantNew, newState, head}, {wantOld, oldState, base}} {
			if !side.want {
				continue
			}
			res, err := fromState(side.state, s.URN)
			if err != nil {
				return Preview{}, fmt.Errorf("%s: %w", where, err)
			}
			key := res.Key()
			if _, dup := side.into[key]; !dup {
				order = append(order, key)
			}
			side.into[key] = res
			urn := cmp.Or(side.state.URN, s.URN)
			sideURN[i][key] = urn
			if other, ok := sideURN[1-i][key]; ok && other != urn {
				p.Replaced[Ref{res.Type, res.Name}] = true
			}
			if i == 0 {
				p.URNs[key] = urn
			} else if _, ok := p.URNs[key]; !ok {
				p.URNs[key] = urn
			}
			if s.Op == "discard" || s.Op == "discard-replaced" {
				p.Discarded[key] = true
			}
			ref = Ref{res.Type, res.Name}
		}
		if slices.Contains(replaceOp, s.Op) {
			p.Replaced[ref] = true
		}
	}
	seen := map[string]bool{}
	for _, key := range order {
		if seen[key] {
			continue
		}
		seen[key] = true
		if r, ok := base[key]; ok {
			p.Base = append(p.Base, r)
		}
		if r, ok := head[key]; ok {
			p.Head = append(p.Head, r)
		}
	}
	return p, nil
}

// fromState turns a step's state into a plan resource, named by its URN.
func fromState(s *previewState, stepURN string) (plan.Resource, error) {
	urn := s.URN
	if urn == "" {
		urn = stepURN
	}
	typ, name, err := splitURN(urn)
	if err != nil {
		return plan.Resource{}, err
	}
	if s.Type != "" {
		typ = s.Type
	}
	inputs, _ := normalize(s.Inputs).(map[string]any)
	if inputs == nil {
		inputs = map[string]any{}
	}
	return plan.Resource{Type: typ, Name: name, Custom: s.Custom, Protect: s.Protect, Inputs: inputs}, nil
}

func stackOf(urn string) string {
	rest, ok := strings.CutPrefix(urn, "urn:pulumi:")
	if !ok {
		return ""
	}
	stack, _, _ := strings.Cut(rest, "::")
	return stack
}

// splitURN reads urn:pulumi:<stack>::<project>::<parent types$type>::<name>.
func splitURN(urn string) (typ, name string, err error) {
	parts := strings.SplitN(urn, "::", 4)
	if len(parts) != 4 || !strings.HasPrefix(parts[0], "urn:pulumi:") || parts[2] == "" || parts[3] == "" {
		return "", "", fmt.Errorf("urn %q is not a Pulumi URN (want urn:pulumi:<stack>::<project>::<type>::<name>)", urn)
	}
	types := parts[2]
	if i := strings.LastIndex(types, "$"); i >= 0 {
		types = types[i+1:]
	}
	return types, parts[3], nil
}

// normalize replaces Pulumi's serialized secrets and unknowns with the plan's markers.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[secretSig]; ok {
			return plan.Secret
		}
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
	case string:
		if x == unknownValue {
			return plan.Unknown
		}
		return x
	default:
		return v
	}
}
