package cost

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// CommentMarker starts every markdown report, so that CI can find and update its own
// pull-request comment instead of adding another.
const CommentMarker = "<!-- scalestack-cost -->"

// Money formats an amount as the reports print it: $1,234.50.
func Money(d decimal.Decimal) string {
	neg := d.IsNegative()
	s := d.Abs().StringFixed(2)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := "$" + b.String() + "." + frac
	if neg {
		return "-" + out
	}
	return out
}

// Signed formats a delta with its sign: +$12.00, -$3.50, $0.00.
func Signed(d decimal.Decimal) string {
	if d.IsPositive() {
		return "+" + Money(d)
	}
	return Money(d)
}

// span prints baseline and ceiling, once when they are equal.
func span(lo, hi decimal.Decimal) string {
	if lo.Equal(hi) {
		return Money(lo)
	}
	return Money(lo) + " - " + Money(hi)
}

func signedSpan(lo, hi decimal.Decimal) string {
	if lo.Equal(hi) {
		return Signed(lo)
	}
	return Signed(lo) + " / " + Signed(hi)
}

// JSON renders any report as indented JSON; money is a decimal string ("1234.5").
func JSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Text renders an estimate for a terminal.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "monthly cost%s: %s baseline, %s ceiling (%s)\n", r.title(), Money(r.Baseline), Money(r.Ceiling), r.Currency)
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "  %-16s %s  %s\n", span(l.Baseline, l.Ceiling), shortType(l.Type), l.Name)
		for _, p := range l.Parts {
			fmt.Fprintf(&b, "      %s: %s at %s/%s = %s%s\n", p.What, sized(p), p.UnitPrice.String(), p.Unit, span(p.Baseline, p.Ceiling), caveatMark(p))
		}
	}
	if len(r.Unpriced) > 0 {
		fmt.Fprintf(&b, "not priced (not in the totals):\n")
		for _, u := range r.Unpriced {
			fmt.Fprintf(&b, "  %s %s: %s\n", shortType(u.Type), u.Name, u.Reason)
		}
	}
	fmt.Fprintf(&b, "free: %d resources", len(r.Free))
	if used := r.usageUsed(); len(used) > 0 {
		fmt.Fprintf(&b, "; usage assumed: %s", strings.Join(used, ", "))
	}
	b.WriteByte('\n')
	if c := r.caveats(); c != "" {
		fmt.Fprintf(&b, "%s\n", c)
	}
	if r.Budget != nil {
		fmt.Fprintf(&b, "%s\n", r.Budget.sentence())
	}
	if len(r.Windows) > 0 {
		b.WriteString("launch windows (scalestack:launch; not in the monthly totals):\n")
		for _, w := range r.Windows {
			fmt.Fprintf(&b, "  %s\n", w.sentence())
		}
	}
	return b.String()
}

// sentence says what a launch window holds and costs.
func (w Window) sentence() string {
	nodes := "no node beyond the pools' minimums"
	if len(w.ExtraNodes) > 0 {
		var parts []string
		for _, pool := range slices.Sorted(maps.Keys(w.ExtraNodes)) {
			parts = append(parts, fmt.Sprintf("%d %s", w.ExtraNodes[pool], pool))
		}
		nodes = "extra nodes " + strings.Join(parts, ", ")
	}
	price := "not priced: " + w.Unpriced
	if w.Total != nil {
		price = fmt.Sprintf("%s/h, %s", Money(*w.PerHour), Money(*w.Total))
	}
	return fmt.Sprintf("%s for %d users: held from %s to %s (%s h), %s: %s", w.Start.UTC().Format(time.RFC3339), w.Users,
		w.Begin.UTC().Format("2006-01-02 15:04"), w.End.UTC().Format("2006-01-02 15:04"), w.Hours(), nodes, price)
}

// usageUsed describes the usage assumptions that priced a line, in the order of Usage.
func (r Report) usageUsed() []string {
	used := map[string]bool{}
	for _, l := range r.Lines {
		for _, p := range l.Parts {
			if p.Usage {
				used[p.UsageKey] = true
			}
		}
	}
	var out []string
	for _, u := range []struct {
		key, text string
	}{
		{"natDataGB", fmt.Sprintf("NAT data %g GB", r.Usage.NATDataGB)},
		{"egressGB", fmt.Sprintf("egress %g GB", r.Usage.EgressGB)},
		{"loadBalancerLCU", fmt.Sprintf("%g LCU a load balancer", r.Usage.LoadBalancerLCU)},
	} {
		if used[u.key] {
			out = append(out, u.text)
		}
	}
	return out
}

// caveats lists the priced items whose price is an estimate or a third party's figure.
func (r Report) caveats() string {
	byKind := map[string][]string{}
	seen := map[string]bool{}
	for _, l := range r.Lines {
		for _, p := range l.Parts {
			c := p.Caveat
			if c == "" || seen[c+p.What] {
				continue
			}
			seen[c+p.What] = true
			byKind[c] = append(byKind[c], p.What)
		}
	}
	var out []string
	for _, kind := range []string{"estimate", "third-party"} {
		if len(byKind[kind]) > 0 {
			out = append(out, kind+" prices: "+strings.Join(byKind[kind], "; "))
		}
	}
	return strings.Join(out, "\n")
}

func caveatMark(p Part) string {
	if c := p.Caveat; c != "" {
		return " [" + c + "]"
	}
	return ""
}

// sentence is the verdict in words.
func (b Budget) sentence() string {
	if b.Over {
		return fmt.Sprintf("over budget: the monthly ceiling %s is above the budget %s", Money(b.Ceiling), Money(b.Limit))
	}
	return fmt.Sprintf("within budget: the monthly ceiling %s is at most the budget %s", Money(b.Ceiling), Money(b.Limit))
}

