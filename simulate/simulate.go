// Package simulate steps a stack through a curve of concurrent users, second by second, as
// Kubernetes would scale it: each autoscaler as the HPA controller runs it (its sync period and
// tolerance, the plan's behavior policies and stabilization windows, KEDA's polling), new pods
// scheduled on nodes with room and Ready after their image pull, start and readiness probe, the
// node autoscaler adding nodes up to the pools' maximums after its provisioning time, and what
// does not scale (load balancers, the database, the cache) fixed. The load per user and per pod
// are the capacity model's (capacity.DynamicsOf), read from the stack's own plan. Pure: no SDK.
package simulate

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// Assumptions are the figures beyond the plan, each with its source.
type Assumptions struct {
	HPASyncSeconds     capacity.Figure `yaml:"hpaSyncSeconds" json:"hpaSyncSeconds"`
	HPATolerance       capacity.Figure `yaml:"hpaTolerance" json:"hpaTolerance"`
	KEDAPollingSeconds capacity.Figure `yaml:"kedaPollingSeconds" json:"kedaPollingSeconds"`
	// MetricsResolutionSeconds is metrics-server's scrape interval: the CPU the HPA reads is
	// the last scrape's. FigureScrapes is the scrapes of a Ready pod from which the HPA counts
	// its CPU. MetricsOffsetSeconds is when metrics-server scrapes, after each of the HPA's syncs.
	MetricsResolutionSeconds capacity.Figure            `yaml:"metricsResolutionSeconds" json:"metricsResolutionSeconds"`
	MetricsOffsetSeconds     capacity.Figure            `yaml:"metricsOffsetSeconds" json:"metricsOffsetSeconds"`
	FigureScrapes            capacity.Figure            `yaml:"figureScrapes" json:"figureScrapes"`
	ImagePullSeconds         capacity.Figure            `yaml:"imagePullSeconds" json:"imagePullSeconds"`
	AppStartSeconds          capacity.Figure            `yaml:"appStartSeconds" json:"appStartSeconds"`
	NodeScanSeconds          capacity.Figure            `yaml:"nodeScanSeconds" json:"nodeScanSeconds"`
	KarpenterBatchSeconds    capacity.Figure            `yaml:"karpenterBatchSeconds" json:"karpenterBatchSeconds"`
	NodeProvision            map[string]capacity.Figure `yaml:"nodeProvisionSeconds" json:"nodeProvisionSeconds"`
}

// karpenterKey is nodeProvisionSeconds' entry for a Karpenter NodePool's nodes, beside the
// clouds' own node autoscalers'.
const karpenterKey = "karpenter"

//go:embed assumptions.yaml
var assumptionData string

// Default reads assumptions.yaml.
var Default = sync.OnceValues(func() (Assumptions, error) {
	var a Assumptions
	dec := yaml.NewDecoder(strings.NewReader(assumptionData))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return Assumptions{}, fmt.Errorf("simulate: assumptions.yaml: %w", err)
	}
	if err := a.check(); err != nil {
		return Assumptions{}, fmt.Errorf("simulate: assumptions.yaml: %w", err)
	}
	return a, nil
})

// check says what a set of assumptions lacks or holds out of range.
func (a *Assumptions) check() error {
	figs := a.figures()
	var errs []error
	for _, name := range slices.Sorted(mapsKeys(figs)) {
		if f := figs[name]; f.Source == "" || f.Value < 0 || math.IsNaN(f.Value) {
			errs = append(errs, fmt.Errorf("%s: a value of 0 or more and its source are required", name))
		}
	}
	for _, cloud := range slices.Sorted(mapsKeys(a.NodeProvision)) {
		if f := a.NodeProvision[cloud]; f.Source == "" || f.Value < 0 || math.IsNaN(f.Value) {
			errs = append(errs, fmt.Errorf("nodeProvisionSeconds.%s: a value of 0 or more and its source are required", cloud))
		}
	}
	if a.HPASyncSeconds.Value < 1 || a.NodeScanSeconds.Value < 1 {
		errs = append(errs, fmt.Errorf("hpaSyncSeconds and nodeScanSeconds must be 1 or more"))
	}
	if f := a.FigureScrapes.Value; f < 1 || f > 10 || f != math.Trunc(f) {
		errs = append(errs, fmt.Errorf("figureScrapes: %v (want a whole number from 1 to 10)", f))
	}
	if r, o := a.MetricsResolutionSeconds.Value, a.MetricsOffsetSeconds.Value; r > 0 && o >= r {
		errs = append(errs, fmt.Errorf("metricsOffsetSeconds: %v (want less than metricsResolutionSeconds, %v)", o, r))
	}
	if a.HPATolerance.Value >= 1 {
		errs = append(errs, fmt.Errorf("hpaTolerance: %v (want a share below 1)", a.HPATolerance.Value))
	}
	return errors.Join(errs...)
}

