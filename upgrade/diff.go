// Package upgrade says what a change does to a running stack: every input of every resource
// that changes, each change as the engine will carry it out (in place, created beside the
// resource it supersedes, replaced, removed), the pods it rolls and why, the connections it
// drops, what the cloud keeps whatever the program says, and, for a tier switch, the ordered
// runbook. It reads plans only: no cloud SDK, no engine.
package upgrade

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/internal/forcenew"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// How is the way the engine carries out one resource's change.
type How string

// The ways.
const (
	// InPlace updates the resource where it is.
	InPlace How = "in-place"
	// Replaced makes a new resource for the same name, because an input that cannot change in
	// place did (the properties say which), then deletes the old one at the end of the update.
	Replaced How = "replaced"
	// Created is a resource the change adds.
	Created How = "created"
	// CreatedBeside is a new resource in the role of one the change removes (a node pool of a
	// new size, a connection pool of a new size): it is made first, what used the old one
	// moves to it, and the old one goes at the end of the update (RemovedAfter).
	CreatedBeside How = "created-beside"
	// RemovedAfter is the old side of CreatedBeside.
	RemovedAfter How = "removed-after"
	// Removed is a resource the change deletes, at the end of the update.
	Removed How = "removed"
)

// Property is one scalar input that changes; Old or New is nil where the input is absent.
type Property struct {
	Path string  `json:"path"`
	Old  *string `json:"old"`
	New  *string `json:"new"`
	// ForcesReplacement marks the inputs the provider cannot change in place.
	ForcesReplacement bool `json:"forcesReplacement,omitempty"`
}

// Change is what happens to one resource.
type Change struct {
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
	How  How    `json:"how"`
	// Pair names the resource on the other side of a CreatedBeside or RemovedAfter.
	Pair       string     `json:"pair,omitempty"`
	Properties []Property `json:"properties"`
	// Stateful resources hold data or take long to rebuild (policies' protect rule).
	Stateful bool `json:"stateful,omitempty"`
	// Protected is the stack's protect flag on a resource the change removes: the engine
	// refuses to delete it until it is unprotected.
	Protected bool `json:"protected,omitempty"`
	// Replica is a read replica: a copy of data the primary keeps.
	Replica bool `json:"replica,omitempty"`
	// Refused says why the change must not happen to this resource; empty where it may.
	Refused string `json:"refused,omitempty"`
}

// Roll is a workload whose pods the change replaces, and why.
type Roll struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Workload is namespace/name, as kubectl names it.
	Workload string `json:"workload"`
	// Process is the app's process the pods run (scalestack.dev/process), if any.
	Process string   `json:"process,omitempty"`
	Why     []string `json:"why"`
}

// Drop is a set of open connections the change closes.
type Drop struct {
	What string `json:"what"`
	Why  string `json:"why"`
	// Resource is the resource whose change drops them, where one does (a database resized).
	Resource string `json:"resource,omitempty"`
}

// Kept is an input the program changes and the engine leaves as the stack has it.
type Kept struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Path    string `json:"path"`
	Stack   string `json:"stack"`
	Program string `json:"program"`
	// Note says what that means, where it is known (DigitalOcean's HA control plane).
	Note string `json:"note,omitempty"`
}

// Counts are the resources by what happens to them.
type Counts struct {
	Same     int `json:"same"`
	InPlace  int `json:"inPlace"`
	Replaced int `json:"replaced"`
	Created  int `json:"created"`
	Removed  int `json:"removed"`
}

// Diff is every change between two plans of a stack.
type Diff struct {
	Changes []Change `json:"changes"`
	Rolls   []Roll   `json:"rolls"`
	Drops   []Drop   `json:"connectionsDropped"`
	Kept    []Kept   `json:"kept"`
	// Refusals are the changes no tier switch may make (a stateful resource replaced, a data
	// holder deleted), one line each.
	Refusals []string `json:"refusals"`
	// Warnings are changes the cloud will refuse to make (a DigitalOcean database shrunk), which
	// the update would stop at; scalestack upgrade plans around them.
	Warnings []string `json:"warnings"`
	Counts   Counts   `json:"counts"`
	// Head is the plan after the change as the engine would apply it (ignoreChanges kept):
	// what the cost and capacity of the change are computed from.
	Head plan.Plan `json:"-"`
	// Before is the plan before the change: what a removed resource was.
	Before plan.Plan `json:"-"`
}

