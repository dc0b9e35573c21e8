package capacity

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// Pricer prices the baseline month of a plan (or of a few of its resources): the caller's one
// bill, so that the floor is priced exactly as `scalestack cost` prices the stack.
type Pricer func(resources []plan.Resource) (decimal.Decimal, error)

// FloorChoice is one sized part of the floor: the preset's choice and the cheapest that carries
// the same demand with the same redundancy.
type FloorChoice struct {
	Part   string `json:"part"`
	Preset string `json:"preset"`
	Floor  string `json:"floor"`
	// Saves is what the floor's choice takes off the preset's monthly baseline.
	Saves decimal.Decimal `json:"savesMonthly"`
}

// Floor is the cheapest stack of the catalogs' sizes that carries what the preset must (its
// pools the baseline's users with one node more than they need, its database and cache the
// ceiling's users with the same standbys and replicas), and the preset's baseline over it.
type Floor struct {
	PresetMonthly decimal.Decimal `json:"presetMonthly"`
	Monthly       decimal.Decimal `json:"floorMonthly"`
	// Ratio is the preset's baseline over the floor's (the target is at most 1.25).
	Ratio   float64       `json:"ratio"`
	Choices []FloorChoice `json:"choices"`
}

// CostFloor finds the floor of a plan on a cloud that has catalog sizes and prices.
func CostFloor(p plan.Plan, m Model, o Options, price Pricer) (Floor, error) {
	rep, err := Evaluate(p, m, o)
	if err != nil {
		return Floor{}, err
	}
	inv, err := readInventory(p, o.Cloud)
	if err != nil {
		return Floor{}, err
	}
	e := evaluator{m: m, o: o, inv: inv}
	total, err := price(p.Resources)
	if err != nil {
		return Floor{}, err
	}
	f := Floor{PresetMonthly: total, Monthly: total, Choices: []FloorChoice{}}
	groups := e.floorGroups(p, float64(rep.Required.Baseline), float64(rep.Required.Ceiling))
	for _, g := range groups {
		// Each candidate is priced in the whole plan, in place of the preset's resources, so
		// that what a part costs is exactly what it changes in the bill.
		best, bestLabel := total, g.label
		for _, c := range g.candidates {
			cost, err := price(swap(p.Resources, g.resources, c.resources))
			if err != nil {
				continue // a size without a price in this region is no choice
			}
			if cost.LessThan(best) {
				best, bestLabel = cost, c.label
			}
		}
		saves := total.Sub(best)
		f.Monthly = f.Monthly.Sub(saves)
		f.Choices = append(f.Choices, FloorChoice{Part: g.part, Preset: g.label, Floor: bestLabel, Saves: saves})
	}
	if f.Monthly.IsPositive() {
		r, _ := f.PresetMonthly.Div(f.Monthly).Float64()
		f.Ratio = math.Round(r*100) / 100
	}
	return f, nil
}

type candidate struct {
	label     string
	resources []plan.Resource
}

type floorGroup struct {
	part, label string
	resources   []plan.Resource
	candidates  []candidate
}

// clone copies a resource's inputs, so that a candidate never changes the plan.
func clone(r plan.Resource) plan.Resource {
	b, _ := json.Marshal(r.Inputs)
	var in map[string]any
	_ = json.Unmarshal(b, &in)
	r.Inputs = in
	return r
}

func set(in map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := in[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			in[k] = next
		}
		in = next
	}
	in[path[len(path)-1]] = v
}

// floorGroups are the sized parts and their candidates: each node pool (size and nodes), the
// database (the primary and replicas' size) and the cache (its nodes' size).
func (e evaluator) floorGroups(p plan.Plan, baselineUsers, ceilingUsers float64) []floorGroup {
	var out []floorGroup
	sys := e.systemPool()
	for _, r := range p.Resources {
		var sizePath, minPath []string
		var name string
		switch r.Type {
		case types.DOKubernetesCluster:
			sizePath, minPath, name = []string{"nodePool", "size"}, []string{"nodePool", "minNodes"}, key(r.MapAt("nodePool.labels"), poolLabel)
		case types.DOKubernetesNodePool:
			sizePath, minPath, name = []string{"size"}, []string{"minNodes"}, key(r.MapAt("labels"), poolLabel)
		case types.AWSEKSNodeGroup:
			sizePath, minPath, name = []string{"instanceTypes"}, []string{"scalingConfig", "minSize"}, key(r.MapAt("labels"), poolLabel)
		case types.KarpenterNodePool:
			// The preset's size and minimum are its annotations; its limits follow the size.
			sizePath, minPath = []string{"metadata", "annotations", spec.AnnotationNodeSize}, []string{"metadata", "annotations", spec.AnnotationMinNodes}
			name = key(r.MapAt("spec.template.metadata.labels"), poolLabel)
		default:
			continue
		}
		var pl pool
		for _, x := range e.inv.pools {
			if x.name == name {
				pl = x
			}
		}
		g := floorGroup{part: "nodes: " + name, label: fmt.Sprintf("%d x %s", pl.min, pl.size), resources: []plan.Resource{r}}
		for _, size := range spec.Sizes(e.o.Cloud, spec.NodeSize) {
			info, err := spec.Lookup(e.o.Cloud, spec.NodeSize, size)
			if err != nil {
				continue
			}
			cand := pool{name: pl.name, size: size, min: pl.min, max: pl.max, spot: pl.spot, info: info}
			alloc, ok := e.allocatable(cand)
			if !ok {
				break
			}
			n := nodesFor(e.podsOn(cand, name == sys, func(pr process) int { return e.podsFor(pr, baselineUsers, false) }), alloc)
			if n < 0 {
				continue
			}
			nodes := n + 1 // N+1: a node can go and the pods still fit
			c := clone(r)
			switch r.Type {
			case types.AWSEKSNodeGroup:
				set(c.Inputs, sizePath, []any{size})
				set(c.Inputs, minPath, float64(nodes))
			case types.KarpenterNodePool:
				set(c.Inputs, sizePath, size)
				set(c.Inputs, minPath, strconv.Itoa(nodes))
				cpu, memory, err := spec.NodePool{Size: spec.PerCloud{AWS: size}, MaxNodes: max(pl.max, nodes)}.KarpenterLimits()
				if err != nil {
					continue
				}
				set(c.Inputs, []string{"spec", "limits", "cpu"}, cpu)
				set(c.Inputs, []string{"spec", "limits", "memory"}, memory)
			default:
				set(c.Inputs, sizePath, size)
				set(c.Inputs, minPath, float64(nodes))
			}
			g.candidates = append(g.candidates, candidate{label: fmt.Sprintf("%d x %s", nodes, size), resources: []plan.Resource{c}})
		}
		out = append(out, g)
	}
	if g, ok := e.databaseFloor(p, ceilingUsers); ok {
		out = append(out, g)
	}
	if g, ok := e.cacheFloor(p, ceilingUsers); ok {
		out = append(out, g)
	}
	return out
}

