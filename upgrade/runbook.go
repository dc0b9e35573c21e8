package upgrade

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// Directions of a switch.
const (
	Up   = "up"
	Down = "down"
	Same = "same"
)

// Step is one thing the operator does, in order.
type Step struct {
	Title string `json:"title"`
	// Why says what the step is for.
	Why      string   `json:"why"`
	Commands []string `json:"commands"`
	// Disrupts says what the step does to the running stack, and for how long where the cloud
	// documents it; empty when nothing running is touched.
	Disrupts []string `json:"disrupts"`
}

// Side is the stack on one side of the switch: what it carries.
type Side struct {
	Tier string `json:"tier"`
	// CeilingUsers and BaselineUsers are what the stack carries at its autoscalers' maximums
	// and minimums (scalestack capacity), weighed at the tier's users.
	CeilingUsers  int64  `json:"ceilingUsers"`
	BaselineUsers int64  `json:"baselineUsers"`
	Bottleneck    string `json:"bottleneck,omitempty"`
	Carries       bool   `json:"carries"`
}

// Gate is the refusal check of a real `pulumi preview --json`.
type Gate struct {
	Preview  string   `json:"preview"`
	Counts   Counts   `json:"counts"`
	Refusals []string `json:"refusals"`
	// Warnings are what the cloud will refuse (the update would stop there): they do not
	// fail the gate.
	Warnings []string `json:"warnings"`
}

// Runbook is the ordered way through a tier switch.
type Runbook struct {
	Cloud     string `json:"cloud"`
	Stack     string `json:"stack"`
	From      string `json:"from"`
	To        string `json:"to"`
	Direction string `json:"direction"`
	// Refused is true when the switch (or the preview) replaces or deletes what holds data:
	// the runbook then has no steps, and the command exits with its refusal code.
	Refused bool             `json:"refused"`
	Steps   []Step           `json:"steps"`
	Before  Side             `json:"before"`
	After   Side             `json:"after"`
	Cost    *cost.DiffReport `json:"cost,omitempty"`
	Diff    Diff             `json:"diff"`
	Preview *Gate            `json:"preview,omitempty"`
}

// Input is what a runbook is made from.
type Input struct {
	Cloud, Stack string
	// Config is the stack file the scalestack commands read, or "" for --cloud and the tiers.
	Config        string
	From, To      string
	Diff          Diff
	Cost          *cost.DiffReport
	Before, After capacity.Report
	// Kept are the overrides the runbook sets first (a DigitalOcean database that cannot
	// shrink), as `pulumi config set --path` arguments: key and value.
	Kept [][2]string
}

// SideOf is what a capacity report says a stack carries.
func SideOf(tier string, r capacity.Report) Side {
	s := Side{Tier: tier, CeilingUsers: r.CeilingUsers, BaselineUsers: r.BaselineUsers, Carries: r.Carries}
	if b := r.Bottleneck.Ceiling; b != nil {
		s.Bottleneck = b.Kind + " " + b.Name
	}
	return s
}

// capacityTypes are the resources that carry load: nodes, databases and caches. Going up they
// change first, so that pods have somewhere to go; going down, last.
var capacityTypes = []string{
	types.DOKubernetesCluster, types.DOKubernetesNodePool, types.DODatabaseCluster, types.DODatabaseReplica,
	types.DODatabaseConnectionPool, types.AWSEKSNodeGroup, types.KarpenterNodePool, types.AWSRDSInstance, types.AWSCacheReplicationGroup,
	// The local cloud's database and cache.
	types.K8sStatefulSet,
}

// boundTypes are the autoscalers' bounds: going down they shrink first, so that pods leave the
// nodes before the nodes go.
var boundTypes = []string{types.K8sHorizontalPodAutoscaler, types.KEDAScaledObject}

