package capacity

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// UsersError is a number of users out of range.
type UsersError struct{ Users int }

func (u UsersError) Error() string {
	return fmt.Sprintf("capacity: users: %d is out of range (want 1 to %d)", u.Users, MaxUsers)
}

// Options say what to weigh a plan against.
type Options struct {
	Cloud spec.Cloud
	// Tier names the preset the plan was built from, for the report.
	Tier string
	// Users is the concurrent users to carry (the demand); the tier's users by default.
	Users int
	// BaselineUsers is what the stack at rest must hold, before headroom: the previous tier's
	// users, or the smallest tier's own.
	BaselineUsers int
	// EdgePlan is the Cloudflare plan of a stack with an edge.
	EdgePlan string
}

// MaxUsers is the most users a report is asked about.
const MaxUsers = 1_000_000_000

// maxUsers bounds every search, past the headroom on MaxUsers: a part that still carries this
// many is not a limit.
const maxUsers = 1e11

// Levels of a stack: at rest (every minimum) and at its most (every maximum).
const (
	baseline = iota
	ceiling
)

// Level is a part at one level: its capacity in the part's unit, the users that fills, and the
// headroom over the demand.
type Level struct {
	Capacity float64 `json:"capacity"`
	// Users is how many concurrent users the part carries at this level; absent where the part
	// does not grow with users (edge rules, account limits) or grows by itself.
	Users *int64 `json:"users,omitempty"`
	// Headroom is Users over the users the level answers for: the demand's at the ceiling, the
	// previous tier's at the baseline (or capacity over demand where Users is absent).
	Headroom float64 `json:"headroom"`
	Short    bool    `json:"short"`
	// Unbounded parts carry any number of users at this level (their need stops growing).
	Unbounded bool `json:"unbounded,omitempty"`
}

// Part is one part of the platform weighed against the demand.
type Part struct {
	// Kind is the part's stable identifier (api, websocket, pool/app, database-cpu, ...).
	Kind string `json:"kind"`
	Name string `json:"name"`
	Unit string `json:"unit"`
	// Demand is what the users ask of this part, in Unit.
	Demand float64 `json:"demand"`
	// Pods is the pods a process needs for the demand (processes only).
	Pods     int   `json:"pods,omitempty"`
	Baseline Level `json:"baseline"`
	Ceiling  Level `json:"ceiling"`
	// Elastic parts grow by themselves (an AWS NLB): never a bottleneck.
	Elastic bool `json:"elastic,omitempty"`
	// Advisory parts (account limits) are reported, not counted against the preset.
	Advisory bool   `json:"advisory,omitempty"`
	Note     string `json:"note,omitempty"`
	// Fix says what to change when the part is short.
	Fix string `json:"fix,omitempty"`
}

// Fit is whether a pool's pods fit its nodes at one level (schedulability).
type Fit struct {
	Pool  string `json:"pool"`
	Level string `json:"level"`
	// Pods, CPU and Memory are the requests placed on the pool (millicores, MiB), daemonsets
	// excluded; Nodes is how many nodes they need, against Have.
	Pods   int     `json:"pods"`
	CPU    float64 `json:"cpuMillicores"`
	Memory float64 `json:"memoryMiB"`
	Nodes  int     `json:"nodesNeeded"`
	Have   int     `json:"nodes"`
	Fits   bool    `json:"fits"`
}

// Load is what the users ask of the platform.
type Load struct {
	Users           int     `json:"users"`
	RequestsPerSec  float64 `json:"requestsPerSec"`
	WebSockets      float64 `json:"webSockets"`
	ReconnectsPerS  float64 `json:"reconnectsPerSec"`
	QueriesPerSec   float64 `json:"queriesPerSec"`
	PoolConnections float64 `json:"poolConnections"`
	CacheMiB        float64 `json:"cacheMiB"`
	JobsPerSec      float64 `json:"jobsPerSec"`
}

// Bottleneck is the part that runs short first at a level.
type Bottleneck struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Users int64  `json:"users"`
}