// RefusedExit is scalestack upgrade's exit code for a refused change.
const RefusedExit = 6

// Options name the stack, for the URNs.
type Options struct {
	Project, Stack string
	// Replaced, where the engine said so (a real preview), are the resources it replaces, by
	// plan key; nil to work them out from internal/forcenew.
	Replaced map[string]bool
	// URNs, where the engine gave them (a real preview), by plan key; the rest are made from
	// the plan's parents.
	URNs map[string]string
	// Discarded are the resources a preview drops from the stack but leaves in the cloud
	// (retainOnDelete): removed from the stack, not deleted, so never refused.
	Discarded map[string]bool
}

// workloadTypes are the types whose pods a change of spec.template rolls.
var workloadTypes = []string{types.K8sDeployment, types.K8sStatefulSet, types.K8sDaemonSet}

// Compare diffs two plans of one stack.
func Compare(before, after plan.Plan, o Options) (Diff, error) {
	head, kept := plan.Keep(before, after)
	d := Diff{Changes: []Change{}, Rolls: []Roll{}, Drops: []Drop{}, Kept: []Kept{}, Refusals: []string{}, Warnings: []string{}, Head: head, Before: before}
	for _, k := range kept {
		d.Kept = append(d.Kept, Kept{Type: k.Type, Name: k.Name, Path: k.Path, Stack: leafText(k.Stack), Program: leafText(k.Program), Note: keptNote(k)})
	}
	// The inputs that force a replacement, from internal/forcenew: what replaces a resource
	// unless the engine said otherwise (a real preview), and what says why where it did.
	forced := map[string][]string{}
	reps, err := forcenew.Replacements(before, head)
	if err != nil {
		return Diff{}, err
	}
	for _, r := range reps {
		key := r.Type + "::" + r.Name
		forced[key] = append(forced[key], r.Path)
	}
	urn := func(p plan.Plan, r plan.Resource) string {
		if u, ok := o.URNs[r.Key()]; ok {
			return u
		}
		return p.URN(r, o.Project, o.Stack)
	}
	for _, a := range head.Resources {
		b, existed := before.Find(a.Type, a.Name)
		c := Change{Type: a.Type, Name: a.Name, URN: urn(head, a), Stateful: stateful(a), Replica: replica(a), Properties: []Property{}}
		if !existed {
			c.How = Created
			c.Properties = properties(nil, a.Inputs)
			d.Changes = append(d.Changes, c)
			continue
		}
		c.Properties = properties(b.Inputs, a.Inputs)
		paths, replaced := forced[a.Key()]
		if o.Replaced != nil {
			replaced = o.Replaced[a.Key()]
		}
		for i, p := range c.Properties {
			for _, f := range paths {
				if p.Path == f || strings.HasPrefix(p.Path, f+".") {
					c.Properties[i].ForcesReplacement = true
				}
			}
		}
		switch {
		case replaced:
			c.How = Replaced
		case len(c.Properties) > 0:
			c.How = InPlace
		default:
			d.Counts.Same++
			continue
		}
		d.Changes = append(d.Changes, c)
	}
	for _, b := range before.Resources {
		if _, ok := head.Find(b.Type, b.Name); ok {
			continue
		}
		d.Changes = append(d.Changes, Change{Type: b.Type, Name: b.Name, URN: urn(before, b), How: Removed,
			Properties: properties(b.Inputs, nil), Stateful: stateful(b), Replica: replica(b), Protected: b.Protect})
	}
	pairBeside(d.Changes, before, head)
	for i := range d.Changes {
		c := &d.Changes[i]
		switch c.How {
		case InPlace:
			d.Counts.InPlace++
		case Replaced:
			d.Counts.Replaced++
		case Created, CreatedBeside:
			d.Counts.Created++
		case Removed, RemovedAfter:
			d.Counts.Removed++
		}
		if !o.Discarded[c.Type+"::"+c.Name] {
			c.Refused = refusal(*c, before)
		}
		if c.Refused != "" {
			d.Refusals = append(d.Refusals, fmt.Sprintf("%s %s: %s", c.Type, c.Name, c.Refused))
		}
		if from, to, ok := shrunk(*c); ok {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s %s: DigitalOcean cannot shrink a database's nodes (%s to %s): the update would stop there; scalestack upgrade keeps the size with an override", c.Type, c.Name, from, to))
		}
	}
	ds, err := Disruptions()
	if err != nil {
		return Diff{}, err
	}
	d.Rolls = rolls(d.Changes, head)
	d.Drops = drops(d.Changes, d.Rolls, head, ds)
	return d, nil
}

