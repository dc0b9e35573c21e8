// Package signals is what a stack tells its operator: Prometheus alerting rules, Grafana
// dashboards and the tests that prove the rules, all generated from the stack's plan and the
// capacity model that `scalestack capacity` weighs the plan with. A rule's limit is a part's
// capacity in the same report, so the alerts, the presets' checks and the runbook read one set
// of numbers. The package imports no cloud SDK.
package signals

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// Thresholds are when the alerts fire, as data (thresholds.yaml).
type Thresholds struct {
	Near            capacity.Figure `yaml:"near"`
	AutoscalerFor   capacity.Figure `yaml:"autoscalerFor"`
	PoolFor         capacity.Figure `yaml:"poolFor"`
	SocketsFor      capacity.Figure `yaml:"socketsFor"`
	DatabaseFor     capacity.Figure `yaml:"databaseFor"`
	ConnectionsFor  capacity.Figure `yaml:"connectionsFor"`
	WaitingFor      capacity.Figure `yaml:"waitingFor"`
	CacheFor        capacity.Figure `yaml:"cacheFor"`
	QueueFor        capacity.Figure `yaml:"queueFor"`
	ErrorRatio      capacity.Figure `yaml:"errorRatio"`
	ErrorFor        capacity.Figure `yaml:"errorFor"`
	LatencyQuantile capacity.Figure `yaml:"latencyQuantile"`
	LatencyFor      capacity.Figure `yaml:"latencyFor"`
	CrashFor        capacity.Figure `yaml:"crashFor"`
	LagSeconds      capacity.Figure `yaml:"lagSeconds"`
	LagFor          capacity.Figure `yaml:"lagFor"`
	DownFor         capacity.Figure `yaml:"downFor"`
}

//go:embed thresholds.yaml
var thresholdsYAML []byte

//go:embed metrics.yaml
var metricsYAML []byte

// DefaultThresholds are the shipped thresholds.
func DefaultThresholds() (Thresholds, error) {
	var t Thresholds
	dec := yaml.NewDecoder(strings.NewReader(string(thresholdsYAML)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return t, fmt.Errorf("signals: thresholds.yaml: %w", err)
	}
	var errs []error
	check := func(name string, f capacity.Figure, lo, hi float64) {
		if f.Value < lo || f.Value > hi || f.Source == "" || f.Unit == "" {
			errs = append(errs, fmt.Errorf("signals: thresholds.yaml: %s: %v needs a value from %v to %v, a unit and a source", name, f.Value, lo, hi))
		}
	}
	check("near", t.Near, 0.01, 1)
	check("errorRatio", t.ErrorRatio, 0.0001, 1)
	check("latencyQuantile", t.LatencyQuantile, 0.5, 0.9999)
	check("lagSeconds", t.LagSeconds, 1, 3600)
	for name, f := range map[string]capacity.Figure{
		"autoscalerFor": t.AutoscalerFor, "poolFor": t.PoolFor, "socketsFor": t.SocketsFor, "databaseFor": t.DatabaseFor,
		"connectionsFor": t.ConnectionsFor, "waitingFor": t.WaitingFor, "cacheFor": t.CacheFor, "queueFor": t.QueueFor,
		"errorFor": t.ErrorFor, "latencyFor": t.LatencyFor, "crashFor": t.CrashFor, "lagFor": t.LagFor, "downFor": t.DownFor,
	} {
		check(name, f, 1, 120)
		if f.Value != float64(int(f.Value)) {
			errs = append(errs, fmt.Errorf("signals: thresholds.yaml: %s: %v is not a whole number of minutes", name, f.Value))
		}
	}
	return t, errors.Join(errs...)
}

// Source is one producer of series and the metrics it serves.
type Source struct {
	Name    string   `json:"name"`
	Source  string   `json:"source"`
	Metrics []string `json:"metrics"`
}

// Sources are every producer of the series the rules and dashboards read: the exporters'
// (metrics.yaml) and the app's own (its contract in components/spec).
func Sources() ([]Source, error) {
	var raw map[string]struct {
		Source  string   `yaml:"source"`
		Metrics []string `yaml:"metrics"`
	}
	if err := yaml.Unmarshal(metricsYAML, &raw); err != nil {
		return nil, fmt.Errorf("signals: metrics.yaml: %w", err)
	}
	out := []Source{{Name: "app", Source: "the app's processes at scalestack:app's metrics port and path (PodMonitors)",
		Metrics: []string{spec.ConnectionsMetric, spec.LatencyMetric + "_bucket"}}}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		out = append(out, Source{Name: name, Source: raw[name].Source, Metrics: raw[name].Metrics})
	}
	return out, nil
}