// Options say what to simulate.
type Options struct {
	Cloud spec.Cloud
	Tier  string
	Curve Curve
	// StepSeconds is the simulation's step; 1 by default.
	StepSeconds float64
	// RowSeconds is how often the timeline records a row; 60 by default.
	RowSeconds float64
	// Prescaled starts every process at the pods the curve's peak needs (within its maximum)
	// and every pool at the nodes for them, as a launch window that began early enough would.
	Prescaled bool
}

// Row is the stack at one moment.
type Row struct {
	Second float64 `json:"second"`
	Users  float64 `json:"users"`
	// Processes are, by process: the pods the load needs at their autoscaler's target, the
	// autoscaler's replicas, and the pods Ready.
	Processes map[string]Pods `json:"processes"`
	// Nodes are the pools' nodes taking pods.
	Nodes map[string]int `json:"nodes"`
}

// Pods of a process at a moment.
type Pods struct {
	Needed   int `json:"needed"`
	Replicas int `json:"replicas"`
	Ready    int `json:"ready"`
	Pending  int `json:"pending"`
}

// Short is a part that ran short of its load.
type Short struct {
	Part string `json:"part"`
	// First is the second it first ran short, Seconds how long it was short in all, over
	// Stretches separate stretches, the longest Longest seconds.
	First     float64 `json:"firstSecond"`
	Seconds   float64 `json:"seconds"`
	Stretches int     `json:"stretches"`
	Longest   float64 `json:"longestSeconds"`
	// run is the stretch under way, and last the step it was last short at.
	run, last float64
	// Refused estimates what it could not serve: requests over the time (its unit times
	// seconds), the most sockets at once, or for a queue the most jobs waiting at once (unit
	// "jobs queued"; they wait, they are not lost).
	Refused float64 `json:"refused"`
	Unit    string  `json:"unit"`
	Note    string  `json:"note,omitempty"`
}

// Hold is what to run from the start to carry the curve's peak without waiting for autoscaling.
type Hold struct {
	Name string `json:"name"`
	// Size is a pool's node size.
	Size string `json:"size,omitempty"`
	Min  int    `json:"min"`
	// Now is what the tier starts with.
	Now int `json:"now"`
	// Capped is true where the peak needs more than the tier's maximum: no minimum carries it.
	Capped bool `json:"capped,omitempty"`
}

// Result is a simulation.
type Result struct {
	Cloud       string  `json:"cloud"`
	Tier        string  `json:"tier"`
	Curve       Curve   `json:"curve"`
	StepSeconds float64 `json:"stepSeconds"`
	Timeline    []Row   `json:"timeline"`
	Shorts      []Short `json:"shorts"`
	Pods        []Hold  `json:"prescalePods"`
	Nodes       []Hold  `json:"prescaleNodes"`
	// Prescaled is true where the run started at those; LeadSeconds is how long before the
	// spike a window must begin for its nodes and then its pods to be up: the slowest pool's
	// provisioning, then a pod's pull, start and probe.
	Prescaled   bool        `json:"prescaled"`
	LeadSeconds float64     `json:"leadSeconds"`
	Assumptions Assumptions `json:"assumptions"`
}

// behavior is an autoscaler's scaling policies, as the plan sets them (Kubernetes' defaults
// where it sets none).
type behavior struct {
	upWindow, downWindow float64
	up, down             []policy
	// upSelect and downSelect are the policies' selectPolicy: Max (the default), Min or
	// Disabled.
	upSelect, downSelect string
}

type policy struct {
	percent bool
	value   float64
	period  float64
}

// kubernetesDefault is the HPA's behavior where a spec sets none (autoscaling/v2's documented
// default).
var kubernetesDefault = behavior{
	downWindow: 300,
	up:         []policy{{percent: true, value: 100, period: 15}, {value: 4, period: 15}},
	down:       []policy{{percent: true, value: 100, period: 15}},
}

