package upgrade

import (
	"fmt"
	"strings"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/cost"
)

// maxValue is the longest value the text shows whole, and maxProperties the most inputs it
// lists of one resource; the JSON has every input and value.
const (
	maxValue      = 60
	maxProperties = 12
)

func short(s *string) string {
	if s == nil {
		return "(none)"
	}
	v := strings.ReplaceAll(*s, "\n", `\n`)
	if len(v) > maxValue {
		return fmt.Sprintf("%s... (%d characters)", v[:maxValue-20], len(*s))
	}
	return v
}

// listed are the inputs the text shows: every one that forces a replacement, and the first of
// the others up to maxProperties; hidden counts the rest.
func listed(ps []Property) (shown []Property, hidden int) {
	others := 0
	for _, p := range ps {
		switch {
		case p.ForcesReplacement:
			shown = append(shown, p)
		case others < maxProperties:
			shown = append(shown, p)
			others++
		default:
			hidden++
		}
	}
	return shown, hidden
}

// Summary is the counts in one line.
func (c Counts) Summary() string {
	return fmt.Sprintf("%d created, %d changed in place, %d replaced, %d removed, %d unchanged", c.Created, c.InPlace, c.Replaced, c.Removed, c.Same)
}

var sections = []struct {
	how   How
	title string
	mark  string
}{
	{Created, "Created", "+"},
	{CreatedBeside, "Created beside what they supersede (made first; the old one removed at the end of the update)", "+"},
	{Replaced, "Replaced (a new resource, then the old one deleted; ! marks the inputs that force it)", "+-"},
	{InPlace, "Changed in place", "~"},
	{RemovedAfter, "Removed after what supersedes them is in use", "-"},
	{Removed, "Removed (at the end of the update)", "-"},
}

// Text is the plan diff for a terminal: every change, the pods it rolls, the connections it
// drops, what the engine keeps and what no switch may do.
func (d Diff) Text(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan diff: %s\n  %s\n", title, d.Counts.Summary())
	if len(d.Refusals) > 0 {
		b.WriteString("\nRefused: a tier switch never does this to what holds data\n")
		for _, r := range d.Refusals {
			fmt.Fprintf(&b, "  ! %s\n", r)
		}
	}
	if len(d.Warnings) > 0 {
		b.WriteString("\nThe cloud will refuse\n")
		for _, w := range d.Warnings {
			fmt.Fprintf(&b, "  ! %s\n", w)
		}
	}
	for _, s := range sections {
		first := true
		for _, c := range d.Changes {
			if c.How != s.how {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", s.title)
				first = false
			}
			line := fmt.Sprintf("  %s %s %s", s.mark, c.Type, c.Name)
			if c.Pair != "" {
				if c.How == CreatedBeside {
					line += " (beside " + c.Pair + ")"
				} else {
					line += " (superseded by " + c.Pair + ")"
				}
			}
			if c.Protected {
				line += " [protected]"
			}
			b.WriteString(line + "\n")
			if c.How == InPlace || c.How == Replaced {
				shown, hidden := listed(c.Properties)
				for _, p := range shown {
					force := " "
					if p.ForcesReplacement {
						force = "!"
					}
					fmt.Fprintf(&b, "     %s %s: %s -> %s\n", force, p.Path, short(p.Old), short(p.New))
				}
				if hidden > 0 {
					fmt.Fprintf(&b, "       ... and %d more inputs (--format json lists every one)\n", hidden)
				}
			}
		}
	}
	if len(d.Kept) > 0 {
		b.WriteString("\nKept as the stack has it (the resource's ignoreChanges)\n")
		for _, k := range d.Kept {
			fmt.Fprintf(&b, "  = %s %s: %s stays %s (the program says %s)", k.Type, k.Name, k.Path, k.Stack, k.Program)
			if k.Note != "" {
				b.WriteString(": " + k.Note)
			}
			b.WriteString("\n")
		}
	}
	d.effects(&b, func(h string) string { return "\n" + h + "\n" }, "  ", func(c string) string { return c })
	return b.String()
}

