package simulate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/capacity"
)

// clock is seconds as h:mm:ss.
func clock(s float64) string {
	n := int(math.Round(s))
	return fmt.Sprintf("%d:%02d:%02d", n/3600, n/60%60, n%60)
}

func span(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

// Text is the simulation for a terminal: what ran short, when and for how long, what to hold
// from the start, and the timeline.
func (r Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scalestack simulate: %s %s under %s (peak %s users), %v s steps\n", r.Cloud, r.Tier, r.Curve.Name, capacity.Count(r.Curve.Peak()), r.StepSeconds)
	if len(r.Shorts) == 0 {
		b.WriteString("\nnothing runs short: autoscaling keeps up\n")
	} else {
		b.WriteString("\nRuns short\n")
		for _, s := range r.Shorts {
			refused := capacity.Count(s.Refused) + " " + s.Unit
			if s.Unit == "requests/s" || s.Unit == "jobs/s" {
				refused = capacity.Count(s.Refused) + " " + strings.TrimSuffix(s.Unit, "/s") + " not served in time"
			}
			line := fmt.Sprintf("  %-28s from %s for %s (%s)", s.Part, clock(s.First), span(s.Seconds), refused)
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
