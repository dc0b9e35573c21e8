package simulate

import (
	"fmt"
	"math"
	"time"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// Window is a launch window (scalestack:launch) as a stack holds it: the processes' minimums
// from its begin to its end, and the simulation's node holds for its users, which say what it
// adds to each pool.
type Window struct {
	spec.LaunchWindow
	spec.Prescale
	Nodes []Hold
}

// Windows simulates each launch window's users on a stack's plan held at what they need from
// the start: the pods to hold (refused past the preset's maximums), and how early the hold must
// begin for its pods and nodes to be up, rounded up to the minute with one more. Errors name the
// window by its index.
func Windows(p plan.Plan, m capacity.Model, cloud spec.Cloud, tier string, ws []spec.LaunchWindow) ([]Window, error) {
	a, err := Default()
	if err != nil {
		return nil, err
	}
	var out []Window
	for i, w := range ws {
		curve := Curve{Name: "launch window", Points: []Point{{Second: 0, Users: float64(w.Users)}, {Second: 60, Users: float64(w.Users)}}}
		res, err := Run(p, m, a, Options{Cloud: cloud, Tier: tier, Curve: curve, Prescaled: true})
		if err != nil {
			return nil, fmt.Errorf("%d: %w", i, err)
		}
		pods := map[string]int{}
		for _, h := range res.Pods {
			if h.Capped {
				return nil, fmt.Errorf("%d.users: %d need more %s pods than the %s preset's maximum of %d (want fewer users, or a larger tier: scalestack capacity --users %d names it)",
					i, w.Users, h.Name, tier, h.Min, w.Users)
			}
			pods[h.Name] = h.Min
		}
		lead := time.Duration(math.Ceil(res.LeadSeconds/60)+1) * time.Minute
		out = append(out, Window{LaunchWindow: w, Prescale: spec.Prescale{Begin: w.Start.Add(-lead), End: w.Start.Add(w.Duration), Pods: pods}, Nodes: res.Nodes})
	}
	return out, nil
}
