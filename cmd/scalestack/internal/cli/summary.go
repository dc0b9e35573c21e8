package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/stacks/config"
)

// componentSummary is one top-level component of a plan: what it is, its size at baseline and
// at ceiling, how many resources it holds and what it costs a month.
type componentSummary struct {
	name, kind, size    string
	resources           int
	baseline, ceiling   decimal.Decimal
	priced, hasUnpriced bool
}

// sizes says what each component type is sized to, from the stack's resolved preset: the data
// the plan was made from.
func sizes(cfg config.Config) map[string]string {
	p, c := cfg.Preset, cfg.Cloud
	pools := []string{}
	for i, np := range append([]spec.NodePool{p.Cluster.SystemPool}, p.Cluster.AppPools...) {
		if c == spec.Local {
			break
		}
		pool := fmt.Sprintf("%s %s x %d-%d", np.Name, np.Size.For(c), np.MinNodes, np.MaxNodes)
		if i > 0 && c == spec.AWS && p.Workloads.Addons.Karpenter {
			pool += " (Karpenter)"
		}
		pools = append(pools, pool)
	}
	cluster := "an existing cluster (scalestack:kubeconfig)"
	if len(pools) > 0 {
		cluster = "nodes " + strings.Join(pools, ", ")
		if c == spec.AWS && p.Workloads.Addons.Karpenter {
			cluster += "; Karpenter in Cluster Autoscaler's place: its controller on the system group, its IAM and interruption queue, a NodePool and EC2NodeClass per app pool, limited to the pool's maximum"
		}
		if p.Cluster.HA && c == spec.DigitalOcean { // EKS control planes are always highly available
			cluster += ", HA control plane"
		}
	}
	db := fmt.Sprintf("PostgreSQL %s %s, %d standby, %d replicas, pool of %d", p.Database.Version, p.Database.Size.For(c),
		p.Database.Standby.For(c), p.Database.Replicas, p.Database.Pool.Size)
	cache := fmt.Sprintf("%s %s %s, %d standby", p.Cache.Engine, p.Cache.Version, p.Cache.Size.For(c), p.Cache.Standby.For(c))
	if c == spec.Local {
		db = fmt.Sprintf("PostgreSQL %s StatefulSet with a streaming replica", p.Database.Version)
		cache = fmt.Sprintf("%s %s StatefulSet", p.Cache.Engine, p.Cache.Version)
	}
	w := p.Workloads
	app := fmt.Sprintf("api %d-%d pods, websocket %d-%d pods, worker %d-%d pods", w.API.MinReplicas, w.API.MaxReplicas,
		w.WebSocket.MinReplicas, w.WebSocket.MaxReplicas, w.Worker.MinReplicas, w.Worker.MaxReplicas)
	var addons []string
	for _, a := range []struct {
		name, key string
		on        bool
	}{{"ingress-nginx", spec.AddonIngress, w.Addons.Ingress}, {"metrics-server", spec.AddonMetricsServer, w.Addons.MetricsServer},
		{"KEDA", spec.AddonKEDA, w.Addons.KEDA}, {"kube-prometheus-stack", spec.AddonMonitoring, w.Addons.Monitoring},
		{"Cluster Autoscaler", spec.AddonClusterAutoscaler, w.Addons.ClusterAutoscaler && c == spec.AWS},
		{"VPA recommender (updateMode Off)", spec.AddonVPA, w.Addons.VPA}} {
		switch {
		case a.on && w.Addons.IsInstalled(a.key):
			addons = append(addons, a.name+" (the cluster's)")
		case a.on:
			addons = append(addons, a.name)
		}
	}
	platform := "no add-ons"
	if len(addons) > 0 {
		platform = strings.Join(addons, ", ")
	}
	var to []string
	for _, r := range []struct {
		name string
		on   bool
	}{{"Slack", cfg.Alerts.Slack != ""}, {"PagerDuty", cfg.Alerts.PagerDuty != ""}, {"e-mail " + cfg.Alerts.Email, cfg.Alerts.Email != ""}} {
		if r.on {
			to = append(to, r.name)
		}
	}
	receivers := "alerts in Alertmanager and Grafana only (scalestack:alerts names none)"
	switch {
	case cfg.AlertsEncrypted:
		receivers = "alerts to scalestack:alerts' receivers (encrypted: the offline plan reads none of them, and makes none of the cloud's alert policies that need them)"
	case len(to) > 0:
		receivers = "alerts to " + strings.Join(to, ", ")
	}
	return map[string]string{
		types.ComponentAlerts:   "the cloud's own alarms at the rules' thresholds (the database's CPU; every measured part without monitoring); " + cloudReceivers(cfg, receivers),
		types.WorkloadSignals:   fmt.Sprintf("alert rules and Grafana dashboards; %s; p99 SLO %d ms", receivers, cfg.SLOMilliseconds),
		types.ComponentNetwork:  "VPC " + p.Network.CIDR,
		types.ComponentCluster:  cluster,
		types.ComponentDatabase: db,
		types.ComponentCache:    cache,
		types.ComponentEdge:     "Cloudflare " + p.Edge.Plan + " plan in front of " + cfg.Domain,
		types.WorkloadApp:       app,
		types.WorkloadPlatform:  platform,
	}
}

