package workloads

import (
	"fmt"
	"strings"

	"github.com/scalestack/scalestack/plan/types"

	helm "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
	"github.com/scalestack/scalestack/components/spec"
)

// PlatformType is the platform add-ons component's type token.
const PlatformType = types.WorkloadPlatform

// IngressNamespace is where ingress-nginx runs; the API admits traffic from it.
const IngressNamespace = "ingress-nginx"

// chart is a pinned Helm chart, and the Deployments and StatefulSets its release makes (by the
// names the chart gives them under the release name below), which the vpa add-on recommends
// requests for.
type chart struct {
	name, repo, version, namespace string
	workloads                      []workload
}

type workload struct{ kind, name string }

// The add-ons' charts, pinned. A chart upgrade is a reviewed change of one of these lines.
var (
	ingressChart = chart{"ingress-nginx", "https://kubernetes.github.io/ingress-nginx", "4.13.0", IngressNamespace,
		[]workload{{"Deployment", "ingress-nginx-controller"}}}
	metricsChart = chart{"metrics-server", "https://kubernetes-sigs.github.io/metrics-server/", "3.12.2", "kube-system",
		[]workload{{"Deployment", "metrics-server"}}}
	kedaChart = chart{"keda", "https://kedacore.github.io/charts", "2.17.0", "keda",
		[]workload{{"Deployment", "keda-operator"}, {"Deployment", "keda-operator-metrics-apiserver"}, {"Deployment", "keda-admission-webhooks"}}}
	monitoringChart = chart{"kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "70.4.2", "monitoring",
		[]workload{{"Deployment", "kube-prometheus-stack-operator"}, {"Deployment", "kube-prometheus-stack-grafana"},
			{"Deployment", "kube-prometheus-stack-kube-state-metrics"},
			{"StatefulSet", "prometheus-kube-prometheus-stack-prometheus"}, {"StatefulSet", "alertmanager-kube-prometheus-stack-alertmanager"}}}
	// The Vertical Pod Autoscaler's own chart (SIG Autoscaling's; VPA 1.6.0), the recommender
	// alone: in updateMode Off nothing needs the updater or the admission controller's webhook,
	// which the chart's notes call not yet ready for production.
	vpaChart = chart{"vertical-pod-autoscaler", "https://kubernetes.github.io/autoscaler", "0.8.0", "kube-system", nil}
)

// PlatformSpec is which add-ons a stack runs and where.
type PlatformSpec struct {
	spec.Placement
	Addons spec.Addons
	// Edge locks the ingress load balancer to Cloudflare's addresses.
	Edge bool
	// SystemPool is the node pool the add-ons run on, away from the app.
	SystemPool string
	// Alerts is whether scalestack:alerts names receivers: Alertmanager then reads them from
	// AlertmanagerSecret.
	Alerts bool
	// Ingress sizes the ingress-nginx controllers: their pods, HPA and pool (the system pool
	// or an app pool).
	Ingress spec.Service
}

// PrometheusAddress is kube-prometheus-stack's Prometheus inside the cluster: the chart names
// its Service <release>-prometheus, on port 9090, in the release's namespace.
var PrometheusAddress = fmt.Sprintf("http://%s-prometheus.%s.svc.cluster.local:%d", monitoringChart.name, monitoringChart.namespace, prometheusPort)

// MonitoringNamespace is where Prometheus runs; the app admits its scrapes from there.
var MonitoringNamespace = monitoringChart.namespace

const prometheusPort = 9090

// Platform is the component.
type Platform struct {
	pulumi.ResourceState

	// KEDA is KEDA's release when it is on: its CRDs must exist before a ScaledObject. Nil
	// when it is off or the cluster runs it already (workloads.addons.installed), which has
	// the CRDs.
	KEDA pulumi.Resource
	// Monitoring is kube-prometheus-stack's release when it is on: its CRDs must exist before
	// a PodMonitor. Nil when it is off or the cluster runs it already.
	Monitoring pulumi.Resource
	// Ingress is ingress-nginx's release when it is on; it creates IngressNamespace. Nil
	// when it is off.
	Ingress pulumi.Resource
	// VPA is the Vertical Pod Autoscaler's release when it is on: its CRD must exist before a
	// VerticalPodAutoscaler. Nil when it is off or the cluster runs it already.
	VPA pulumi.Resource
	// IngressHost is the ingress load balancer's address once the cloud assigns it; empty
	// without the ingress add-on.
	IngressHost pulumi.StringOutput `pulumi:"ingressHost"`
}