func (e evaluator) databaseFloor(p plan.Plan, users float64) (floorGroup, bool) {
	db := e.inv.db
	if db == nil || e.o.Cloud == spec.Local {
		return floorGroup{}, false
	}
	var rs []plan.Resource
	sizePath := "size"
	for _, r := range p.Resources {
		switch {
		case r.Type == types.DODatabaseCluster && r.StringAt("engine") == "pg", r.Type == types.DODatabaseReplica:
			rs = append(rs, r)
		case r.Type == types.AWSRDSInstance:
			rs, sizePath = append(rs, r), "instanceClass"
		}
	}
	w := e.m.Demand.WriteShare.Value
	share := w + (1-w)/(1+float64(db.replicas))
	need := e.qps(users) * share
	pool := e.serverConnections(users)
	g := floorGroup{part: "database", label: fmt.Sprintf("%s + %d standby, %d replicas", db.primary.Slug, db.standby, db.replicas), resources: rs}
	for _, size := range spec.Sizes(e.o.Cloud, spec.DatabaseSize) {
		info, err := spec.Lookup(e.o.Cloud, spec.DatabaseSize, size)
		if err != nil || info.VCPUs*e.m.Parts.Database.QueriesPerVCPU.Value*e.m.Parts.Database.CPUTarget.Value < need {
			continue
		}
		// The pool beside the next one during a tier switch (spec.Database.PoolLimit's rule).
		if float64(info.Connections-spec.DirectConnections)/2 < pool {
			continue
		}
		if e.o.Cloud == spec.DigitalOcean && db.standby > 0 && info.MemoryGiB < 2 {
			continue // DigitalOcean's standbys need 2 GiB
		}
		var cs []plan.Resource
		for _, r := range rs {
			c := clone(r)
			c.Inputs[sizePath] = size
			cs = append(cs, c)
		}
		g.candidates = append(g.candidates, candidate{label: fmt.Sprintf("%s + %d standby, %d replicas", size, db.standby, db.replicas), resources: cs})
	}
	return g, true
}

func (e evaluator) cacheFloor(p plan.Plan, users float64) (floorGroup, bool) {
	c := e.inv.cache
	if c == nil || e.o.Cloud == spec.Local {
		return floorGroup{}, false
	}
	var r plan.Resource
	sizePath := "size"
	for _, x := range p.Resources {
		switch {
		case x.Type == types.DODatabaseCluster && x.StringAt("engine") != "pg":
			r = x
		case x.Type == types.AWSCacheReplicationGroup:
			r, sizePath = x, "nodeType"
		}
	}
	share := e.m.Parts.Cache[string(e.o.Cloud)].UsableMemoryShare.Value
	need := e.cacheMiB(users)
	g := floorGroup{part: "cache", label: fmt.Sprintf("%d x %s", c.nodes, r.StringAt(sizePath)), resources: []plan.Resource{r}}
	for _, size := range spec.Sizes(e.o.Cloud, spec.CacheSize) {
		info, err := spec.Lookup(e.o.Cloud, spec.CacheSize, size)
		if err != nil || info.MemoryGiB*1024*share*float64(c.shards) < need {
			continue
		}
		x := clone(r)
		x.Inputs[sizePath] = size
		g.candidates = append(g.candidates, candidate{label: fmt.Sprintf("%d x %s", c.nodes, size), resources: []plan.Resource{x}})
	}
	return g, true
}

// swap is resources with the ones of a group replaced by a candidate's, in the same places.
func swap(resources, old, with []plan.Resource) []plan.Resource {
	out := make([]plan.Resource, 0, len(resources))
	by := map[string]plan.Resource{}
	for i, r := range old {
		if i < len(with) {
			by[r.Key()] = with[i]
		}
	}
	for _, r := range resources {
		if c, ok := by[r.Key()]; ok {
			r = c
		}
		out = append(out, r)
	}
	return out
}