// Markdown is the plan diff for a pull request.
func (d Diff) Markdown(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Plan diff: %s\n\n%s\n", title, d.Counts.Summary())
	if len(d.Refusals) > 0 {
		b.WriteString("\n**Refused**: a tier switch never does this to what holds data\n\n")
		for _, r := range d.Refusals {
			fmt.Fprintf(&b, "- :no_entry: %s\n", r)
		}
	}
	if len(d.Warnings) > 0 {
		b.WriteString("\n**The cloud will refuse**\n\n")
		for _, w := range d.Warnings {
			fmt.Fprintf(&b, "- :warning: %s\n", w)
		}
	}
	b.WriteString("\n| | Resource | How | Inputs |\n|---|---|---|---|\n")
	for _, s := range sections {
		for _, c := range d.Changes {
			if c.How != s.how {
				continue
			}
			inputs := fmt.Sprintf("%d", len(c.Properties))
			if c.How == InPlace || c.How == Replaced {
				var ps []string
				shown, hidden := listed(c.Properties)
				for _, p := range shown {
					mark := ""
					if p.ForcesReplacement {
						mark = " **(forces replacement)**"
					}
					ps = append(ps, fmt.Sprintf("`%s`: %s → %s%s", p.Path, cell(short(p.Old)), cell(short(p.New)), mark))
				}
				if hidden > 0 {
					ps = append(ps, fmt.Sprintf("... and %d more (`--format json` lists every one)", hidden))
				}
				inputs = strings.Join(ps, "<br>")
			}
			how := string(c.How)
			if c.Pair != "" {
				how += " (" + c.Pair + ")"
			}
			fmt.Fprintf(&b, "| %s | `%s` `%s` | %s | %s |\n", s.mark, c.Type, c.Name, how, inputs)
		}
	}
	if len(d.Kept) > 0 {
		b.WriteString("\n**Kept as the stack has it**\n\n")
		for _, k := range d.Kept {
			fmt.Fprintf(&b, "- `%s` `%s`: `%s` stays %s (the program says %s). %s\n", k.Type, k.Name, k.Path, k.Stack, k.Program, k.Note)
		}
	}
	d.effects(&b, func(h string) string { return "\n**" + h + "**\n\n" }, "- ", func(c string) string { return "`" + c + "`" })
	return b.String()
}

