// Package alerts is the cloud's own alerting for a stack: DigitalOcean monitor alert policies or
// CloudWatch alarms with an SNS topic, with the thresholds of the stack's Prometheus rules
// (signals.CloudAlarms). It carries what Prometheus cannot see (a managed database's CPU) and,
// where the stack has no monitoring, every part the cloud measures.
package alerts

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/signals"
)

// Type is the component's type token.
const Type = types.ComponentAlerts

// Spec is which alarms, where they go, and on which cloud.
type Spec struct {
	spec.Placement
	Alarms    []signals.Alarm
	Receivers signals.Receivers
}

// Args are the cloud's ids of what the alarms watch.
type Args struct {
	// ClusterID is the DigitalOcean Kubernetes cluster's id: its nodes carry the tag
	// k8s:<id>, which the node alarms select.
	ClusterID pulumi.StringInput
	// DatabaseID and CacheID are the managed database's and cache's ids (DigitalOcean).
	DatabaseID, CacheID pulumi.StringInput
	// Databases are the RDS instances' identifiers, the primary's first (AWS); CacheMembers
	// ElastiCache's node ids.
	Databases, CacheMembers []string
}

// Alerts is the component.
type Alerts struct {
	pulumi.ResourceState
}

// New builds the stack's alarms. A DigitalOcean alert policy needs somewhere to send to: with
// no e-mail and no Slack channel it is not made (the README says so). CloudWatch alarms are
// made either way and show their state in the console.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*Alerts, error) {
	if args == nil {
		return nil, fmt.Errorf("alerts %q: args are required", name)
	}
	a := &Alerts{}
	if err := ctx.RegisterComponentResource(Type, name, a, opts...); err != nil {
		return nil, err
	}
	var err error
	switch s.Cloud {
	case spec.DigitalOcean:
		err = a.digitalOcean(ctx, name, s, args)
	case spec.AWS:
		err = a.aws(ctx, name, s, args)
	}
	if err != nil {
		return nil, err
	}
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{})
}

// doTypes are DigitalOcean's alert types for each signal it measures.
var doTypes = map[string]string{
	signals.SignalDatabaseCPU:    "v1/dbaas/alerts/cpu_alerts",
	signals.SignalDatabaseMemory: "v1/dbaas/alerts/memory_utilization_alerts",
	signals.SignalCacheMemory:    "v1/dbaas/alerts/memory_utilization_alerts",
	signals.SignalNodeCPU:        "v1/insights/droplet/cpu",
	signals.SignalNodeMemory:     "v1/insights/droplet/memory_utilization_percent",
}

// doWindow is the shortest of DigitalOcean's windows (5m, 10m, 30m, 1h) that covers minutes.
func doWindow(minutes int) string {
	for _, w := range []int{5, 10, 30} {
		if minutes <= w {
			return strconv.Itoa(w) + "m"
		}
	}
	return "1h"
}

func (a *Alerts) digitalOcean(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	r := s.Receivers
	if r.Email == "" && (r.Slack == "" || r.SlackChannel == "") {
		return nil
	}
	to := digitalocean.MonitorAlertAlertsArgs{}
	if r.Email != "" {
		to.Emails = pulumi.StringArray{pulumi.String(r.Email)}
	}
	if r.Slack != "" && r.SlackChannel != "" {
		to.Slacks = digitalocean.MonitorAlertAlertsSlackArray{digitalocean.MonitorAlertAlertsSlackArgs{
			Channel: pulumi.String(r.SlackChannel), Url: pulumi.ToSecret(pulumi.String(r.Slack)).(pulumi.StringOutput),
		}}
	}
	for _, al := range s.Alarms {
		typ, ok := doTypes[al.Signal]
		if !ok {
			return fmt.Errorf("alerts %q: DigitalOcean measures no %s (alarm %s)", name, al.Signal, al.Name)
		}
		policy := &digitalocean.MonitorAlertArgs{
			Alerts: to, Compare: pulumi.String("GreaterThan"), Type: pulumi.String(typ),
			Value: pulumi.Float64(al.Threshold), Window: pulumi.String(doWindow(al.Minutes)),
			Description: pulumi.String("scalestack " + name + ": " + al.Summary), Enabled: pulumi.Bool(true),
		}
		switch al.Signal {
		case signals.SignalDatabaseCPU, signals.SignalDatabaseMemory:
			policy.Entities = pulumi.StringArray{args.DatabaseID}
		case signals.SignalCacheMemory:
			policy.Entities = pulumi.StringArray{args.CacheID}
		default: // the cluster's nodes
			policy.Tags = pulumi.StringArray{pulumi.Sprintf("k8s:%s", args.ClusterID)}
		}
		if _, err := digitalocean.NewMonitorAlert(ctx, name+"-"+al.Name, policy, pulumi.Parent(a)); err != nil {
			return err
		}
	}
	return nil
}
