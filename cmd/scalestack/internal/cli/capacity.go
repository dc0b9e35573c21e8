package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// short is a capacity report that rendered fine but has a part that cannot carry the users.
type short struct{ msg string }

func (s short) Error() string { return s.msg }

// usersRe is a whole number, optionally with _ between groups of three digits (20_000).
var usersRe = regexp.MustCompile(`^(\d+|\d{1,3}(_\d{3})+)$`)

const capacitySynopsis = `capacity --cloud C (--tier T [--users N] | --users N) [--region R] [--config Pulumi.<stack>.yaml]
                  [--model FILE] [--format text|json|markdown]`

// capacityFlags are the flags of `scalestack capacity`.
type capacityFlags struct {
	stack          stackFlags
	users, model   string
	format         string
	usersN         int
	modelOverrides map[string]any
}

func (c *capacityFlags) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet("capacity", capacitySynopsis, stderr)
	c.stack.register(fs)
	fs.StringVar(&c.users, "users", "", "the concurrent users to carry (default: the tier's); without --tier, recommend the smallest tier that carries them")
	fs.StringVar(&c.model, "model", "", "a file (YAML or JSON) of load-model figures and account limits, shaped like scalestack:capacity, applied after the stack's")
	fs.StringVar(&c.format, "format", "text", "output format: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", c.format, "text", "json", "markdown"); err != nil {
		return err
	}
	if c.users != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(c.users, "_", ""))
		if !usersRe.MatchString(c.users) || err != nil || n < 1 || n > capacity.MaxUsers {
			return usagef("scalestack capacity: flag --users: %q is not a number of users (want a whole number from 1 to %d, digits with _ between thousands allowed)", c.users, capacity.MaxUsers)
		}
		c.usersN = n
	}
	if c.model != "" {
		b, err := os.ReadFile(c.model)
		if err != nil {
			return usageError{err}
		}
		if c.modelOverrides, err = capacity.ParseOverride(b); err != nil {
			return usagef("scalestack capacity: --model %s: %v", c.model, err)
		}
		// Checked on the shipped model before anything runs; applied after the stack's.
		m, err := capacity.Default()
		if err != nil {
			return err
		}
		if _, err := m.Override(c.modelOverrides, "--model "+c.model); err != nil {
			return usagef("scalestack capacity: --model %s: %v", c.model, err)
		}
	}
	return nil
}

func runCapacity(args []string, stdout, stderr io.Writer, deps Deps) error {
	if len(args) > 0 && args[0] == "tiers" {
		return runCapacityTiers(args[1:], stdout, stderr, deps)
	}
	var cf capacityFlags
	if err := cf.parse(args, stderr); err != nil {
		return err
	}
	tier := cf.stack.tier
	if tier == "" && cf.stack.configPath != "" {
		file, err := config.ReadStackFile(cf.stack.configPath)
		if err != nil {
			return usageError{err}
		}
		tier = file.Raw[config.Key(config.KeyTier)]
	}
	if tier == "" {
		if cf.usersN == 0 {
			return usagef("scalestack capacity: give --tier (or a --config with scalestack:tier), or --users N to find the tier that carries N users")
		}
		return recommend(cf, stdout, deps)
	}
	rep, err := capacityOf(cf, tier, deps)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, cf.format, rep, rep.Text, rep.Markdown); err != nil {
		return err
	}
	if !rep.Carries {
		return short{fmt.Sprintf("scalestack capacity: %s %s does not carry %d users: %d part(s) short", rep.Cloud, rep.Tier, rep.Users, len(rep.Shortfalls))}
	}
	return nil
}

// capacityOf plans one tier of the stack and weighs it against the users (the tier's own when
// --users is not given).
func capacityOf(cf capacityFlags, tier string, deps Deps) (capacity.Report, error) {
	sf := cf.stack
	sf.tier = tier
	file, cfg, err := sf.resolve()
	if err != nil {
		return capacity.Report{}, err
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return capacity.Report{}, fmt.Errorf("scalestack capacity: %w", err)
	}
	return weighStack(p, cfg, cf.usersN, cf.modelOverrides, cf.model)
}