// properties lists the scalar inputs that differ; a nil side is absent.
func properties(before, after map[string]any) []Property {
	old, cur := leaves(before), leaves(after)
	paths := map[string]bool{}
	for p := range old {
		paths[p] = true
	}
	for p := range cur {
		paths[p] = true
	}
	out := []Property{}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range paths {
			if !yield(p) {
				return
			}
		}
	}) {
		o, hadOld := old[p]
		n, hasNew := cur[p]
		if hadOld && hasNew && o == n {
			continue
		}
		prop := Property{Path: p}
		if hadOld {
			prop.Old = &o
		}
		if hasNew {
			prop.New = &n
		}
		out = append(out, prop)
	}
	return out
}

func leaves(inputs map[string]any) map[string]string {
	out := map[string]string{}
	if inputs == nil {
		return out
	}
	for _, l := range plan.Flatten(inputs) {
		out[l.Path] = l.Value
	}
	return out
}

func leafText(v any) string {
	ls := plan.Flatten(map[string]any{"v": v})
	if len(ls) == 1 && ls[0].Path == "v" {
		return ls[0].Value
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = strings.TrimPrefix(l.Path, "v.") + "=" + l.Value
	}
	return strings.Join(parts, ", ")
}

// keptNote explains the inputs the engine keeps that matter to the bill or to capacity.
func keptNote(k plan.Kept) string {
	switch {
	case k.Type == types.DOKubernetesCluster && k.Path == "ha":
		return "DigitalOcean cannot turn a cluster's HA control plane off: it stays, and is billed, after the switch"
	case slices.Contains(workloadTypes, k.Type) && k.Path == "spec.replicas":
		return "the autoscaler owns the pod count: the running pods stay as they are and the autoscaler moves them within its new bounds"
	}
	return ""
}

// roles are the inputs that say which part a resource plays, for the types a change replaces by
// a resource of another name: a node pool of a new size, a connection pool of a new size.
var roles = map[string][]string{
	types.DOKubernetesNodePool:     {"labels", spec.PoolLabel},
	types.AWSEKSNodeGroup:          {"labels", spec.PoolLabel},
	types.DODatabaseConnectionPool: {"dbName", "user", "mode"},
}