// summarize groups a plan's resources and its bill by top-level component.
func summarize(p plan.Plan, rep cost.Report, cfg config.Config) []componentSummary {
	index := make(map[string]plan.Resource, len(p.Resources))
	for _, r := range p.Resources {
		index[r.Key()] = r
	}
	top := func(r plan.Resource) plan.Resource {
		for r.Parent != "" {
			parent, ok := index[r.ParentType+"::"+r.Parent]
			if !ok {
				break
			}
			r = parent
		}
		return r
	}
	what := sizes(cfg)
	var out []componentSummary
	at := map[string]int{}
	entry := func(root plan.Resource) *componentSummary {
		key := root.Key()
		if root.Custom {
			key = "other"
		}
		if i, ok := at[key]; ok {
			return &out[i]
		}
		s := componentSummary{name: root.Name, kind: shortKind(root.Type), size: what[root.Type]}
		if root.Type == "usage" {
			s = componentSummary{name: "(stack)", kind: "usage", size: "traffic priced from the tier's usage assumptions"}
		}
		if root.Custom {
			s = componentSummary{name: "(stack)", kind: "providers", size: "explicit providers and resources outside components"}
		}
		at[key] = len(out)
		out = append(out, s)
		return &out[len(out)-1]
	}
	for _, r := range p.Resources {
		if r.Custom {
			entry(top(r)).resources++
		}
	}
	var edge *plan.Resource
	for _, r := range p.Resources {
		if r.Type == types.ComponentEdge {
			edge = &r
		}
	}
	usage := plan.Resource{Type: "usage", Name: "(usage)", Custom: false}
	for _, l := range rep.Lines {
		r, ok := index[l.Type+"::"+l.Name]
		switch {
		case ok:
			r = top(r)
		case l.Type == types.CFZone && edge != nil:
			r = *edge // the zone's plan: priced beside the plan, part of the edge's bill
		default:
			r = usage // a usage line (egress), priced from the assumptions, of no one resource
		}
		s := entry(r)
		s.priced = true
		s.baseline, s.ceiling = s.baseline.Add(l.Baseline), s.ceiling.Add(l.Ceiling)
	}
	for _, u := range rep.Unpriced {
		if r, ok := index[u.Type+"::"+u.Name]; ok {
			entry(top(r)).hasUnpriced = true
		}
	}
	return out
}

func shortKind(t string) string { return t[strings.LastIndex(t, ":")+1:] }

// summaryText is the end of `scalestack plan`'s text: per component, what it is, its size and
// its monthly cost; then the bill and the guardrails' verdict, as `pulumi preview` ends with
// its counts.
// notPriced, when set, says why the plan has no bill (a region without a price table).
func summaryText(p plan.Plan, rep cost.Report, check policies.Report, capacity string, cfg config.Config, notPriced string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSummary: %s %s in %s\n", cfg.Cloud, cfg.Tier, cfg.Region)
	rows := summarize(p, rep, cfg)
	slices.SortStableFunc(rows, func(a, b componentSummary) int {
		if (a.kind == "providers") != (b.kind == "providers") {
			if a.kind == "providers" {
				return 1
			}
			return -1
		}
		return 0
	})
	width := 0
	for _, s := range rows {
		width = max(width, len(s.name))
	}
	for _, s := range rows {
		money := "free"
		if s.priced {
			money = cost.Money(s.baseline) + " - " + cost.Money(s.ceiling) + " a month"
		}
		if s.hasUnpriced {
			money += " (some resources unpriced)"
		}
		noun := "resources"
		if s.resources == 1 {
			noun = "resource"
		}
		fmt.Fprintf(&b, "  %-10s %-*s %3d %-9s  %s\n", s.kind, width, s.name, s.resources, noun, money)
		if s.size != "" {
			fmt.Fprintf(&b, "  %-10s %s\n", "", s.size)
		}
	}
	if notPriced != "" {
		fmt.Fprintf(&b, "  cost: not priced: %s\n", notPriced)
	} else {
		fmt.Fprintf(&b, "  cost: %s a month at baseline (every pool at its minimum), %s at ceiling (every maximum)\n",
			cost.Money(rep.Baseline), cost.Money(rep.Ceiling))
	}
	mandatory := check.Mandatory()
	verdict := "pass"
	if mandatory > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "  guardrails: %s: %d rules passed, %d violations (%d mandatory), %d not applicable; scalestack check for the details\n",
		verdict, len(check.Passed), len(check.Violations), mandatory, len(check.NotApplicable))
	if capacity != "" {
		fmt.Fprintf(&b, "  capacity: %s; scalestack capacity for every part\n", capacity)
	}
	return b.String()
}

// cloudReceivers says where the cloud's own alarms go: DigitalOcean makes a policy only with an
// e-mail address or a Slack channel to send to; CloudWatch alarms show in the console without.
func cloudReceivers(cfg config.Config, receivers string) string {
	switch {
	case cfg.AlertsEncrypted:
		return receivers
	case cfg.Cloud == spec.DigitalOcean && cfg.Alerts.Email == "" && cfg.Alerts.Slack == "":
		return "none made: DigitalOcean's policies need scalestack:alerts' email or slack"
	case cfg.Alerts.Email == "" && cfg.Alerts.Slack == "" && cfg.Alerts.PagerDuty == "":
		return "in the cloud's console only (scalestack:alerts names none)"
	}
	return receivers
}