func behaviorOf(m map[string]any) behavior {
	if m == nil {
		return kubernetesDefault
	}
	b := kubernetesDefault
	read := func(side map[string]any, window float64) (float64, []policy, string, bool) {
		if side == nil {
			return 0, nil, "", false
		}
		w, ok := side["stabilizationWindowSeconds"].(float64)
		if !ok {
			w = window // the side's default
		}
		var ps []policy
		for _, x := range asList(side["policies"]) {
			pm, _ := x.(map[string]any)
			v, _ := pm["value"].(float64)
			per, _ := pm["periodSeconds"].(float64)
			if per <= 0 {
				continue
			}
			ps = append(ps, policy{percent: pm["type"] == "Percent", value: v, period: per})
		}
		sel, _ := side["selectPolicy"].(string)
		return w, ps, sel, true
	}
	if w, ps, sel, ok := read(asMap(m["scaleUp"]), kubernetesDefault.upWindow); ok {
		b.upWindow, b.upSelect = w, sel
		if len(ps) > 0 {
			b.up = ps
		}
	}
	if w, ps, sel, ok := read(asMap(m["scaleDown"]), kubernetesDefault.downWindow); ok {
		b.downWindow, b.downSelect = w, sel
		if len(ps) > 0 {
			b.down = ps
		}
	}
	return b
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }

// scaler is a process being simulated.
type scaler struct {
	capacity.Scaler
	b        behavior
	initial  int     // the replicas at the start
	sync     float64 // the metric's refresh: the HPA's sync, or KEDA's polling
	readyIn  float64 // seconds from scheduled to Ready
	replicas int
	pods     []pod
	// history are the replica counts at past syncs, for the policies' periods; recs the
	// recommendations, for the stabilization windows.
	history, recs []sample
	metric        float64 // the load an external metric's autoscaler last read
	// backlog is a queue-scaled process's jobs waiting (its Redis list's length): what arrives
	// beyond what its Ready pods take; wait the longest a job has waited at a step, in seconds.
	backlog, wait float64
	// perPodUse is a CPU-scaled process's usage per Ready pod at metrics-server's last scrape,
	// in the load's unit, capped at the CPU limit; limitLoad is that cap.
	perPodUse, limitLoad float64
	// figureAfter is the scrapes of a Ready pod from which the HPA counts its CPU.
	figureAfter int
	short       *Short
}

type pod struct {
	scheduled bool
	readyAt   float64
	pool      string
	// scrapes counts metrics-server's scrapes since the pod turned Ready: from figureScrapes, it
	// has a CPU figure the HPA counts.
	scrapes int
}

type sample struct {
	at float64
	n  int
}

// tick counts a step short at t: a new stretch when the step before was not.
func (sh *Short) tick(t, step float64) {
	if sh.Stretches == 0 || t-sh.last > step*1.5 {
		sh.Stretches++
		sh.run = 0
	}
	sh.Seconds += step
	sh.run += step
	sh.Longest = math.Max(sh.Longest, sh.run)
	sh.last = t
}

type pool struct {
	capacity.NodeShape
	ready       int
	provisioned []float64 // seconds at which requested nodes take pods
	// provision is a new node's time to take pods, and scan the node autoscaler's time between
	// looks at pending pods (Cluster Autoscaler's scan, Karpenter's batch).
	provision, scan float64
	short           *Short
}

