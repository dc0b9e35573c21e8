package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/simulate"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// ExitOverBudget is the exit code of a cost command whose ceiling is above the budget.
const ExitOverBudget = 3

// overBudget is a report that rendered fine but breaks the budget: it exits 3.
type overBudget struct{ ceiling, budget decimal.Decimal }

func (o overBudget) Error() string {
	return fmt.Sprintf("scalestack: the monthly ceiling %s is above the budget %s (--budget or scalestack:budget)", cost.Money(o.ceiling), cost.Money(o.budget))
}

// costFlags are the flags every cost command shares.
type costFlags struct {
	format, usagePath, budget string
}

func (c *costFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&c.format, "format", "text", "output format: text, json or markdown (a pull-request comment)")
	fs.StringVar(&c.usagePath, "usage", "", "a usage file (YAML: natDataGB, egressGB, loadBalancerLCU) replacing the tier's usage assumptions")
	fs.StringVar(&c.budget, "budget", "", "fail with exit code 3 when the monthly ceiling is above this many dollars; 0 means no budget, as scalestack:budget: 0 does (default: scalestack:budget)")
}

func (c *costFlags) check() error {
	if err := checkFormat("format", c.format, "text", "json", "markdown"); err != nil {
		return err
	}
	if c.budget != "" {
		if d, err := decimal.NewFromString(c.budget); err != nil || d.IsNegative() {
			return usagef("scalestack: flag --budget: %q is not an amount of dollars (want a number such as 500)", c.budget)
		}
	}
	return nil
}

// usageFor is the tier's usage assumptions, replaced key by key by the usage file if one is given.
func (c *costFlags) usageFor(tier string) (cost.Usage, error) {
	var base cost.Usage
	if tier != "" {
		var err error
		if base, err = cost.TierUsage(tier); err != nil {
			return cost.Usage{}, usageError{err}
		}
	}
	if c.usagePath == "" {
		if tier == "" {
			return cost.Usage{}, usagef("scalestack: no tier to take usage assumptions from (want --usage FILE)")
		}
		return base, nil
	}
	f, err := os.Open(c.usagePath)
	if err != nil {
		return cost.Usage{}, usageError{err}
	}
	defer f.Close()
	u, err := cost.ReadUsage(f, base)
	if err != nil {
		return cost.Usage{}, usageError{fmt.Errorf("%s: %w", c.usagePath, err)}
	}
	return u, nil
}

// verdict judges the ceiling against the flag's budget, or else the stack's; nil when there is
// no budget. Zero is no budget, from the flag as from scalestack:budget.
func (c *costFlags) verdict(ceiling decimal.Decimal, stackBudget int) *cost.Budget {
	limit := decimal.NewFromInt(int64(stackBudget))
	if c.budget != "" {
		limit, _ = decimal.NewFromString(c.budget) // checked by check
	}
	if limit.IsZero() {
		return nil
	}
	return cost.Judge(limit, ceiling)
}

// overBudgetError is the exit-3 error of a verdict that is over, nil otherwise.
func overBudgetError(b *cost.Budget) error {
	if b != nil && b.Over {
		return overBudget{b.Ceiling, b.Limit}
	}
	return nil
}

// pricingError makes a plan whose region has no prices bad input (exit 2).
func pricingError(prefix string, err error) error {
	err = fmt.Errorf("%s: %w", prefix, err)
	if errors.As(err, new(cost.RegionError)) {
		return usageError{err}
	}
	return err
}

const costSynopsis = "cost --cloud C --tier T [--region R] [--config Pulumi.<stack>.yaml] [--format text|json|markdown] [--usage FILE] [--budget N]"

func runCost(args []string, stdout, stderr io.Writer, deps Deps) error {
	if len(args) > 0 && args[0] == "diff" {
		return runCostDiff(args[1:], stdout, stderr, deps)
	}
	if len(args) > 0 && args[0] == "tiers" {
		return runCostTiers(args[1:], stdout, stderr, deps)
	}
	fs := newFlagSet("cost", costSynopsis, stderr)
	var sf stackFlags
	var cf costFlags
	sf.register(fs)
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	file, cfg, err := sf.resolve()
	if err != nil {
		return err
	}
	rep, err := estimateStack(deps, file, cfg, &cf)
	if err != nil {
		return err
	}
	rep.Budget = cf.verdict(rep.Ceiling, cfg.Budget)
	if err := writeReport(stdout, cf.format, rep, rep.Text, rep.Markdown); err != nil {
		return err
	}
	return overBudgetError(rep.Budget)
}

// estimateStack plans a stack offline and prices the plan.
func estimateStack(deps Deps, file config.StackFile, cfg config.Config, cf *costFlags) (cost.Report, error) {
	usage, err := cf.usageFor(cfg.Tier)
	if err != nil {
		return cost.Report{}, err
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return cost.Report{}, fmt.Errorf("scalestack cost: %w", err)
	}
	rep, err := billOf(p, cfg, &usage)
	if err != nil {
		return cost.Report{}, pricingError("scalestack cost", err)
	}
	if rep.Windows, err = windowCosts(p, cfg, rep); err != nil {
		return cost.Report{}, err
	}
	return rep, nil
}

