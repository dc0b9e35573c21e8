package signals

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
)

// Alert names. Each is one row of the README's runbook, whose heading is the name.
const (
	AlertAutoscaler  = "ScalestackAutoscalerNearMaximum"
	AlertPool        = "ScalestackNodePoolAtMaximum"
	AlertSockets     = "ScalestackWebSocketsNearCapacity"
	AlertDatabaseCPU = "ScalestackDatabaseCPUHigh"
	AlertConnections = "ScalestackDatabaseConnectionsHigh"
	AlertWaiting     = "ScalestackPoolClientsWaiting"
	AlertCache       = "ScalestackCacheMemoryHigh"
	AlertEvictions   = "ScalestackCacheEvicting"
	AlertQueue       = "ScalestackQueueGrowing"
	AlertErrors      = "ScalestackIngressErrors"
	AlertLatency     = "ScalestackLatencyAboveSLO"
	AlertAPILatency  = "ScalestackAPILatencyAboveSLO"
	AlertCrash       = "ScalestackCrashLooping"
	AlertLag         = "ScalestackReplicaLagging"
	AlertDown        = "ScalestackDataStoreDown"
)

// Exporter jobs: the Services the exporters' ServiceMonitors scrape, whose names Prometheus
// gives the series as their job label.
const (
	PostgresExporterJob  = "postgres-exporter"
	ReplicaExporterJob   = "postgres-exporter-replica"
	RedisExporterJob     = "redis-exporter"
	PgBouncerExporterJob = "pgbouncer-exporter"
)

// ProcessLabel is the label Prometheus gives the app's series: the pods' scalestack.dev/process
// label, which the PodMonitors copy (podTargetLabels) with its name made a label name.
var ProcessLabel = promLabel(spec.ProcessLabel)

// PodProcessLabel is kube-state-metrics' label for a pod's process (the pods'
// scalestack.dev/process), once its metricLabelsAllowlist lets it through.
var PodProcessLabel = "label_" + ProcessLabel

// PoolNodeLabel is kube-state-metrics' label for a node's pool (spec.PoolLabel), once its
// metricLabelsAllowlist lets the label through.
var PoolNodeLabel = "label_" + promLabel(spec.PoolLabel)

// promLabel is a Kubernetes label's name as Prometheus's relabelling writes it: every
// character outside [a-zA-Z0-9_] an underscore.
func promLabel(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, k)
}

// connectionsMetric is postgres_exporter's count of a database's backends.
const connectionsMetric = "pg_stat_database_numbackends"

// Charts whose presence the signals read from the plan.
const (
	monitoringChart = "kube-prometheus-stack"
	ingressChart    = "ingress-nginx"
)

// Monitoring is whether a stack runs Prometheus (the monitoring add-on), by its own release or
// the cluster's install (o.Installed): where it does not, the cloud's own alerting carries the
// alerts that it can.
func Monitoring(st capacity.Stack, o Options) bool {
	return slices.Contains(st.Addons, monitoringChart) || slices.Contains(o.Installed, spec.AddonMonitoring)
}

// Build makes a stack's signals from what its plan runs (st), the capacity report of the same
// plan at its tier (r), the capacity model (for the database's CPU target) and the thresholds.
func Build(st capacity.Stack, r capacity.Report, m capacity.Model, t Thresholds, o Options) (Set, error) {
	if o.Namespace == "" {
		return Set{}, errors.New("signals: the app's namespace is required")
	}
	if o.SLOMilliseconds < 1 {
		return Set{}, fmt.Errorf("signals: SLO %d ms is out of range (want 1 or more)", o.SLOMilliseconds)
	}
	b := &builder{st: st, r: r, m: m, t: t, o: o, quiet: map[string]string{}}
	b.outgrowing()
	b.broken()
	return b.set()
}

type builder struct {
	st capacity.Stack
	r  capacity.Report
	m  capacity.Model
	t  Thresholds
	o  Options
	// rules by group, in the order made.
	outgrow, broke []Rule
	alerts         []Alert
	// quiet is every series the rules read at a healthy value: the quiet stack, and the base
	// each firing scenario changes one part of.
	quiet     map[string]string
	scenarios []Scenario
}