// weighStack is a stack's plan against its users: the model with the stack's and the run's
// overrides, the previous tier's users for the baseline.
func weighStack(p plan.Plan, cfg config.Config, users int, over map[string]any, where string) (capacity.Report, error) {
	model := cfg.Capacity
	if len(over) > 0 {
		var err error
		if model, err = model.Override(over, "--model "+where); err != nil {
			return capacity.Report{}, usagef("scalestack capacity: --model %s: %v", where, err)
		}
	}
	if users == 0 {
		users = cfg.Preset.Users
	}
	baseline, err := tiers.BaselineUsers(cfg.Tier, cfg.Preset.Users)
	if err != nil {
		return capacity.Report{}, err
	}
	edgePlan := ""
	if cfg.Domain != "" {
		edgePlan = cfg.Preset.Edge.Plan
	}
	opts := capacity.Options{Cloud: cfg.Cloud, Tier: cfg.Tier, Users: users, BaselineUsers: baseline, EdgePlan: edgePlan}
	rep, err := capacity.Evaluate(p, model, opts)
	if errors.As(err, new(capacity.UsersError)) {
		return capacity.Report{}, usageError{err}
	}
	if err != nil {
		return capacity.Report{}, fmt.Errorf("scalestack capacity: %w", err)
	}
	if slices.Contains(pricedClouds(), cfg.Cloud) {
		floor, err := capacity.CostFloor(p, model, opts, pricerOf(cfg))
		var unpriced cost.RegionError
		switch {
		case errors.As(err, &unpriced):
			// A region without prices has no floor to print.
		case err != nil:
			return capacity.Report{}, err
		default:
			rep.Floor = &floor
		}
	}
	return rep, nil
}

// pricerOf prices resources of a stack as its bill does (billOf's prices and options).
func pricerOf(cfg config.Config) capacity.Pricer {
	return func(rs []plan.Resource) (decimal.Decimal, error) {
		rep, err := billOf(plan.Plan{Resources: rs}, cfg, nil)
		if err == nil && len(rep.Unpriced) > 0 {
			// A size without a price is no choice for the floor.
			return decimal.Decimal{}, fmt.Errorf("%s %s is not priced: %s", rep.Unpriced[0].Type, rep.Unpriced[0].Name, rep.Unpriced[0].Reason)
		}
		return rep.Baseline, err
	}
}

// TierFit is one tier weighed against the users a recommendation is for.
type TierFit struct {
	Tier          string `json:"tier"`
	Carries       bool   `json:"carries"`
	CeilingUsers  int64  `json:"ceilingUsers"`
	BaselineUsers int64  `json:"baselineUsers"`
	Bottleneck    string `json:"bottleneck"`
	// BaselineMonthly and CeilingMonthly are the tier's monthly cost in US dollars ("" where
	// the region has no prices).
	BaselineMonthly string `json:"baselineMonthly"`
	CeilingMonthly  string `json:"ceilingMonthly"`
}

// Recommendation is the answer to "which tier for N users".
type Recommendation struct {
	Cloud       string `json:"cloud"`
	Users       int    `json:"users"`
	Required    int64  `json:"required"`
	Recommended string `json:"recommended"`
	// Next is the tier after the recommended one: where the stack goes if the users keep coming.
	Next   string           `json:"next,omitempty"`
	Tiers  []TierFit        `json:"tiers"`
	Report *capacity.Report `json:"report,omitempty"`
}

