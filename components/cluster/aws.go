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

// addons are the EKS managed add-ons every cluster runs. The cluster is created without the
// self-managed defaults, so these are the only copies. beforeNodes ones let nodes become Ready.
var addons = []struct {
	name        string
	beforeNodes bool
}{
	{"vpc-cni", true},
	{"kube-proxy", true},
	{"coredns", false},
	{"aws-ebs-csi-driver", false},
}

// aws builds EKS: an API-authenticated cluster with an OIDC provider, managed node groups (a
// fixed system group and one autoscaling group per app pool, named by instance type so that a
// new type comes up before the old group is drained), the core add-ons and Cluster Autoscaler.
func (c *Cluster) aws(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	parent := pulumi.Parent(c)
	policy := func(n string) pulumi.String { return pulumi.String(amazon.ManagedPolicy(s.Region, n)) }
	clusterName := names.DNS(name, 100)

	clusterRole, err := iam.NewRole(ctx, name+"-cluster", &iam.RoleArgs{
		Description:      pulumi.String("EKS control plane of " + name),
		AssumeRolePolicy: amazon.ServiceTrust("eks.amazonaws.com"),
	}, parent)
	if err != nil {
		return err
	}
	clusterPolicy, err := iam.NewRolePolicyAttachment(ctx, name+"-cluster-eks", &iam.RolePolicyAttachmentArgs{
		Role: clusterRole.Name, PolicyArn: policy("AmazonEKSClusterPolicy"),
	}, parent)
	if err != nil {
		return err
	}
	nodeRole, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Description:      pulumi.String("EKS nodes of " + name),
		AssumeRolePolicy: amazon.ServiceTrust("ec2.amazonaws.com"),
	}, parent)
	if err != nil {
		return err
	}
	var nodePolicies []pulumi.Resource
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"} {
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+names.DNS(p, 40), &iam.RolePolicyAttachmentArgs{
			Role: nodeRole.Name, PolicyArn: policy(p),
		}, parent)
		if err != nil {
			return err
		}
		nodePolicies = append(nodePolicies, a)
	}

	eksCluster, err := eks.NewCluster(ctx, name+"-eks", &eks.ClusterArgs{
		Name:    pulumi.String(clusterName),
		Version: pulumi.String(s.Version.AWS),
		RoleArn: clusterRole.Arn,
		VpcConfig: &eks.ClusterVpcConfigArgs{
			SubnetIds:             args.PrivateSubnetIDs,
			EndpointPrivateAccess: pulumi.Bool(true),
			// `pulumi up` and kubectl reach the API from outside the VPC; access is by IAM.
			EndpointPublicAccess: pulumi.Bool(true),
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

	ebsRole, err := iam.NewRole(ctx, name+"-ebs-csi", &iam.RoleArgs{
		Description:      pulumi.String("EBS CSI driver of " + name),
		AssumeRolePolicy: amazon.ServiceAccountTrust(oidc.Arn, issuer, "kube-system", ebsCSIServiceAccount),
	}, parent)
	if err != nil {
		return err
	}
	ebsPolicy, err := iam.NewRolePolicyAttachment(ctx, name+"-ebs-csi", &iam.RolePolicyAttachmentArgs{
		Role: ebsRole.Name, PolicyArn: policy("service-role/AmazonEBSCSIDriverPolicy"),
	}, parent)
	if err != nil {
		return err
	}
	addon := func(addonName string, deps []pulumi.Resource) (*eks.Addon, error) {
		a := &eks.AddonArgs{
			ClusterName:              eksCluster.Name,
			AddonName:                pulumi.String(addonName),
			ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
			// An upgrade keeps settings someone changed in the cluster.
			ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
		}
		if addonName == "vpc-cni" {
			// The CNI enforces NetworkPolicies only when asked: the app's default-deny and
			// the data services' admit rules depend on it.
			a.ConfigurationValues = pulumi.String(`{"enableNetworkPolicy":"true"}`)
		}
		if addonName == "aws-ebs-csi-driver" {
			a.ServiceAccountRoleArn = ebsRole.Arn
			deps = append(deps, ebsPolicy)
		}
		return eks.NewAddon(ctx, name+"-"+addonName, a, parent, pulumi.DependsOn(deps))
	}
	var early []pulumi.Resource
	for _, a := range addons {
		if a.beforeNodes {
			r, err := addon(a.name, nil)
			if err != nil {
				return err
			}
			early = append(early, r)
		}
	}

	nodeDeps := append(append([]pulumi.Resource{}, nodePolicies...), early...)
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
		g, err := group(pool, false)
		if err != nil {
			return err
		}
		nodes = append(nodes, g)
		maxNodes += pool.MaxNodes
	}
	for _, a := range addons {
		if !a.beforeNodes {
			if _, err := addon(a.name, []pulumi.Resource{system}); err != nil {
				return err
			}
		}
	}

	c.ClusterID = eksCluster.Name
	c.Endpoint = eksCluster.Endpoint
	c.NodeSecurityGroupID = eksCluster.VpcConfig.ClusterSecurityGroupId().Elem()
	c.OIDCProviderARN = oidc.Arn
	c.Kubeconfig = pulumi.ToSecret(pulumi.All(eksCluster.Name, eksCluster.Endpoint, eksCluster.CertificateAuthority.Data().Elem()).ApplyT(
		func(v []any) string { return eksKubeconfig(v[0].(string), v[1].(string), v[2].(string), s.Region) },
	)).(pulumi.StringOutput)

	// Everything in the cluster goes through this provider, once the nodes are there to run it.
	k8s, err := kubeProvider(ctx, name, c.Kubeconfig, pulumi.Parent(c), pulumi.DependsOn(nodes))
	if err != nil {
		return err
	}
	c.Provider = k8s
	if !s.Autoscaler {
		// Switched off: the groups stay at their desired size until something else resizes them.
		return nil
	}
	return c.awsAutoscaler(ctx, name, s, oidc, issuer, maxNodes)
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