// Build makes the runbook of a switch.
func Build(in Input) Runbook {
	rb := Runbook{Cloud: in.Cloud, Stack: in.Stack, From: in.From, To: in.To, Direction: direction(in.From, in.To),
		Steps: []Step{}, Before: SideOf(in.From, in.Before), After: SideOf(in.To, in.After), Cost: in.Cost, Diff: in.Diff}
	if len(in.Diff.Refusals) > 0 {
		rb.Refused = true
		return rb
	}
	stack := " --stack " + in.Stack
	checkFlags := "--config " + in.Config
	if in.Config == "" {
		checkFlags = "--cloud " + in.Cloud + " --tier " + in.To
	}
	set := Step{Title: "Switch the stack's tier to " + in.To,
		Why:      "the configuration alone: nothing running changes until pulumi up",
		Commands: []string{"pulumi config set scalestack:tier " + in.To + stack}, Disrupts: []string{}}
	for _, kv := range in.Kept {
		set.Commands = append(set.Commands, fmt.Sprintf("pulumi config set --path '%s' %s%s", kv[0], kv[1], stack))
	}
	if len(in.Kept) > 0 {
		set.Why += "; and keep what the cloud cannot shrink at its size (DigitalOcean resizes a database's nodes up only). " +
			"The override stays: remove it (pulumi config rm --path ...) when a later tier is larger, or that tier keeps this size"
	}
	rb.Steps = append(rb.Steps, set)
	if urns, copies := protectedRemovals(in.Diff); len(urns) > 0 {
		why := "the engine keeps a resource's protect flag in the stack's state: pulumi up refuses to delete a protected resource the program no longer has, " +
			"and scalestack:protect cannot unprotect it, since the program no longer registers it"
		if copies {
			why += ". These are read replicas, copies of the primary's data: nothing is lost"
		}
		rb.Steps = append(rb.Steps, Step{Title: "Unprotect what the " + in.To + " tier removes", Why: why,
			Commands: []string{"pulumi state unprotect" + stack + " --yes " + quoteAll(urns)}, Disrupts: []string{}})
	}
	rb.Steps = append(rb.Steps, Step{Title: "Preview the switch, and stop if it replaces or deletes what holds data",
		Why: fmt.Sprintf("the real engine's view of the same change; scalestack upgrade exits %d if it replaces a database, cache or cluster, or deletes one", RefusedExit),
		Commands: []string{
			"pulumi preview" + stack + " --json > preview.json",
			"scalestack upgrade --preview preview.json",
		}, Disrupts: []string{}})
	first, firstTitle, firstWhy := capacityTypes, "Grow the capacity first: nodes, databases, caches", "pods get somewhere to go before their autoscalers may ask for them"
	if rb.Direction == Down {
		first, firstTitle, firstWhy = boundTypes, "Lower the autoscalers' bounds first", "the pods leave the nodes and the pools before those shrink"
	}
	if rb.Direction == Up {
		rb.Steps = append(rb.Steps, raiseDesired(in.Diff)...)
	}
	if switchesToKarpenter(in.Diff) {
		// Karpenter's NodePools come up in a step of their own, with the subnets' discovery
		// tags they launch nodes in (nodeAutoscalerSwitch), not before those.
		first = slices.DeleteFunc(slices.Clone(first), func(t string) bool { return t == types.KarpenterNodePool })
	}
	var applied []Change
	// Going down, only the bounds that change: an autoscaler the smaller tier adds (an HPA in
	// place of a ScaledObject) comes with the rest, when the one it replaces goes.
	if targets := targetsOf(in.Diff, first, rb.Direction == Down); len(targets) > 0 && rb.Direction != Same {
		rb.Steps = append(rb.Steps, Step{Title: firstTitle, Why: firstWhy,
			Commands: []string{"pulumi up" + stack + " --yes " + targetFlags(targets)},
			Disrupts: disruptsOf(in.Diff, targets, nil)})
		applied = targets
	}
	if steps, done := nodeAutoscalerSwitch(in.Diff, stack, applied); len(steps) > 0 {
		rb.Steps = append(rb.Steps, steps...)
		applied = append(applied, done...)
	}
	rest := Step{Title: "Apply the rest of the switch", Commands: []string{"pulumi up" + stack + " --yes"}}
	switch rb.Direction {
	case Up:
		rest.Why = "the pods' sizes and the autoscalers' maximums, and what the new tier no longer needs, removed at the end of the update"
	case Down:
		rest.Why = "the nodes, databases and caches shrink, and what the smaller tier does not have is removed at the end of the update"
	default:
		rest.Why = "the change, all at once"
	}
	rest.Disrupts = disruptsOf(in.Diff, nil, applied)
	rb.Steps = append(rb.Steps, rest)
	rb.Steps = append(rb.Steps, Step{Title: "Check that the stack is what the " + in.To + " tier says",
		Why: "the engine finds nothing left to change, and the capacity report is the new tier's",
		Commands: []string{
			"pulumi preview" + stack + " --expect-no-changes",
			"scalestack capacity " + checkFlags,
		}, Disrupts: []string{}})
	return rb
}