func writeBudget(b *strings.Builder, bud *Budget) {
	if bud == nil {
		return
	}
	mark := "✅"
	if bud.Over {
		mark = "❌"
	}
	fmt.Fprintf(b, "\n%s **Budget**: %s.\n", mark, bud.sentence())
}

func (r Report) title() string {
	var parts []string
	if r.Tier != "" {
		parts = append(parts, r.Tier)
	}
	if r.Region != "" {
		parts = append(parts, r.Region)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// Markdown renders an estimate as a pull-request comment.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n### Monthly cost%s\n\n", CommentMarker, r.title())
	fmt.Fprintf(&b, "**%s** baseline, **%s** ceiling (every autoscaled pool at its minimum / maximum).\n\n", Money(r.Baseline), Money(r.Ceiling))
	b.WriteString("| resource | type | monthly |\n| --- | --- | ---: |\n")
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(l.Name), cell(shortType(l.Type)), span(l.Baseline, l.Ceiling))
	}
	writeBudget(&b, r.Budget)
	if used := r.usageUsed(); len(used) > 0 {
		fmt.Fprintf(&b, "\nUsage assumed: %s.\n", cell(strings.Join(used, ", ")))
	}
	if c := r.caveats(); c != "" {
		fmt.Fprintf(&b, "\nNot list prices (%s).\n", cell(strings.ReplaceAll(c, "\n", "; ")))
	}
	writeUnpriced(&b, r.Unpriced)
	if len(r.Windows) > 0 {
		b.WriteString("\nLaunch windows (`scalestack:launch`, not in the monthly totals):\n\n")
		for _, w := range r.Windows {
			fmt.Fprintf(&b, "- %s\n", cell(w.sentence()))
		}
	}
	return b.String()
}

// Text renders a cost diff for a terminal.
func (d DiffReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "monthly cost: %s -> %s baseline (%s), %s -> %s ceiling (%s)\n",
		Money(d.Base.Baseline), Money(d.Head.Baseline), Signed(d.Delta.Baseline),
		Money(d.Base.Ceiling), Money(d.Head.Ceiling), Signed(d.Delta.Ceiling))
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "  %-8s %-20s %s %s", c.Action, signedSpan(c.Delta.Baseline, c.Delta.Ceiling), shortType(c.Type), c.Name)
		if c.Summary != "" {
			fmt.Fprintf(&b, " (%s)", c.Summary)
		}
		b.WriteByte('\n')
	}
	if len(d.Changes) == 0 {
		b.WriteString("  no resource changes its cost\n")
	}
	if len(d.Unpriced) > 0 {
		b.WriteString("not priced (not in the totals):\n")
		for _, u := range d.Unpriced {
			fmt.Fprintf(&b, "  %s %s: %s\n", shortType(u.Type), u.Name, u.Reason)
		}
	}
	if d.Budget != nil {
		fmt.Fprintf(&b, "%s\n", d.Budget.sentence())
	}
	return b.String()
}

// Markdown renders a cost diff as a pull-request comment: totals, a table of the resources whose
// cost changes, and what could not be priced.
func (d DiffReport) Markdown(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n### Cost of this change%s\n\n", CommentMarker, ifTitle(title))
	b.WriteString("| | before | after | change |\n| --- | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| baseline (pools at minimum) | %s | %s | **%s** |\n", Money(d.Base.Baseline), Money(d.Head.Baseline), Signed(d.Delta.Baseline))
	fmt.Fprintf(&b, "| ceiling (pools at maximum) | %s | %s | **%s** |\n\n", Money(d.Base.Ceiling), Money(d.Head.Ceiling), Signed(d.Delta.Ceiling))
	if len(d.Changes) == 0 {
		b.WriteString("No resource changes its monthly cost.\n")
	} else {
		fmt.Fprintf(&b, "<details><summary>%d resources change their cost</summary>\n\n", len(d.Changes))
		b.WriteString("| | resource | type | before | after | change | what |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n")
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", actionMark(c.Action), cell(c.Name), cell(shortType(c.Type)),
				span(c.Base.Baseline, c.Base.Ceiling), span(c.Head.Baseline, c.Head.Ceiling), signedSpan(c.Delta.Baseline, c.Delta.Ceiling), cell(c.Summary))
		}
		b.WriteString("\n</details>\n")
	}
	writeBudget(&b, d.Budget)
	writeUnpriced(&b, d.Unpriced)
	return b.String()
}

func ifTitle(t string) string {
	if t == "" {
		return ""
	}
	return ": " + t
}

func writeUnpriced(b *strings.Builder, us []Unpriced) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(b, "\n**Not priced** (not in the figures above):\n\n")
	for _, u := range us {
		fmt.Fprintf(b, "- `%s` %s: %s\n", shortType(u.Type), cell(u.Name), cell(u.Reason))
	}
}

func actionMark(a string) string {
	switch a {
	case Added:
		return "➕ added"
	case Removed:
		return "➖ removed"
	case Replaced:
		return "🔁 replaced"
	default:
		return "✏️ changed"
	}
}

// shortType drops the module path of a type token: aws:eks/nodeGroup:NodeGroup -> aws:NodeGroup.
func shortType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) == 3 {
		return parts[0] + ":" + parts[2]
	}
	return t
}

// cellEscaper escapes what would break a markdown table cell.
var cellEscaper = strings.NewReplacer("|", "\\|", "\n", " ")

func cell(s string) string { return cellEscaper.Replace(s) }
