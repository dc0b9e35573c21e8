package workloads

import (
	"fmt"
	"maps"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
)

// LoadBalancerArgs describe a public load balancer Service.
type LoadBalancerArgs struct {
	Cloud     spec.Cloud
	Namespace string
	Name      string
	Selector  pulumi.StringMap
	// Ports maps port names to numbers; the Service forwards each to the pods' port of the same
	// name.
	Ports map[string]int
	// Edge admits only Cloudflare's ranges: on DigitalOcean through the load balancer's firewall,
	// elsewhere through the Service's source ranges.
	Edge bool
	// Annotations are cloud settings on top of the ones every public load balancer gets.
	Annotations map[string]string
	Labels      pulumi.StringMap
	// Nodes sizes the load balancer where the cloud sizes it by nodes (DigitalOcean's size
	// units: 10,000 connections and 10,000 requests/s a node); elsewhere it scales by itself.
	Nodes int
}

// PublicLoadBalancer is a created load balancer Service and its address.
type PublicLoadBalancer struct {
	Service *corev1.Service
	// Host is the address the cloud assigned: an IP (DigitalOcean) or a name (AWS).
	Host pulumi.StringOutput
}

// LoadBalancer creates a public LoadBalancer Service that keeps the client's address
// (externalTrafficPolicy Local), is a Network Load Balancer on AWS, and with an edge admits
// only Cloudflare's published ranges.
func LoadBalancer(ctx *pulumi.Context, name string, a LoadBalancerArgs, opts ...pulumi.ResourceOption) (*PublicLoadBalancer, error) {
	annotations := pulumi.StringMap{}
	for k, v := range a.Annotations {
		annotations[k] = pulumi.String(v)
	}
	if a.Cloud == spec.DigitalOcean && a.Nodes > 0 {
		annotations["service.beta.kubernetes.io/do-loadbalancer-size-unit"] = pulumi.String(fmt.Sprint(a.Nodes))
	}
	if a.Cloud == spec.AWS {
		// A Network Load Balancer, not the in-tree default Classic one.
		annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = pulumi.String("nlb")
		annotations["service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled"] = pulumi.String("true")
	}
	sp := &corev1.ServiceSpecArgs{
		Type:                  pulumi.String("LoadBalancer"),
		ExternalTrafficPolicy: pulumi.String("Local"),
		Selector:              a.Selector,
	}
	var ports corev1.ServicePortArray
	for _, n := range slices.Sorted(maps.Keys(a.Ports)) {
		ports = append(ports, &corev1.ServicePortArgs{
			Name: pulumi.String(n), Port: pulumi.Int(a.Ports[n]), TargetPort: pulumi.String(n), Protocol: pulumi.String("TCP"),
		})
	}
	sp.Ports = ports
	if a.Cloud == spec.Local {
		// An existing cluster may have no load-balancer controller: do not wait for an address.
		annotations["pulumi.com/skipAwait"] = pulumi.String("true")
	}
	if a.Edge {
		ranges, err := spec.CloudflareRanges()
		if err != nil {
			return nil, err
		}
		// IPv4 only: the load balancers are IPv4, AWS puts the ranges in node security groups
		// as IPv4 rules, and DigitalOcean's firewall takes them the same way.
		var cidrs pulumi.StringArray
		for _, r := range ranges {
			if r.Addr().Is4() {
				cidrs = append(cidrs, pulumi.String(r.String()))
			}
		}
		// DigitalOcean's cloud controller turns the source ranges into the load balancer's
		// firewall; AWS's into the nodes' security group rules.
		sp.LoadBalancerSourceRanges = cidrs
	}
	svc, err := corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.Name), Namespace: pulumi.String(a.Namespace), Labels: a.Labels, Annotations: annotations,
		},
		Spec: sp,
	}, opts...)
	if err != nil {
		return nil, err
	}
	host := svc.Status.ApplyT(func(st *corev1.ServiceStatus) string {
		if st == nil || st.LoadBalancer == nil || len(st.LoadBalancer.Ingress) == 0 {
			return ""
		}
		in := st.LoadBalancer.Ingress[0]
		if in.Hostname != nil {
			return *in.Hostname
		}
		if in.Ip != nil {
			return *in.Ip
		}
		return ""
	}).(pulumi.StringOutput)
	return &PublicLoadBalancer{Service: svc, Host: host}, nil
}
