package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/stacks/config"
)

const planSynopsis = "plan --cloud C --tier T [--region R] [--config Pulumi.<stack>.yaml] [--format text|json|mermaid|dot]"

// planFormats are the outputs of `scalestack plan`: the resources (text, json) or the platform
// as a diagram drawn from them (mermaid, dot).
var planFormats = []string{"text", "json", "mermaid", "dot"}

func runPlan(args []string, stdout, stderr io.Writer, deps Deps) error {
	if len(args) > 0 && args[0] == "diff" {
		return runPlanDiff(args[1:], stdout, stderr, deps)
	}
	fs := newFlagSet("plan", planSynopsis, stderr)
	var sf stackFlags
	sf.register(fs)
	format := fs.String("format", "text", "output format: text (ends with a summary), json, mermaid or dot (the platform as a diagram)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, planFormats...); err != nil {
		return err
	}
	file, cfg, err := sf.resolve()
	if err != nil {
		return err
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return fmt.Errorf("scalestack plan: %w", err)
	}
	switch *format {
	case "json":
		b, err := p.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	case "mermaid":
		_, err = io.WriteString(stdout, newDiagram(p).Mermaid())
		return err
	case "dot":
		_, err = io.WriteString(stdout, newDiagram(p).Dot())
		return err
	}
	rep, err := billOf(p, cfg, nil)
	var unpriced cost.RegionError
	switch {
	case errors.As(err, &unpriced):
		// The plan stands without a price: the summary says the region is not priced.
		rep = cost.Report{}
	case err != nil:
		return fmt.Errorf("scalestack plan: %w", err)
	}
	check, err := checkOf(p, cfg)
	if err != nil {
		return usageError{err}
	}
	notPriced := ""
	if unpriced.Cloud != "" {
		notPriced = unpriced.Error()
	}
	// The plan stands whatever the capacity model makes of it: the summary says either way.
	weighed, werr := weighStack(p, cfg, 0, nil, "")
	capacityLine := ""
	if werr != nil {
		capacityLine = werr.Error()
	} else {
		capacityLine = weighed.Verdict()
	}
	_, err = io.WriteString(stdout, p.Text()+summaryText(p, rep, check, capacityLine, cfg, notPriced))
	return err
}

// checkOf runs the guardrails on a stack's plan, as `scalestack check` does.
func checkOf(p plan.Plan, cfg config.Config) (policies.Report, error) {
	opts, err := cfg.PolicyOptions()
	if err != nil {
		return policies.Report{}, err
	}
	return policies.Check(p.Resources, opts), nil
}

// billOf is a stack's one bill, for every command that prices one (plan's summary, cost, cost
// diff, cost tiers): its plan priced with usage, or the tier's usage assumptions when nil, and
// the Cloudflare zone a stack with a domain configures but does not create (the budget rule of
// check prices it the same way).
func billOf(p plan.Plan, cfg config.Config, usage *cost.Usage) (cost.Report, error) {
	prices, err := cost.Default()
	if err != nil {
		return cost.Report{}, err
	}
	if usage == nil {
		u, err := cost.TierUsage(cfg.Tier)
		if err != nil {
			return cost.Report{}, err
		}
		usage = &u
	}
	return cost.Estimate(p.Resources, prices, cost.StackOptions(cfg.Region, cfg.Tier, *usage, cfg.Domain, cfg.Preset.Edge.Plan))
}
