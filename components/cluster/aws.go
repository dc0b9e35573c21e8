package cluster

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helm "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/amazon"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// EKS settings that are the same for every tier.
const (
	// amiType is Amazon Linux 2023 on x86_64, which every catalogued AWS node size runs.
	amiType = "AL2023_x86_64_STANDARD"
	// nodeDiskGiB holds images and logs; container data that matters lives in EBS volumes.
	nodeDiskGiB = 50
	// maxUnavailablePercent bounds how much of a node group a version or AMI update drains at once.
	maxUnavailablePercent = 33
	// supportType STANDARD: a cluster left on an old version is upgraded by AWS, not billed
	// $0.60 an hour of extended support.
	supportType = "STANDARD"
	// clusterAdminPolicy is the EKS access policy that grants cluster-admin.
	clusterAdminPolicy = "AmazonEKSClusterAdminPolicy"
)

// Cluster Autoscaler, from its own Helm chart, in kube-system on the system pool.
const (
	autoscalerChart = "cluster-autoscaler"
	// The chart's templates; the image is set to the cluster's minor version below.
	autoscalerChartVersion   = "9.47.0"
	autoscalerRepo           = "https://kubernetes.github.io/autoscaler"
	autoscalerNamespace      = "kube-system"
	autoscalerServiceAccount = "cluster-autoscaler"
	ebsCSIServiceAccount     = "ebs-csi-controller-sa"
	autoscalerTagPrefix      = "k8s.io/cluster-autoscaler/"
)

// nodePolicies are the AWS managed policies a node's role needs to join the cluster, run the
// CNI and pull images: the managed node groups' role and Karpenter's nodes' role.
var nodePolicies = []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}

// addonSpec is one EKS managed add-on. Its quirks are fields here: its configuration values,
// and whether its controller needs an IAM role of its own (IRSA) to call AWS.
type addonSpec struct {
	name        string
	beforeNodes bool
	// configuration is the add-on's configuration values (JSON); empty for its defaults.
	configuration string
	// needsRole add-ons get the cluster's EBS CSI role through IRSA.
	needsRole bool
}

// addons are the EKS managed add-ons every cluster runs. The cluster is created without the
// self-managed defaults, so these are the only copies. beforeNodes ones let nodes become Ready.
var addons = []addonSpec{
	// The CNI enforces NetworkPolicies only when asked: the app's default-deny and the data
	// services' admit rules depend on it.
	{name: "vpc-cni", beforeNodes: true, configuration: `{"enableNetworkPolicy":"true"}`},
	{name: "kube-proxy", beforeNodes: true},
	{name: "coredns"},
	{name: "aws-ebs-csi-driver", needsRole: true},
}

// aws builds EKS: an API-authenticated cluster with an OIDC provider, managed node groups (a
// fixed system group and one autoscaling group per app pool, named by instance type so that a
// new type comes up before the old group is drained), the core add-ons and Cluster Autoscaler;
// or, with Karpenter, the system group alone and a Karpenter NodePool per app pool.
func (c *Cluster) aws(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	e := &eksBuild{ctx: ctx, name: name, s: s, args: args, parent: pulumi.Parent(c), clusterName: names.DNS(name, 100)}
	for _, step := range []func() error{e.roles, e.controlPlane, e.accessEntries, e.earlyAddons, e.nodeGroups, e.lateAddons} {
		if err := step(); err != nil {
			return err
		}
	}
	eksCluster := e.cluster
	c.ClusterID = eksCluster.Name
	c.Endpoint = eksCluster.Endpoint
	c.NodeSecurityGroupID = eksCluster.VpcConfig.ClusterSecurityGroupId().Elem()
	c.OIDCProviderARN = e.oidc.Arn
	c.Kubeconfig = pulumi.ToSecret(pulumi.All(eksCluster.Name, eksCluster.Endpoint, eksCluster.CertificateAuthority.Data().Elem()).ApplyT(
		func(v []any) string { return eksKubeconfig(v[0].(string), v[1].(string), v[2].(string), s.Region) },
	)).(pulumi.StringOutput)

	// Everything in the cluster goes through this provider, once the nodes are there to run it.
	k8s, err := kubeProvider(ctx, name, c.Kubeconfig, pulumi.Parent(c), pulumi.DependsOn(e.nodes))
	if err != nil {
		return err
	}
	c.Provider = k8s
	if s.Karpenter {
		return c.karpenter(e)
	}
	if !s.Autoscaler {
		// Switched off: the groups stay at their desired size until something else resizes them.
		return nil
	}
	return c.awsAutoscaler(ctx, name, s, e.oidc, e.issuer, e.maxNodes)
}