// Run simulates a stack's plan under a curve of users.
func Run(p plan.Plan, m capacity.Model, a Assumptions, o Options) (Result, error) {
	if len(o.Curve.Points) < 2 {
		return Result{}, fmt.Errorf("simulate: the curve needs 2 points or more")
	}
	step, row := o.StepSeconds, o.RowSeconds
	if step == 0 {
		step = 1
	}
	if row == 0 {
		row = 60
	}
	if step <= 0 || step > 60 || math.IsNaN(step) || row < step || math.IsNaN(row) {
		return Result{}, fmt.Errorf("simulate: step %v s and row %v s (want a step from 0 to 60 s, and rows no closer than a step)", step, row)
	}
	peak := int(math.Ceil(math.Max(o.Curve.Peak(), 1)))
	dyn, err := capacity.DynamicsOf(p, m, capacity.Options{Cloud: o.Cloud, Tier: o.Tier, Users: min(peak, capacity.MaxUsers)})
	if err != nil {
		return Result{}, err
	}
	prov, ok := a.NodeProvision[string(o.Cloud)]
	if !ok {
		return Result{}, fmt.Errorf("simulate: assumptions: nodeProvisionSeconds has no %s (want one per cloud)", o.Cloud)
	}
	res := Result{Cloud: string(o.Cloud), Tier: o.Tier, Curve: o.Curve, StepSeconds: step, Timeline: []Row{}, Shorts: []Short{}, Pods: []Hold{}, Nodes: []Hold{}, Assumptions: a}

	pools := map[string]*pool{}
	var poolNames []string
	karpenter, ok := a.NodeProvision[karpenterKey]
	if !ok {
		return Result{}, fmt.Errorf("simulate: assumptions: nodeProvisionSeconds has no %s (want one per cloud, and karpenter)", karpenterKey)
	}
	longest := prov.Value
	for _, ps := range dyn.Pools {
		pl := &pool{NodeShape: ps, ready: ps.Min, provision: prov.Value, scan: a.NodeScanSeconds.Value}
		if ps.Karpenter {
			pl.provision, pl.scan = karpenter.Value, a.KarpenterBatchSeconds.Value
			longest = math.Max(longest, pl.provision)
		}
		pools[ps.Name] = pl
		poolNames = append(poolNames, ps.Name)
	}
	var ss []*scaler
	for _, sc := range dyn.Scalers {
		s := &scaler{Scaler: sc, replicas: sc.Min, initial: sc.Min, sync: a.HPASyncSeconds.Value, figureAfter: int(a.FigureScrapes.Value)}
		s.b, s.sync = autoscalerOf(p, sc, a)
		s.readyIn = a.ImagePullSeconds.Value + a.AppStartSeconds.Value + readinessPeriod(p, sc.Name)
		if sc.CPULimit > 0 && sc.CPU > 0 {
			// The kernel holds a pod's CPU at its limit: what the HPA can see of the load.
			s.limitLoad = sc.Saturated * sc.CPULimit / sc.CPU
		}
		ss = append(ss, s)
	}
	holds := podHolds(ss, o.Curve.Peak())
	lead := 0.0
	for _, s := range ss {
		n := s.Min
		if o.Prescaled {
			// The window's cron trigger holds its pods as a minimum until it ends.
			n = holdOf(holds, s.Name, s.Min)
			s.Min = n
		}
		s.replicas, s.initial = n, n
		for range n {
			s.pods = append(s.pods, pod{scheduled: true, readyAt: 0, pool: s.Pool, scrapes: s.figureAfter})
		}
		lead = math.Max(lead, s.readyIn+s.sync)
	}
	for _, name := range poolNames {
		pl := pools[name]
		n, _ := nodesFor(pl, holds, ss)
		if o.Prescaled {
			pl.ready = n
		}
		if n > pl.Min {
			lead = math.Max(lead, a.HPASyncSeconds.Value+pl.scan+pl.provision+maxReadyIn(ss))
		}
	}
	res.Prescaled, res.LeadSeconds = o.Prescaled, lead
	end := o.Curve.End()
	if end > MaxSeconds {
		return Result{}, fmt.Errorf("simulate: the curve is %v s long (want at most %d)", end, MaxSeconds)
	}
	fixed := loop(&res, ss, pools, poolNames, dyn.Fixed, o.Curve, a, step, row, longest)
	for _, s := range ss {
		if s.short != nil {
			res.Shorts = append(res.Shorts, *s.short)
		}
	}
	res.Pods = holds
	for _, name := range poolNames {
		pl := pools[name]
		if pl.short != nil {
			res.Shorts = append(res.Shorts, *pl.short)
		}
		n, capped := nodesFor(pl, res.Pods, ss)
		res.Nodes = append(res.Nodes, Hold{Name: name, Size: pl.Size, Min: n, Now: pl.Min, Capped: capped})
	}
	for _, k := range slices.Sorted(mapsKeys(fixed)) {
		res.Shorts = append(res.Shorts, *fixed[k])
	}
	return res, nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// step1 runs the simulation's loop: every step, the users, each autoscaler's read and
// evaluation, the pods' scheduling and readiness, the node autoscaler, and what runs short.
func loop(res *Result, ss []*scaler, pools map[string]*pool, poolNames []string, fixedParts []capacity.Fixed, curve Curve, a Assumptions, step, row, provision float64) map[string]*Short {
	fixed := map[string]*Short{}
	end := curve.End()
	// After the curve's last point, the stack settles: long enough for the slowest node.
	horizon := end + math.Max(600, provision+300)
	nextRow := 0.0
	for t := 0.0; t <= horizon; t += step {
		users := curve.At(t)
		for _, s := range ss {
			load := users * s.PerUser
			ready := 0
			for _, pd := range s.pods {
				if pd.scheduled && pd.readyAt <= t {
					ready++
				}
			}
			if s.ScaledOn != "fixed" && s.Autoscaler != "" {
				if s.ScaledOn == "cpu" {
					s.scrape(t, step, load, ready, a.MetricsResolutionSeconds.Value, a.MetricsOffsetSeconds.Value)
				} else if math.Mod(t, s.sync) < step {
					s.metric = load
					if s.ScaledOn == "queue" {
						s.metric = s.backlog // KEDA's redis scaler reads the list's length
					}
				}
				if math.Mod(t, a.HPASyncSeconds.Value) < step {
					s.scale(t, s.recommend(t, a.HPATolerance.Value))
				}
			}
			// The pods the autoscaler asks for, or fewer: newest go first.
			for len(s.pods) < s.replicas {
				s.pods = append(s.pods, pod{pool: s.Pool})
			}
			if len(s.pods) > s.replicas {
				s.pods = s.pods[:s.replicas]
			}
			served := float64(ready) * s.Saturated
			if s.ScaledOn == "queue" {
				s.queue(t, step, load, served)
				continue
			}
			if load > served+1e-9 {
				if s.short == nil {
					s.short = &Short{Part: s.Name, First: t, Unit: s.Unit}
				}
				s.short.tick(t, step)
				if s.Gauge {
					s.short.Refused = math.Max(s.short.Refused, load-served)
				} else {
					s.short.Refused += (load - served) * step
				}
			}
		}
		schedule(ss, pools, t, step)
		for _, f := range fixedParts {
			if f.Users != nil && users > float64(*f.Users) {
				sh := fixed[f.Kind]
				if sh == nil {
					sh = &Short{Part: f.Kind, First: t, Unit: "users", Note: f.Name + " does not grow during a spike"}
					fixed[f.Kind] = sh
				}
				sh.tick(t, step)
				sh.Refused = math.Max(sh.Refused, users-float64(*f.Users))
			}
		}
		if t >= nextRow {
			res.Timeline = append(res.Timeline, snapshot(t, users, ss, pools, poolNames))
			nextRow += row
		}
	}
	return fixed
}

// queue steps a queue-scaled process's backlog: the jobs that arrive beyond what its Ready pods
// take wait in the list, and the pods take the list down at their whole rate. The process runs
// short while jobs wait; the report gives the most that waited and the longest wait.
func (s *scaler) queue(t, step, load, served float64) {
	s.backlog = math.Max(0, s.backlog+(load-served)*step)
	if s.backlog <= 1e-9 {
		s.backlog = 0
		return
	}
	if s.short == nil {
		s.short = &Short{Part: s.Name, First: t, Unit: "jobs queued"}
	}
	s.short.tick(t, step)
	s.short.Refused = math.Max(s.short.Refused, s.backlog)
	if served > 0 {
		s.wait = math.Max(s.wait, s.backlog/served)
		s.short.Note = "jobs wait in the queue, the longest about " + span(math.Ceil(s.wait))
	} else {
		s.short.Note = "jobs wait in the queue, with no worker Ready to take them"
	}
}

// podHolds are the pods each scaling process needs at the peak, within its maximum.
func podHolds(ss []*scaler, peak float64) []Hold {
	out := []Hold{}
	for _, s := range ss {
		if s.ScaledOn == "fixed" || s.PerPod <= 0 {
			continue
		}
		need := math.Ceil(peak * s.PerUser / s.PerPod)
		out = append(out, Hold{Name: s.Name, Min: max(int(math.Min(need, float64(s.Max))), s.Min), Now: s.Min, Capped: need > float64(s.Max)})
	}
	return out
}

func holdOf(hs []Hold, name string, def int) int {
	for _, h := range hs {
		if h.Name == name {
			return h.Min
		}
	}
	return def
}

func maxReadyIn(ss []*scaler) float64 {
	m := 0.0
	for _, s := range ss {
		m = math.Max(m, s.readyIn)
	}
	return m
}

// scrape is metrics-server's look at a CPU-scaled process, every resolution seconds from offset:
// the load spread over the Ready pods, each capped at its CPU limit, and one more scrape for
// each Ready pod. A resolution of 0 reads the load as it is, every Ready pod with a figure.
func (s *scaler) scrape(t, step, load float64, ready int, resolution, offset float64) {
	if resolution > 0 && math.Mod(t-offset+resolution, resolution) >= step {
		return
	}
	s.perPodUse = 0
	if ready > 0 {
		s.perPodUse = load / float64(ready)
		if s.limitLoad > 0 {
			s.perPodUse = math.Min(s.perPodUse, s.limitLoad)
		}
	}
	for i := range s.pods {
		if pd := &s.pods[i]; pd.scheduled && pd.readyAt <= t {
			pd.scrapes++
			if resolution == 0 {
				pd.scrapes = max(pd.scrapes, s.figureAfter)
			}
		}
	}
}

// recommend is the HPA controller's replica count for the autoscaler's metric, before its
// behavior: for CPU, the resource metric's algorithm over the pods with a figure, with pods
// still without one counted at the target on the way down and as using nothing on the way up
// (unready pods too, on the way up), holding within the tolerance and where counting them
// reverses the direction; for an external metric averaged per pod (KEDA's), the total over
// the target, against the pods the scale has.
func (s *scaler) recommend(t, tolerance float64) int {
	current := s.replicas
	if s.PerPod <= 0 {
		return current
	}
	within := func(r float64) bool { return math.Abs(r-1) <= tolerance }
	if s.ScaledOn != "cpu" {
		status := len(s.pods)
		if status == 0 {
			return current
		}
		target := s.PerPod
		if s.ScaledOn == "queue" {
			target = s.QueueLength // the jobs waiting per pod, not the jobs a pod takes
		}
		if target <= 0 {
			return current
		}
		if within(s.metric / (float64(status) * target)) {
			return status
		}
		return int(math.Ceil(s.metric / target))
	}
	figures, missing := 0, 0
	for _, pd := range s.pods {
		switch {
		case pd.scheduled && pd.scrapes >= s.figureAfter:
			figures++
		case pd.scheduled && pd.readyAt <= t:
			missing++ // Ready, no rate yet
		}
	}
	unready := len(s.pods) - figures - missing
	if figures == 0 {
		return current // no figure for any Ready pod: the controller does not act
	}
	ratio := s.perPodUse / s.PerPod
	if missing == 0 && unready == 0 {
		if within(ratio) {
			return current
		}
		return int(math.Ceil(ratio * float64(figures)))
	}
	sum, n := ratio*float64(figures), float64(figures)
	if missing > 0 {
		if ratio < 1 {
			sum += float64(missing)
		}
		n += float64(missing)
	}
	if ratio > 1 && unready > 0 {
		n += float64(unready)
	}
	again := sum / n
	if within(again) || ratio < 1 && again > 1 || ratio > 1 && again < 1 {
		return current
	}
	desired := int(math.Ceil(again * n))
	if again < 1 && desired > current || again > 1 && desired < current {
		return current
	}
	return desired
}

// scale is one evaluation of the autoscaler from the metric's recommendation: the behavior's
// stabilization windows and policies, then the bounds.
func (s *scaler) scale(t float64, desired int) {
	current := s.replicas
	s.recs = append(s.recs, sample{t, desired})
	// Stabilization: scaling up takes the lowest recommendation of its window, down the highest.
	lo, hi := desired, desired
	for _, r := range s.recs {
		// The controller keeps the recommendations after the window's cutoff, not at it.
		if t-r.at < s.b.upWindow || r.at == t {
			lo = min(lo, r.n)
		}
		if t-r.at < s.b.downWindow || r.at == t {
			hi = max(hi, r.n)
		}
	}
	s.recs = slices.DeleteFunc(s.recs, func(r sample) bool { return t-r.at > math.Max(s.b.upWindow, s.b.downWindow) })
	switch {
	case desired > current:
		desired = min(lo, current+s.allowed(t, current, true))
		desired = max(desired, current)
	case desired < current:
		desired = max(hi, current-s.allowed(t, current, false))
		desired = min(desired, current)
	}
	desired = min(max(desired, s.Min), s.Max)
	s.history = append(s.history, sample{t, desired})
	s.replicas = desired
}

// allowed is how many pods the behavior's policies let the autoscaler add (or remove) now: each
// policy's change over its period, from the replicas at the period's start; the most of them
// (the least where the policies say Min).
func (s *scaler) allowed(t float64, current int, up bool) int {
	ps, sel := s.b.down, s.b.downSelect
	if up {
		ps, sel = s.b.up, s.b.upSelect
	}
	if sel == "Disabled" {
		return 0
	}
	best := -1
	for _, p := range ps {
		start := s.at(t - p.period)
		limit := p.value
		if p.percent {
			limit = math.Ceil(float64(start) * p.value / 100)
		}
		room := current - (start - int(limit))
		if up {
			room = start + int(limit) - current
		}
		room = max(room, 0)
		// Max (the default) takes the policy that allows the most change, Min the least.
		if best < 0 || sel != "Min" && room > best || sel == "Min" && room < best {
			best = room
		}
	}
	return max(best, 0)
}

// at is the replicas the autoscaler had set at a moment: the last evaluation at or before it,
// the replicas the simulation started with before the first.
func (s *scaler) at(when float64) int {
	n := s.initial
	for _, h := range s.history {
		if h.at > when {
			break
		}
		n = h.n
	}
	return n
}

// autoscalerOf is a process's autoscaler's behavior and how often its metric is read.
func autoscalerOf(p plan.Plan, sc capacity.Scaler, a Assumptions) (behavior, float64) {
	for _, r := range p.OfType(types.KEDAScaledObject) {
		if r.StringAt("spec.scaleTargetRef.name") != sc.Name {
			continue
		}
		// KEDA's metrics server reads the triggers on each of the HPA's requests; its polling
		// interval paces the metric only for a trigger with useCachedMetrics (and scaling from
		// zero, which no preset does).
		fresh := a.HPASyncSeconds.Value
		for _, tr := range r.ListAt("spec.triggers") {
			if m, _ := tr.(map[string]any); m["useCachedMetrics"] == true {
				poll, ok := r.NumberAt("spec.pollingInterval")
				if !ok || poll <= 0 {
					poll = a.KEDAPollingSeconds.Value
				}
				fresh = math.Max(fresh, poll)
			}
		}
		return behaviorOf(r.MapAt("spec.advanced.horizontalPodAutoscalerConfig.behavior")), fresh
	}
	for _, r := range p.OfType(types.K8sHorizontalPodAutoscaler) {
		if r.StringAt("metadata.name") == sc.Autoscaler {
			return behaviorOf(r.MapAt("spec.behavior")), a.HPASyncSeconds.Value
		}
	}
	// A chart's own HPA (ingress-nginx's) takes its behavior from the release's values.
	for _, r := range p.OfType(types.HelmRelease) {
		if sc.Autoscaler != "" && r.StringAt("name") != "" && strings.HasPrefix(sc.Autoscaler, r.StringAt("name")) {
			if b := r.MapAt("values.controller.autoscaling.behavior"); b != nil {
				return behaviorOf(b), a.HPASyncSeconds.Value
			}
		}
	}
	return kubernetesDefault, a.HPASyncSeconds.Value
}

// readinessPeriod is the first readiness check's wait for a process's pods: its startup probe's
// period where it has one, else its readiness probe's.
func readinessPeriod(p plan.Plan, name string) float64 {
	for _, r := range p.OfType(types.K8sDeployment) {
		if r.StringAt("metadata.name") != name {
			continue
		}
		for _, probe := range []string{"startupProbe", "readinessProbe"} {
			if v, ok := r.NumberAt("spec.template.spec.containers.0." + probe + ".periodSeconds"); ok {
				return v
			}
		}
	}
	return 0
}

// schedule places pending pods on nodes with room, and has the node autoscaler add nodes for
// those left pending.
func schedule(ss []*scaler, pools map[string]*pool, t, step float64) {
	for _, pl := range pools {
		for len(pl.provisioned) > 0 && pl.provisioned[0] <= t {
			pl.ready++
			pl.provisioned = pl.provisioned[1:]
		}
	}
	pending := map[string][]*pod{}
	used := map[string][2]float64{}
	count := map[string]float64{}
	for _, s := range ss {
		for i := range s.pods {
			pd := &s.pods[i]
			if pd.scheduled {
				u := used[pd.pool]
				used[pd.pool] = [2]float64{u[0] + s.CPU, u[1] + s.Memory}
				count[pd.pool]++
			}
		}
	}
	for _, s := range ss {
		for i := range s.pods {
			pd := &s.pods[i]
			if pd.scheduled {
				continue
			}
			pl := pools[pd.pool]
			u := used[pd.pool]
			if pl == nil || pl.Unsized || fits(pl, u, count[pd.pool], s) {
				pd.scheduled, pd.readyAt = true, t+s.readyIn
				used[pd.pool] = [2]float64{u[0] + s.CPU, u[1] + s.Memory}
				count[pd.pool]++
				continue
			}
			pending[pd.pool] = append(pending[pd.pool], pd)
			if pl.short == nil {
				pl.short = &Short{Part: "pool/" + pl.Name, First: t, Unit: "pods pending", Note: "pods wait for a node"}
			}
		}
	}
	for name, pl := range pools {
		if len(pending[name]) == 0 || pl.short == nil {
			continue
		}
		pl.short.tick(t, step)
		pl.short.Refused = math.Max(pl.short.Refused, float64(len(pending[name])))
		if pl.scan > 0 && math.Mod(t, pl.scan) >= step || pl.Max <= pl.ready+len(pl.provisioned) || pl.Max == pl.Min {
			continue
		}
		// Enough nodes for what waits, by the requests of a pending pod of each process.
		var cpu, mem float64
		for _, s := range ss {
			for i := range s.pods {
				if !s.pods[i].scheduled && s.pods[i].pool == name {
					cpu += s.CPU
					mem += s.Memory
				}
			}
		}
		want := int(math.Ceil(math.Max(cpu/math.Max(pl.CPU, 1), mem/math.Max(pl.Memory, 1))))
		want = max(want-len(pl.provisioned), 0)
		want = min(want, pl.Max-pl.ready-len(pl.provisioned))
		for range want {
			pl.provisioned = append(pl.provisioned, t+pl.provision)
		}
	}
}

func fits(pl *pool, used [2]float64, pods float64, s *scaler) bool {
	n := float64(pl.ready)
	return used[0]+s.CPU <= n*pl.CPU && used[1]+s.Memory <= n*pl.Memory && (pl.Pods <= 0 || pods+1 <= n*pl.Pods)
}

func snapshot(t, users float64, ss []*scaler, pools map[string]*pool, names []string) Row {
	r := Row{Second: t, Users: users, Processes: map[string]Pods{}, Nodes: map[string]int{}}
	for _, s := range ss {
		if s.PerPod <= 0 && s.PerUser <= 0 {
			continue // it takes room, and no load
		}
		p := Pods{Replicas: s.replicas}
		if s.PerPod > 0 {
			p.Needed = int(math.Ceil(users * s.PerUser / s.PerPod))
		}
		for _, pd := range s.pods {
			switch {
			case !pd.scheduled:
				p.Pending++
			case pd.readyAt <= t:
				p.Ready++
			}
		}
		r.Processes[s.Name] = p
	}
	for _, n := range names {
		r.Nodes[n] = pools[n].ready
	}
	return r
}

// nodesFor is the nodes a pool needs for the prescaled pods of its processes, and whether that
// is more than its maximum.
func nodesFor(pl *pool, holds []Hold, ss []*scaler) (int, bool) {
	if pl.Unsized {
		return pl.Min, false
	}
	var cpu, mem, pods float64
	for _, s := range ss {
		if s.Pool != pl.Name {
			continue
		}
		n := float64(holdOf(holds, s.Name, s.Min))
		cpu, mem, pods = cpu+n*s.CPU, mem+n*s.Memory, pods+n
	}
	need := math.Max(cpu/math.Max(pl.CPU, 1), mem/math.Max(pl.Memory, 1))
	if pl.Pods > 0 {
		need = math.Max(need, pods/pl.Pods)
	}
	return min(max(int(math.Ceil(need)), pl.Min), pl.Max), math.Ceil(need) > float64(pl.Max)
}