// Metrics are every metric name the stack produces, sorted.
func Metrics() ([]string, error) {
	srcs, err := Sources()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range srcs {
		out = append(out, s.Metrics...)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// Options say which stack the signals are for.
type Options struct {
	Cloud spec.Cloud
	// Tier is the stack's preset; Next the one above it, empty at the largest.
	Tier, Next string
	// SLOMilliseconds is the latency the stack answers for (scalestack:slo) at the thresholds'
	// quantile.
	SLOMilliseconds int
	// Namespace is the app's namespace.
	Namespace string
	// Stack is the Pulumi stack's name, for the runbook command the alerts name.
	Stack string
	// Installed are the add-ons the cluster runs itself (workloads.addons.installed), which the
	// plan shows no release of.
	Installed []string
}

// DefaultSLOMilliseconds is scalestack:slo's default: seed 001's p99 under 200 ms.
const DefaultSLOMilliseconds = 200

// Kinds of alert.
const (
	// Outgrowing alerts say the stack nears its preset's capacity: the fix is the next tier.
	Outgrowing = "outgrowing"
	// Broken alerts say users see failures now.
	Broken = "broken"
)

// Rule is a Prometheus alerting rule, as a PrometheusRule's group holds it.
type Rule struct {
	Alert       string            `json:"alert" yaml:"alert"`
	Expr        string            `json:"expr" yaml:"expr"`
	For         string            `json:"for,omitempty" yaml:"for,omitempty"`
	Labels      map[string]string `json:"labels" yaml:"labels"`
	Annotations map[string]string `json:"annotations" yaml:"annotations"`
}

// Group is a named group of rules.
type Group struct {
	Name  string `json:"name" yaml:"name"`
	Rules []Rule `json:"rules" yaml:"rules"`
}

// Set is every signal of one stack.
type Set struct {
	Groups     []Group     `json:"groups"`
	Dashboards []Dashboard `json:"dashboards"`
	// Alerts describe each alert once (a rule per part shares its alert's row).
	Alerts []Alert `json:"alerts"`
	// Scenarios are the promtool unit tests of the rules.
	Scenarios []Scenario `json:"scenarios"`
	// Alarms are the cloud's own alerting's share (CloudAlarms).
	Alarms []Alarm `json:"alarms"`
}

// Alert is one alert as the README's runbook lists it.
type Alert struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Severity  string `json:"severity"`
	Threshold string `json:"threshold"`
	Runbook   string `json:"runbook"`
}

// Rules are every rule of the set, in group order.
func (s Set) Rules() []Rule {
	var out []Rule
	for _, g := range s.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// RunbookAnchor is the README's heading of an alert's runbook.
func RunbookAnchor(alert string) string { return "README.md#" + strings.ToLower(alert) }

// ForPlan is the signals of a plan: what it runs, weighed by the capacity model at its tier's
// users (baselineUsers at rest), with the shipped thresholds. The report is the one the rules'
// limits come from.
func ForPlan(p plan.Plan, m capacity.Model, o Options, users, baselineUsers int) (Set, capacity.Report, error) {
	st, err := capacity.ReadStack(p, o.Cloud)
	if err != nil {
		return Set{}, capacity.Report{}, err
	}
	r, err := capacity.Evaluate(p, m, capacity.Options{Cloud: o.Cloud, Tier: o.Tier, Users: users, BaselineUsers: baselineUsers})
	if err != nil {
		return Set{}, capacity.Report{}, err
	}
	t, err := DefaultThresholds()
	if err != nil {
		return Set{}, capacity.Report{}, err
	}
	s, err := Build(st, r, m, t, o)
	return s, r, err
}