func recommend(cf capacityFlags, stdout io.Writer, deps Deps) error {
	rec := Recommendation{Users: cf.usersN, Tiers: []TierFit{}}
	reports := map[string]capacity.Report{}
	for _, tier := range tiers.Names {
		sf := cf.stack
		sf.tier = tier
		file, cfg, err := sf.resolve()
		if err != nil {
			return err
		}
		p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
		if err != nil {
			return fmt.Errorf("scalestack capacity: %w", err)
		}
		rep, err := weighStack(p, cfg, cf.usersN, cf.modelOverrides, cf.model)
		if err != nil {
			return err
		}
		reports[tier] = rep
		rec.Cloud, rec.Required = rep.Cloud, rep.Required.Ceiling
		fit := TierFit{Tier: tier, Carries: rep.Carries, CeilingUsers: rep.CeilingUsers, BaselineUsers: rep.BaselineUsers}
		if b := rep.Bottleneck.Ceiling; b != nil {
			fit.Bottleneck = b.Name
		}
		bill, err := billOf(p, cfg, nil)
		var unpriced cost.RegionError
		switch {
		case errors.As(err, &unpriced):
			// The region has no prices: the tier's cost reads "not priced".
		case err != nil:
			return fmt.Errorf("scalestack capacity: %w", err)
		default:
			fit.BaselineMonthly, fit.CeilingMonthly = bill.Baseline.StringFixed(2), bill.Ceiling.StringFixed(2)
		}
		rec.Tiers = append(rec.Tiers, fit)
		if rep.Carries && rec.Recommended == "" {
			rec.Recommended = tier
		} else if rec.Recommended != "" && rec.Next == "" {
			rec.Next = tier
		}
	}
	if r, ok := reports[rec.Recommended]; ok {
		rec.Report = &r
	}
	if err := writeReport(stdout, cf.format, rec, rec.Text, rec.Markdown); err != nil {
		return err
	}
	if rec.Recommended == "" {
		return short{fmt.Sprintf("scalestack capacity: no tier carries %d users with the headroom (%d): the largest, %s, carries %d", rec.Users, rec.Required, tiers.Names[len(tiers.Names)-1], rec.Tiers[len(rec.Tiers)-1].CeilingUsers)}
	}
	return nil
}

func money(s string) string {
	if s == "" {
		return "not priced"
	}
	return cost.Money(decimal.RequireFromString(s))
}

// Text renders the recommendation: every tier's fit, the one to pick, and its report.
func (r Recommendation) Text() string {
	var b strings.Builder
	if r.Recommended != "" {
		fmt.Fprintf(&b, "%s concurrent users on %s (%s with the headroom) need the %s tier", thousands(int64(r.Users)), r.Cloud, thousands(r.Required), r.Recommended)
		if r.Next != "" {
			fmt.Fprintf(&b, "; past it, %s", r.Next)
		}
		fmt.Fprintf(&b, ".\n  pulumi config set scalestack:tier %s\n\n", r.Recommended)
	} else {
		fmt.Fprintf(&b, "no tier carries %s concurrent users on %s (%s with the headroom).\n\n", thousands(int64(r.Users)), r.Cloud, thousands(r.Required))
	}
	b.WriteString("TIER   CARRIES  AT THE CEILING  AT THE BASELINE  BOTTLENECK               MONTHLY (BASELINE - CEILING)\n")
	for _, t := range r.Tiers {
		mark := "no"
		if t.Carries {
			mark = "yes"
		}
		if t.Tier == r.Recommended {
			mark += " <-"
		}
		fmt.Fprintf(&b, "%-6s %-8s %-15s %-16s %-24s %s - %s\n", t.Tier, mark, thousands(t.CeilingUsers), thousands(t.BaselineUsers), t.Bottleneck, money(t.BaselineMonthly), money(t.CeilingMonthly))
	}
	if r.Report != nil {
		b.WriteString("\n" + r.Report.Text())
	}
	return b.String()
}