// nodeAutoscalerSwitch are the steps of a switch between Cluster Autoscaler and Karpenter on
// EKS, so that the two never scale the same cluster at once and every pod has a node to go to:
// to Karpenter, its NodePools (and what they need) come up, Cluster Autoscaler stops, and then
// the managed app node groups drain into Karpenter's nodes one group at a time, the spot
// groups (workers, which retry) first; back, the managed groups and Cluster Autoscaler come up
// first, and the NodePools go with the rest (Karpenter drains their nodes before its own
// release goes, since the NodePools depend on it). applied are the changes an earlier step
// made; done the ones these steps make.
func nodeAutoscalerSwitch(d Diff, stack string, applied []Change) (steps []Step, done []Change) {
	was := func(c Change) bool {
		return slices.ContainsFunc(applied, func(a Change) bool { return a.URN == c.URN })
	}
	var pools, groups, oldPools, newGroups []Change
	var autoscaler, karpenter *Change
	for i, c := range d.Changes {
		removed, created := c.How == Removed || c.How == RemovedAfter, c.How == Created || c.How == CreatedBeside
		switch {
		case c.Type == types.KarpenterNodePool && created:
			pools = append(pools, c)
		case c.Type == types.KarpenterNodePool && removed:
			oldPools = append(oldPools, c)
		case c.Type == types.AWSEKSNodeGroup && removed:
			groups = append(groups, c)
		case c.Type == types.AWSEKSNodeGroup && created:
			newGroups = append(newGroups, c)
		case c.Type == types.HelmRelease && removed && helmChart(d.Before, c) == "cluster-autoscaler":
			autoscaler = &d.Changes[i]
		case c.Type == types.HelmRelease && created && helmChart(d.Head, c) == "cluster-autoscaler":
			karpenter = &d.Changes[i] // Cluster Autoscaler coming back
		}
	}
	switch {
	case len(pools) > 0 && len(groups) > 0:
		var up []Change
		for _, c := range targetsOf(d, []string{types.KarpenterNodePool}, false) {
			if !was(c) {
				up = append(up, c)
			}
		}
		// The EC2NodeClasses find the private subnets by their discovery tag, which the
		// subnets take in place; the EventBridge rules feed the interruption queue, so that the
		// spot nodes Karpenter launches during the drain are drained on their warnings.
		for _, c := range d.Changes {
			subnet := c.Type == types.AWSSubnet && c.How == InPlace
			rule := (c.Type == types.AWSEventRule || c.Type == types.AWSEventTarget) && c.How == Created
			if (subnet || rule) && !was(c) && !slices.ContainsFunc(up, func(u Change) bool { return u.URN == c.URN }) {
				up = append(up, c)
			}
		}
		if len(up) > 0 {
			steps = append(steps, Step{Title: "Ready Karpenter before it takes over",
				Why: "its roles, interruption queue, controller and a NodePool per app pool, and the discovery tag on the private subnets its nodes launch in: " +
					"Karpenter can launch nodes before any pod needs one, while Cluster Autoscaler still runs the managed node groups, which Karpenter does not touch",
				Commands: []string{"pulumi up" + stack + " --yes " + targetFlags(up)}, Disrupts: []string{}})
			done = append(done, up...)
		}
		if autoscaler != nil {
			steps = append(steps, Step{Title: "Stop Cluster Autoscaler",
				Why:      "from here only Karpenter adds nodes: the managed node groups stay at their size until they drain",
				Commands: []string{"pulumi up" + stack + " --yes " + targetFlags([]Change{*autoscaler})},
				Disrupts: []string{autoscaler.Name + ": removed; pending pods wait for Karpenter's nodes (about a minute) rather than for a node group"}})
			done = append(done, *autoscaler)
		}
		slices.SortStableFunc(groups, func(a, b Change) int { return spotFirst(d.Before, a) - spotFirst(d.Before, b) })
		drain := Step{Title: "Drain the managed app node groups into Karpenter, one group at a time",
			Why: "EKS cordons a deleted group's nodes and evicts their pods within their PodDisruptionBudgets; Karpenter launches nodes for them. " +
				"The spot groups go first (their workers retry), the on-demand ones (the API and WebSocket pods) after; run each command once the one before has finished",
			Disrupts: []string{}}
		for _, g := range groups {
			drain.Commands = append(drain.Commands, "pulumi up"+stack+" --yes "+targetFlags([]Change{g}))
			drain.Disrupts = append(drain.Disrupts, g.Name+": its nodes drain, a pod down at a time per PodDisruptionBudget, and the group is deleted; its pods come up on Karpenter's nodes")
		}
		steps = append(steps, drain)
		done = append(done, groups...)
	case len(oldPools) > 0 && len(newGroups) > 0:
		up := append([]Change{}, newGroups...)
		if karpenter != nil {
			up = append(up, *karpenter)
		}
		var todo []Change
		for _, c := range up {
			if !was(c) {
				todo = append(todo, c)
			}
		}
		if len(todo) > 0 {
			steps = append(steps, Step{Title: "Bring up the managed node groups and Cluster Autoscaler before Karpenter's NodePools go",
				Why: "the pods have nodes to move to: the rest of the switch deletes the NodePools, whose nodes Karpenter drains within their PodDisruptionBudgets, " +
					"and then Karpenter itself",
				Commands: []string{"pulumi up" + stack + " --yes " + targetFlags(todo)}, Disrupts: []string{}})
			done = append(done, todo...)
		}
	}
	return steps, done
}

