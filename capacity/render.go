package capacity

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
)

// Count prints a number for people: whole numbers with thousands separators, small ones with
// up to two decimals.
func Count(f float64) string {
	f = finite(f)
	if math.Abs(f) < 10 && f != math.Trunc(f) {
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
	}
	n := int64(math.Round(f))
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (l Level) cell(p Part) string {
	switch {
	case p.Elastic:
		return "elastic"
	case l.Unbounded:
		return Count(l.Capacity) + " (not a limit)"
	}
	mark := ""
	if l.Short {
		mark = " SHORT"
	}
	if l.Users == nil {
		return fmt.Sprintf("%s (%sx)%s", Count(l.Capacity), Count(l.Headroom), mark)
	}
	users := Count(float64(*l.Users))
	return fmt.Sprintf("%s = %s users (%sx)%s", Count(l.Capacity), users, Count(l.Headroom), mark)
}

// Verdict is one line: whether the stack carries its users, and its first bottleneck.
func (r Report) Verdict() string {
	if r.Carries {
		b := "no part"
		if r.Bottleneck.Ceiling != nil {
			b = fmt.Sprintf("%s at %s users", r.Bottleneck.Ceiling.Name, Count(float64(r.Bottleneck.Ceiling.Users)))
		}
		return fmt.Sprintf("carries: %s users at the ceiling (required %s), %s at the baseline (required %s); first bottleneck: %s",
			Count(float64(r.CeilingUsers)), Count(float64(r.Required.Ceiling)), Count(float64(r.BaselineUsers)), Count(float64(r.Required.Baseline)), b)
	}
	return fmt.Sprintf("short: %d part(s) cannot carry the users: %s", len(r.Shortfalls), strings.Join(r.Shortfalls, "; "))
}

// Text renders the report as a table with the verdict last.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s for %s concurrent users: the ceiling must carry %s (every maximum), the baseline %s (every minimum)\n",
		r.Cloud, r.Tier, Count(float64(r.Users)), Count(float64(r.Required.Ceiling)), Count(float64(r.Required.Baseline)))
	l := r.Load
	fmt.Fprintf(&b, "load: %s requests/s at the origin, %s sockets (%s reconnects/s in a spike), %s queries/s, %s server connections, %s MiB of cache, %s jobs/s\n\n",
		Count(l.RequestsPerSec), Count(l.WebSockets), Count(l.ReconnectsPerS), Count(l.QueriesPerSec), Count(l.PoolConnections), Count(l.CacheMiB), Count(l.JobsPerSec))
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PART\tDEMAND\tBASELINE\tCEILING\tNOTE")
	for _, p := range r.Parts {
		if p.Advisory {
			continue
		}
		demand := Count(p.Demand) + " " + p.Unit
		if p.Pods > 0 {
			demand += fmt.Sprintf(" (%d pods)", p.Pods)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Name, demand, p.Baseline.cell(p), p.Ceiling.cell(p), p.Note)
	}
	w.Flush()
	b.WriteString("\nschedulable:\n")
	for _, f := range r.Fits {
		ok := "fits"
		if !f.Fits {
			ok = "DOES NOT FIT"
		}
		fmt.Fprintf(&b, "  %s at its %s: %d pods (%.1f vCPU, %.1f GiB) on %d of %d nodes: %s\n", f.Pool, f.Level, f.Pods, f.CPU/1000, f.Memory/1024, max(f.Nodes, 0), f.Have, ok)
	}
	advisory := false
	for _, p := range r.Parts {
		if !p.Advisory {
			continue
		}
		if !advisory {
			b.WriteString("\naccount limits (advisory):\n")
			advisory = true
		}
		state := "within"
		if p.Ceiling.Short {
			state = "ABOVE: " + p.Fix
		}
		fmt.Fprintf(&b, "  %s: the ceiling needs %s of %s: %s\n", p.Name, Count(p.Demand), Count(p.Ceiling.Capacity), state)
	}
	for _, o := range r.Overrides {
		b.WriteString("\noverridden: " + o)
	}
	if len(r.Overrides) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("\n" + r.Verdict() + "\n")
	b.WriteString(r.Floor.text())
	return b.String()
}

// text is the floor's lines: its cost against the preset's, part by part.
func (f *Floor) text() string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cost floor: $%s a month at rest against the preset's $%s (%sx): the cheapest catalog sizes that carry the same users with a spare node and the same standbys and replicas\n",
		f.Monthly.StringFixed(2), f.PresetMonthly.StringFixed(2), Count(f.Ratio))
	for _, c := range f.Choices {
		if c.Preset != c.Floor {
			fmt.Fprintf(&b, "  %s: %s where the floor has %s ($%s a month less)\n", c.Part, c.Preset, c.Floor, c.Saves.StringFixed(2))
		}
	}
	return b.String()
}

// Markdown renders the report as a Markdown table.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s %s**, %s users (ceiling must carry %s, baseline %s)\n\n", r.Cloud, r.Tier, Count(float64(r.Users)), Count(float64(r.Required.Ceiling)), Count(float64(r.Required.Baseline)))
	b.WriteString("| Part | Demand | Baseline | Ceiling | Note |\n|---|---|---|---|---|\n")
	for _, p := range r.Parts {
		name := p.Name
		if p.Advisory {
			name += " (advisory)"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s | %s |\n", name, Count(p.Demand), p.Unit, p.Baseline.cell(p), p.Ceiling.cell(p), strings.ReplaceAll(p.Note, "|", "/"))
	}
	b.WriteString("\n" + r.Verdict() + "\n")
	if r.Floor != nil {
		b.WriteString("\n" + r.Floor.text())
	}
	return b.String()
}

// JSON renders the report in its documented shape.
func (r Report) JSON() ([]byte, error) {
	if r.Parts == nil {
		r.Parts = []Part{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}
