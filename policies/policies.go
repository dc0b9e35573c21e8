// Package policies holds the guardrails that keep a stack safe and within budget: pure Go rules
// over the resource plan (type, name, inputs), run offline by `scalestack check` and in the
// engine by the policy pack in policies/pack. It never imports a cloud SDK.
package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
)

// Level is how a rule is enforced.
type Level string

// Enforcement levels, as Pulumi names them.
const (
	Advisory  Level = "advisory"  // reported; does not fail
	Mandatory Level = "mandatory" // fails `scalestack check` and blocks the engine's update
	Disabled  Level = "disabled"  // not run
)

var levels = []Level{Advisory, Mandatory, Disabled}

// Rule is one guardrail.
type Rule struct {
	Name        string
	Description string
	// Level is the rule's default enforcement; scalestack:policies overrides it per stack.
	Level Level
	// Applies reports whether the rule concerns a stack at all (the edge rules need an edge);
	// nil for a rule that always applies. A rule that does not apply is reported as such,
	// never as passed.
	Applies func(s *Stack) bool
	// Check returns the rule's violations in a stack; a nil slice is a pass.
	Check func(s *Stack) []Violation
}

// AppliesTo reports whether a rule concerns a stack.
func (r Rule) AppliesTo(s *Stack) bool { return r.Applies == nil || r.Applies(s) }