// switchesToKarpenter says whether the change creates Karpenter NodePools and removes managed
// node groups: a switch from Cluster Autoscaler to Karpenter.
func switchesToKarpenter(d Diff) bool {
	created := slices.ContainsFunc(d.Changes, func(c Change) bool {
		return c.Type == types.KarpenterNodePool && (c.How == Created || c.How == CreatedBeside)
	})
	removed := slices.ContainsFunc(d.Changes, func(c Change) bool {
		return c.Type == types.AWSEKSNodeGroup && (c.How == Removed || c.How == RemovedAfter)
	})
	return created && removed
}

// helmChart is the chart of a release change, from the side of the plan that has it.
func helmChart(p plan.Plan, c Change) string {
	if r, ok := p.Find(c.Type, c.Name); ok {
		return r.StringAt("chart")
	}
	return ""
}

// spotFirst orders node groups: spot capacity (0) before on-demand (1).
func spotFirst(p plan.Plan, c Change) int {
	if r, ok := p.Find(c.Type, c.Name); ok && r.StringAt("capacityType") == "SPOT" {
		return 0
	}
	return 1
}

func direction(from, to string) string {
	switch i, j := slices.Index(tiers.Names, from), slices.Index(tiers.Names, to); {
	case j > i:
		return Up
	case j < i:
		return Down
	}
	return Same
}

// protectedRemovals are the URNs of the protected resources the change removes, and whether all
// of them are read replicas.
func protectedRemovals(d Diff) (urns []string, copies bool) {
	copies = true
	for _, c := range d.Changes {
		if c.Protected && (c.How == Removed || c.How == RemovedAfter) {
			urns = append(urns, c.URN)
			copies = copies && c.Replica
		}
	}
	return urns, copies
}

// raiseDesired are the steps an EKS node group needs before its minimum can rise: Cluster
// Autoscaler owns its desired size, which the engine leaves as it is (ignoreChanges), and EKS
// refuses a minimum above the desired size.
func raiseDesired(d Diff) []Step {
	var out []Step
	for _, c := range d.Changes {
		if c.Type != types.AWSEKSNodeGroup || c.How != InPlace {
			continue
		}
		r, _ := d.Head.Find(c.Type, c.Name)
		newMin, _ := r.NumberAt("scalingConfig.minSize")
		newMax, _ := r.NumberAt("scalingConfig.maxSize")
		desired, _ := r.NumberAt("scalingConfig.desiredSize")
		if newMin <= desired {
			continue
		}
		cluster, group := r.StringAt("clusterName"), r.StringAt("nodeGroupName")
		out = append(out, Step{Title: "Raise " + group + "'s desired size to its new minimum",
			Why: fmt.Sprintf("EKS refuses a minimum (%s) above the desired size, which Cluster Autoscaler owns and the engine keeps (%s when the stack last set it); "+
				"raise it only if the group runs fewer than %s nodes now", num(newMin), num(desired), num(newMin)),
			Commands: []string{
				fmt.Sprintf("aws eks describe-nodegroup --cluster-name %s --nodegroup-name %s --query nodegroup.scalingConfig", cluster, group),
				fmt.Sprintf("aws eks update-nodegroup-config --cluster-name %s --nodegroup-name %s --scaling-config maxSize=%s,desiredSize=%s", cluster, group, num(newMax), num(newMin)),
			},
			Disrupts: []string{fmt.Sprintf("%s: up to %s new nodes join (minutes); nothing running moves", group, num(newMin-desired))}})
	}
	return out
}