func role(r plan.Resource) string {
	paths, ok := roles[r.Type]
	if !ok {
		return ""
	}
	parts := []string{r.Type, r.Parent}
	if paths[0] == "labels" {
		// A label's key has dots of its own: read it from the map, not by a dotted path.
		v, _ := r.MapAt("labels")[paths[1]].(string)
		if v == "" {
			return ""
		}
		return strings.Join(append(parts, v), "\x00")
	}
	for _, p := range paths {
		v := r.StringAt(p)
		if v == "" {
			return ""
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "\x00")
}

// pairBeside marks a created resource and a removed one of the same role as one superseding
// the other.
func pairBeside(changes []Change, before, head plan.Plan) {
	removed := map[string]int{}
	for i, c := range changes {
		if c.How != Removed {
			continue
		}
		r, _ := before.Find(c.Type, c.Name)
		if k := role(r); k != "" {
			removed[k] = i
		}
	}
	for i, c := range changes {
		if c.How != Created {
			continue
		}
		r, _ := head.Find(c.Type, c.Name)
		j, ok := removed[role(r)]
		if role(r) == "" || !ok {
			continue
		}
		changes[i].How, changes[i].Pair = CreatedBeside, changes[j].Name
		changes[j].How, changes[j].Pair = RemovedAfter, c.Name
		delete(removed, role(r))
	}
}

// stateful is the policies' list of types that hold data or take long to rebuild.
func stateful(r plan.Resource) bool { return slices.Contains(types.Stateful, r.Type) }

// replica is a stateful resource that holds a copy of data kept elsewhere: a read replica.
func replica(r plan.Resource) bool {
	switch r.Type {
	case types.DODatabaseReplica:
		return true
	case types.AWSRDSInstance:
		_, ok := r.Get("replicateSourceDb")
		return ok
	case types.K8sStatefulSet:
		return templateLabel(r, spec.RoleLabel) == spec.ReplicaRole
	}
	return false
}

// shrunk reports a DigitalOcean database or cache whose node size goes down, and the sizes.
func shrunk(c Change) (from, to string, ok bool) {
	if (c.Type != types.DODatabaseCluster && c.Type != types.DODatabaseReplica) || c.How != InPlace {
		return "", "", false
	}
	for _, p := range c.Properties {
		if p.Path == "size" && p.Old != nil && p.New != nil && Shrinks(*p.Old, *p.New) {
			return *p.Old, *p.New, true
		}
	}
	return "", "", false
}

// Shrunk are the DigitalOcean databases, replicas and caches the change would shrink, with
// their sizes before, by plan key: what scalestack upgrade keeps.
func (d Diff) Shrunk() map[string]string {
	out := map[string]string{}
	for _, c := range d.Changes {
		if from, _, ok := shrunk(c); ok {
			out[c.Type+"::"+c.Name] = from
		}
	}
	return out
}

// holdsConnections is a workload whose pods hold long-lived client connections: the app's
// processes capped at a number of connections (MAX_CONNECTIONS, the WebSocket server's).
func holdsConnections(w plan.Resource) bool {
	for _, c := range w.ListAt("spec.template.spec.containers") {
		env, _ := c.(map[string]any)["env"].([]any)
		for _, e := range env {
			if m, _ := e.(map[string]any); m["name"] == spec.MaxConnectionsSetting {
				return true
			}
		}
	}
	return false
}

// templateLabel is a label of a workload's pods.
func templateLabel(r plan.Resource, key string) string {
	v, _ := r.MapAt("spec.template.metadata.labels")[key].(string)
	return v
}

// refusal says why a change must not happen, or "".
func refusal(c Change, before plan.Plan) string {
	if !c.Stateful {
		return ""
	}
	switch c.How {
	case Replaced:
		var forcing []string
		for _, p := range c.Properties {
			if p.ForcesReplacement {
				forcing = append(forcing, fmt.Sprintf("%s %s -> %s", p.Path, text(p.Old), text(p.New)))
			}
		}
		why := "an input that cannot change in place"
		if len(forcing) > 0 {
			why = strings.Join(forcing, ", ")
		}
		return "would be replaced (" + why + "): a new, empty one, and the old one deleted"
	case Removed, RemovedAfter:
		r, _ := before.Find(c.Type, c.Name)
		if replica(r) {
			return ""
		}
		return "would be deleted, with its data"
	}
	return ""
}

func text(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

// rolls are the workloads whose pods the change replaces.
func rolls(changes []Change, head plan.Plan) []Roll {
	out := []Roll{}
	for _, c := range changes {
		if !slices.Contains(workloadTypes, c.Type) && c.Type != types.HelmRelease {
			continue
		}
		r, ok := head.Find(c.Type, c.Name)
		if !ok {
			continue
		}
		var why []string
		switch c.How {
		case Replaced:
			why = append(why, "the workload is replaced")
		case InPlace:
			why = reasons(c, r)
		}
		if len(why) == 0 {
			continue
		}
		ns, name := r.StringAt("metadata.namespace"), r.StringAt("metadata.name")
		if c.Type == types.HelmRelease {
			ns, name = r.StringAt("namespace"), r.StringAt("name")
		}
		out = append(out, Roll{Type: c.Type, Name: c.Name, Workload: ns + "/" + name,
			Process: templateLabel(r, spec.ProcessLabel), Why: why})
	}
	return out
}

// reasons say, in words, which changes of a workload's inputs replace its pods.
func reasons(c Change, r plan.Resource) []string {
	var why []string
	add := func(s string) {
		if !slices.Contains(why, s) {
			why = append(why, s)
		}
	}
	if c.Type == types.HelmRelease {
		var values []string
		for _, p := range c.Properties {
			if v, ok := strings.CutPrefix(p.Path, "values."); ok {
				values = append(values, v)
			}
		}
		if len(values) > 0 {
			add("the chart's values change (" + strings.Join(values, ", ") + "): the pods whose templates they set roll")
		}
		return why
	}
	var env []string
	for _, p := range c.Properties {
		rest, ok := strings.CutPrefix(p.Path, "spec.template.")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "metadata.annotations."+spec.ConfigAnnotationPrefix):
			key := strings.TrimPrefix(rest, "metadata.annotations."+spec.ConfigAnnotationPrefix)
			switch {
			case p.Old == nil:
				add(key + " is new to its configuration")
			case p.New == nil:
				add(key + " leaves its configuration")
			default:
				add(key + " changes in the app's configuration")
			}
		case strings.Contains(rest, ".resources."):
			add("its pods' size changes (requests and limits)")
		case strings.HasPrefix(rest, "spec.nodeSelector."):
			add("it moves to the " + text(p.New) + " pool")
		case strings.HasSuffix(rest, ".image"):
			add("its image changes to " + text(p.New))
		case envVar.MatchString(rest):
			env = append(env, envName(r, rest))
		default:
			add("its pod template changes (" + rest + ")")
		}
	}
	if len(env) > 0 {
		slices.Sort(env)
		add("its environment changes (" + strings.Join(slices.Compact(env), ", ") + ")")
	}
	return why
}

