package stacks_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/signals"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/workloads"
)

const prometheusRule = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"

// The rules the program deploys are the signals of its own plan: made from the plan without
// them (the program's second, offline run), they equal what the whole plan gives.
func TestSignalsAreThePlansOwn(t *testing.T) {
	m, err := capacity.Default()
	require.NoError(t, err)
	for _, c := range []struct {
		cloud spec.Cloud
		tier  string
	}{{spec.DigitalOcean, "100k"}, {spec.AWS, "1m"}, {spec.Local, "10k"}} {
		p := planFor(t, c.cloud, c.tier)
		rules := p.OfType(prometheusRule)
		require.Len(t, rules, 1, "%s %s", c.cloud, c.tier)
		assert.Equal(t, workloads.MonitoringNamespace, rules[0].StringAt("metadata.namespace"))
		pre, err := tiers.Load(c.tier)
		require.NoError(t, err)
		base, err := tiers.BaselineUsers(c.tier, pre.Users)
		require.NoError(t, err)
		set, _, err := signals.ForPlan(p, m, signals.Options{Cloud: c.cloud, Tier: c.tier, Next: tiers.Next(c.tier), SLOMilliseconds: signals.DefaultSLOMilliseconds, Namespace: workloads.Namespace, Stack: "prod"}, pre.Users, base)
		require.NoError(t, err)
		want, err := json.Marshal(set.Groups)
		require.NoError(t, err)
		got, err := json.Marshal(rules[0].ListAt("spec.groups"))
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got), "%s %s", c.cloud, c.tier)
		var dashboards int
		for _, cm := range p.OfType(types.K8sConfigMap) {
			if cm.MapAt("metadata.labels")["grafana_dashboard"] == "1" {
				dashboards++
			}
		}
		assert.Equal(t, len(set.Dashboards), dashboards)
	}
}