// eksBuild is one EKS cluster under construction, built a concern at a time: IAM roles, the
// control plane with its OIDC provider, admins' access entries, add-ons and node groups.
type eksBuild struct {
	ctx         *pulumi.Context
	name        string
	s           Spec
	args        *Args
	parent      pulumi.ResourceOption
	clusterName string

	clusterRole, nodeRole *iam.Role
	clusterPolicy         pulumi.Resource
	nodePolicies          []pulumi.Resource
	cluster               *eks.Cluster
	issuer                pulumi.StringOutput
	oidc                  *iam.OpenIdConnectProvider
	ebsRole               *iam.Role
	ebsPolicy             pulumi.Resource
	early                 []pulumi.Resource // add-ons the nodes need to become Ready
	system                *eks.NodeGroup
	nodes                 []pulumi.Resource
	maxNodes              int
}

func (e *eksBuild) policy(n string) pulumi.String {
	return pulumi.String(amazon.ManagedPolicy(e.s.Region, n))
}

// roles are the control plane's and the nodes' IAM roles with their managed policies.
func (e *eksBuild) roles() error {
	ctx, name, parent := e.ctx, e.name, e.parent
	var err error
	if e.clusterRole, err = iam.NewRole(ctx, name+"-cluster", &iam.RoleArgs{
		Description:      pulumi.String("EKS control plane of " + name),
		AssumeRolePolicy: amazon.ServiceTrust("eks.amazonaws.com"),
	}, parent); err != nil {
		return err
	}
	if e.clusterPolicy, err = iam.NewRolePolicyAttachment(ctx, name+"-cluster-eks", &iam.RolePolicyAttachmentArgs{
		Role: e.clusterRole.Name, PolicyArn: e.policy("AmazonEKSClusterPolicy"),
	}, parent); err != nil {
		return err
	}
	if e.nodeRole, err = iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Description:      pulumi.String("EKS nodes of " + name),
		AssumeRolePolicy: amazon.ServiceTrust("ec2.amazonaws.com"),
	}, parent); err != nil {
		return err
	}
	for _, p := range nodePolicies {
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+names.DNS(p, 40), &iam.RolePolicyAttachmentArgs{
			Role: e.nodeRole.Name, PolicyArn: e.policy(p),
		}, parent)
		if err != nil {
			return err
		}
		e.nodePolicies = append(e.nodePolicies, a)
	}
	return nil
}

