// Command pack is the scalestack policy pack: the rules of package policies, run by the Pulumi
// engine on every preview and update, so a violating change is blocked before it reaches the
// cloud. Run it with `pulumi preview --policy-pack policies/pack`.
// The pack reads the stack's own scalestack:* configuration (tier, region, budget, domain and
// scalestack:policies), exactly as `scalestack check` does.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/scalestack/scalestack/internal/recorder"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/stacks/config"
)

// Name and Version identify the pack to the engine.
const (
	Name    = "scalestack"
	Version = "0.1.0"
)

func main() {
	if err := policyx.Main(New); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// New builds the pack for the stack the engine is previewing or updating: one stack validation
// policy a rule, at the level scalestack:policies gives it (or its default), with the stack's
// tier, region, budget and domain read from the stack's own configuration.
func New(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	raw := map[string]string{}
	for _, k := range config.Keys {
		if v, ok := ctx.GetConfig(config.Key(k)); ok {
			raw[config.Key(k)] = v
		}
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("scalestack policy pack: %w", err)
	}
	opts, err := cfg.PolicyOptions()
	if err != nil {
		return nil, fmt.Errorf("scalestack policy pack: %w", err)
	}
	return pack(opts)
}

func pack(opts policies.Options) (policyx.PolicyPack, error) {
	var ps []policyx.Policy
	for _, rule := range policies.All() {
		lvl := rule.Level
		if l, ok := opts.Levels[rule.Name]; ok {
			lvl = l
		}
		ps = append(ps, policyx.NewStackValidationPolicy(rule.Name, policyx.StackValidationPolicyArgs{
			Description:      rule.Description,
			EnforcementLevel: level(lvl),
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				s := policies.NewStack(Resources(args.Resources), opts)
				if !rule.AppliesTo(s) {
					return nil // the engine has no "not applicable": the rule reports nothing
				}
				for _, v := range rule.Check(s) {
					args.Manager.ReportViolation(message(v), urnOf(args.Resources, v))
				}
				return nil
			},
		}))
	}
	return policyx.NewPolicyPack(Name, semver.MustParse(Version), policyx.EnforcementLevelMandatory, ps)
}

func level(l policies.Level) policyx.EnforcementLevel {
	switch l {
	case policies.Advisory:
		return policyx.EnforcementLevelAdvisory
	case policies.Disabled:
		return policyx.EnforcementLevelDisabled
	default:
		return policyx.EnforcementLevelMandatory
	}
}

func message(v policies.Violation) string {
	if v.Property == "" {
		return v.Message
	}
	return v.Property + ": " + v.Message
}

// urnOf finds the URN of the resource a violation names; empty for stack-wide violations.
func urnOf(rs []policyx.AnalyzerResource, v policies.Violation) string {
	for _, r := range rs {
		if r.Type == v.Type && r.Name == v.Name {
			return r.URN
		}
	}
	return ""
}

// Resources turns the engine's view of a stack into the plan the rules read: the same types,
// names, parents, dependencies, providers, protect flags and inputs as `scalestack plan`
// records, through the recorder's own conversion (recorder.Registration), so that secrets,
// unknowns and resource references read the same offline and in the engine.
func Resources(rs []policyx.AnalyzerResource) []plan.Resource {
	out := make([]plan.Resource, 0, len(rs))
	for _, r := range rs {
		deps := append([]string(nil), r.Dependencies...)
		for _, urns := range r.PropertyDependencies {
			deps = append(deps, urns...)
		}
		out = append(out, recorder.Registration{
			Type: r.Type, Name: r.Name,
			Custom:        !strings.HasPrefix(r.Type, "pulumi:pulumi:") && !strings.HasPrefix(r.Type, "scalestack:"), // scalestack's own components and workloads
			Parent:        r.Parent,
			Dependencies:  deps,
			Provider:      r.Provider.URN,
			Protect:       r.Options.Protect,
			IgnoreChanges: r.Options.IgnoreChanges,
			Inputs:        resource.ToResourcePropertyMap(r.Properties),
		}.Resource())
	}
	return out
}