// Without monitoring there is nothing to scrape or alert from: no rules, exporters or monitors.
func TestNoSignalsWithoutMonitoring(t *testing.T) {
	for _, p := range []plan.Plan{
		planFor(t, spec.DigitalOcean, "1k"),
		planFor(t, spec.AWS, "100k", "scalestack:overrides", `{"workloads":{"addons":{"monitoring":false}}}`),
	} {
		assert.Empty(t, p.OfType(prometheusRule))
		assert.Empty(t, p.OfType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor"))
		assert.Empty(t, p.OfType("kubernetes:monitoring.coreos.com/v1:PodMonitor"))
		for _, d := range p.OfType(types.K8sDeployment) {
			assert.NotEqual(t, spec.MonitoringComponent, d.MapAt("metadata.labels")[spec.ComponentLabel], d.Name)
		}
	}
}

// scalestack:alerts becomes Alertmanager's configuration, in a Secret the chart's Alertmanager
// reads; its receivers never show in the plan.
func TestAlertsRouteToTheReceivers(t *testing.T) {
	p := planFor(t, spec.DigitalOcean, "100k", "scalestack:alerts", `{"slack":"https://hooks.slack.com/services/T000/B000/XXXX","slackChannel":"#alerts"}`)
	var found bool
	for _, s := range p.OfType(types.K8sSecret) {
		if s.StringAt("metadata.name") == workloads.AlertmanagerSecret {
			found = true
			assert.Equal(t, plan.Secret, s.Inputs["stringData"], "the receivers stay secret")
		}
	}
	assert.True(t, found, "the Alertmanager Secret")
	mon, ok := p.Find(types.HelmRelease, "scalestack-prod-platform-kube-prometheus-stack")
	require.True(t, ok)
	am := mon.MapAt("values.alertmanager.alertmanagerSpec")
	assert.Equal(t, true, am["useExistingSecret"])
	assert.Equal(t, workloads.AlertmanagerSecret, am["configSecret"])

	// Without receivers, the chart's own configuration: no Secret.
	p = planFor(t, spec.DigitalOcean, "100k")
	for _, s := range p.OfType(types.K8sSecret) {
		assert.NotEqual(t, workloads.AlertmanagerSecret, s.StringAt("metadata.name"))
	}
}

// The exporters read the data stores with credentials of their own where the cloud makes them.
func TestExportersOnTheSystemPool(t *testing.T) {
	p := planFor(t, spec.DigitalOcean, "100k")
	var exporters []string
	for _, d := range p.OfType(types.K8sDeployment) {
		if d.MapAt("metadata.labels")[spec.ComponentLabel] != spec.MonitoringComponent {
			continue
		}
		exporters = append(exporters, d.StringAt("metadata.name"))
		assert.Equal(t, "system", d.MapAt("spec.template.spec.nodeSelector")[spec.PoolLabel], d.Name)
		assert.Equal(t, 2.0, d.Inputs["spec"].(map[string]any)["replicas"], d.Name)
	}
	assert.ElementsMatch(t, []string{signals.PostgresExporterJob, signals.ReplicaExporterJob + "-1", signals.ReplicaExporterJob + "-2", signals.RedisExporterJob}, exporters)
	var monitor bool
	for _, u := range p.OfType(types.DODatabaseUser) {
		monitor = monitor || u.StringAt("name") == "scalestack-monitor"
	}
	assert.True(t, monitor, "the exporters' own database user")
}

// The cloud's own alerting carries the database's CPU always (Prometheus cannot see a managed
// database's), and without monitoring every part the cloud measures, at the rules' thresholds.
func TestCloudAlarms(t *testing.T) {
	alarmsOf := func(p plan.Plan, typ string) map[string]plan.Resource {
		out := map[string]plan.Resource{}
		for _, r := range p.OfType(typ) {
			out[r.Name] = r
		}
		return out
	}
	email := `{"email":"oncall@example.com","smtp":{"smarthost":"smtp.example.com:587","from":"alerts@example.com"}}`
	do1k := alarmsOf(planFor(t, spec.DigitalOcean, "1k", "scalestack:alerts", email), types.DOMonitorAlert)
	require.Len(t, do1k, 5)
	cpu := do1k["scalestack-prod-alerts-database-cpu"]
	assert.Equal(t, 70.0, cpu.Inputs["value"], "the capacity model's database.cpuTarget")
	assert.Equal(t, "10m", cpu.StringAt("window"))
	assert.Equal(t, "scalestack-prod-db-pg-id", cpu.StringAt("entities.0"))
	assert.Nil(t, cpu.Inputs["tags"], "a policy's tags select what it watches")
	assert.Equal(t, "oncall@example.com", cpu.StringAt("alerts.emails.0"))
	node := do1k["scalestack-prod-alerts-node-cpu"]
	assert.Equal(t, "k8s:scalestack-prod-cluster-doks-id", node.StringAt("tags.0"))

	// With monitoring, the rules carry the rest: only the database's CPU is the cloud's.
	do100k := alarmsOf(planFor(t, spec.DigitalOcean, "100k", "scalestack:alerts", email), types.DOMonitorAlert)
	assert.Len(t, do100k, 1)
	// No receiver: a DigitalOcean policy has nowhere to go, and none is made.
	assert.Empty(t, alarmsOf(planFor(t, spec.DigitalOcean, "1k"), types.DOMonitorAlert))

	aws1k := planFor(t, spec.AWS, "1k")
	alarms := alarmsOf(aws1k, types.AWSMetricAlarm)
	var names []string
	for _, a := range alarms {
		names = append(names, a.StringAt("metricName"))
		periods, ok := a.NumberAt("evaluationPeriods")
		require.True(t, ok)
		datapoints, _ := a.NumberAt("datapointsToAlarm")
		assert.Equal(t, periods, datapoints, "every minute of the duration breaches")
		assert.GreaterOrEqual(t, periods, 5.0)
		assert.Equal(t, "notBreaching", a.StringAt("treatMissingData"))
	}
	assert.ElementsMatch(t, []string{"CPUUtilization", "DatabaseConnections", "Evictions", "DatabaseMemoryUsagePercentage"}, names)
	assert.Len(t, aws1k.OfType("aws:sns/topic:Topic"), 1)
	assert.Len(t, alarmsOf(planFor(t, spec.AWS, "100k"), types.AWSMetricAlarm), 1)
	assert.Empty(t, planFor(t, spec.Local, "1k").OfType(types.ComponentAlerts))
}