// minutes is a duration of whole minutes as Prometheus writes it.
func minutes(f capacity.Figure) string { return strconv.Itoa(int(f.Value)) + "m" }

// num writes a number for an expression: whole numbers without a point, others with the
// fewest digits that read back the same.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// sel writes a selector: name{k="v",...} with the keys sorted; a value starting with ~ is a
// regular expression, with ! a negation.
func sel(name string, ls map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		v := ls[k]
		op := "="
		switch {
		case strings.HasPrefix(v, "~"):
			op, v = "=~", v[1:]
		case strings.HasPrefix(v, "!"):
			op, v = "!=", v[1:]
		}
		parts = append(parts, fmt.Sprintf("%s%s%q", k, op, v))
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// labels are a rule's labels: its severity and kind, the part it names, the tier and (for an
// outgrowing alert) the next tier.
func (b *builder) labels(kind, part string) map[string]string {
	ls := map[string]string{"kind": kind, "part": part, "tier": b.o.Tier}
	if kind == Outgrowing {
		ls["severity"] = "warning"
		if b.o.Next != "" {
			ls["next_tier"] = b.o.Next
		}
	} else {
		ls["severity"] = "critical"
	}
	return ls
}

// stackName is the stack the alerts are for, or a placeholder where the caller gave none.
func (b *builder) stackName() string {
	if b.o.Stack == "" {
		return "<stack>"
	}
	return b.o.Stack
}

// poolKey is where scalestack:overrides raises a node pool's maximum.
func (b *builder) poolKey(pool string) string {
	if pool == b.st.SystemPool {
		return "raise cluster.systemPool.maxNodes"
	}
	return fmt.Sprintf("raise the maxNodes of cluster.appPools' %s pool", pool)
}

// advice is what an outgrowing alert tells the operator to do.
func (b *builder) advice(raise string) (string, string) {
	if b.o.Next == "" {
		return fmt.Sprintf("%s is the largest preset: %s with scalestack:overrides, then pulumi up (scalestack capacity --cloud %s --tier %s shows what else it moves).", b.o.Tier, raise, b.o.Cloud, b.o.Tier),
			fmt.Sprintf("scalestack capacity --cloud %s --tier %s", b.o.Cloud, b.o.Tier)
	}
	cmd := "pulumi config set scalestack:tier " + b.o.Next
	return fmt.Sprintf("Switch to the %s preset: %s, then pulumi up (scalestack upgrade --to %s --config Pulumi.%s.yaml prints the runbook).", b.o.Next, cmd, b.o.Next, b.stackName()), cmd
}

func (b *builder) add(kind, alert, part, expr string, dur capacity.Figure, summary, description, threshold, raise string) Rule {
	rule := Rule{Alert: alert, Expr: expr, For: minutes(dur), Labels: b.labels(kind, part), Annotations: map[string]string{
		"summary":     summary,
		"description": description,
		"runbook_url": RunbookAnchor(alert),
	}}
	if kind == Outgrowing {
		what, cmd := b.advice(raise)
		rule.Annotations["description"] += " " + what
		rule.Annotations["command"] = cmd
		b.outgrow = append(b.outgrow, rule)
	} else {
		b.broke = append(b.broke, rule)
	}
	if !slices.ContainsFunc(b.alerts, func(a Alert) bool { return a.Name == alert }) {
		b.alerts = append(b.alerts, Alert{Name: alert, Kind: kind, Severity: rule.Labels["severity"], Threshold: threshold, Runbook: RunbookAnchor(alert)})
	}
	return rule
}

// percent writes a share as a whole percentage.
func percent(f float64) string { return num(math.Round(f*1000)/10) + "%" }

// part is the report's part of a kind, if the stack has it.
func (b *builder) part(kind string) (capacity.Part, bool) {
	i := slices.IndexFunc(b.r.Parts, func(p capacity.Part) bool { return p.Kind == kind })
	if i < 0 {
		return capacity.Part{}, false
	}
	return b.r.Parts[i], true
}

// socketCapacity is the open sockets the preset carries at its ceiling: the least of its
// WebSocket parts (the pods, and the load balancers where they are not elastic).
func (b *builder) socketCapacity() float64 {
	c := math.Inf(1)
	for _, p := range b.r.Parts {
		if p.Unit == "sockets" && !p.Elastic && !p.Advisory && p.Ceiling.Capacity > 0 {
			c = min(c, p.Ceiling.Capacity)
		}
	}
	if math.IsInf(c, 1) {
		return 0
	}
	return c
}

func (b *builder) outgrowing() {
	t, near := b.t, b.t.Near.Value
	for _, pr := range b.st.Processes {
		if pr.Autoscaler == "" || pr.Max <= pr.Min {
			continue // no autoscaler, or one with no room: nothing to outgrow but the pods themselves
		}
		ls := map[string]string{"namespace": pr.Namespace, "horizontalpodautoscaler": pr.Autoscaler}
		cur, top := sel("kube_horizontalpodautoscaler_status_current_replicas", ls), sel("kube_horizontalpodautoscaler_spec_max_replicas", ls)
		expr := fmt.Sprintf("max(%s) / max(%s) >= %s", cur, top, num(near))
		rule := b.add(Outgrowing, AlertAutoscaler, pr.Role, expr, t.AutoscalerFor,
			fmt.Sprintf("%s: {{ $value | humanizePercentage }} of its maximum of %d pods for %s", pr.Role, pr.Max, prose(t.AutoscalerFor)),
			fmt.Sprintf("The %s preset's %s autoscaler (%s/%s) has run at %s or more of its %d pods for %s: the next spike has no room.", b.o.Tier, pr.Role, pr.Namespace, pr.Autoscaler, percent(near), pr.Max, prose(t.AutoscalerFor)),
			fmt.Sprintf("%s of the autoscaler's maximum for %s", percent(near), prose(t.AutoscalerFor)),
			fmt.Sprintf("raise workloads.%s.maxReplicas", pr.Role))
		b.quiet[cur] = fmt.Sprintf("%dx40", pr.Min)
		b.quiet[top] = fmt.Sprintf("%dx40", pr.Max)
		b.fire(rule, t.AutoscalerFor, "the "+pr.Role+" autoscaler at its maximum", map[string]string{cur: fmt.Sprintf("%dx40", pr.Max)}, 1)
	}
	for _, pl := range b.st.Pools {
		// The pool's own pods: its processes' (by their scalestack.dev/process label), so that a
		// pod pending for another pool, or a pool fixed at its maximum, says nothing.
		var procs []string
		for _, pr := range b.st.Processes {
			if pr.Pool == pl.Name && pr.Role != "" && pr.Role != "ingress" && !slices.Contains(procs, pr.Role) {
				procs = append(procs, pr.Role)
			}
		}
		if len(procs) == 0 {
			continue
		}
		nodes := sel("kube_node_labels", map[string]string{PoolNodeLabel: pl.Name})
		unsched := "kube_pod_status_unschedulable"
		owned := sel("kube_pod_labels", map[string]string{"namespace": b.o.Namespace, PodProcessLabel: "~" + strings.Join(procs, "|")})
		expr := fmt.Sprintf("count(%s) >= %d and on() sum(%s * on(namespace, pod) group_left() %s) > 0", nodes, pl.Max, sel(unsched, map[string]string{"namespace": b.o.Namespace}), owned)
		rule := b.add(Outgrowing, AlertPool, "pool/"+pl.Name, expr, t.PoolFor,
			fmt.Sprintf("node pool %s: {{ $value | humanize }} nodes, its maximum of %d, and its pods cannot be scheduled", pl.Name, pl.Max),
			fmt.Sprintf("The %s pool (%s) has been at its %d nodes for %s with pods of %s pending that no node can take.", pl.Name, pl.Size, pl.Max, prose(t.PoolFor), strings.Join(procs, ", ")),
			fmt.Sprintf("at the pool's maximum nodes with one of its pods unschedulable for %s", prose(t.PoolFor)),
			b.poolKey(pl.Name))
		// The nodes of the pool are series of their own, one per node.
		nodeSeries := func(n int) map[string]string {
			out := map[string]string{}
			for i := range pl.Max {
				v := "_x40"
				if i < n {
					v = "1x40"
				}
				out[sel("kube_node_labels", map[string]string{PoolNodeLabel: pl.Name, "node": fmt.Sprintf("%s-%d", pl.Name, i)})] = v
			}
			return out
		}
		maps.Copy(b.quiet, nodeSeries(pl.Min))
		pod := map[string]string{"namespace": b.o.Namespace, "pod": pl.Name + "-pending", "uid": pl.Name}
		b.quiet[sel(unsched, pod)] = "0x40"
		b.quiet[sel("kube_pod_labels", mergeLabels(pod, map[string]string{PodProcessLabel: procs[0]}))] = "1x40"
		change := nodeSeries(pl.Max)
		change[sel(unsched, pod)] = "1x40"
		b.fire(rule, t.PoolFor, "the "+pl.Name+" pool at its maximum with a pod pending", change, float64(pl.Max))
	}
	if c := b.socketCapacity(); c > 0 && slices.ContainsFunc(b.st.Processes, func(p capacity.Process) bool { return p.Role == "websocket" }) {
		series := func(pod string) string {
			return sel(spec.ConnectionsMetric, map[string]string{"namespace": b.o.Namespace, ProcessLabel: "websocket", "pod": pod})
		}
		expr := fmt.Sprintf("sum(%s) > %s", sel(spec.ConnectionsMetric, map[string]string{"namespace": b.o.Namespace}), num(near*c))
		rule := b.add(Outgrowing, AlertSockets, "websocket", expr, t.SocketsFor,
			fmt.Sprintf("{{ $value | humanize }} open WebSockets, over %s of the %s the preset carries", percent(near), capacity.Count(c)),
			fmt.Sprintf("The %s preset carries %s open WebSockets at its most (its WebSocket pods and load balancers, from scalestack capacity); more than %s have been open for %s.", b.o.Tier, capacity.Count(c), percent(near), prose(t.SocketsFor)),
			fmt.Sprintf("%s of the open WebSockets the preset carries (scalestack capacity: %s here) for %s", percent(near), capacity.Count(c), prose(t.SocketsFor)),
			"raise workloads.websocket.maxReplicas and its load balancers' nodes")
		half := math.Round(0.3 * c / 2)
		b.quiet[series("websocket-a")] = num(half) + "x40"
		b.quiet[series("websocket-b")] = num(half) + "x40"
		hot := math.Ceil(0.85 * c / 2)
		b.fire(rule, t.SocketsFor, "open WebSockets at 85% of capacity", map[string]string{series("websocket-a"): num(hot) + "x40", series("websocket-b"): num(hot) + "x40"}, 2*hot)
	}
	b.database()
	b.cache()
}

func (b *builder) database() {
	t, near := b.t, b.t.Near.Value
	if b.st.Database == "" {
		return
	}
	target := b.m.Parts.Database.CPUTarget.Value
	if len(b.st.DatabaseStatefulSets) > 0 {
		// In the cluster (the local cloud): the primary's pods against their CPU request.
		pods := map[string]string{"namespace": b.st.DatabaseNamespace, "pod": "~" + b.st.DatabaseStatefulSets[0] + "-[0-9]+"}
		usage := maps.Clone(pods)
		usage["container"] = "!"
		req := maps.Clone(pods)
		req["resource"] = "cpu"
		expr := fmt.Sprintf("sum(rate(%s[5m])) / sum(%s) > %s", sel("container_cpu_usage_seconds_total", usage), sel("kube_pod_container_resource_requests", req), num(target))
		rule := b.add(Outgrowing, AlertDatabaseCPU, "database-cpu", expr, t.DatabaseFor,
			"database primary: CPU at {{ $value | humanizePercentage }} of its request for "+prose(t.DatabaseFor),
			fmt.Sprintf("The database primary has used more than %s of its CPU for %s (seed 004's warning sign; the capacity model plans to %s).", percent(target), prose(t.DatabaseFor), percent(target)),
			fmt.Sprintf("%s CPU (the capacity model's database.cpuTarget) for %s", percent(target), prose(t.DatabaseFor)),
			"raise database.size or database.replicas")
		pod := b.st.DatabaseStatefulSets[0] + "-0"
		cpu := sel("container_cpu_usage_seconds_total", map[string]string{"namespace": b.st.DatabaseNamespace, "pod": pod, "container": "postgres"})
		reqS := sel("kube_pod_container_resource_requests", map[string]string{"namespace": b.st.DatabaseNamespace, "pod": pod, "container": "postgres", "resource": "cpu", "unit": "core"})
		b.quiet[cpu] = "0+12x40" // 0.2 of a core
		b.quiet[reqS] = "1x40"
		b.fire(rule, t.DatabaseFor, "the database at 75% CPU", map[string]string{cpu: "0+45x40"}, 0.75)
	}
	if p, ok := b.part("database-connections"); ok && p.Ceiling.Capacity > 0 {
		c := p.Ceiling.Capacity
		series := func(datname string) string {
			return sel(connectionsMetric, map[string]string{"namespace": b.o.Namespace, "job": PostgresExporterJob, "datname": datname})
		}
		// The backends of every database, whoever their role: pg_stat_database shows them to
		// any user, where pg_stat_activity hides other roles' sessions' state from a user
		// without pg_monitor (DigitalOcean's scalestack-monitor). Two exporters serve the same
		// counts: the larger of each, summed over databases.
		expr := fmt.Sprintf("sum(max by (datname) (%s)) / %s > %s", sel(connectionsMetric, map[string]string{"namespace": b.o.Namespace, "job": PostgresExporterJob}), num(c), num(near))
		rule := b.add(Outgrowing, AlertConnections, "database-connections", expr, t.ConnectionsFor,
			fmt.Sprintf("database connections at {{ $value | humanizePercentage }} of the %s %s allows", capacity.Count(c), b.st.Database),
			fmt.Sprintf("The primary (%s) allows %s connections to the app; more than %s have been in use for %s. New pods will be refused connections.", b.st.Database, capacity.Count(c), percent(near), prose(t.ConnectionsFor)),
			fmt.Sprintf("%s of the connections the size allows (%s here) for %s", percent(near), capacity.Count(c), prose(t.ConnectionsFor)),
			"raise database.size")
		idle := math.Round(0.2 * c)
		b.quiet[series("app")] = num(idle) + "x40"
		b.quiet[series("postgres")] = "2x40"
		busy := math.Ceil(0.9*c) - 2
		b.fire(rule, t.ConnectionsFor, "the database's connections at 90% of its size's", map[string]string{series("app"): num(busy) + "x40"}, (busy+2)/c)
	}
	if slices.ContainsFunc(b.st.Processes, func(p capacity.Process) bool { return p.Role == spec.PoolerProcess }) {
		series := sel("pgbouncer_pools_client_waiting_connections", map[string]string{"namespace": b.o.Namespace, "job": PgBouncerExporterJob, "database": "app", "user": "app", "pod": "pgbouncer-a"})
		expr := fmt.Sprintf("sum(%s) > 0", sel("pgbouncer_pools_client_waiting_connections", map[string]string{"namespace": b.o.Namespace, "job": PgBouncerExporterJob}))
		rule := b.add(Outgrowing, AlertWaiting, "connection-pool", expr, t.WaitingFor,
			"{{ $value | humanize }} clients waiting for a pooled database connection",
			fmt.Sprintf("PgBouncer's clients have waited for a server connection for %s: every pooled connection is busy, and requests queue behind them.", prose(t.WaitingFor)),
			"a client waiting for a pooled connection for "+prose(t.WaitingFor),
			"raise database.pool.size (and database.size for its connections)")
		b.quiet[series] = "0x40"
		b.fire(rule, t.WaitingFor, "clients waiting for the pool", map[string]string{series: "12x40"}, 12)
	}
	if b.st.Replicas > 0 {
		series := sel("pg_replication_lag_seconds", map[string]string{"namespace": b.o.Namespace, "job": ReplicaExporterJob + "-1"})
		expr := fmt.Sprintf("max(%s) > %s", sel("pg_replication_lag_seconds", map[string]string{"namespace": b.o.Namespace, "job": "~" + ReplicaExporterJob + "-[0-9]+"}), num(t.LagSeconds.Value))
		rule := b.add(Broken, AlertLag, "database-replicas", expr, t.LagFor,
			"a read replica is {{ $value | humanize }} s behind the primary",
			fmt.Sprintf("A read replica has been more than %s s behind the primary for %s: reads from DATABASE_REPLICA_URLS are stale.", num(t.LagSeconds.Value), prose(t.LagFor)),
			fmt.Sprintf("more than %s s behind for %s", num(t.LagSeconds.Value), prose(t.LagFor)), "")
		b.quiet[series] = "1x40"
		b.fire(rule, t.LagFor, "a replica 90 s behind", map[string]string{series: "90x40"}, 90)
	}
}

func (b *builder) cache() {
	t, near := b.t, b.t.Near.Value
	if !b.st.Cache {
		return
	}
	job := map[string]string{"namespace": b.o.Namespace, "job": RedisExporterJob}
	series := func(name string, more map[string]string) string {
		ls := maps.Clone(job)
		ls["instance"] = "cache:6379"
		maps.Copy(ls, more)
		return sel(name, ls)
	}
	if p, ok := b.part("cache-memory"); ok && p.Ceiling.Capacity > 0 {
		// The exporter reads one endpoint: a node's memory, against a node's usable share.
		perNode := p.Ceiling.Capacity / float64(max(b.st.CacheShards, 1)) * 1024 * 1024
		expr := fmt.Sprintf("max(%s) / %s > %s", sel("redis_memory_used_bytes", job), num(math.Round(perNode)), num(near))
		rule := b.add(Outgrowing, AlertCache, "cache-memory", expr, t.CacheFor,
			fmt.Sprintf("cache memory at {{ $value | humanizePercentage }} of the %s MiB a node may use", capacity.Count(p.Ceiling.Capacity/float64(max(b.st.CacheShards, 1)))),
			fmt.Sprintf("The cache has used more than %s of its usable memory for %s; past it, it evicts keys (sessions, the queue's jobs).", percent(near), prose(t.CacheFor)),
			fmt.Sprintf("%s of the usable memory for %s", percent(near), prose(t.CacheFor)),
			"raise cache.size")
		used := series("redis_memory_used_bytes", nil)
		b.quiet[used] = num(math.Round(0.3*perNode)) + "x40"
		b.fire(rule, t.CacheFor, "cache memory at 90%", map[string]string{used: num(math.Round(0.9*perNode)) + "x40"}, math.Round(0.9*perNode)/math.Round(perNode))
	}
	evicted := series("redis_evicted_keys_total", nil)
	rule := b.add(Outgrowing, AlertEvictions, "cache-memory", fmt.Sprintf("max(rate(%s[5m])) > 0", sel("redis_evicted_keys_total", job)), t.CacheFor,
		"the cache evicts {{ $value | humanize }} keys/s",
		fmt.Sprintf("The cache has evicted keys for %s: it is full, and it drops what the app stored.", prose(t.CacheFor)),
		"any eviction for "+prose(t.CacheFor), "raise cache.size")
	b.quiet[evicted] = "0x40"
	b.fire(rule, t.CacheFor, "the cache evicting", map[string]string{evicted: "0+120x40"}, 2)
	for _, pr := range b.st.Processes {
		if pr.Queue == "" {
			continue
		}
		key := series("redis_key_size", map[string]string{"db": "db0", "key": pr.Queue})
		expr := fmt.Sprintf("max(deriv(%s[5m])) > 0", sel("redis_key_size", map[string]string{"namespace": b.o.Namespace, "job": RedisExporterJob, "key": pr.Queue}))
		rule := b.add(Outgrowing, AlertQueue, pr.Role, expr, t.QueueFor,
			fmt.Sprintf("queue %s has grown for %s, by {{ $value | humanize }} jobs/s", pr.Queue, prose(t.QueueFor)),
			fmt.Sprintf("The %s queue has kept growing for %s: the %s pods (at most %d) do not keep up.", pr.Queue, prose(t.QueueFor), pr.Role, pr.Max),
			"growing for "+prose(t.QueueFor),
			fmt.Sprintf("raise workloads.%s.maxReplicas", pr.Role))
		b.quiet[key] = "40x40"
		b.fire(rule, t.QueueFor, "the queue growing", map[string]string{key: "0+600x40"}, 10)
	}
}

func (b *builder) broken() {
	t := b.t
	slo := float64(b.o.SLOMilliseconds)
	q := t.LatencyQuantile.Value
	qName := "p" + strings.TrimPrefix(num(q*100), "0")
	if slices.Contains(b.st.Addons, ingressChart) {
		reqs := func(status string) string {
			return sel("nginx_ingress_controller_requests", map[string]string{"ingress": "api", "exported_namespace": b.o.Namespace, "status": status, "method": "GET"})
		}
		expr := fmt.Sprintf(`sum(rate(%s[5m])) / sum(rate(nginx_ingress_controller_requests[5m])) > %s`, sel("nginx_ingress_controller_requests", map[string]string{"status": "~5.."}), num(t.ErrorRatio.Value))
		rule := b.add(Broken, AlertErrors, "ingress", expr, t.ErrorFor,
			"{{ $value | humanizePercentage }} of requests answered 5xx at the ingress",
			fmt.Sprintf("More than %s of the requests through ingress-nginx have failed with a 5xx for %s.", percent(t.ErrorRatio.Value), prose(t.ErrorFor)),
			fmt.Sprintf("%s 5xx for %s", percent(t.ErrorRatio.Value), prose(t.ErrorFor)), "")
		b.quiet[reqs("200")] = "0+6000x40"
		b.quiet[reqs("500")] = "0x40"
		b.fire(rule, t.ErrorFor, "2% of requests failing", map[string]string{reqs("200"): "0+5880x40", reqs("500"): "0+120x40"}, 0.02)

		b.latency(AlertLatency, "ingress", "nginx_ingress_controller_request_duration_seconds_bucket", map[string]string{"ingress": "api", "exported_namespace": b.o.Namespace}, nil, q, qName, slo,
			"at the ingress (what users wait for, the API's time included)")
	}
	if Monitoring(b.st, b.o) {
		b.latency(AlertAPILatency, "api", spec.LatencyMetric+"_bucket", map[string]string{"namespace": b.o.Namespace, ProcessLabel: "api"}, map[string]string{"pod": "api-a"}, q, qName, slo,
			"in the API's own histogram ("+spec.LatencyMetric+"), where the app serves it")
	}
	b.down()
	crash := func(pod, reason string) string {
		return sel("kube_pod_container_status_waiting_reason", map[string]string{"namespace": b.o.Namespace, "pod": pod, "container": "app", "reason": reason})
	}
	// The reason's series comes and goes: the container runs between back-offs, and the
	// kubelet's back-off grows to 5 minutes. Over a window as long as the rule's duration, a
	// container that keeps crashing shows the reason at least once.
	expr := fmt.Sprintf("max by (pod, container) (max_over_time(%s[%s])) > 0", sel("kube_pod_container_status_waiting_reason", map[string]string{"namespace": b.o.Namespace, "reason": "CrashLoopBackOff"}), minutes(t.CrashFor))
	rule := b.add(Broken, AlertCrash, "app", expr, t.CrashFor,
		"{{ $labels.pod }} ({{ $labels.container }}) is crash-looping",
		fmt.Sprintf("A container of the app has been in CrashLoopBackOff for %s: kubectl -n %s logs {{ $labels.pod }} -c {{ $labels.container }} --previous.", prose(t.CrashFor), b.o.Namespace),
		"CrashLoopBackOff for "+prose(t.CrashFor), "")
	b.quiet[crash("api-a", "ContainerCreating")] = "0x40"
	b.fireWith(rule, t.CrashFor, "an API pod crash-looping", map[string]string{crash("api-a", "CrashLoopBackOff"): strings.Repeat("1 _ _ _ ", 10)}, 1, map[string]string{"pod": "api-a", "container": "app"})
}

// latency is a quantile-over-SLO rule on a histogram: the quantile in milliseconds, so the
// summary reads in the SLO's unit.
func (b *builder) latency(alert, part, bucket string, match, more map[string]string, q float64, qName string, slo float64, where string) {
	t := b.t
	expr := fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s[5m]))) * 1000 > %s", num(q), sel(bucket, match), num(slo))
	rule := b.add(Broken, alert, part, expr, t.LatencyFor,
		fmt.Sprintf("%s latency {{ $value | humanize }} ms, over the %s ms SLO", qName, num(slo)),
		fmt.Sprintf("The %s of request latency %s has been over the stack's SLO (scalestack:slo, %s ms) for %s.", qName, where, num(slo), prose(t.LatencyFor)),
		fmt.Sprintf("%s over scalestack:slo (%s ms here) for %s", qName, num(slo), prose(t.LatencyFor)), "")
	bucketOf := func(le string) string {
		ls := maps.Clone(match)
		maps.Copy(ls, more)
		ls["le"] = le
		return sel(bucket, ls)
	}
	// Quiet: every request under a tenth of the SLO. Slow: every request between the SLO and
	// twice it, so the quantile interpolates to SLO x (1 + q).
	fast, sloLE, twice := num(slo/10/1000), num(slo/1000), num(2*slo/1000)
	b.quiet[bucketOf(fast)] = "0+600x40"
	b.quiet[bucketOf(sloLE)] = "0+600x40"
	b.quiet[bucketOf(twice)] = "0+600x40"
	b.quiet[bucketOf("+Inf")] = "0+600x40"
	b.fire(rule, t.LatencyFor, qName+" latency at twice the SLO", map[string]string{bucketOf(fast): "0x40", bucketOf(sloLE): "0x40"}, slo*(1+q))
}

