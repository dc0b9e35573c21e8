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
	res := plan.Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: Plain(args.Inputs),
	}
	// A provider reference is "<urn>::<id>".
	if ref := args.Provider; ref != "" {
		if i := strings.LastIndex(ref, "::"); i > 0 && resource.URN(ref[:i]).IsValid() {
			res.Provider = resource.URN(ref[:i]).Name()
		}
	}
	if rpc := args.RegisterRPC; rpc != nil {
		if parent := resource.URN(rpc.GetParent()); parent != "" && parent.IsValid() && parent.Type() != resource.RootStackType {
			res.Parent = parent.Name()
			res.ParentType = string(parent.Type())
		}
		res.Protect = rpc.GetProtect()
		for _, dep := range rpc.GetDependencies() {
			if urn := resource.URN(dep); urn.IsValid() && !slices.Contains(res.Dependencies, urn.Name()) {
				res.Dependencies = append(res.Dependencies, urn.Name())
			}
		}
		sort.Strings(res.Dependencies)
		if ic := rpc.GetIgnoreChanges(); len(ic) > 0 {
			res.IgnoreChanges = append([]string(nil), ic...)
			sort.Strings(res.IgnoreChanges)
		}
	}
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

// Plain converts property values to plain Go values, hiding secrets and marking unknowns.
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