// Report is a plan weighed against a number of users.
type Report struct {
	Cloud string `json:"cloud"`
	Tier  string `json:"tier"`
	Users int    `json:"users"`
	// Required is the users each level must carry: Ceiling is the headroom times Users,
	// Baseline the headroom times the previous tier's users.
	Required struct {
		Ceiling  int64 `json:"ceiling"`
		Baseline int64 `json:"baseline"`
	} `json:"required"`
	Load  Load   `json:"load"`
	Parts []Part `json:"parts"`
	// Headroom is what the whole stack carries over the users each level answers for: at rest
	// over the previous tier's, at its most over Users.
	Headroom struct {
		Baseline float64 `json:"baseline"`
		Ceiling  float64 `json:"ceiling"`
	} `json:"headroom"`
	// Overrides lists the model's figures and limits that the stack or the run set, with
	// where they were set.
	Overrides []string `json:"overrides"`
	Fits      []Fit    `json:"fits"`
	// Carries is true when no part (advisories aside) is short and every pool fits.
	Carries bool `json:"carries"`
	// CeilingUsers and BaselineUsers are the users the whole stack carries at each level: its
	// first bottleneck's.
	CeilingUsers  int64 `json:"ceilingUsers"`
	BaselineUsers int64 `json:"baselineUsers"`
	Bottleneck    struct {
		Ceiling  *Bottleneck `json:"ceiling,omitempty"`
		Baseline *Bottleneck `json:"baseline,omitempty"`
	} `json:"bottleneck"`
	// Shortfalls name every short part and pool that does not fit; Advisories the account
	// limits the ceiling would pass.
	Shortfalls []string `json:"shortfalls"`
	Advisories []string `json:"advisories"`
	// Floor is the cheapest stack that carries the same, where the command priced one.
	Floor *Floor `json:"floor,omitempty"`
}

// calc is a part before it is weighed: its need as users grow and its capacity per level.
type calc struct {
	kind, name, unit string
	need             func(users float64) float64
	capacity         [2]float64
	// static parts do not grow with users: their need is fixed.
	static, elastic, advisory bool
	pods                      func(users float64) int
	note, fix                 string
}

// Evaluate weighs a stack's plan against a number of users.
func Evaluate(p plan.Plan, m Model, o Options) (Report, error) {
	if o.Users < 1 || o.Users > MaxUsers {
		return Report{}, UsersError{o.Users}
	}
	if o.BaselineUsers < 1 {
		o.BaselineUsers = o.Users
	}
	inv, err := readInventory(p, o.Cloud)
	if err != nil {
		return Report{}, err
	}
	e := evaluator{m: m, o: o, inv: inv}
	rep := Report{Cloud: string(o.Cloud), Tier: o.Tier, Users: o.Users, Shortfalls: []string{}, Advisories: []string{}}
	rep.Required.Ceiling = int64(math.Ceil(m.Headroom.Ceiling.Value * float64(o.Users)))
	rep.Required.Baseline = int64(math.Ceil(m.Headroom.Baseline.Value * float64(o.BaselineUsers)))
	u := float64(o.Users)
	rep.Load = Load{
		Users: o.Users, RequestsPerSec: finite(e.rps(u)), WebSockets: finite(e.sockets(u)), ReconnectsPerS: finite(u * m.Demand.ReconnectsPerUser.Value),
		QueriesPerSec: finite(e.qps(u)), PoolConnections: finite(e.serverConnections(u)), CacheMiB: finite(e.cacheMiB(u)), JobsPerSec: finite(e.jobs(u)),
	}
	calcs, err := e.calcs()
	if err != nil {
		return Report{}, err
	}
	rep.CeilingUsers, rep.BaselineUsers = maxUsers, maxUsers
	for _, c := range calcs {
		part := weigh(c, u, float64(o.BaselineUsers), rep.Required.Baseline, rep.Required.Ceiling)
		rep.Parts = append(rep.Parts, part)
		if c.advisory {
			if part.Ceiling.Short {
				rep.Advisories = append(rep.Advisories, fmt.Sprintf("%s: the ceiling needs %s, the account allows %s; %s", part.Name, Count(part.Demand), Count(part.Ceiling.Capacity), part.Fix))
			}
			continue
		}
		for lvl, l := range []Level{part.Baseline, part.Ceiling} {
			switch {
			case l.Short:
				rep.Shortfalls = append(rep.Shortfalls, shortfall(part, lvl))
			}
			if l.Users == nil {
				if l.Short {
					// A static part that is short carries no one.
					rep.setBottleneck(lvl, part, 0)
				}
				continue
			}
			rep.setBottleneck(lvl, part, *l.Users)
		}
	}
	rep.Fits = e.fits()
	for _, f := range rep.Fits {
		if !f.Fits {
			rep.Shortfalls = append(rep.Shortfalls, fmt.Sprintf("pool %s at its %s: %d pods need %d nodes, it has %d", f.Pool, f.Level, f.Pods, f.Nodes, f.Have))
		}
	}
	rep.Carries = len(rep.Shortfalls) == 0
	rep.Headroom.Baseline = ratio(float64(rep.BaselineUsers), float64(o.BaselineUsers))
	rep.Headroom.Ceiling = ratio(float64(rep.CeilingUsers), float64(o.Users))
	rep.Overrides = m.overridden()
	return rep, nil
}

