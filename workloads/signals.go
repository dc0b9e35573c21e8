package workloads

import (
	"encoding/json"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/signals"
)

// SignalsType is the signals component's type token.
const SignalsType = types.WorkloadSignals

// AlertmanagerSecret is the Secret that holds Alertmanager's configuration where
// scalestack:alerts names receivers; kube-prometheus-stack's Alertmanager reads it instead of
// the chart's own.
const AlertmanagerSecret = "scalestack-alertmanager"

// dashboardLabel is the label kube-prometheus-stack's Grafana sidecar loads dashboards from.
const dashboardLabel = "grafana_dashboard"

// SignalsSpec is what the stack tells its operator.
type SignalsSpec struct {
	// Set is the rules and dashboards, generated from the stack's plan and capacity.
	Set signals.Set
	// Alertmanager is Alertmanager's configuration (a secret); nil leaves the chart's, which
	// shows the alerts in Alertmanager and Grafana only.
	Alertmanager pulumi.StringInput
}

// Signals is the component: a PrometheusRule, a ConfigMap a dashboard, and Alertmanager's
// configuration, in the monitoring add-on's namespace.
type Signals struct {
	pulumi.ResourceState
}

// NewSignals deploys a stack's signals after the monitoring add-on's release (monitoring), which
// makes the namespace and the PrometheusRule CRD; nil where the cluster runs the add-on itself.
func NewSignals(ctx *pulumi.Context, name string, s SignalsSpec, provider pulumi.ProviderResource, monitoring pulumi.Resource, opts ...pulumi.ResourceOption) (*Signals, error) {
	c := &Signals{}
	if err := ctx.RegisterComponentResource(SignalsType, name, c, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c)}
	if monitoring != nil {
		// The release makes the namespace and the CRD; a cluster that runs the add-on itself
		// (workloads.addons.installed) has both already.
		child = append(child, pulumi.DependsOn([]pulumi.Resource{monitoring}))
	}
	ls := pulumi.StringMap{partOfLabel: pulumi.String("scalestack")}
	at := func(name string, more pulumi.StringMap) *metav1.ObjectMetaArgs {
		all := pulumi.StringMap{}
		for k, v := range ls {
			all[k] = v
		}
		for k, v := range more {
			all[k] = v
		}
		return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: pulumi.String(MonitoringNamespace), Labels: all}
	}
	// The groups as plain values: the rules' text is the set's, byte for byte.
	var groups []any
	b, err := json.Marshal(s.Set.Groups)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &groups); err != nil {
		return nil, err
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-rules", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("monitoring.coreos.com/v1"),
		Kind:        pulumi.String("PrometheusRule"),
		Metadata:    at("scalestack", nil),
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{"groups": groups}},
	}, child...); err != nil {
		return nil, err
	}
	for _, d := range s.Set.Dashboards {
		body, err := d.JSON()
		if err != nil {
			return nil, err
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-"+d.UID, &corev1.ConfigMapArgs{
			Metadata: at(d.UID, pulumi.StringMap{dashboardLabel: pulumi.String("1")}),
			Data:     pulumi.StringMap{d.UID + ".json": pulumi.String(string(body))},
		}, child...); err != nil {
			return nil, err
		}
	}
	if s.Alertmanager != nil {
		if _, err := corev1.NewSecret(ctx, name+"-alertmanager", &corev1.SecretArgs{
			Metadata:   at(AlertmanagerSecret, nil),
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"alertmanager.yaml": pulumi.ToSecret(s.Alertmanager).(pulumi.StringOutput)},
		}, append(child, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...); err != nil {
			return nil, err
		}
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{})
}