// controlPlane is the EKS cluster, its OIDC provider, and the EBS CSI driver's IRSA role.
func (e *eksBuild) controlPlane() error {
	ctx, name, parent, s, args := e.ctx, e.name, e.parent, e.s, e.args
	clusterName, clusterPolicy := e.clusterName, e.clusterPolicy
	// Without admin ranges publicAccessCidrs is left unset, which EKS reads as 0.0.0.0/0: the
	// endpoint stays open, as before the key existed. Access is by IAM either way.
	var publicCIDRs pulumi.StringArrayInput
	if len(s.AdminCIDRs) > 0 {
		publicCIDRs = pulumi.ToStringArray(s.AdminCIDRs)
	}
	eksCluster, err := eks.NewCluster(ctx, name+"-eks", &eks.ClusterArgs{
		Name:    pulumi.String(clusterName),
		Version: pulumi.String(s.Version.AWS),
		RoleArn: e.clusterRole.Arn,
		VpcConfig: &eks.ClusterVpcConfigArgs{
			SubnetIds:             args.PrivateSubnetIDs,
			EndpointPrivateAccess: pulumi.Bool(true),
			// `pulumi up` and kubectl reach the API from outside the VPC; access is by IAM,
			// from scalestack:adminCidrs when it is set.
			EndpointPublicAccess: pulumi.Bool(true),
			PublicAccessCidrs:    publicCIDRs,
		},
		AccessConfig: &eks.ClusterAccessConfigArgs{
			// Access entries only: no aws-auth ConfigMap to edit by hand or lose.
			AuthenticationMode:                      pulumi.String("API"),
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(true),
		},
		// The managed add-ons below replace the self-managed defaults.
		BootstrapSelfManagedAddons: pulumi.Bool(false),
		EnabledClusterLogTypes:     pulumi.ToStringArray([]string{"audit", "authenticator"}),
		UpgradePolicy:              &eks.ClusterUpgradePolicyArgs{SupportType: pulumi.String(supportType)},
	}, parent, pulumi.Protect(s.Protect), pulumi.DependsOn([]pulumi.Resource{clusterPolicy}))
	if err != nil {
		return err
	}
	issuer := eksCluster.Identities.Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	// No thumbprint: IAM trusts EKS issuers through its own root CAs (thumbprints are optional
	// since 2024), and fetching one at preview would need the network.
	oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.ToStringArray([]string{"sts.amazonaws.com"}),
	}, parent)
	if err != nil {
		return err
	}
	e.cluster, e.issuer, e.oidc = eksCluster, issuer, oidc
	ebsRole, err := iam.NewRole(ctx, name+"-ebs-csi", &iam.RoleArgs{
		Description:      pulumi.String("EBS CSI driver of " + name),
		AssumeRolePolicy: amazon.ServiceAccountTrust(oidc.Arn, issuer, "kube-system", ebsCSIServiceAccount),
	}, parent)
	if err != nil {
		return err
	}
	ebsPolicy, err := iam.NewRolePolicyAttachment(ctx, name+"-ebs-csi", &iam.RolePolicyAttachmentArgs{
		Role: ebsRole.Name, PolicyArn: e.policy("service-role/AmazonEBSCSIDriverPolicy"),
	}, parent)
	if err != nil {
		return err
	}
	e.ebsRole, e.ebsPolicy = ebsRole, ebsPolicy
	return nil
}

