package workloads

import (
	"github.com/scalestack/scalestack/plan/types"
	"strings"

	helm "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
)

// PlatformType is the platform add-ons component's type token.
const PlatformType = types.WorkloadPlatform

// IngressNamespace is where ingress-nginx runs; the API admits traffic from it.
const IngressNamespace = "ingress-nginx"

// chart is a pinned Helm chart.
type chart struct {
	name, repo, version, namespace string
}

// The add-ons' charts, pinned. A chart upgrade is a reviewed change of one of these lines.
var (
	ingressChart    = chart{"ingress-nginx", "https://kubernetes.github.io/ingress-nginx", "4.13.0", IngressNamespace}
	metricsChart    = chart{"metrics-server", "https://kubernetes-sigs.github.io/metrics-server/", "3.12.2", "kube-system"}
	kedaChart       = chart{"keda", "https://kedacore.github.io/charts", "2.17.0", "keda"}
	monitoringChart = chart{"kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "70.4.2", "monitoring"}
)

// PlatformSpec is which add-ons a stack runs and where.
type PlatformSpec struct {
	spec.Placement
	Addons spec.Addons
	// Edge locks the ingress load balancer to Cloudflare's addresses.
	Edge bool
	// SystemPool is the node pool the add-ons run on, away from the app.
	SystemPool string
}

// Platform is the component.
type Platform struct {
	pulumi.ResourceState

	// KEDA is KEDA's release when it is on: its CRDs must exist before a ScaledObject.
	KEDA pulumi.Resource
	// Ingress is ingress-nginx's release when it is on; it creates IngressNamespace.
	Ingress pulumi.Resource
	// IngressHost is the ingress load balancer's address once the cloud assigns it; empty
	// without the ingress add-on.
	IngressHost pulumi.StringOutput `pulumi:"ingressHost"`
}

// NewPlatform installs the add-ons the spec switches on, each as a Helm release with a pinned
// chart, on the system pool.
func NewPlatform(ctx *pulumi.Context, name string, s PlatformSpec, provider pulumi.ProviderResource, opts ...pulumi.ResourceOption) (*Platform, error) {
	p := &Platform{}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, err
	}
	onSystem := pulumi.Map{spec.PoolLabel: pulumi.String(s.SystemPool)}
	if s.Cloud == spec.Local {
		onSystem = pulumi.Map{} // an existing cluster's nodes carry no pool label
	}
	release := func(c chart, values pulumi.Map) (*helm.Release, error) {
		return helm.NewRelease(ctx, name+"-"+c.name, &helm.ReleaseArgs{
			Name:            pulumi.String(c.name),
			Chart:           pulumi.String(c.name),
			Version:         pulumi.String(c.version),
			Namespace:       pulumi.String(c.namespace),
			CreateNamespace: pulumi.Bool(c.namespace != "kube-system"),
			RepositoryOpts:  &helm.RepositoryOptsArgs{Repo: pulumi.String(c.repo)},
			Atomic:          pulumi.Bool(true),
			Values:          values,
		}, pulumi.Parent(p))
	}
	if s.Addons.MetricsServer {
		if _, err := release(metricsChart, pulumi.Map{"nodeSelector": onSystem, "replicas": pulumi.Int(2)}); err != nil {
			return nil, err
		}
	}
	p.IngressHost = pulumi.String("").ToStringOutput()
	if s.Addons.Ingress {
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
		rel, err := release(ingressChart, pulumi.Map{"controller": pulumi.Map{
			"replicaCount": pulumi.Int(2),
			"nodeSelector": onSystem,
			"service":      pulumi.Map{"enabled": pulumi.Bool(false)},
			"metrics":      pulumi.Map{"enabled": pulumi.Bool(true)},
			"config":       config,
			// The edge's origin certificate serves every host, so Cloudflare's strict TLS
			// holds; until it exists the controller uses its own.
			"extraArgs": pulumi.Map{"default-ssl-certificate": pulumi.String(IngressNamespace + "/" + spec.OriginTLSSecret)},
		}})
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
		}, pulumi.Parent(p), pulumi.DependsOn([]pulumi.Resource{rel}))
		if err != nil {
			return nil, err
		}
		p.IngressHost = svc.Host
		p.Ingress = rel
	}
	if s.Addons.KEDA {
		keda, err := release(kedaChart, pulumi.Map{"nodeSelector": onSystem})
		if err != nil {
			return nil, err
		}
		p.KEDA = keda
	}
	if s.Addons.Monitoring {
		if _, err := release(monitoringChart, pulumi.Map{
			"prometheus": pulumi.Map{"prometheusSpec": pulumi.Map{
				"nodeSelector": onSystem,
				"retention":    pulumi.String("15d"),
				"serviceMonitorSelectorNilUsesHelmValues": pulumi.Bool(false),
			}},
			"grafana":      pulumi.Map{"nodeSelector": onSystem},
			"alertmanager": pulumi.Map{"alertmanagerSpec": pulumi.Map{"nodeSelector": onSystem}},
		}); err != nil {
			return nil, err
		}
	}
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{"ingressHost": p.IngressHost})
}
