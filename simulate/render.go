package simulate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/cost"
)

// clock is seconds as h:mm:ss.
func clock(s float64) string {
	n := int(math.Round(s))
	return fmt.Sprintf("%d:%02d:%02d", n/3600, n/60%60, n%60)
}

// span is a duration in words, rounded up: a lead time must never read shorter than it is.
func span(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", math.Ceil(s))
	case s < 7200:
		return fmt.Sprintf("%.0f min", math.Ceil(s/60))
	}
	return fmt.Sprintf("%.1f h", math.Ceil(s/360)/10)
}

// Text is the simulation for a terminal: what ran short, when and for how long, what to hold
// from the start, and the timeline.
func (r Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scalestack simulate: %s %s under %s (peak %s users), %v s steps", r.Cloud, r.Tier, r.Curve.Name, capacity.Count(r.Curve.Peak()), r.StepSeconds)
	if n := len(r.Timeline); n > 0 {
		fmt.Fprintf(&b, "; the last users held %s after the curve", span(r.Timeline[n-1].Second-r.Curve.End()))
	}
	b.WriteString("\n")
	if changed := r.Assumptions.Changed(); len(changed) > 0 {
		b.WriteString("assumptions replaced for this run: " + strings.Join(changed, "; ") + "\n")
	}
	if len(r.Shorts) == 0 {
		b.WriteString("\nnothing runs short: autoscaling keeps up\n")
	} else {
		b.WriteString("\nRuns short\n")
		for _, s := range r.Shorts {
			refused := capacity.Count(s.Refused) + " " + s.Unit
			if s.Unit == "requests/s" || s.Unit == "jobs/s" {
				refused = capacity.Count(s.Refused) + " " + strings.TrimSuffix(s.Unit, "/s") + " not served in time"
			} else if s.Unit == "jobs queued" {
				refused = "up to " + refused
			}
			when := fmt.Sprintf("from %s for %s", clock(s.First), span(s.Seconds))
			if s.Stretches > 1 {
				when = fmt.Sprintf("from %s, %d times, %s in all, the longest %s", clock(s.First), s.Stretches, span(s.Seconds), span(s.Longest))
			}
			line := fmt.Sprintf("  %-28s %s (%s)", s.Part, when, refused)
			if s.Note != "" {
				line += ": " + s.Note
			}
			b.WriteString(line + "\n")
		}
	}
	var holds, capped []string
	for _, hs := range []struct {
		list       []Hold
		prefix, of string
	}{{r.Pods, "", "pods"}, {r.Nodes, "pool ", "nodes"}} {
		for _, h := range hs.list {
			if h.Min > h.Now {
				holds = append(holds, fmt.Sprintf("%s%s %d %s (now %d)", hs.prefix, h.Name, h.Min, hs.of, h.Now))
			}
			if h.Capped {
				capped = append(capped, hs.prefix+h.Name)
			}
		}
	}
	if len(holds) > 0 {
		b.WriteString("\nTo carry the peak from the start, hold at least: " + strings.Join(holds, ", ") + "\n")
	}
	if len(capped) > 0 {
		b.WriteString("The peak needs more than the tier's maximum of: " + strings.Join(capped, ", ") + " (scalestack capacity --users N names the tier that carries it)\n")
	}
	if len(r.Timeline) == 0 {
		return b.String()
	}
	procs := slices.Sorted(keys(r.Timeline[0].Processes))
	pools := slices.Sorted(keys(r.Timeline[0].Nodes))
	b.WriteString("\n    time      users")
	for _, p := range procs {
		fmt.Fprintf(&b, " %18s", p+" need/ready")
	}
	for _, p := range pools {
		fmt.Fprintf(&b, " %12s", p+" nodes")
	}
	b.WriteString("\n")
	every := max(1, len(r.Timeline)/40)
	for i, row := range r.Timeline {
		if i%every != 0 && i != len(r.Timeline)-1 {
			continue
		}
		fmt.Fprintf(&b, "  %s %10s", clock(row.Second), capacity.Count(row.Users))
		for _, p := range procs {
			pp := row.Processes[p]
			fmt.Fprintf(&b, " %18s", fmt.Sprintf("%d/%d", pp.Needed, pp.Ready))
		}
		for _, p := range pools {
			fmt.Fprintf(&b, " %12d", row.Nodes[p])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func keys[V any](m map[string]V) func(func(string) bool) { return mapsKeys(m) }

// SVG draws the simulation: the users over time above, the pods Ready of each process and the
// nodes of each pool below, and the stretches a part ran short shaded red.
func (r Result) SVG() string {
	const w, h, left, right, top, gap, panel = 900, 560, 70, 170, 40, 50, 220
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15">%s</text>`+"\n", left, esc(fmt.Sprintf("%s %s under %s", r.Cloud, r.Tier, r.Curve.Name)))
	if len(r.Timeline) < 2 {
		b.WriteString("</svg>\n")
		return b.String()
	}
	end := r.Timeline[len(r.Timeline)-1].Second
	x := func(s float64) float64 { return left + (w-left-right)*s/end }
	// The stretches some part ran short.
	for _, s := range r.Shorts {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#d62728" opacity="0.08"/>`+"\n", x(s.First), top, math.Max(x(s.First+s.Seconds)-x(s.First), 1), 2*panel+gap)
	}
	peak := 1.0
	for _, row := range r.Timeline {
		peak = math.Max(peak, row.Users)
	}
	pods := 1.0
	procs := slices.Sorted(keys(r.Timeline[0].Processes))
	pools := slices.Sorted(keys(r.Timeline[0].Nodes))
	for _, row := range r.Timeline {
		for _, p := range procs {
			pods = math.Max(pods, float64(max(row.Processes[p].Ready, row.Processes[p].Needed)))
		}
		for _, p := range pools {
			pods = math.Max(pods, float64(row.Nodes[p]))
		}
	}
	line := func(y0 float64, scale float64, value func(Row) float64, color, dash string) {
		var pts []string
		for _, row := range r.Timeline {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(row.Second), y0+panel-panel*value(row)/scale))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
	}
	axis := func(y0 float64, scale float64, label string) {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#999"/>`+"\n", left, y0+panel, w-right, y0+panel)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#999"/>`+"\n", left, y0, left, y0+panel)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n", left-6, y0+8, esc(capacity.Count(scale)))
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">0</text>`+"\n", left-6, y0+panel)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f">%s</text>`+"\n", left+6, y0+14, esc(label))
	}
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	axis(top, peak, "concurrent users")
	line(top, peak, func(row Row) float64 { return row.Users }, "#333", "")
	y1 := float64(top + panel + gap)
	axis(y1, pods, "pods Ready (solid), nodes (dashed)")
	legend := 0
	add := func(label, color, dash string) {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			w-right+10, top+legend*18+8, w-right+30, top+legend*18+8, color, dash, w-right+34, top+legend*18+12, esc(label))
		legend++
	}
	add("users", "#333", "")
	for i, p := range procs {
		c := colors[i%len(colors)]
		line(y1, pods, func(row Row) float64 { return float64(row.Processes[p].Ready) }, c, "")
		add(p+" Ready", c, "")
	}
	for i, p := range pools {
		c := colors[(len(procs)+i)%len(colors)]
		line(y1, pods, func(row Row) float64 { return float64(row.Nodes[p]) }, c, "6 4")
		add("pool "+p+" nodes", c, "6 4")
	}
	if len(r.Shorts) > 0 {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="20" height="10" fill="#d62728" opacity="0.2"/><text x="%d" y="%d">a part short</text>`+"\n", w-right+10, top+legend*18+3, w-right+34, top+legend*18+12)
	}
	for _, s := range []float64{0, end / 2, end} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x(s), y1+panel+16, clock(s))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// Comparison is a curve simulated without and with a launch window that holds the peak's pods
// and nodes from the start.
type Comparison struct {
	Without Result `json:"without"`
	With    Result `json:"with"`
	// WindowPerHour is what holding the window's extra nodes costs an hour, where the bill
	// prices them; NodeHours are those nodes, by pool.
	WindowPerHour *decimal.Decimal `json:"windowPerHour,omitempty"`
	ExtraNodes    map[string]int   `json:"extraNodes"`
	// Unpriced says why the window has no price, where it has none.
	Unpriced string `json:"unpriced,omitempty"`
}

// PriceWindow prices the window's extra nodes from the stack's bill: each pool's node at the
// unit price the bill gives its size, an hour of the month.
func (c *Comparison) PriceWindow(bill cost.Report) {
	c.ExtraNodes, c.WindowPerHour, c.Unpriced = HoldPrice(bill, c.With.Nodes)
}

// HoldPrice is what a prescale's node holds add to each pool beyond its minimum, and those
// nodes' price an hour as the bill prices them; nil, with the reason, when a size has no price.
func HoldPrice(bill cost.Report, holds []Hold) (extra map[string]int, perHour *decimal.Decimal, unpriced string) {
	extra = map[string]int{}
	total := decimal.Zero
	for _, h := range holds {
		n := h.Min - h.Now
		if n <= 0 {
			continue
		}
		extra[h.Name] = n
		unit, ok := nodePrice(bill, h.Size)
		if !ok {
			unpriced = fmt.Sprintf("the bill prices no %s node of pool %s", h.Size, h.Name)
			continue
		}
		total = total.Add(unit.Mul(decimal.NewFromInt(int64(n))))
	}
	if unpriced != "" {
		return extra, nil, unpriced
	}
	return extra, &total, ""
}

// Unpriceable records why the window cannot be priced (a region without prices).
func (c *Comparison) Unpriceable(why string) {
	c.ExtraNodes, _, _ = HoldPrice(cost.Report{}, c.With.Nodes)
	c.Unpriced = why
}

// nodePrice is an hour of a node of this size, as the bill prices it (by the hour on AWS, by the
// month on DigitalOcean).
func nodePrice(bill cost.Report, size string) (decimal.Decimal, bool) {
	for _, l := range bill.Lines {
		for _, p := range l.Parts {
			if p.Size != size || !strings.Contains(p.What, "nodes") || !p.UnitPrice.IsPositive() {
				continue
			}
			switch p.Unit {
			case cost.PerHour:
				return p.UnitPrice, true
			case cost.PerMonth:
				return p.UnitPrice.Div(cost.HoursPerMonth), true
			}
		}
	}
	return decimal.Zero, false
}

// Text is both runs for a terminal: what runs short without the window, and with it.
func (c Comparison) Text() string {
	var b strings.Builder
	b.WriteString(c.Without.Text())
	b.WriteString("\nWith a launch window that holds those from the start\n")
	fmt.Fprintf(&b, "  begin it at least %s before the spike (the nodes, then the pods, must be up)\n", span(c.With.LeadSeconds))
	switch {
	case len(c.ExtraNodes) == 0:
		b.WriteString("  it needs no node beyond the tier's minimums\n")
	case c.Unpriced != "":
		fmt.Fprintf(&b, "  its extra nodes are not priced: %s\n", c.Unpriced)
	case c.WindowPerHour != nil:
		fmt.Fprintf(&b, "  it costs %s an hour for the extra nodes", cost.Money(*c.WindowPerHour))
		var pools []string
		for _, name := range slices.Sorted(keys(c.ExtraNodes)) {
			pools = append(pools, fmt.Sprintf("%s +%d", name, c.ExtraNodes[name]))
		}
		b.WriteString(" (" + strings.Join(pools, ", ") + ")\n")
	}
	if len(c.With.Shorts) == 0 {
		b.WriteString("  nothing runs short\n")
	}
	for _, s := range c.With.Shorts {
		fmt.Fprintf(&b, "  still short: %s from %s for %s\n", s.Part, clock(s.First), span(s.Seconds))
	}
	return b.String()
}