// down is a data store its exporter cannot reach: the database (primary or a replica) or the
// cache is down, or the exporter's credentials no longer work.
func (b *builder) down() {
	t := b.t
	stores := []struct{ part, metric, jobs, job string }{}
	if b.st.Database != "" {
		stores = append(stores, struct{ part, metric, jobs, job string }{"database", "pg_up", "~" + PostgresExporterJob + "(-replica-[0-9]+)?", PostgresExporterJob})
	}
	if b.st.Cache {
		stores = append(stores, struct{ part, metric, jobs, job string }{"cache", "redis_up", RedisExporterJob, RedisExporterJob})
	}
	for _, s := range stores {
		series := sel(s.metric, map[string]string{"namespace": b.o.Namespace, "job": s.job, "instance": s.job + ":9000"})
		// Two exporter pods per job: down when neither reaches the store.
		expr := fmt.Sprintf("max by (job) (%s) == 0", sel(s.metric, map[string]string{"namespace": b.o.Namespace, "job": s.jobs}))
		rule := b.add(Broken, AlertDown, s.part, expr, t.DownFor,
			"{{ $labels.job }} cannot reach the "+s.part,
			fmt.Sprintf("The %s's exporter has not reached it for %s: the %s is down, unreachable from the cluster, or refuses the exporter's credentials.", s.part, prose(t.DownFor), s.part),
			"unreachable for "+prose(t.DownFor), "")
		b.quiet[series] = "1x40"
		b.fireWith(rule, t.DownFor, "the "+s.part+" unreachable", map[string]string{series: "0x40"}, 0, map[string]string{"job": s.job})
	}
}

// prose is a duration of whole minutes as the annotations write it.
func prose(f capacity.Figure) string {
	if f.Value == 1 {
		return "1 minute"
	}
	return num(f.Value) + " minutes"
}
