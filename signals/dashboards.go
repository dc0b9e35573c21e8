package signals

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
)

// Dashboard is a Grafana dashboard: panels of PromQL against the same capacities the alerts
// hold the stack to.
type Dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Panel is one time series panel.
type Panel struct {
	Title string `json:"title"`
	// Unit is Grafana's unit id (short, percentunit, reqps, s, ms, bytes).
	Unit    string   `json:"unit"`
	Targets []Target `json:"targets"`
}

// Target is one query of a panel.
type Target struct {
	Expr   string `json:"expr"`
	Legend string `json:"legend"`
}

// DatasourceUID is kube-prometheus-stack's Prometheus data source in its Grafana.
const DatasourceUID = "prometheus"

// podsOf matches a Deployment's pods by name.
func podsOf(deployment string) string { return "~" + deployment + "-[a-z0-9]+-[a-z0-9]+" }

func limit(v float64, legend string) Target {
	return Target{Expr: fmt.Sprintf("vector(%s)", num(v)), Legend: legend}
}

func (b *builder) dashboards() []Dashboard {
	ns := b.o.Namespace
	tier := Dashboard{UID: "scalestack-tier", Title: fmt.Sprintf("scalestack: the %s tier against its capacity", b.o.Tier)}
	add := func(d *Dashboard, title, unit string, ts ...Target) {
		d.Panels = append(d.Panels, Panel{Title: title, Unit: unit, Targets: ts})
	}
	if slices.Contains(b.st.Addons, ingressChart) {
		reqs := Target{Expr: "sum(rate(nginx_ingress_controller_requests[5m]))", Legend: "requests/s"}
		if p, ok := b.part("api"); ok {
			add(&tier, "Requests at the ingress against the API's capacity", "reqps", reqs, limit(p.Ceiling.Capacity, "the API pods carry at most"))
		} else {
			add(&tier, "Requests at the ingress", "reqps", reqs)
		}
		add(&tier, "5xx share at the ingress", "percentunit",
			Target{Expr: `sum(rate(nginx_ingress_controller_requests{status=~"5.."}[5m])) / sum(rate(nginx_ingress_controller_requests[5m]))`, Legend: "5xx"},
			limit(b.t.ErrorRatio.Value, "alert"))
		add(&tier, "Latency at the ingress against the SLO", "ms",
			Target{Expr: fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket[5m]))) * 1000", num(b.t.LatencyQuantile.Value)), Legend: "p" + num(b.t.LatencyQuantile.Value*100)},
			limit(float64(b.o.SLOMilliseconds), "SLO"))
	}
	for _, pr := range b.st.Processes {
		if pr.Autoscaler == "" {
			continue
		}
		ls := map[string]string{"namespace": pr.Namespace, "horizontalpodautoscaler": pr.Autoscaler}
		add(&tier, pr.Role+" pods against the autoscaler's bounds", "short",
			Target{Expr: sel("kube_horizontalpodautoscaler_status_current_replicas", ls), Legend: "pods"},
			Target{Expr: sel("kube_horizontalpodautoscaler_spec_max_replicas", ls), Legend: "maximum"},
			Target{Expr: sel("kube_horizontalpodautoscaler_spec_min_replicas", ls), Legend: "minimum"})
	}
	for _, pl := range b.st.Pools {
		add(&tier, "Nodes of the "+pl.Name+" pool against its maximum", "short",
			Target{Expr: fmt.Sprintf("count(%s)", sel("kube_node_labels", map[string]string{PoolNodeLabel: pl.Name})), Legend: "nodes"},
			limit(float64(pl.Max), "maximum"), limit(float64(pl.Min), "minimum"))
	}
	if len(b.st.Pools) > 0 {
		add(&tier, "Pods that cannot be scheduled", "short", Target{Expr: "sum(kube_pod_status_unschedulable)", Legend: "pending"})
	}
	if c := b.socketCapacity(); c > 0 {
		add(&tier, "Open WebSockets against the preset's capacity", "short",
			Target{Expr: fmt.Sprintf("sum(%s)", sel(spec.ConnectionsMetric, map[string]string{"namespace": ns})), Legend: "open"},
			limit(c, "capacity"), limit(b.t.Near.Value*c, "alert"))
	}
	if p, ok := b.part("database-connections"); ok {
		add(&tier, "Database connections against the size's limit", "short",
			Target{Expr: fmt.Sprintf("max by (datname) (%s)", sel(connectionsMetric, map[string]string{"namespace": ns, "job": PostgresExporterJob})), Legend: "{{datname}}"},
			limit(p.Ceiling.Capacity, "limit"))
	}
	if len(b.st.DatabaseStatefulSets) > 0 {
		pods := map[string]string{"namespace": b.st.DatabaseNamespace, "pod": "~" + b.st.DatabaseStatefulSets[0] + "-[0-9]+"}
		usage := maps.Clone(pods)
		usage["container"] = "!"
		add(&tier, "Database CPU against its request", "short",
			Target{Expr: fmt.Sprintf("sum(rate(%s[5m]))", sel("container_cpu_usage_seconds_total", usage)), Legend: "cores used"},
			Target{Expr: fmt.Sprintf("sum(%s)", sel("kube_pod_container_resource_requests", mergeLabels(pods, map[string]string{"resource": "cpu"}))), Legend: "request"})
	}
	if b.st.Replicas > 0 {
		add(&tier, "Read replicas' lag", "s",
			Target{Expr: sel("pg_replication_lag_seconds", map[string]string{"namespace": ns, "job": "~" + ReplicaExporterJob + "-[0-9]+"}), Legend: "{{job}}"},
			limit(b.t.LagSeconds.Value, "alert"))
	}
	if slices.ContainsFunc(b.st.Processes, func(p capacity.Process) bool { return p.Role == spec.PoolerProcess }) {
		add(&tier, "PgBouncer: clients waiting and servers busy", "short",
			Target{Expr: fmt.Sprintf("sum(%s)", sel("pgbouncer_pools_client_waiting_connections", map[string]string{"namespace": ns, "job": PgBouncerExporterJob})), Legend: "waiting"},
			Target{Expr: fmt.Sprintf("sum(%s)", sel("pgbouncer_pools_server_active_connections", map[string]string{"namespace": ns, "job": PgBouncerExporterJob})), Legend: "servers active"})
	}
	if b.st.Cache {
		job := map[string]string{"namespace": ns, "job": RedisExporterJob}
		if p, ok := b.part("cache-memory"); ok {
			add(&tier, "Cache memory against a node's usable share", "bytes",
				Target{Expr: fmt.Sprintf("max(%s)", sel("redis_memory_used_bytes", job)), Legend: "used"},
				limit(p.Ceiling.Capacity/float64(max(b.st.CacheShards, 1))*1024*1024, "usable"))
		}
		add(&tier, "Cache evictions and clients", "short",
			Target{Expr: fmt.Sprintf("max(rate(%s[5m]))", sel("redis_evicted_keys_total", job)), Legend: "evicted keys/s"},
			Target{Expr: fmt.Sprintf("max(%s)", sel("redis_connected_clients", job)), Legend: "clients"})
	}
	out := []Dashboard{tier}
	for _, pr := range b.st.Processes {
		if pr.Role != "api" && pr.Role != "websocket" && pr.Role != "worker" {
			continue
		}
		d := Dashboard{UID: "scalestack-" + pr.Role, Title: "scalestack: " + pr.Role}
		pods := map[string]string{"namespace": pr.Namespace, "pod": podsOf(pr.Name)}
		usage := mergeLabels(pods, map[string]string{"container": "!"})
		add(&d, "CPU against the pods' requests", "short",
			Target{Expr: fmt.Sprintf("sum(rate(%s[5m]))", sel("container_cpu_usage_seconds_total", usage)), Legend: "cores used"},
			Target{Expr: fmt.Sprintf("sum(%s)", sel("kube_pod_container_resource_requests", mergeLabels(pods, map[string]string{"resource": "cpu"}))), Legend: "requested"})
		add(&d, "Memory", "bytes", Target{Expr: fmt.Sprintf("sum by (pod) (%s)", sel("container_memory_working_set_bytes", usage)), Legend: "{{pod}}"})
		add(&d, "Restarts in 15 minutes", "short", Target{Expr: fmt.Sprintf("sum by (pod) (increase(%s[15m]))", sel("kube_pod_container_status_restarts_total", pods)), Legend: "{{pod}}"})
		if pr.Autoscaler != "" {
			ls := map[string]string{"namespace": pr.Namespace, "horizontalpodautoscaler": pr.Autoscaler}
			add(&d, "Pods against the autoscaler's maximum", "short",
				Target{Expr: sel("kube_horizontalpodautoscaler_status_current_replicas", ls), Legend: "pods"},
				Target{Expr: sel("kube_horizontalpodautoscaler_spec_max_replicas", ls), Legend: "maximum"})
		}
		switch pr.Role {
		case "api":
			h := sel(spec.LatencyMetric+"_bucket", map[string]string{"namespace": ns, ProcessLabel: "api"})
			add(&d, "Latency (the app's histogram) against the SLO", "ms",
				Target{Expr: fmt.Sprintf("histogram_quantile(0.5, sum by (le) (rate(%s[5m]))) * 1000", h), Legend: "p50"},
				Target{Expr: fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s[5m]))) * 1000", num(b.t.LatencyQuantile.Value), h), Legend: "p" + num(b.t.LatencyQuantile.Value*100)},
				limit(float64(b.o.SLOMilliseconds), "SLO"))
		case "websocket":
			add(&d, "Open WebSockets per pod", "short", Target{Expr: fmt.Sprintf("sum by (pod) (%s)", sel(spec.ConnectionsMetric, map[string]string{"namespace": ns})), Legend: "{{pod}}"})
		case "worker":
			if pr.Queue != "" {
				add(&d, "Queue length", "short", Target{Expr: fmt.Sprintf("max(%s)", sel("redis_key_size", map[string]string{"namespace": ns, "job": RedisExporterJob, "key": pr.Queue})), Legend: pr.Queue})
			}
		}
		out = append(out, d)
	}
	return out
}

func mergeLabels(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// JSON is the dashboard in Grafana's dashboard model, every panel a time series of the stack's
// Prometheus.
func (d Dashboard) JSON() ([]byte, error) {
	ds := map[string]any{"type": "prometheus", "uid": DatasourceUID}
	var panels []any
	for i, p := range d.Panels {
		var targets []any
		for j, t := range p.Targets {
			targets = append(targets, map[string]any{"refId": string(rune('A' + j)), "expr": t.Expr, "legendFormat": t.Legend, "datasource": ds})
		}
		panels = append(panels, map[string]any{
			"id": i + 1, "type": "timeseries", "title": p.Title, "datasource": ds,
			"gridPos":     map[string]any{"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.Unit}, "overrides": []any{}},
			"targets":     targets,
		})
	}
	return json.MarshalIndent(map[string]any{
		"uid": d.UID, "title": d.Title, "tags": []string{"scalestack"}, "timezone": "browser",
		"schemaVersion": 39, "editable": false, "refresh": "30s",
		"time":   map[string]any{"from": "now-6h", "to": "now"},
		"panels": panels,
	}, "", "  ")
}
