// Package cluster is the Kubernetes cluster: on DigitalOcean a DOKS cluster whose default pool
// is a small fixed system pool, plus one autoscaling node pool per app pool of the tier; on AWS
// an EKS cluster with managed node groups the same way, its core add-ons and Cluster Autoscaler.
package cluster

import (
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// Type is the component's type token.
const Type = types.ComponentCluster

// Autoscaler settings shared by every tier: scale down after 10 minutes under half use, so a
// spike's nodes stay for its aftershocks but not for the night.
const (
	scaleDownUnneededTime         = "10m"
	scaleDownUtilizationThreshold = 0.5
)

// Spec is the cluster and where it goes.
type Spec struct {
	spec.Placement
	spec.Cluster
	// Autoscaler installs Cluster Autoscaler where the cloud needs it (EKS).
	Autoscaler bool
	// Karpenter is EKS's node autoscaler in Cluster Autoscaler's place: the app pools are
	// Karpenter NodePools rather than managed node groups. Ignored elsewhere, as Autoscaler is.
	Karpenter bool
	// Zones are the stack's zones, where the NodePools launch nodes; Discovery the value of the
	// karpenter.sh/discovery tag on the private subnets (the network's) and on the cluster's
	// security group, by which the EC2NodeClasses find them.
	Zones     []string
	Discovery string
	// Windows are the launch windows' holds (scalestack:launch): Karpenter removes no node of
	// a NodePool from a window's begin to its end.
	Windows []spec.Prescale
	// AdminCIDRs restrict who reaches the Kubernetes API (scalestack:adminCidrs): EKS's public
	// endpoint allow-list, DOKS's control-plane firewall. Empty leaves the API open to every
	// address, as it was before. Either way a change updates the cluster in place.
	AdminCIDRs spec.AdminCIDRs
}

// WithDefaults fills the documented defaults.
func (s Spec) WithDefaults() Spec {
	s.Cluster = s.Cluster.WithDefaults()
	return s
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	var local error
	if s.Cloud == spec.Local && len(s.AdminCIDRs) > 0 {
		local = errors.New("adminCidrs: the local cloud's cluster is not scalestack's to restrict (want none)")
	}
	var karpenter error
	if s.Cloud == spec.AWS && s.Karpenter {
		switch {
		case s.Autoscaler:
			karpenter = errors.New("karpenter: on beside Cluster Autoscaler: both would resize the same nodes (want one of them)")
		case s.Discovery == "":
			karpenter = errors.New("karpenter: no discovery tag value for the subnets and security group (want Spec.Discovery)")
		}
	}
	return errors.Join(s.Placement.Validate(), s.Cluster.Validate("cluster.", s.Cloud), s.AdminCIDRs.Validate("adminCidrs."), local, karpenter)
}

// Args connects the cluster to the network.
type Args struct {
	VpcID pulumi.StringInput
	// PrivateSubnetIDs are where EKS puts its nodes and control-plane interfaces (AWS).
	PrivateSubnetIDs pulumi.StringArrayInput
	// Kubeconfig is the existing cluster of the local cloud: a path or the contents.
	Kubeconfig pulumi.StringInput
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState

	// ClusterID is the cloud's ID of the cluster (DOKS UUID).
	ClusterID pulumi.StringOutput `pulumi:"clusterId"`
	// Endpoint is the API server's URL.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// Kubeconfig is a kubeconfig for the cluster, secret.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// NodeSecurityGroupID is the security group every node and pod carries (AWS: the EKS
	// cluster security group); databases and caches admit it. Empty on DigitalOcean, whose
	// database firewalls name the cluster instead.
	NodeSecurityGroupID pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
	// OIDCProviderARN is the IAM OIDC provider for service-account roles (AWS; empty elsewhere).
	OIDCProviderARN pulumi.StringOutput `pulumi:"oidcProviderArn"`

	// Provider deploys into the cluster: the explicit Kubernetes provider every workload uses,
	// built from the cluster's own kubeconfig.
	Provider *kubernetes.Provider
}

// New builds the cluster.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	if args == nil || args.VpcID == nil {
		return nil, fmt.Errorf("cluster %q: args.VpcID is required", name)
	}
	if s.Cloud == spec.AWS && args.PrivateSubnetIDs == nil {
		return nil, fmt.Errorf("cluster %q: args.PrivateSubnetIDs is required on aws", name)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	switch s.Cloud {
	case spec.DigitalOcean:
		if err := c.digitalOcean(ctx, name, s, args); err != nil {
			return nil, err
		}
		c.NodeSecurityGroupID = pulumi.String("").ToStringOutput()
		c.OIDCProviderARN = pulumi.String("").ToStringOutput()
		k8s, err := kubeProvider(ctx, name, c.Kubeconfig, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.Provider = k8s
	case spec.AWS:
		if err := c.aws(ctx, name, s, args); err != nil {
			return nil, err
		}
	case spec.Local:
		if args.Kubeconfig == nil {
			return nil, fmt.Errorf("cluster %q: args.Kubeconfig is required on local", name)
		}
		// The existing cluster, reached only through this explicit provider.
		k8s, err := kubeProvider(ctx, name, args.Kubeconfig, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.Provider = k8s
		c.ClusterID = pulumi.String("local").ToStringOutput()
		c.Endpoint = pulumi.String("").ToStringOutput()
		c.Kubeconfig = pulumi.ToSecret(args.Kubeconfig.ToStringOutput()).(pulumi.StringOutput)
		c.NodeSecurityGroupID = pulumi.String("").ToStringOutput()
		c.OIDCProviderARN = pulumi.String("").ToStringOutput()
	default:
		return nil, fmt.Errorf("cluster %q: cloud %q is not built by this component yet (want digitalocean, aws or local)", name, s.Cloud)
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterId":           c.ClusterID,
		"endpoint":            c.Endpoint,
		"kubeconfig":          c.Kubeconfig,
		"nodeSecurityGroupId": c.NodeSecurityGroupID,
		"oidcProviderArn":     c.OIDCProviderARN,
	})
}

func (c *Cluster) digitalOcean(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	clusterOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Protect(s.Protect)}
	if !s.HA {
		// DigitalOcean cannot turn an HA control plane off. A tier without HA therefore leaves
		// an existing cluster's HA as it is (a downgrade keeps it) and creates new clusters
		// without it; a tier with HA turns it on.
		clusterOpts = append(clusterOpts, pulumi.IgnoreChanges([]string{"ha"}))
	}
	sys := s.SystemPool
	// Without admin ranges no firewall is set: the API stays open, as before the key existed.
	var firewall digitalocean.KubernetesClusterControlPlaneFirewallPtrInput
	if len(s.AdminCIDRs) > 0 {
		firewall = &digitalocean.KubernetesClusterControlPlaneFirewallArgs{
			Enabled:          pulumi.Bool(true),
			AllowedAddresses: pulumi.ToStringArray(s.AdminCIDRs),
		}
	}
	doks, err := digitalocean.NewKubernetesCluster(ctx, name+"-doks", &digitalocean.KubernetesClusterArgs{
		Name:         pulumi.String(names.DNS(name, 63)),
		Region:       pulumi.String(s.Region),
		Version:      pulumi.String(s.Version.DigitalOcean),
		VpcUuid:      args.VpcID,
		Ha:           pulumi.Bool(s.HA),
		SurgeUpgrade: pulumi.Bool(s.SurgeUpgrade),
		// The version is pinned: DigitalOcean moving it would make the pinned value a
		// downgrade, which replaces the cluster. Upgrades are a change to the pinned version.
		AutoUpgrade:          pulumi.Bool(false),
		ControlPlaneFirewall: firewall,
		MaintenancePolicy: &digitalocean.KubernetesClusterMaintenancePolicyArgs{
			Day:       pulumi.String(s.Maintenance.Day),
			StartTime: pulumi.String(s.Maintenance.StartTime),
		},
		ClusterAutoscalerConfigurations: digitalocean.KubernetesClusterClusterAutoscalerConfigurationArray{
			&digitalocean.KubernetesClusterClusterAutoscalerConfigurationArgs{
				ScaleDownUnneededTime:         pulumi.String(scaleDownUnneededTime),
				ScaleDownUtilizationThreshold: pulumi.Float64(scaleDownUtilizationThreshold),
			},
		},
		NodePool: &digitalocean.KubernetesClusterNodePoolArgs{
			Name:      pulumi.String(sys.Name),
			Size:      pulumi.String(sys.Size.DigitalOcean),
			AutoScale: pulumi.Bool(true),
			MinNodes:  pulumi.Int(sys.MinNodes),
			MaxNodes:  pulumi.Int(sys.MaxNodes),
			Labels:    pulumi.ToStringMap(sys.NodeLabels()),
		},
	}, clusterOpts...)
	if err != nil {
		return err
	}
	for _, pool := range s.AppPools {
		size := pool.Size.DigitalOcean
		// The size is part of the name: a new size is a new pool, created before the old one is
		// deleted, instead of an in-place replacement that would take the pool's nodes at once.
		poolName := names.DNS(pool.Name+"-"+size, 63)
		_, err := digitalocean.NewKubernetesNodePool(ctx, name+"-"+poolName, &digitalocean.KubernetesNodePoolArgs{
			ClusterId: doks.ID(),
			Name:      pulumi.String(poolName),
			Size:      pulumi.String(size),
			AutoScale: pulumi.Bool(true),
			MinNodes:  pulumi.Int(pool.MinNodes),
			MaxNodes:  pulumi.Int(pool.MaxNodes),
			Labels:    pulumi.ToStringMap(pool.NodeLabels()),
		}, pulumi.Parent(c))
		if err != nil {
			return err
		}
	}
	c.ClusterID = doks.ID().ToStringOutput()
	c.Endpoint = doks.Endpoint
	// The provider marks kubeConfigs secret, and the secret flag follows the value here.
	c.Kubeconfig = doks.KubeConfigs.ApplyT(func(kcs []digitalocean.KubernetesClusterKubeConfig) (string, error) {
		if len(kcs) == 0 || kcs[0].RawConfig == nil {
			return "", fmt.Errorf("cluster %q: DigitalOcean returned no kubeconfig for the cluster", name)
		}
		return *kcs[0].RawConfig, nil
	}).(pulumi.StringOutput)
	return nil
}

// kubeProvider is the cluster's one Kubernetes provider, which every object in it goes through.
// ConfigMaps and Secrets change in place: by default the provider replaces them when their data
// changes, and a replaced ConfigMap of a fixed name is deleted first, taking every Deployment
// that reads it with it (a tier switch would stop the app). The pods roll instead, on the hash
// of the configuration in their template.
func kubeProvider(ctx *pulumi.Context, name string, kubeconfig pulumi.StringInput, opts ...pulumi.ResourceOption) (*kubernetes.Provider, error) {
	return kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig:             kubeconfig,
		EnableConfigMapMutable: pulumi.Bool(true),
		EnableSecretMutable:    pulumi.Bool(true),
	}, opts...)
}