// Violation is one resource breaking one rule.
type Violation struct {
	Rule  string `json:"rule"`
	Level Level  `json:"level"`
	// Type and Name name the resource; both empty for a stack-wide violation (the budget).
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
	// Property is the input path at fault, for instance spec.template.spec.containers.0.image.
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

// Options is what the rules need to know of the stack beyond its resources.
type Options struct {
	// Tier is the stack's tier, named in messages and used to price the stack.
	Tier string
	// MinReplicas is the fewest replicas every Deployment must run: the tier preset's
	// policies.minReplicas; zero for no floor (min-replicas does not apply).
	MinReplicas int
	// Region prices AWS resources for the budget rule.
	Region string
	// Budget is scalestack:budget in whole dollars; zero for none.
	Budget int
	// Edge says a Cloudflare edge is configured (scalestack:domain set).
	Edge bool
	// Domain and EdgePlan are the Cloudflare zone the stack configures and the preset's plan
	// for it: part of the bill the budget rule prices, as `scalestack cost` does.
	Domain, EdgePlan string
	// Levels override rules' default levels, by rule name.
	Levels map[string]Level
	// Cloud and Capacity are the stack's cloud and load model: account-limits weighs the
	// plan's ceiling against the model's limits (nil Capacity: the rule does not apply).
	Cloud    spec.Cloud
	Capacity *capacity.Model
	// Prices and Usage price the stack for the budget rule; nil Prices uses the shipped ones.
	Prices cost.Prices
	Usage  cost.Usage
}

// OptionsFor are the options of a stack with these settings (its scalestack:* config and its
// resolved preset's policy thresholds), with the tier's usage assumptions for the budget rule.
func OptionsFor(tier, region string, budget int, domain, edgePlan string, thresholds spec.Policies, levels map[string]Level) (Options, error) {
	usage, err := cost.TierUsage(tier)
	if err != nil {
		return Options{}, err
	}
	return Options{Tier: tier, MinReplicas: thresholds.MinReplicas, Region: region, Budget: budget, Edge: domain != "",
		Domain: domain, EdgePlan: edgePlan, Levels: levels, Usage: usage}, nil
}

// Stack is a plan under check.
type Stack struct {
	Resources []plan.Resource
	Options
	byType map[string][]plan.Resource
}

// NewStack indexes a plan for the rules.
func NewStack(resources []plan.Resource, opts Options) *Stack {
	s := &Stack{Resources: resources, Options: opts, byType: map[string][]plan.Resource{}}
	for _, r := range resources {
		if r.Custom {
			s.byType[r.Type] = append(s.byType[r.Type], r)
		}
	}
	return s
}

// OfType returns the stack's custom resources of some types, in plan order.
func (s *Stack) OfType(types ...string) []plan.Resource {
	var out []plan.Resource
	for _, t := range types {
		out = append(out, s.byType[t]...)
	}
	return out
}

// Report is the outcome of a check.
type Report struct {
	Violations []Violation `json:"violations"`
	// Passed lists the rules that ran and found nothing; Skipped those disabled; NotApplicable
	// those that do not concern the stack (the edge rules on a stack without a domain).
	Passed        []string `json:"passed"`
	Skipped       []string `json:"skipped"`
	NotApplicable []string `json:"notApplicable"`
}

// Mandatory counts the violations of mandatory rules.
func (r Report) Mandatory() int {
	n := 0
	for _, v := range r.Violations {
		if v.Level == Mandatory {
			n++
		}
	}
	return n
}

// Failed reports whether a mandatory rule was broken.
func (r Report) Failed() bool {
	return slices.ContainsFunc(r.Violations, func(v Violation) bool { return v.Level == Mandatory })
}

// Check runs every rule on a plan.
func Check(resources []plan.Resource, opts Options) Report {
	s := NewStack(resources, opts)
	rep := Report{Violations: []Violation{}, Passed: []string{}, Skipped: []string{}, NotApplicable: []string{}}
	for _, rule := range All() {
		level := rule.Level
		if l, ok := opts.Levels[rule.Name]; ok {
			level = l
		}
		if level == Disabled {
			rep.Skipped = append(rep.Skipped, rule.Name)
			continue
		}
		if !rule.AppliesTo(s) {
			rep.NotApplicable = append(rep.NotApplicable, rule.Name)
			continue
		}
		vs := rule.Check(s)
		if len(vs) == 0 {
			rep.Passed = append(rep.Passed, rule.Name)
		}
		for _, v := range vs {
			v.Rule, v.Level = rule.Name, level
			rep.Violations = append(rep.Violations, v)
		}
	}
	return rep
}

// ParseLevels reads the scalestack:policies object: rule names mapped to a level. Unknown rules
// and levels are errors that list the allowed ones.
func ParseLevels(raw string) (map[string]Level, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("is not an object of rule names and levels, such as {\"budget\": \"advisory\"}: %v", err)
	}
	names := Names()
	out := map[string]Level{}
	var errs []error
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, _ := m[k].(string)
		switch {
		case !slices.Contains(names, k):
			errs = append(errs, fmt.Errorf("%q is not a rule (want one of %s)", k, strings.Join(names, ", ")))
		case !slices.Contains(levels, Level(s)):
			errs = append(errs, fmt.Errorf("%q: %v is not a level (want one of advisory, mandatory, disabled)", k, m[k]))
		default:
			out[k] = Level(s)
		}
	}
	return out, errors.Join(errs...)
}

// Names lists every rule's name, in the order they run.
func Names() []string {
	var out []string
	for _, r := range All() {
		out = append(out, r.Name)
	}
	return out
}

// Text renders a report for a terminal.
func (r Report) Text() string {
	var b strings.Builder
	for _, v := range r.Violations {
		where := "stack"
		if v.Name != "" {
			where = shortType(v.Type) + " " + v.Name
		}
		if v.Property != "" {
			where += " (" + v.Property + ")"
		}
		fmt.Fprintf(&b, "%-9s %-22s %s: %s\n", v.Level, v.Rule, where, v.Message)
	}
	fmt.Fprintf(&b, "%d rules passed, %d violations (%d mandatory), %d rules disabled, %d not applicable\n", len(r.Passed), len(r.Violations), r.Mandatory(), len(r.Skipped), len(r.NotApplicable))
	return b.String()
}

func shortType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) == 3 {
		return parts[0] + ":" + parts[2]
	}
	return t
}