// NewPlatform installs the add-ons the spec switches on, each as a Helm release with a pinned
// chart, on the system pool; those the cluster runs already (Addons.Installed) get none.
func NewPlatform(ctx *pulumi.Context, name string, s PlatformSpec, provider pulumi.ProviderResource, opts ...pulumi.ResourceOption) (*Platform, error) {
	p := &Platform{}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, err
	}
	onPool := func(pool string) pulumi.Map {
		if s.Cloud == spec.Local {
			return pulumi.Map{} // an existing cluster's nodes carry no pool label
		}
		return pulumi.Map{spec.PoolLabel: pulumi.String(pool)}
	}
	onSystem := onPool(s.SystemPool)
	release := func(c chart, values pulumi.Map, after ...pulumi.Resource) (*helm.Release, error) {
		return helm.NewRelease(ctx, name+"-"+c.name, &helm.ReleaseArgs{
			Name:            pulumi.String(c.name),
			Chart:           pulumi.String(c.name),
			Version:         pulumi.String(c.version),
			Namespace:       pulumi.String(c.namespace),
			CreateNamespace: pulumi.Bool(c.namespace != "kube-system"),
			RepositoryOpts:  &helm.RepositoryOptsArgs{Repo: pulumi.String(c.repo)},
			Atomic:          pulumi.Bool(true),
			Values:          values,
		}, pulumi.Parent(p), pulumi.DependsOn(after))
	}
	if s.Addons.Release(spec.AddonVPA) {
		vpa, err := release(vpaChart, pulumi.Map{
			"recommender":         pulumi.Map{"enabled": pulumi.Bool(true), "nodeSelector": onSystem},
			"updater":             pulumi.Map{"enabled": pulumi.Bool(false)},
			"admissionController": pulumi.Map{"enabled": pulumi.Bool(false)},
		})
		if err != nil {
			return nil, err
		}
		p.VPA = vpa
	}
	// recommend gives a release's Deployments and StatefulSets their VerticalPodAutoscalers.
	recommend := func(c chart, rel pulumi.Resource) error {
		if !s.Addons.VPA {
			return nil
		}
		after := []pulumi.Resource{rel}
		if p.VPA != nil {
			after = append(after, p.VPA)
		}
		for _, w := range c.workloads {
			if err := kube.VPA(ctx, name+"-"+w.name, c.namespace, w.kind, w.name, pulumi.Parent(p), pulumi.DependsOn(after)); err != nil {
				return err
			}
		}
		return nil
	}
	if s.Addons.Release(spec.AddonMetricsServer) {
		rel, err := release(metricsChart, pulumi.Map{"nodeSelector": onSystem, "replicas": pulumi.Int(2)})
		if err != nil {
			return nil, err
		}
		if err := recommend(metricsChart, rel); err != nil {
			return nil, err
		}
	}
	if s.Addons.Release(spec.AddonMonitoring) {
		alertmanager := pulumi.Map{"nodeSelector": onSystem}
		if s.Alerts {
			// Alertmanager reads scalestack:alerts' receivers from the Secret the signals
			// component makes, instead of the chart's configuration (which routes nowhere).
			alertmanager["useExistingSecret"] = pulumi.Bool(true)
			alertmanager["configSecret"] = pulumi.String(AlertmanagerSecret)
		}
		mon, err := release(monitoringChart, pulumi.Map{
			"prometheus": pulumi.Map{"prometheusSpec": pulumi.Map{
				"nodeSelector": onSystem,
				"retention":    pulumi.String("15d"),
				"serviceMonitorSelectorNilUsesHelmValues": pulumi.Bool(false),
				// And every PodMonitor (the app's processes') and PrometheusRule (the
				// signals'), not only the chart's own.
				"podMonitorSelectorNilUsesHelmValues": pulumi.Bool(false),
				"ruleSelectorNilUsesHelmValues":       pulumi.Bool(false),
			}},
			"grafana":      pulumi.Map{"nodeSelector": onSystem},
			"alertmanager": pulumi.Map{"alertmanagerSpec": alertmanager},
			// The nodes' pool label reaches kube_node_labels and the pods' process label
			// kube_pod_labels: the pool alerts count a pool's nodes and its pending pods.
			"kube-state-metrics": pulumi.Map{
				"nodeSelector": onSystem,
				"metricLabelsAllowlist": pulumi.StringArray{
					pulumi.String("nodes=[" + spec.PoolLabel + "]"),
					pulumi.String("pods=[" + processLabel + "]"),
				},
			},
		})
		if err != nil {
			return nil, err
		}
		p.Monitoring = mon
		if err := recommend(monitoringChart, mon); err != nil {
			return nil, err
		}
	}
	p.IngressHost = pulumi.String("").ToStringOutput()
	if s.Addons.Release(spec.AddonIngress) {
		// The chart's own Service is off: the load balancer is a Service of this program, so
		// its address feeds the edge's records and its source ranges lock it to the edge.
		config := pulumi.Map{}
		if s.Edge {
			// Behind Cloudflare the client's address is in the forwarded headers; trust them
			// from Cloudflare's ranges only, so nobody else can claim an address.
			ranges, err := spec.CloudflareRanges()
			if err != nil {
				return nil, err
			}
			var cidrs []string
			for _, r := range ranges {
				cidrs = append(cidrs, r.String())
			}
			config["use-forwarded-headers"] = pulumi.String("true")
			config["proxy-real-ip-cidr"] = pulumi.String(strings.Join(cidrs, ","))
		}
		// The controllers are sized by the preset (workloads.ingress) and scale on CPU with
		// the chart's HPA, with the app's scaling behaviour. Values of chart 4.13.0 relied on:
		// controller.replicaCount, controller.nodeSelector, controller.resources,
		// controller.autoscaling.{enabled, minReplicas, maxReplicas,
		// targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage, behavior}, and
		// controller.minAvailable / controller.maxUnavailable: the chart's own
		// PodDisruptionBudget (templates/controller-poddisruptionbudget.yaml), which it creates
		// when autoscaling.minReplicas > 1, takes minAvailable when it is set (the default 1)
		// and maxUnavailable otherwise. So minAvailable is 0 (unset for the template) and
		// maxUnavailable 1: one PDB, one pod down at a time, and no PDB of ours beside it (the
		// eviction API refuses a pod that two PDBs select).
		ing := s.Ingress
		rel, err := release(ingressChart, pulumi.Map{"controller": pulumi.Map{
			"replicaCount": pulumi.Int(ing.MinReplicas),
			"nodeSelector": onPool(ing.Pool),
			"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String(ing.Resources.CPU), "memory": pulumi.String(ing.Resources.Memory)},
				"limits":   pulumi.Map{"cpu": pulumi.String(ing.Resources.CPULimit), "memory": pulumi.String(ing.Resources.MemoryLimit)},
			},
			"autoscaling": pulumi.Map{
				"enabled":                        pulumi.Bool(true),
				"minReplicas":                    pulumi.Int(ing.MinReplicas),
				"maxReplicas":                    pulumi.Int(ing.MaxReplicas),
				"targetCPUUtilizationPercentage": pulumi.Int(ing.CPUTarget),
				// The chart's default adds a memory target (50%); the controllers are sized
				// on CPU (requests a second), so 0 leaves the memory metric out.
				"targetMemoryUtilizationPercentage": pulumi.Int(0),
				"behavior":                          scalingBehavior(),
			},
			"minAvailable":   pulumi.Int(0),
			"maxUnavailable": pulumi.Int(1),
			"service":        pulumi.Map{"enabled": pulumi.Bool(false)},
			// With monitoring, the chart's ServiceMonitor has Prometheus scrape the controllers
			// (nginx_ingress_controller_requests, the 5xx and latency alerts' series).
			"metrics": pulumi.Map{"enabled": pulumi.Bool(true), "serviceMonitor": pulumi.Map{"enabled": pulumi.Bool(s.Addons.Monitoring)}},
			"config":  config,
			// The edge's origin certificate serves every host, so Cloudflare's strict TLS
			// holds; until it exists the controller uses its own.
			"extraArgs": pulumi.Map{"default-ssl-certificate": pulumi.String(IngressNamespace + "/" + spec.OriginTLSSecret)},
		}}, monitoringFirst(p.Monitoring)...)
		if err != nil {
			return nil, err
		}
		svc, err := LoadBalancer(ctx, name+"-ingress", LoadBalancerArgs{
			Cloud: s.Cloud, Namespace: IngressNamespace, Name: "ingress-nginx-controller", Edge: s.Edge,
			Selector: pulumi.StringMap{
				"app.kubernetes.io/name":      pulumi.String("ingress-nginx"),
				"app.kubernetes.io/instance":  pulumi.String("ingress-nginx"),
				"app.kubernetes.io/component": pulumi.String("controller"),
			},
			Ports: map[string]int{"http": 80, "https": 443},
			Nodes: s.Ingress.LoadBalancerNodes,
		}, pulumi.Parent(p), pulumi.DependsOn([]pulumi.Resource{rel}))
		if err != nil {
			return nil, err
		}
		p.IngressHost = svc.Host
		p.Ingress = rel
		if err := recommend(ingressChart, rel); err != nil {
			return nil, err
		}
	}
	if s.Addons.Release(spec.AddonKEDA) {
		keda, err := release(kedaChart, pulumi.Map{"nodeSelector": onSystem})
		if err != nil {
			return nil, err
		}
		p.KEDA = keda
		if err := recommend(kedaChart, keda); err != nil {
			return nil, err
		}
	}
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{"ingressHost": p.IngressHost})
}

// monitoringFirst orders a release after the monitoring add-on's, whose CRDs its
// ServiceMonitor needs; nothing without monitoring.
func monitoringFirst(mon pulumi.Resource) []pulumi.Resource {
	if mon == nil {
		return nil
	}
	return []pulumi.Resource{mon}
}
