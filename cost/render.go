package cost

import (
	"encoding/json"
	"fmt"
	"strings"

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

// signed formats a delta with its sign: +$12.00, -$3.50, $0.00.
func signed(d decimal.Decimal) string {
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
		return signed(lo)
	}
	return signed(lo) + " / " + signed(hi)
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
			fmt.Fprintf(&b, "      %s: %s at %s/%s = %s\n", p.What, sized(p), p.UnitPrice.String(), p.Unit, span(p.Baseline, p.Ceiling))
		}
	}
	if len(r.Unpriced) > 0 {
		fmt.Fprintf(&b, "not priced (not in the totals):\n")
		for _, u := range r.Unpriced {
			fmt.Fprintf(&b, "  %s %s: %s\n", shortType(u.Type), u.Name, u.Reason)
		}
	}
	fmt.Fprintf(&b, "free: %d resources; usage assumed: NAT data %g GB, egress %g GB, %g LCU a load balancer\n",
		len(r.Free), r.Usage.NATDataGB, r.Usage.EgressGB, r.Usage.LoadBalancerLCU)
	return b.String()
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
	writeUnpriced(&b, r.Unpriced)
	return b.String()
}

// Text renders a cost diff for a terminal.
func (d DiffReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "monthly cost: %s -> %s baseline (%s), %s -> %s ceiling (%s)\n",
		Money(d.Base.Baseline), Money(d.Head.Baseline), signed(d.Delta.Baseline),
		Money(d.Base.Ceiling), Money(d.Head.Ceiling), signed(d.Delta.Ceiling))
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
	return b.String()
}

// Markdown renders a cost diff as a pull-request comment: totals, a table of the resources whose
// cost changes, and what could not be priced.
func (d DiffReport) Markdown(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n### Cost of this change%s\n\n", CommentMarker, ifTitle(title))
	b.WriteString("| | before | after | change |\n| --- | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| baseline (pools at minimum) | %s | %s | **%s** |\n", Money(d.Base.Baseline), Money(d.Head.Baseline), signed(d.Delta.Baseline))
	fmt.Fprintf(&b, "| ceiling (pools at maximum) | %s | %s | **%s** |\n\n", Money(d.Base.Ceiling), Money(d.Head.Ceiling), signed(d.Delta.Ceiling))
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