// accessEntries give the stack's admins (cluster.admins) cluster-admin access.
func (e *eksBuild) accessEntries() error {
	ctx, name, parent, s, eksCluster := e.ctx, e.name, e.parent, e.s, e.cluster
	for i, arn := range s.Admins {
		entryName := fmt.Sprintf("%s-admin-%d", name, i)
		entry, err := eks.NewAccessEntry(ctx, entryName, &eks.AccessEntryArgs{
			ClusterName:  eksCluster.Name,
			PrincipalArn: pulumi.String(arn),
			Type:         pulumi.String("STANDARD"),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := eks.NewAccessPolicyAssociation(ctx, entryName, &eks.AccessPolicyAssociationArgs{
			ClusterName:  eksCluster.Name,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String("arn:" + amazon.Partition(s.Region) + ":eks::aws:cluster-access-policy/" + clusterAdminPolicy),
			AccessScope:  &eks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, parent); err != nil {
			return err
		}
	}
	return nil
}

// addon installs one EKS managed add-on.
func (e *eksBuild) addon(spec addonSpec, deps []pulumi.Resource) (*eks.Addon, error) {
	a := &eks.AddonArgs{
		ClusterName:              e.cluster.Name,
		AddonName:                pulumi.String(spec.name),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		// An upgrade keeps settings someone changed in the cluster.
		ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
	}
	if spec.configuration != "" {
		a.ConfigurationValues = pulumi.String(spec.configuration)
	}
	if spec.needsRole {
		a.ServiceAccountRoleArn = e.ebsRole.Arn
		deps = append(deps, e.ebsPolicy)
	}
	return eks.NewAddon(e.ctx, e.name+"-"+spec.name, a, e.parent, pulumi.DependsOn(deps))
}

// earlyAddons are those the nodes need to become Ready (the CNI, kube-proxy).
func (e *eksBuild) earlyAddons() error {
	for _, a := range addons {
		if a.beforeNodes {
			r, err := e.addon(a, nil)
			if err != nil {
				return err
			}
			e.early = append(e.early, r)
		}
	}
	return nil
}

// lateAddons run on the nodes, so they come after the system group.
func (e *eksBuild) lateAddons() error {
	for _, a := range addons {
		if !a.beforeNodes {
			if _, err := e.addon(a, []pulumi.Resource{e.system}); err != nil {
				return err
			}
		}
	}
	return nil
}

// nodeGroups are the managed node groups: the fixed system group and one per app pool.
func (e *eksBuild) nodeGroups() error {
	ctx, name, parent, s, args, eksCluster, nodeRole, clusterName := e.ctx, e.name, e.parent, e.s, e.args, e.cluster, e.nodeRole, e.clusterName
	nodeDeps := append(append([]pulumi.Resource{}, e.nodePolicies...), e.early...)
	group := func(pool spec.NodePool, system bool) (*eks.NodeGroup, error) {
		size := pool.Size.AWS
		types := []string{size}
		capacity := "ON_DEMAND"
		if pool.Spot {
			capacity = "SPOT"
			var err error
			if types, err = spec.Interchangeable(spec.AWS, spec.NodeSize, size); err != nil {
				return nil, err
			}
		}
		groupName := pool.Name
		if !system {
			// The instance type is part of the name: a new type is a new group, created and
			// ready before the old group is drained and deleted.
			groupName = names.DNS(pool.Name+"-"+size, 63)
		}
		return eks.NewNodeGroup(ctx, name+"-"+groupName, &eks.NodeGroupArgs{
			ClusterName:   eksCluster.Name,
			NodeGroupName: pulumi.String(groupName),
			NodeRoleArn:   nodeRole.Arn,
			SubnetIds:     args.PrivateSubnetIDs,
			Version:       eksCluster.Version,
			AmiType:       pulumi.String(amiType),
			CapacityType:  pulumi.String(capacity),
			InstanceTypes: pulumi.ToStringArray(types),
			DiskSize:      pulumi.Int(nodeDiskGiB),
			Labels:        pulumi.ToStringMap(pool.NodeLabels()),
			ScalingConfig: &eks.NodeGroupScalingConfigArgs{
				MinSize:     pulumi.Int(pool.MinNodes),
				MaxSize:     pulumi.Int(pool.MaxNodes),
				DesiredSize: pulumi.Int(pool.MinNodes),
			},
			UpdateConfig: &eks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(maxUnavailablePercent)},
			// EKS puts the same tags on the group's Auto Scaling group, where Cluster Autoscaler
			// discovers it and where its IAM policy limits it to this cluster's groups.
			Tags: pulumi.StringMap{
				autoscalerTagPrefix + "enabled":   pulumi.String("true"),
				autoscalerTagPrefix + clusterName: pulumi.String("owned"),
			},
		}, parent, pulumi.DependsOn(nodeDeps),
			// Cluster Autoscaler owns the desired size between the bounds.
			pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}))
	}
	system, err := group(s.SystemPool, true)
	if err != nil {
		return err
	}
	nodes := []pulumi.Resource{system}
	maxNodes := s.SystemPool.MaxNodes
	for _, pool := range s.AppPools {
		if s.Karpenter {
			break // Karpenter's NodePools are the app pools
		}
		g, err := group(pool, false)
		if err != nil {
			return err
		}
		nodes = append(nodes, g)
		maxNodes += pool.MaxNodes
	}
	e.system, e.nodes, e.maxNodes = system, nodes, maxNodes
	return nil
}