// windowCosts prices each launch window: the nodes its hold adds beyond the pools' minimums, an
// hour as the bill prices them, for the hours from the hold's begin to the window's end.
func windowCosts(p plan.Plan, cfg config.Config, bill cost.Report) ([]cost.Window, error) {
	ws, err := simulate.Windows(p, cfg.Capacity, cfg.Cloud, cfg.Tier, cfg.Launch)
	if err != nil {
		return nil, usagef("scalestack cost: config %q: %v", config.Key(config.KeyLaunch), err)
	}
	var out []cost.Window
	for _, w := range ws {
		cw := cost.Window{Start: w.Start, Begin: w.Begin, End: w.End, Users: w.Users}
		cw.ExtraNodes, cw.PerHour, cw.Unpriced = simulate.HoldPrice(bill, w.Nodes)
		if cw.PerHour != nil {
			total := cw.PerHour.Mul(cw.Hours()).Round(2)
			cw.Total = &total
		}
		out = append(out, cw)
	}
	return out, nil
}

func writeReport(w io.Writer, format string, v any, text, markdown func() string) error {
	switch format {
	case "json":
		b, err := cost.JSON(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "markdown":
		_, err := io.WriteString(w, markdown())
		return err
	default:
		_, err := io.WriteString(w, text())
		return err
	}
}

const costDiffSynopsis = `cost diff (--cloud C --from-tier A --to-tier B [--config F] | --base-config F1 --head-config F2 [--stack NAME] | --preview preview.json)
                  [--format text|json|markdown] [--usage FILE] [--budget N]`

func runCostDiff(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("cost diff", costDiffSynopsis, stderr)
	var cf costFlags
	cf.register(fs)
	s := sides{cmd: "cost diff"}
	s.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}

	var diff cost.DiffReport
	var title string
	var budget int
	if s.previewPath != "" {
		var err error
		if diff, title, budget, err = previewCost(s.previewPath, &cf); err != nil {
			return err
		}
	} else {
		files, cfgs, t, err := s.resolve()
		if err != nil {
			return err
		}
		title = t
		// The head as the engine would apply it: what the cloud keeps (DigitalOcean's HA
		// control plane) stays on the bill, and what it replaces is reported so.
		plans, changes, err := compareSides(deps, files)
		if err != nil {
			return fmt.Errorf("scalestack cost: %w", err)
		}
		var reports [2]cost.Report
		for i := range plans {
			usage, err := cf.usageFor(cfgs[i].Tier)
			if err != nil {
				return err
			}
			if reports[i], err = billOf(plans[i], cfgs[i], &usage); err != nil {
				return pricingError("scalestack cost", err)
			}
		}
		budget = cfgs[1].Budget
		diff = cost.Diff(reports[0], reports[1], replacedRefs(changes))
	}
	diff.Budget = cf.verdict(diff.Head.Ceiling, budget)
	if err := writeReport(stdout, cf.format, diff, diff.Text, func() string { return diff.Markdown(title) }); err != nil {
		return err
	}
	return overBudgetError(diff.Budget)
}

// previewCost prices both sides of a `pulumi preview --json`.
func previewCost(path string, cf *costFlags) (cost.DiffReport, string, int, error) {
	pv, err := readPreview(path)
	if err != nil {
		return cost.DiffReport{}, "", 0, err
	}
	tier := pv.Config[config.Key(config.KeyTier)]
	usage, err := cf.usageFor(tier)
	if err != nil {
		return cost.DiffReport{}, "", 0, err
	}
	region := pv.Config[config.Key(config.KeyRegion)]
	if region == "" {
		region = pv.Config["aws:region"]
	}
	budget := 0
	if v := pv.Config[config.Key(config.KeyBudget)]; v != "" {
		if _, err := fmt.Sscanf(v, "%d", &budget); err != nil || budget < 0 {
			return cost.DiffReport{}, "", 0, usagef("%s: config %q: %q is not a whole number of dollars", path, config.Key(config.KeyBudget), v)
		}
	}
	prices, err := cost.Default()
	if err != nil {
		return cost.DiffReport{}, "", 0, err
	}
	opts := cost.Options{Region: region, Tier: tier, Usage: usage}
	base, err := cost.Estimate(pv.Base, prices, opts)
	if err != nil {
		return cost.DiffReport{}, "", 0, pricingError(path+": before the change", err)
	}
	head, err := cost.Estimate(pv.Head, prices, opts)
	if err != nil {
		return cost.DiffReport{}, "", 0, pricingError(path+": after the change", err)
	}
	title := "stack " + pv.Stack
	if pv.Stack == "" {
		title = strings.TrimSuffix(path, ".json")
	}
	return cost.Diff(base, head, pv.Replaced), title, budget, nil
}