var envVar = regexp.MustCompile(`^spec\.(initContainers|containers)\.(\d+)\.env\.(\d+)\.`)

// envName is the name of the environment variable at a pod-template path, as the head has it.
func envName(r plan.Resource, rest string) string {
	m := envVar.FindStringSubmatch(rest)
	name := r.StringAt(fmt.Sprintf("spec.template.spec.%s.%s.env.%s.name", m[1], m[2], m[3]))
	if name == "" {
		return strings.TrimSuffix(m[0], ".")
	}
	return name
}

// drops are the open connections the change closes.
func drops(changes []Change, rs []Roll, head plan.Plan, ds []Disruption) []Drop {
	out := []Drop{}
	for _, r := range rs {
		w, _ := head.Find(r.Type, r.Name)
		switch {
		case holdsConnections(w):
			preStop, _ := w.NumberAt("spec.template.spec.containers.0.lifecycle.preStop.sleep.seconds")
			grace, _ := w.NumberAt("spec.template.spec.terminationGracePeriodSeconds")
			out = append(out, Drop{What: "open connections to " + r.Workload,
				Why: fmt.Sprintf("its pods roll (%s), new pods Ready before old ones stop: an old pod serves on for %s s while the load balancer takes it out, then closes its connections within %s s; clients reconnect to the new pods",
					strings.Join(r.Why, "; "), num(preStop), num(grace-preStop))})
		case r.Process == spec.PoolerProcess:
			out = append(out, Drop{What: "the app's database connections through " + r.Workload,
				Why: "the pooler's pods roll (" + strings.Join(r.Why, "; ") + "): each old pod's clients lose their connections as it stops, and reconnect to the new pods through the same Service"})
		}
	}
	byKey := map[string][]string{}
	for _, r := range rs {
		for _, why := range r.Why {
			for _, key := range spec.EndpointSettings {
				if strings.HasPrefix(why, key+" ") && r.Process != "" {
					byKey[key] = append(byKey[key], r.Process)
				}
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		out = append(out, Drop{What: "the " + strings.Join(byKey[key], ", ") + " pods' connections through " + key,
			Why: key + " changes: each new pod connects to the new endpoint and each old pod's connections close as it stops; the old endpoint stays until the update ends"})
	}
	for _, c := range changes {
		if c.How != InPlace {
			continue
		}
		for _, d := range ds {
			if d.Type != c.Type {
				continue
			}
			if slices.ContainsFunc(c.Properties, func(p Property) bool { return slices.Contains(d.Paths, p.Path) }) {
				out = append(out, Drop{What: d.What, Why: d.Why + " (" + d.Source + ")", Resource: c.Name})
			}
		}
	}
	return out
}

func num(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", f), "0"), ".")
}