// effects writes the pods a diff rolls and the connections it drops, each a list under its
// heading (none where it is empty), in the text's or the markdown's marks.
func (d Diff) effects(b *strings.Builder, heading func(string) string, bullet string, code func(string) string) {
	b.WriteString(heading("Pods rolled"))
	if len(d.Rolls) == 0 {
		b.WriteString(bullet + "none\n")
	}
	for _, r := range d.Rolls {
		fmt.Fprintf(b, "%s%s: %s\n", bullet, code(r.Workload), strings.Join(r.Why, "; "))
	}
	b.WriteString(heading("Connections dropped"))
	if len(d.Drops) == 0 {
		b.WriteString(bullet + "none\n")
	}
	for _, dr := range d.Drops {
		what := dr.What
		if dr.Resource != "" {
			what += " (" + code(dr.Resource) + ")"
		}
		fmt.Fprintf(b, "%s%s: %s\n", bullet, what, dr.Why)
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// String says what the side carries.
func (s Side) String() string {
	line := fmt.Sprintf("%s: carries %s users at its maximums, %s at its minimums", s.Tier, capacity.Count(float64(s.CeilingUsers)), capacity.Count(float64(s.BaselineUsers)))
	if s.Bottleneck != "" {
		line += " (first bottleneck: " + s.Bottleneck + ")"
	}
	return line
}

// CostLine is a cost diff's totals in one line; "" without one.
func CostLine(c *cost.DiffReport) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("baseline %s -> %s a month (%s), ceiling %s -> %s (%s)",
		cost.Money(c.Base.Baseline), cost.Money(c.Head.Baseline), cost.Signed(c.Delta.Baseline),
		cost.Money(c.Base.Ceiling), cost.Money(c.Head.Ceiling), cost.Signed(c.Delta.Ceiling))
}

// facts are the runbook's summary lines: what each side carries, the cost, the change, what
// the cloud keeps and the preview's counts.
func (rb Runbook) facts(code func(string) string) []string {
	out := []string{"before: " + rb.Before.String(), "after: " + rb.After.String()}
	if c := CostLine(rb.Cost); c != "" {
		out = append(out, "cost: "+c)
	}
	out = append(out, "change: "+rb.Diff.Counts.Summary())
	for _, k := range rb.Diff.Kept {
		if k.Note != "" && !strings.HasPrefix(k.Note, "the autoscaler") {
			out = append(out, fmt.Sprintf("kept: %s %s: %s", code(k.Name), code(k.Path), k.Note))
		}
	}
	if rb.Preview != nil {
		out = append(out, fmt.Sprintf("preview %s: %s", code(rb.Preview.Preview), rb.Preview.Counts.Summary()))
	}
	return out
}

func (rb Runbook) refusals() []string {
	out := append([]string{}, rb.Diff.Refusals...)
	if rb.Preview != nil {
		out = append(out, rb.Preview.Refusals...)
	}
	return out
}

// Text is the runbook for a terminal.
func (rb Runbook) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scalestack upgrade: %s to %s (%s, stack %s), %s\n", rb.From, rb.To, rb.Cloud, rb.Stack, rb.Direction)
	for _, f := range rb.facts(func(s string) string { return s }) {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	if rb.Refused {
		b.WriteString("\nRefused: no runbook makes this safe; change the plan so that nothing holding data is replaced or deleted\n")
		for _, r := range rb.refusals() {
			fmt.Fprintf(&b, "  ! %s\n", r)
		}
		return b.String()
	}
	for i, s := range rb.Steps {
		fmt.Fprintf(&b, "\n%d. %s\n   %s\n", i+1, s.Title, s.Why)
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "     $ %s\n", c)
		}
		if len(s.Disrupts) > 0 {
			b.WriteString("   What it does to the running stack:\n")
			for _, d := range s.Disrupts {
				fmt.Fprintf(&b, "     - %s\n", d)
			}
		}
	}
	return b.String()
}

// Markdown is the runbook for a pull request or a wiki page.
func (rb Runbook) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Switching %s to %s (%s, stack `%s`): %s\n\n", rb.From, rb.To, rb.Cloud, rb.Stack, rb.Direction)
	for _, f := range rb.facts(func(s string) string { return "`" + s + "`" }) {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	if rb.Refused {
		b.WriteString("\n**Refused**: no runbook makes this safe.\n\n")
		for _, r := range rb.refusals() {
			fmt.Fprintf(&b, "- :no_entry: %s\n", r)
		}
		return b.String()
	}
	for i, s := range rb.Steps {
		fmt.Fprintf(&b, "\n%d. **%s**: %s\n\n   ```sh\n", i+1, s.Title, s.Why)
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "   %s\n", c)
		}
		b.WriteString("   ```\n")
		for _, d := range s.Disrupts {
			fmt.Fprintf(&b, "   - %s\n", d)
		}
	}
	return b.String()
}

// Text is the preview's check for a terminal.
func (g Gate) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scalestack upgrade: %s: %s\n", g.Preview, g.Counts.Summary())
	if len(g.Refusals) == 0 {
		b.WriteString("  nothing that holds data is replaced or deleted\n")
	}
	for _, r := range g.Refusals {
		fmt.Fprintf(&b, "  ! %s\n", r)
	}
	for _, w := range g.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", w)
	}
	return b.String()
}

// Markdown is the preview's check for a pull request.
func (g Gate) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Stateful resources in `%s`\n\n%s\n\n", g.Preview, g.Counts.Summary())
	if len(g.Refusals) == 0 {
		b.WriteString(":white_check_mark: nothing that holds data is replaced or deleted\n")
	}
	for _, r := range g.Refusals {
		fmt.Fprintf(&b, "- :no_entry: %s\n", r)
	}
	for _, w := range g.Warnings {
		fmt.Fprintf(&b, "- :warning: %s\n", w)
	}
	return b.String()
}
