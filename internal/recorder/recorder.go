// Package recorder runs a Pulumi program in-process under the SDK's mocks and records every
// resource it registers as a plan.Resource. It is how `scalestack plan` works with no cloud
// account, and the one mock the tests use: they assert on the recorded (type, name, inputs).
package recorder

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/plan"
)

// OutputsFunc adds the outputs a provider would compute for a resource (a database's host, a
// cluster's kubeconfig) to the state the mock returns. It must be deterministic.
type OutputsFunc func(typ, name string, inputs resource.PropertyMap) resource.PropertyMap

// Recorder is a pulumi.MockResourceMonitor that keeps what it is given.
type Recorder struct {
	outputs OutputsFunc

	mu        sync.Mutex
	resources []plan.Resource
}

// New returns a recorder; outputs may be nil.
func New(outputs OutputsFunc) *Recorder { return &Recorder{outputs: outputs} }

// NewResource records a registration and answers with a deterministic ID and the inputs as state.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	reg := Registration{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	// A provider reference is "<urn>::<id>".
	if ref := args.Provider; ref != "" {
		if i := strings.LastIndex(ref, "::"); i > 0 {
			reg.Provider = ref[:i]
		}
	}
	if rpc := args.RegisterRPC; rpc != nil {
		reg.Parent = rpc.GetParent()
		reg.Protect = rpc.GetProtect()
		reg.Dependencies = rpc.GetDependencies()
		reg.IgnoreChanges = rpc.GetIgnoreChanges()
	}
	res := reg.Resource()
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()

	state := args.Inputs.Copy()
	if r.outputs != nil {
		for k, v := range r.outputs(args.TypeToken, args.Name, args.Inputs) {
			state[k] = v
		}
	}
	id := ""
	if args.Custom {
		id = args.Name + "-id"
	}
	return id, state, nil
}

// Registration is what the engine knows of a resource, in its own terms: URNs and a property
// map. The recording mock and the policy pack (which sees the engine's view of a stack) both
// turn one into a plan.Resource here, so that a rule reads the same plan offline and in the
// engine.
type Registration struct {
	Type   string
	Name   string
	Custom bool
	// Parent is the parent's URN; empty, or the root stack's, for a resource at the top.
	Parent string
	// Dependencies are the URNs of the resources this one depends on, in any order, repeats
	// allowed (the engine gives them per property and as a whole).
	Dependencies []string
	// Provider is the URN of the provider resource that manages this one; empty for none.
	Provider      string
	Protect       bool
	IgnoreChanges []string
	Inputs        resource.PropertyMap
}

// Resource is the registration as the plan records it: URNs become names, dependencies are
// sorted and unique, a package's default provider (which the engine names default or
// default_<version>) is no explicit provider, and the inputs are Plain.
func (g Registration) Resource() plan.Resource {
	res := plan.Resource{Type: g.Type, Name: g.Name, Custom: g.Custom, Protect: g.Protect, Inputs: Plain(g.Inputs)}
	if urn := resource.URN(g.Provider); urn.IsValid() {
		if name := urn.Name(); name != "default" && !strings.HasPrefix(name, "default_") {
			res.Provider = name
		}
	}
	if parent := resource.URN(g.Parent); parent.IsValid() && parent.Type() != resource.RootStackType {
		res.Parent = parent.Name()
		res.ParentType = string(parent.Type())
	}
	for _, dep := range g.Dependencies {
		if urn := resource.URN(dep); urn.IsValid() && !slices.Contains(res.Dependencies, urn.Name()) {
			res.Dependencies = append(res.Dependencies, urn.Name())
		}
	}
	sort.Strings(res.Dependencies)
	if len(g.IgnoreChanges) > 0 {
		res.IgnoreChanges = append([]string(nil), g.IgnoreChanges...)
		sort.Strings(res.IgnoreChanges)
	}
	return res
}

// Call answers invokes (data source look-ups). The program makes none at plan time, by design:
// a look-up needs an account. One that reaches here is an error, so it cannot slip in unnoticed.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("recorder: the program called %s, which needs a cloud account at preview time; pass the value through config instead", args.Token)
}

// Plan returns what was recorded, in tree order.
func (r *Recorder) Plan() plan.Plan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return plan.Sorted(append([]plan.Resource(nil), r.resources...))
}

// Run runs a program under the recorder with the given raw config (full keys such as
// "scalestack:tier") and returns its plan.
func Run(project, stack string, config map[string]string, secretKeys []string, outputs OutputsFunc, program pulumi.RunFunc) (plan.Plan, error) {
	rec := New(outputs)
	withConfig := func(info *pulumi.RunInfo) {
		info.Config = config
		info.ConfigSecretKeys = secretKeys
	}
	if err := pulumi.RunErr(program, pulumi.WithMocks(project, stack, rec), withConfig); err != nil {
		return plan.Plan{}, err
	}
	return rec.Plan(), nil
}

// Plain converts property values to plain Go values, hiding secrets and marking unknowns; a
// resource reference becomes the referenced resource's name. It is the one conversion of
// inputs: the policy pack converts the engine's values to a PropertyMap and calls it too.
func Plain(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plan.Secret
	case v.IsOutput():
		o := v.OutputValue()
		switch {
		case o.Secret:
			return plan.Secret
		case !o.Known:
			return plan.Unknown
		default:
			return plainValue(o.Element)
		}
	case v.IsComputed():
		return plan.Unknown
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		return ref.URN.Name()
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	default:
		return fmt.Sprint(v.V)
	}
}