// Markdown renders the recommendation as a table, then the recommended tier's report.
func (r Recommendation) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s users on %s** (%s with the headroom): ", thousands(int64(r.Users)), r.Cloud, thousands(r.Required))
	if r.Recommended != "" {
		fmt.Fprintf(&b, "the **%s** tier.\n\n", r.Recommended)
	} else {
		b.WriteString("no tier carries them.\n\n")
	}
	b.WriteString("| Tier | Carries | At the ceiling | At the baseline | Bottleneck | Monthly |\n|---|---|---:|---:|---|---:|\n")
	for _, t := range r.Tiers {
		fmt.Fprintf(&b, "| %s | %t | %s | %s | %s | %s - %s |\n", t.Tier, t.Carries, thousands(t.CeilingUsers), thousands(t.BaselineUsers), t.Bottleneck, money(t.BaselineMonthly), money(t.CeilingMonthly))
	}
	if r.Report != nil {
		b.WriteString("\n" + r.Report.Markdown())
	}
	return b.String()
}

func thousands(n int64) string { return capacity.Count(float64(n)) }

// CapacityRow is one cloud and tier weighed against its own users, for `capacity tiers`.
type CapacityRow struct {
	Cloud          string  `json:"cloud"`
	Tier           string  `json:"tier"`
	Users          int     `json:"users"`
	RequestsPerSec float64 `json:"requestsPerSec"`
	WebSockets     float64 `json:"webSockets"`
	QueriesPerSec  float64 `json:"queriesPerSec"`
	Carries        bool    `json:"carries"`
	// CeilingUsers and BaselineUsers are the users the stack carries at its most and at rest.
	CeilingUsers  int64 `json:"ceilingUsers"`
	BaselineUsers int64 `json:"baselineUsers"`
	// Bottleneck is the part that runs short first at the ceiling.
	Bottleneck string `json:"bottleneck"`
	// BaselineHeadroom is the users the stack at rest carries over the previous tier's;
	// CeilingHeadroom the users at its most over its own tier's.
	BaselineHeadroom float64 `json:"baselineHeadroom"`
	CeilingHeadroom  float64 `json:"ceilingHeadroom"`
	BaselineMonthly  string  `json:"baselineMonthly"`
	CeilingMonthly   string  `json:"ceilingMonthly"`
	// FloorMonthly is the cheapest stack that carries the same at rest; FloorRatio the
	// baseline over it.
	FloorMonthly string  `json:"floorMonthly"`
	FloorRatio   float64 `json:"floorRatio"`
}