// awsAutoscaler installs Cluster Autoscaler with an IAM role for its service account. It may
// only resize node groups of this cluster (by their auto-discovery tag), and never beyond each
// group's maximum or the sum of them.
func (c *Cluster) awsAutoscaler(ctx *pulumi.Context, name string, s Spec, oidc *iam.OpenIdConnectProvider, issuer pulumi.StringOutput, maxNodes int) error {
	parent := pulumi.Parent(c)
	clusterName := names.DNS(name, 100)
	role, err := iam.NewRole(ctx, name+"-autoscaler", &iam.RoleArgs{
		Description:      pulumi.String("Cluster Autoscaler of " + name),
		AssumeRolePolicy: amazon.ServiceAccountTrust(oidc.Arn, issuer, autoscalerNamespace, autoscalerServiceAccount),
	}, parent)
	if err != nil {
		return err
	}
	_, err = iam.NewRolePolicy(ctx, name+"-autoscaler", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: amazon.Policy(
			amazon.Statement{
				Actions: []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
					"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags",
					"ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
					"ec2:GetInstanceTypesFromInstanceRequirements", "eks:DescribeNodegroup"},
				Resources: []string{"*"},
			},
			amazon.Statement{
				Actions:   []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"},
				Resources: []string{"*"},
				Condition: map[string]any{"StringEquals": map[string]any{
					"aws:ResourceTag/" + autoscalerTagPrefix + clusterName: "owned",
				}},
			},
		),
	}, parent)
	if err != nil {
		return err
	}
	_, err = helm.NewRelease(ctx, name+"-autoscaler", &helm.ReleaseArgs{
		Name:      pulumi.String(autoscalerChart),
		Chart:     pulumi.String(autoscalerChart),
		Version:   pulumi.String(autoscalerChartVersion),
		Namespace: pulumi.String(autoscalerNamespace),
		RepositoryOpts: &helm.RepositoryOptsArgs{
			Repo: pulumi.String(autoscalerRepo),
		},
		Values: pulumi.Map{
			"cloudProvider": pulumi.String("aws"),
			"awsRegion":     pulumi.String(s.Region),
			"autoDiscovery": pulumi.Map{"clusterName": pulumi.String(clusterName)},
			// The autoscaler's minor version follows the cluster's.
			"image": pulumi.Map{"tag": pulumi.String("v" + s.Version.AWS + ".0")},
			"rbac": pulumi.Map{"serviceAccount": pulumi.Map{
				"name":        pulumi.String(autoscalerServiceAccount),
				"annotations": pulumi.Map{"eks.amazonaws.com/role-arn": role.Arn},
			}},
			"nodeSelector": pulumi.Map{spec.PoolLabel: pulumi.String(s.SystemPool.Name)},
			"extraArgs": pulumi.Map{
				"balance-similar-node-groups":      pulumi.Bool(true),
				"expander":                         pulumi.String("least-waste"),
				"max-nodes-total":                  pulumi.Int(maxNodes),
				"scale-down-unneeded-time":         pulumi.String(scaleDownUnneededTime),
				"scale-down-utilization-threshold": pulumi.Float64(scaleDownUtilizationThreshold),
				"skip-nodes-with-system-pods":      pulumi.Bool(false),
			},
		},
	}, parent, pulumi.Provider(c.Provider))
	return err
}

// eksKubeconfig is a kubeconfig that authenticates with `aws eks get-token`, so it holds no
// credential and works for whoever has an access entry.
func eksKubeconfig(clusterName, endpoint, caData, region string) string {
	return strings.TrimSpace(fmt.Sprintf(`
apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
current-context: %[1]s
users:
- name: %[1]s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, %[1]s, --region, %[4]s, --output, json]
`, clusterName, endpoint, caData, region)) + "\n"
}