// TierRow is one cloud and tier of `cost tiers`: its figures and the seed band's verdict on each.
type TierRow struct {
	Cloud           string          `json:"cloud"`
	Tier            string          `json:"tier"`
	Baseline        decimal.Decimal `json:"baselineMonthly"`
	Ceiling         decimal.Decimal `json:"ceilingMonthly"`
	Band            cost.Band       `json:"band"`
	BaselineVerdict string          `json:"baselineVerdict"`
	CeilingVerdict  string          `json:"ceilingVerdict"`
	// Floor is the cheapest stack of catalog sizes that carries what the preset must (see
	// scalestack capacity), and FloorRatio the baseline over it.
	Floor      decimal.Decimal `json:"floorMonthly"`
	FloorRatio float64         `json:"floorRatio"`
}

// bandVerdict places an amount against a band: below, within or above.
func bandVerdict(d, lo, hi decimal.Decimal) string {
	switch {
	case d.LessThan(lo):
		return "below"
	case d.GreaterThan(hi):
		return "above"
	}
	return "within"
}

// runCostTiers prices every preset on every cloud beside the seed case's band for its tier, and
// judges both the baseline and the ceiling against it.
func runCostTiers(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("cost tiers", "cost tiers [--format text|json|markdown]", stderr)
	format := fs.String("format", "markdown", "output format: text, json (an array of {cloud, tier, baseline, ceiling, band, baselineVerdict, ceilingVerdict}) or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json", "markdown"); err != nil {
		return err
	}
	rows := []TierRow{}
	for _, cloud := range pricedClouds() {
		for _, tier := range tiers.Names {
			sf := stackFlags{cloud: string(cloud), tier: tier}
			file, cfg, err := sf.resolve()
			if err != nil {
				return err
			}
			// One plan a tier, for its bill and its floor.
			p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
			if err != nil {
				return fmt.Errorf("scalestack cost: %w", err)
			}
			rep, err := billOf(p, cfg, nil)
			if err != nil {
				return pricingError("scalestack cost", err)
			}
			weighed, err := weighStack(p, cfg, 0, nil, "")
			if err != nil {
				return err
			}
			band, err := cost.SeedBand(tier)
			if err != nil {
				return err
			}
			lo, err := decimal.NewFromString(band.Low)
			if err != nil {
				return fmt.Errorf("cost: tiers.yaml: %s: band low %q: %w", tier, band.Low, err)
			}
			hi, err := decimal.NewFromString(band.High)
			if err != nil {
				return fmt.Errorf("cost: tiers.yaml: %s: band high %q: %w", tier, band.High, err)
			}
			rows = append(rows, TierRow{Cloud: string(cloud), Tier: tier, Baseline: rep.Baseline, Ceiling: rep.Ceiling, Band: band,
				BaselineVerdict: bandVerdict(rep.Baseline, lo, hi), CeilingVerdict: bandVerdict(rep.Ceiling, lo, hi)})
			if f := weighed.Floor; f != nil {
				rows[len(rows)-1].Floor, rows[len(rows)-1].FloorRatio = f.Monthly, f.Ratio
			}
		}
	}
	var b strings.Builder
	b.WriteString("| cloud | tier | baseline / month | ceiling / month | seed band | floor / month |\n| --- | --- | ---: | ---: | --- | ---: |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s (%s) | %s (%s) | %s - %s | %s (%.2fx) |\n", r.Cloud, r.Tier, cost.Money(r.Baseline), r.BaselineVerdict,
			cost.Money(r.Ceiling), r.CeilingVerdict, cost.Money(decimal.RequireFromString(r.Band.Low)), cost.Money(decimal.RequireFromString(r.Band.High)),
			cost.Money(r.Floor), r.FloorRatio)
	}
	return writeTable(stdout, *format, rows, b.String())
}

// writeTable prints a tiers table: the rows as JSON, the Markdown table, or the same table as
// plain text (no separators or pipes).
func writeTable(stdout io.Writer, format string, rows any, markdown string) error {
	if format == "json" {
		b, err := cost.JSON(rows)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	out := markdown
	if format == "text" {
		lines := strings.Split(out, "\n")
		if len(lines) > 1 {
			lines = append(lines[:1], lines[2:]...) // the separator row
		}
		out = strings.NewReplacer("| ", "", " |", "", " | ", "  ").Replace(strings.Join(lines, "\n"))
	}
	_, err := io.WriteString(stdout, out)
	return err
}

// pricedClouds are the built clouds with a cloud bill: an existing (local) cluster has none.
func pricedClouds() []spec.Cloud {
	var out []spec.Cloud
	for _, c := range config.BuiltClouds {
		if c != spec.Local {
			out = append(out, c)
		}
	}
	return out
}