// capacityRows weighs every priced cloud's tiers against their own users.
func capacityRows(deps Deps) ([]CapacityRow, error) {
	rows := []CapacityRow{}
	for _, cloud := range pricedClouds() {
		for _, tier := range tiers.Names {
			sf := stackFlags{cloud: string(cloud), tier: tier}
			file, cfg, err := sf.resolve()
			if err != nil {
				return nil, err
			}
			p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
			if err != nil {
				return nil, fmt.Errorf("scalestack capacity: %w", err)
			}
			rep, err := weighStack(p, cfg, 0, nil, "")
			if err != nil {
				return nil, err
			}
			bill, err := billOf(p, cfg, nil)
			if err != nil {
				return nil, err
			}
			row := CapacityRow{Cloud: rep.Cloud, Tier: tier, Users: rep.Users, RequestsPerSec: rep.Load.RequestsPerSec,
				WebSockets: rep.Load.WebSockets, QueriesPerSec: rep.Load.QueriesPerSec, Carries: rep.Carries,
				CeilingUsers: rep.CeilingUsers, BaselineUsers: rep.BaselineUsers,
				BaselineHeadroom: rep.Headroom.Baseline, CeilingHeadroom: rep.Headroom.Ceiling,
				BaselineMonthly: bill.Baseline.StringFixed(2), CeilingMonthly: bill.Ceiling.StringFixed(2)}
			if b := rep.Bottleneck.Ceiling; b != nil {
				row.Bottleneck = b.Name
			}
			if rep.Floor != nil {
				row.FloorMonthly, row.FloorRatio = rep.Floor.Monthly.StringFixed(2), rep.Floor.Ratio
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func runCapacityTiers(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("capacity tiers", "capacity tiers [--format text|json|markdown|svg]", stderr)
	format := fs.String("format", "markdown", "output format: text, json (an array of rows), markdown or svg (the chart of make chart)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json", "markdown", "svg"); err != nil {
		return err
	}
	rows, err := capacityRows(deps)
	if err != nil {
		return err
	}
	if *format == "svg" {
		_, err := io.WriteString(stdout, svgChart(rows))
		return err
	}
	var b strings.Builder
	b.WriteString("| cloud | tier | users | requests/s | sockets | queries/s | first bottleneck | headroom at rest | headroom at most | cost / month | cost / floor |\n| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.2fx | %.2fx | %s - %s | %.2fx |\n", r.Cloud, r.Tier, thousands(int64(r.Users)),
			capacity.Count(r.RequestsPerSec), capacity.Count(r.WebSockets), capacity.Count(r.QueriesPerSec), r.Bottleneck,
			r.BaselineHeadroom, r.CeilingHeadroom, money(r.BaselineMonthly), money(r.CeilingMonthly), r.FloorRatio)
	}
	return writeTable(stdout, *format, rows, b.String())
}

// svgChart draws the tiers' capacity and cost: users carried at rest and at most, and the
// monthly cost at rest, per cloud, on logarithmic scales.
func svgChart(rows []CapacityRow) string {
	const w, h, left, top, panel, gap = 860, 360, 70, 40, 340, 90
	clouds := []string{}
	byCloud := map[string][]CapacityRow{}
	for _, r := range rows {
		if _, ok := byCloud[r.Cloud]; !ok {
			clouds = append(clouds, r.Cloud)
		}
		byCloud[r.Cloud] = append(byCloud[r.Cloud], r)
	}
	colors := []string{"#0069ff", "#ff9900", "#2e7d32", "#8e24aa"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	// Each panel: tiers on x, a log scale on y from lo to hi.
	type series struct {
		label string
		value func(CapacityRow) float64
		dash  string
	}
	panels := []struct {
		title  string
		lo, hi float64
		series []series
	}{
		{"users carried (log scale)", 1e3, 1e7, []series{
			{"at most", func(r CapacityRow) float64 { return float64(r.CeilingUsers) }, ""},
			{"at rest", func(r CapacityRow) float64 { return float64(r.BaselineUsers) }, "4 3"},
		}},
		{"monthly cost, US$ (log scale)", 10, 1e5, []series{
			{"at rest", func(r CapacityRow) float64 { f, _ := strconv.ParseFloat(r.BaselineMonthly, 64); return f }, ""},
			{"floor", func(r CapacityRow) float64 { f, _ := strconv.ParseFloat(r.FloorMonthly, 64); return f }, "4 3"},
		}},
	}
	for pi, p := range panels {
		x0 := left + pi*(panel+gap)
		y0, y1 := top, h-50
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, top-15, p.title)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, y0, panel, y1-y0)
		ly := func(v float64) float64 {
			v = min(max(v, p.lo), p.hi)
			return float64(y1) - (math.Log10(v)-math.Log10(p.lo))/(math.Log10(p.hi)-math.Log10(p.lo))*float64(y1-y0)
		}
		for v := p.lo; v <= p.hi*1.0001; v *= 10 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x0, x0+panel, ly(v), ly(v), x0-5, ly(v)+4, capacity.Count(v))
		}
		n := len(tiers.Names)
		lx := func(i int) float64 { return float64(x0) + (float64(i)+0.5)*float64(panel)/float64(n) }
		for i, t := range tiers.Names {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", lx(i), y1+18, t)
		}
		for ci, c := range clouds {
			for _, s := range p.series {
				var pts []string
				for i, r := range byCloud[c] {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", lx(i), ly(s.value(r))))
				}
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n", colors[ci%len(colors)], s.dash, strings.Join(pts, " "))
			}
		}
		for si, s := range p.series {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333" stroke-width="2" stroke-dasharray="%s"/><text x="%d" y="%d">%s</text>`+"\n", x0+10+si*110, x0+40+si*110, h-15, h-15, s.dash, x0+45+si*110, h-11, s.label)
		}
	}
	for ci, c := range clouds {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", w-200+ci*100, 8, colors[ci%len(colors)], w-184+ci*100, 18, c)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