// targetsOf are the URNs of the changes of these types that add or change (never remove; with
// changedOnly, never add), with the created resources they depend on.
func targetsOf(d Diff, of []string, changedOnly bool) []Change {
	var out []Change
	// Dependencies are by name: every created resource of that name (a Service and the
	// StatefulSet it fronts share one) goes first.
	created := map[string][]Change{}
	for _, c := range d.Changes {
		if c.How == Created || c.How == CreatedBeside {
			created[c.Name] = append(created[c.Name], c)
		}
	}
	seen := map[string]bool{}
	var add func(c Change)
	add = func(c Change) {
		if seen[c.URN] {
			return
		}
		seen[c.URN] = true
		if r, ok := d.Head.Find(c.Type, c.Name); ok {
			for _, dep := range r.Dependencies {
				for _, x := range created[dep] {
					add(x)
				}
			}
		}
		out = append(out, c)
	}
	for _, c := range d.Changes {
		if slices.Contains(of, c.Type) && c.How != Removed && c.How != RemovedAfter && (!changedOnly || c.How == InPlace) {
			add(c)
		}
	}
	return out
}

func targetFlags(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, "--target '"+c.URN+"'")
	}
	return strings.Join(parts, " ")
}

func quoteAll(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "'" + s + "'"
	}
	return strings.Join(out, " ")
}

// disruptsOf says what applying changes does to the running stack: those of only (nil: all
// but those of skip, which an earlier step applied).
func disruptsOf(d Diff, only, skip []Change) []string {
	named := func(cs []Change, name string) bool {
		return slices.ContainsFunc(cs, func(c Change) bool { return c.Name == name })
	}
	in := func(name string) bool {
		if only != nil {
			return named(only, name)
		}
		return !named(skip, name)
	}
	out := []string{}
	for _, c := range d.Changes {
		if !in(c.Name) {
			continue
		}
		switch {
		case c.How == CreatedBeside && slices.Contains([]string{types.DOKubernetesNodePool, types.AWSEKSNodeGroup}, c.Type):
			out = append(out, fmt.Sprintf("%s: new nodes beside %s (minutes to join); the pods move as their workloads roll, then the old pool is drained and removed at the end", c.Name, c.Pair))
		case c.How == CreatedBeside:
			out = append(out, fmt.Sprintf("%s: made beside %s, which stays until the update ends", c.Name, c.Pair))
		case c.How == Created && c.Replica:
			out = append(out, c.Name+": a new read replica, copying the primary (minutes to hours with the data's size); the primary serves on")
		case (c.How == Removed || c.How == RemovedAfter) && slices.Contains(capacityTypes, c.Type):
			out = append(out, c.Name+": removed at the end of the update, once nothing uses it")
		}
	}
	for _, dr := range d.Drops {
		if dr.Resource != "" && in(dr.Resource) {
			out = append(out, dr.Resource+": "+dr.What+" drop: "+dr.Why)
		}
	}
	for _, r := range d.Rolls {
		if in(r.Name) {
			out = append(out, fmt.Sprintf("%s %s: %s", r.Workload, rollHow(r), strings.Join(r.Why, "; ")))
		}
	}
	if only == nil {
		for _, dr := range d.Drops {
			if dr.Resource == "" {
				out = append(out, dr.What+" close: "+dr.Why)
			}
		}
	}
	return out
}

// rollHow says how a workload's pods roll.
func rollHow(r Roll) string {
	switch r.Type {
	case types.K8sStatefulSet:
		return "restarts its pods one at a time, the highest first (a one-pod StatefulSet is down while its pod restarts)"
	case types.HelmRelease:
		return "rolls as its chart sets"
	}
	return "rolls, new pods Ready before old ones stop (maxUnavailable 0)"
}

var sizeSlug = regexp.MustCompile(`(\d+)vcpu-(\d+)gb`)

// Shrinks reports whether a DigitalOcean size slug is smaller than another in CPUs or memory:
// DigitalOcean refuses to resize a database's nodes down.
func Shrinks(from, to string) bool {
	a, b := sizeSlug.FindStringSubmatch(from), sizeSlug.FindStringSubmatch(to)
	if a == nil || b == nil {
		return false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	return n(b[1]) < n(a[1]) || n(b[2]) < n(a[2])
}