func (r *Report) setBottleneck(lvl int, p Part, users int64) {
	at := &r.BaselineUsers
	b := &r.Bottleneck.Baseline
	if lvl == ceiling {
		at, b = &r.CeilingUsers, &r.Bottleneck.Ceiling
	}
	if users < *at || *b == nil {
		if users <= *at {
			*at = users
			*b = &Bottleneck{Kind: p.Kind, Name: p.Name, Users: users}
		}
	}
}

func levelName(lvl int) string {
	if lvl == ceiling {
		return "ceiling"
	}
	return "baseline"
}

func shortfall(p Part, lvl int) string {
	l := p.Baseline
	if lvl == ceiling {
		l = p.Ceiling
	}
	msg := fmt.Sprintf("%s at the %s: ", p.Name, levelName(lvl))
	if l.Users != nil {
		msg += fmt.Sprintf("carries %s users (%s %s)", Count(float64(*l.Users)), Count(l.Capacity), p.Unit)
	} else {
		msg += fmt.Sprintf("needs %s %s, has %s", Count(p.Demand), p.Unit, Count(l.Capacity))
	}
	if p.Fix != "" {
		msg += "; " + p.Fix
	}
	return msg
}

// weigh turns a calc into a part: its demand at users, and per level its users and headroom.
func weigh(c calc, users, baselineUsers float64, reqBaseline, reqCeiling int64) Part {
	p := Part{Kind: c.kind, Name: c.name, Unit: c.unit, Demand: finite(c.need(users)), Elastic: c.elastic, Advisory: c.advisory, Note: c.note, Fix: c.fix}
	if c.pods != nil {
		p.Pods = c.pods(users)
	}
	for lvl, required := range []int64{reqBaseline, reqCeiling} {
		l := Level{Capacity: finite(c.capacity[lvl])}
		switch {
		case c.elastic:
			l.Headroom = 0
		case c.static:
			l.Headroom = ratio(l.Capacity, p.Demand)
			l.Short = p.Demand > l.Capacity
		default:
			n := carried(c.need, c.capacity[lvl])
			if n >= maxUsers {
				// Never runs out as users grow: not a limit at this level.
				l.Unbounded = true
				break
			}
			l.Users = &n
			l.Short = n < required
			// Headroom is over the users the level answers for: the previous tier's at rest.
			l.Headroom = ratio(float64(n), []float64{baselineUsers, users}[lvl])
		}
		if lvl == baseline {
			p.Baseline = l
		} else {
			p.Ceiling = l
		}
	}
	return p
}

// carried is the most users whose need fits a capacity; maxUsers when the part never runs out.
func carried(need func(float64) float64, capacity float64) int64 {
	if need(0) > capacity {
		return 0
	}
	if need(maxUsers) <= capacity {
		return maxUsers
	}
	lo, hi := int64(0), int64(maxUsers)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if need(float64(mid)) <= capacity {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return finite(math.Round(a/b*100) / 100)
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// evaluator holds what the calcs share.
type evaluator struct {
	m   Model
	o   Options
	inv inventory
}

func (e evaluator) rps(u float64) float64 { return u * e.m.Demand.RequestsPerUser.Value }
func (e evaluator) sockets(u float64) float64 {
	return math.Ceil(u * e.m.Demand.WebSocketsPerUser.Value)
}
func (e evaluator) qps(u float64) float64  { return u * e.m.Demand.QueriesPerUser.Value }
func (e evaluator) jobs(u float64) float64 { return u * e.m.Demand.JobsPerUser.Value }
func (e evaluator) serverConnections(u float64) float64 {
	return math.Ceil(e.qps(u) * e.m.Demand.QuerySeconds.Value * e.m.Demand.PoolHeadroom.Value)
}
func (e evaluator) cacheMiB(u float64) float64 {
	return u*e.m.Demand.CacheKiBPerUser.Value/1024 + e.m.Demand.CacheSharedMiB.Value
}

// perPod is what one pod of a process carries, in its role's unit, and that unit.
func (e evaluator) perPod(pr process) float64 {
	vcpu := pr.cpu / 1000
	target := pr.cpuTarget
	if target <= 0 {
		target = float64(spec.DefaultCPUTarget) / 100
	}
	switch pr.role {
	case "api":
		return vcpu * target / e.m.Demand.CPUSecondsPerRequest.Value
	case "websocket":
		return pr.connectionsPerPod
	case "worker":
		return vcpu * target / e.m.Demand.CPUSecondsPerJob.Value
	case roleIngress:
		if vcpu == 0 {
			vcpu = e.m.Parts.Ingress.DefaultCPU.Value / 1000
		}
		if pr.cpuTarget <= 0 {
			target = e.m.Parts.Ingress.DefaultCPUTarget.Value / 100
		}
		return vcpu * target * e.m.Parts.Ingress.RequestsPerVCPU.Value
	}
	return 0
}

// demand is what a process's role asks at u users, in its unit; 0 for fixed roles (PgBouncer).
func (e evaluator) demand(pr process, u float64) float64 {
	switch pr.role {
	case "api", roleIngress:
		return e.rps(u)
	case "websocket":
		return e.sockets(u)
	case "worker":
		return e.jobs(u)
	}
	return 0
}

// scales is whether the process's autoscaler adds pods for its role's demand: the WebSocket
// pods only on their connections (idle sockets never raise CPU), the others on CPU or queue.
func (pr process) scales() bool {
	switch pr.scaledOn {
	case "fixed":
		return false
	case "cpu":
		return pr.role != "websocket"
	}
	return true
}

// podsFor is the pods a process runs for u users: its need, within its bounds when bounded.
func (e evaluator) podsFor(pr process, u float64, bounded bool) int {
	per := e.perPod(pr)
	if pr.connectionThreshold > 0 {
		per = pr.connectionThreshold // KEDA adds a pod before the others fill up
	}
	if !pr.scales() || per <= 0 {
		return pr.min
	}
	n := int(math.Min(math.Ceil(e.demand(pr, u)/per), maxUsers))
	n = max(n, pr.min)
	if bounded {
		n = min(n, pr.max)
	}
	return n
}

var roleParts = map[string]struct{ kind, name, unit, fix string }{
	"api":       {"api", "API pods", "requests/s", "raise workloads.api.maxReplicas (and the pool's maxNodes)"},
	"websocket": {"websocket", "WebSocket pods", "sockets", "raise workloads.websocket.maxReplicas, or scale it on connections (KEDA and monitoring on)"},
	"worker":    {"worker", "queue workers", "jobs/s", "raise workloads.worker.maxReplicas"},
	roleIngress: {"ingress", "ingress-nginx", "requests/s", "raise workloads.ingress.maxReplicas"},
}

func (e evaluator) calcs() ([]calc, error) {
	var out []calc
	for _, pr := range e.inv.processes {
		rp, ok := roleParts[pr.role]
		if !ok {
			continue
		}
		pr := pr
		per := e.perPod(pr)
		hi := pr.max
		note := ""
		if !pr.scales() {
			hi = pr.min
			if pr.role == "websocket" && pr.scaledOn == "cpu" {
				note = "scaled on CPU only: idle sockets never add a pod, so the minimum pods hold every socket"
			}
		}
		out = append(out, calc{
			kind: rp.kind, name: rp.name, unit: rp.unit, fix: rp.fix, note: note,
			need:     func(u float64) float64 { return e.demand(pr, u) },
			capacity: [2]float64{float64(pr.min) * per, float64(hi) * per},
			pods:     func(u float64) int { return e.podsFor(pr, u, false) },
		})
	}
	out = append(out, e.loadBalancers()...)
	out = append(out, e.pools()...)
	out = append(out, e.database()...)
	out = append(out, e.cacheParts()...)
	out = append(out, e.edgeParts()...)
	out = append(out, e.accountLimits()...)
	return out, nil
}

func (e evaluator) loadBalancers() []calc {
	lb, sized := e.m.Parts.LoadBalancers[string(e.o.Cloud)]
	byRole := map[string]int{}
	roles := []string{}
	for _, l := range e.inv.lbs {
		if _, seen := byRole[l.fronts]; !seen {
			roles = append(roles, l.fronts)
		}
		// A load balancer without a size has the cloud's smallest: one node; none has more
		// than the cloud allows.
		nodes := max(l.nodes, 1)
		if lb.MaxNodes.Value > 0 {
			nodes = min(nodes, int(lb.MaxNodes.Value))
		}
		byRole[l.fronts] += nodes
	}
	var out []calc
	for _, role := range roles {
		c := calc{kind: role + "-load-balancer", name: role + " load balancer"}
		switch role {
		case "websocket":
			c.name, c.unit = "WebSocket load balancer", "sockets"
			c.need = e.sockets
			c.capacity = both(float64(byRole[role]) * lb.ConnectionsPerNode.Value)
			c.fix = fmt.Sprintf("raise workloads.websocket.loadBalancerNodes (at most %s a load balancer) or workloads.websocket.loadBalancers", Count(lb.MaxNodes.Value))
		case roleIngress:
			c.name, c.unit = "ingress load balancer", "requests/s"
			c.need = e.rps
			c.capacity = both(float64(byRole[role]) * lb.RequestsPerNode.Value)
			c.fix = "raise the ingress load balancer's nodes"
		default:
			continue
		}
		if !sized || lb.Elastic {
			c.elastic, c.capacity = true, [2]float64{}
			c.note = "grows by itself: " + lb.Source
		}
		out = append(out, c)
	}
	return out
}

func both(v float64) [2]float64 { return [2]float64{v, v} }

func (e evaluator) database() []calc {
	db := e.inv.db
	if db == nil {
		return nil
	}
	w := e.m.Demand.WriteShare.Value
	r := float64(db.replicas)
	target := e.m.Parts.Database.CPUTarget.Value
	qpv := e.m.Parts.Database.QueriesPerVCPU.Value
	// Writes go to the primary; reads spread over the primary and the replicas.
	primaryShare := w + (1-w)/(1+r)
	out := []calc{{
		kind: "database-cpu", name: "database primary", unit: "queries/s",
		need:     e.qps,
		capacity: both(db.primary.VCPUs * qpv * target / primaryShare),
		note:     fmt.Sprintf("%s, %g vCPU; writes and a 1/%g share of the reads at %g%% CPU", db.primary.Slug, db.primary.VCPUs, 1+r, target*100),
		fix:      "a larger database.size, or more database.replicas for reads",
	}}
	if db.replicas > 0 && w < 1 {
		out = append(out, calc{
			kind: "database-replicas", name: "read replicas", unit: "queries/s",
			need:     e.qps,
			capacity: both(db.replica.VCPUs * qpv * target / ((1 - w) / (1 + r))),
			note:     fmt.Sprintf("%d x %s; each a 1/%g share of the reads", db.replicas, db.replica.Slug, 1+r),
			fix:      "more database.replicas or a larger database.replicaSize",
		})
	}
	if e.inv.connPool != nil {
		out = append(out, calc{
			kind: "connection-pool", name: "connection pool", unit: "server connections",
			need: e.serverConnections, capacity: both(e.inv.connPool.size),
			fix: "raise database.pool.size (within the database's connections)",
		})
		out = append(out, calc{
			kind: "database-connections", name: "database connections", unit: "connections", static: true,
			need:     func(float64) float64 { return e.inv.connPool.size + float64(spec.DirectConnections) },
			capacity: both(float64(db.primary.Connections)),
			note:     fmt.Sprintf("the pool and %d direct connections against %s's limit", spec.DirectConnections, db.primary.Slug),
			fix:      "a smaller database.pool.size or a larger database.size",
		})
	}
	// PgBouncer in the cluster: every app pod's clients against its replicas' client limits.
	for _, pr := range e.inv.processes {
		if pr.maxClients <= 0 {
			continue
		}
		clients := func(u float64) float64 {
			n := 0
			for _, app := range e.inv.processes {
				if _, ok := roleParts[app.role]; ok && app.role != roleIngress {
					n += e.podsFor(app, u, true)
				}
			}
			return float64(n) * e.m.Demand.ClientConnectionsPerPod.Value
		}
		out = append(out, calc{
			kind: "pool-clients", name: "PgBouncer clients", unit: "client connections",
			need: clients, capacity: both(float64(pr.min) * pr.maxClients),
			fix: "raise workloads.pooler.maxClientConnections or workloads.pooler.replicas",
		})
		break
	}
	return out
}

func (e evaluator) cacheParts() []calc {
	c := e.inv.cache
	if c == nil {
		return nil
	}
	share := e.m.Parts.Cache[string(e.o.Cloud)].UsableMemoryShare.Value
	return []calc{{
		kind: "cache-memory", name: "cache memory", unit: "MiB",
		need:     e.cacheMiB,
		capacity: both(c.memoryGiB * 1024 * share * float64(c.shards)),
		note:     fmt.Sprintf("%d shard(s) of %g GiB, %g%% for data", c.shards, c.memoryGiB, share*100),
		fix:      "a larger cache.size (or more cache.shards on AWS)",
	}}
}

func (e evaluator) edgeParts() []calc {
	if e.inv.edge == nil || e.o.EdgePlan == "" {
		return nil
	}
	plans, err := spec.CloudflarePlans()
	if err != nil {
		return nil
	}
	allowed := plans[e.o.EdgePlan]
	used := e.inv.edge
	return []calc{
		{kind: "edge-rate-limit-rules", name: "edge rate-limit rules", unit: "rules", static: true,
			need: func(float64) float64 { return float64(used.rateLimit) }, capacity: both(float64(allowed.RateLimitRules)),
			note: "Cloudflare " + e.o.EdgePlan, fix: "a larger edge.plan, or fewer edge.expensivePaths"},
		{kind: "edge-cache-rules", name: "edge cache rules", unit: "rules", static: true,
			need: func(float64) float64 { return float64(used.cache) }, capacity: both(float64(allowed.CacheRules)),
			note: "Cloudflare " + e.o.EdgePlan, fix: "a larger edge.plan"},
	}
}

// accountLimits are the cloud's account limits the plan's ceiling needs, as advisory parts.
func (e evaluator) accountLimits() []calc {
	var out []calc
	for _, l := range limitUses(e.inv, e.m, e.o.Cloud) {
		out = append(out, calc{
			kind: "account/" + l.Key, name: "account: " + l.Unit, unit: l.Unit, static: true, advisory: true,
			need: func(float64) float64 { return l.Need }, capacity: both(l.Limit), fix: l.Fix,
		})
	}
	return out
}

// LimitUse is an account limit against what a plan's ceiling needs of it.
type LimitUse struct {
	// Key names the limit in limits.yaml and in scalestack:capacity's limits.<cloud>.
	Key        string  `json:"key"`
	Unit       string  `json:"unit"`
	Need       float64 `json:"need"`
	Limit      float64 `json:"limit"`
	Source     string  `json:"source"`
	Assumption bool    `json:"assumption,omitempty"`
	// Fix is how to raise the limit, and how to tell scalestack once it is raised.
	Fix  string `json:"fix"`
	Over bool   `json:"over"`
}

// AccountLimits weighs a plan's ceiling against the cloud's account limits in the model: the
// droplets of every node pool at its maximum on DigitalOcean; node groups, nodes a group, Elastic
// IPs and On-Demand and Spot vCPUs on AWS.
func AccountLimits(p plan.Plan, m Model, cloud spec.Cloud) ([]LimitUse, error) {
	inv, err := readInventory(p, cloud)
	if err != nil {
		return nil, err
	}
	return limitUses(inv, m, cloud), nil
}

func limitUses(inv inventory, m Model, cloud spec.Cloud) []LimitUse {
	limits := m.Limits[string(cloud)]
	var out []LimitUse
	add := func(key string, need float64) {
		l, ok := limits[key]
		if !ok {
			return
		}
		raise := strings.Replace(l.Raise, "--desired-value N", "--desired-value "+strconv.FormatFloat(need, 'f', 0, 64), 1)
		out = append(out, LimitUse{
			Key: key, Unit: l.Unit, Need: need, Limit: l.Value, Source: l.Source, Assumption: l.Assumption, Over: need > l.Value,
			Fix: fmt.Sprintf("%s; once raised, set scalestack:capacity {\"limits\": {\"%s\": {\"%s\": %.0f}}}", raise, cloud, key, need),
		})
	}
	var nodes, onDemand, spot float64
	most := 0
	for _, p := range inv.pools {
		nodes += float64(p.max)
		most = max(most, p.max)
		if p.spot {
			spot += float64(p.max) * p.info.VCPUs
		} else {
			onDemand += float64(p.max) * p.info.VCPUs
		}
	}
	switch cloud {
	case spec.DigitalOcean:
		add("droplets", nodes)
	case spec.AWS:
		add("nodeGroupsPerCluster", float64(len(inv.pools)))
		add("nodesPerNodeGroup", float64(most))
		add("elasticIPs", float64(inv.eips))
		add("onDemandVCPUs", onDemand)
		add("spotVCPUs", spot)
	}
	return out
}

// node is a pool's node as the scheduler sees it: what is left for pods.
type node struct{ cpu, memory, pods float64 }

// allocatable is a pool's node less the cloud's reservations and the daemonsets.
func (e evaluator) allocatable(p pool) (node, bool) {
	n, ok := e.m.Parts.Nodes[string(e.o.Cloud)]
	if !ok || n.Unsized {
		return node{}, false
	}
	cpu := p.info.VCPUs * 1000
	mem := p.info.MemoryGiB * 1024
	var maxPods float64
	if v, ok := n.MaxPods.BySize[p.size]; ok {
		maxPods = float64(v)
	} else {
		maxPods = n.MaxPods.Value
	}
	if len(n.ReservedCPUPercent.Steps) > 0 {
		steps := n.ReservedCPUPercent.Steps
		for core := 0; float64(core) < p.info.VCPUs; core++ {
			cpu -= 1000 * steps[min(core, len(steps)-1)] / 100
		}
		mem -= n.ReservedMemoryMiB.Value + n.ReservedMemoryMiBPerPod.Value*maxPods + n.EvictionMiB.Value
	} else {
		cpu -= n.ReservedCPU.Value
		// Default checked that the table has every catalogued node memory.
		mem = n.AllocatableMemory.ByMemoryGB[fmt.Sprint(p.info.MemoryGiB)] * 1024
	}
	ds := e.daemonsets()
	for _, d := range ds {
		cpu -= d.CPU
		mem -= d.Memory
	}
	return node{cpu: cpu, memory: mem, pods: maxPods - float64(len(ds))}, true
}

// daemonsets are the pods on every node: the cloud's and the add-ons' (node-exporter).
func (e evaluator) daemonsets() []Daemonset {
	out := slices.Clone(e.m.Parts.Nodes[string(e.o.Cloud)].Daemonsets)
	for _, a := range e.m.Parts.Addons {
		if a.DaemonSet && slices.Contains(e.inv.addons, a.Chart) {
			out = append(out, Daemonset{Name: a.Name, CPU: a.CPU, Memory: a.Memory, Source: a.Source})
		}
	}
	return out
}

// podsOn lists the pods a pool runs for u users (bounded: within each process's bounds).
type podReq struct{ cpu, memory float64 }

func (e evaluator) podsOn(p pool, isSystem bool, pods func(process) int) []podReq {
	var out []podReq
	for _, pr := range e.inv.processes {
		if pr.pool != p.name {
			continue
		}
		cpu, mem := pr.cpu, pr.memory
		if pr.role == roleIngress && cpu == 0 {
			cpu, mem = e.m.Parts.Ingress.DefaultCPU.Value, e.m.Parts.Ingress.DefaultMemory.Value
		}
		for range pods(pr) {
			out = append(out, podReq{cpu, mem})
		}
	}
	if isSystem {
		for _, a := range e.m.Parts.Addons {
			if !a.DaemonSet && slices.Contains(e.inv.addons, a.Chart) {
				for range a.Replicas {
					out = append(out, podReq{a.CPU, a.Memory})
				}
			}
		}
	}
	return out
}

// nodesFor packs pods onto nodes, largest first, each on the first node with room: how many
// nodes they need, or -1 when a pod fits no node at all.
func nodesFor(pods []podReq, n node) int {
	sort.Slice(pods, func(i, j int) bool {
		return cmp.Or(cmp.Compare(pods[j].cpu, pods[i].cpu), cmp.Compare(pods[j].memory, pods[i].memory)) < 0
	})
	var open []node
	for _, p := range pods {
		if p.cpu > n.cpu || p.memory > n.memory || n.pods < 1 {
			return -1
		}
		placed := false
		for i := range open {
			if open[i].cpu >= p.cpu && open[i].memory >= p.memory && open[i].pods >= 1 {
				open[i].cpu -= p.cpu
				open[i].memory -= p.memory
				open[i].pods--
				placed = true
				break
			}
		}
		if !placed {
			open = append(open, node{n.cpu - p.cpu, n.memory - p.memory, n.pods - 1})
		}
	}
	return len(open)
}

func (e evaluator) pools() []calc {
	var out []calc
	sys := e.systemPool()
	for _, p := range e.inv.pools {
		alloc, ok := e.allocatable(p)
		if !ok {
			continue
		}
		p := p
		isSystem := p.name == sys
		// More pods than the pool's most nodes can run means more nodes than it has: say so
		// without placing a billion pods.
		most := p.max * int(max(alloc.pods, 0))
		need := func(u float64) float64 {
			pods := e.podsOn(p, isSystem, func(pr process) int { return min(e.podsFor(pr, u, false), most+1) })
			if len(pods) > most {
				return float64(p.max + 1)
			}
			n := nodesFor(pods, alloc)
			if n < 0 {
				return math.Inf(1)
			}
			return float64(n)
		}
		out = append(out, calc{
			kind: "pool/" + p.name, name: "nodes: " + p.name, unit: "nodes",
			need: need, capacity: [2]float64{float64(p.min), float64(p.max)},
			note: fmt.Sprintf("%s, %.0fm CPU and %.0f MiB for pods a node", p.size, alloc.cpu, alloc.memory),
			fix:  fmt.Sprintf("raise the %s pool's maxNodes (minNodes for the baseline), or a larger size", p.name),
		})
	}
	return out
}

// systemPool is the pool the add-ons' releases select with their nodeSelectors.
func (e evaluator) systemPool() string { return e.inv.systemPool }

// fits is schedulability: every process at its maximum (and the add-ons) fits each pool's most
// nodes, and at its minimum the pool's fewest.
func (e evaluator) fits() []Fit {
	out := []Fit{}
	sys := e.systemPool()
	for _, p := range e.inv.pools {
		alloc, ok := e.allocatable(p)
		if !ok {
			continue
		}
		for _, lvl := range []int{baseline, ceiling} {
			pods := e.podsOn(p, p.name == sys, func(pr process) int {
				if lvl == ceiling {
					return pr.max
				}
				return pr.min
			})
			f := Fit{Pool: p.name, Level: levelName(lvl), Pods: len(pods), Have: p.min}
			if lvl == ceiling {
				f.Have = p.max
			}
			for _, pod := range pods {
				f.CPU += pod.cpu
				f.Memory += pod.memory
			}
			f.Nodes = nodesFor(pods, alloc)
			f.Fits = f.Nodes >= 0 && f.Nodes <= f.Have
			out = append(out, f)
		}
	}
	return out
}
