package cluster

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helm "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/amazon"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// Karpenter, from its OCI charts, in kube-system on the system node group. Chart 1.11.1
// supports Kubernetes 1.29 to 1.35, which holds the pinned EKS version
// (spec.DefaultKubernetesVersion); the CRDs come from their own chart, karpenter-crd, at the
// same version, so that an upgrade of the chart upgrades them too (Helm installs a chart's crds/
// only once).
const (
	KarpenterVersion        = "1.11.1"
	karpenterChart          = "oci://public.ecr.aws/karpenter/karpenter"
	karpenterCRDChart       = "oci://public.ecr.aws/karpenter/karpenter-crd"
	karpenterNamespace      = "kube-system"
	karpenterServiceAccount = "karpenter"
	// amiAlias is the EKS-optimised Amazon Linux 2023 image, the managed node groups' AMI
	// family (amiType). Its newest release rolls out as drift, within the disruption budgets.
	amiAlias = "al2023@latest"
	// interruptionRetentionSeconds: an interruption notice older than five minutes is past
	// acting on (a spot instance has two).
	interruptionRetentionSeconds = 300
	// disruptionBudget is the most of a NodePool's nodes Karpenter removes at once, for
	// consolidation, drift or expiry.
	disruptionBudget = "10%"
	// Node types of the API group and kind the NodePools refer to.
	nodeClassGroup = "karpenter.k8s.aws"
	nodeClassKind  = "EC2NodeClass"
)

// interruptionEvents are the EventBridge rules that feed the interruption queue, as Karpenter
// documents them: AWS Health's scheduled changes, spot interruption warnings, rebalance
// recommendations and instance state changes.
var interruptionEvents = []struct{ name, source, detailType string }{
	{"scheduled-change", "aws.health", "AWS Health Event"},
	{"spot-interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"},
	{"rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"},
	{"instance-state-change", "aws.ec2", "EC2 Instance State-change Notification"},
}

// karpenter is Karpenter on an EKS cluster: the interruption queue and its rules, the nodes'
// role and access entry, the controller's IRSA role, its charts, and one EC2NodeClass and
// NodePool per app pool. It runs where Cluster Autoscaler would; the app pools have no managed
// node group.
func (c *Cluster) karpenter(e *eksBuild) error {
	ctx, name, parent, s := e.ctx, e.name, e.parent, e.s
	region := s.Region
	partition := amazon.Partition(region)

	queue, err := sqs.NewQueue(ctx, name+"-karpenter", &sqs.QueueArgs{
		Name:                    pulumi.String(names.DNS(name+"-karpenter", 80)),
		MessageRetentionSeconds: pulumi.Int(interruptionRetentionSeconds),
		SqsManagedSseEnabled:    pulumi.Bool(true),
	}, parent)
	if err != nil {
		return err
	}
	if _, err := sqs.NewQueuePolicy(ctx, name+"-karpenter", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: queue.Arn.ApplyT(func(arn string) string {
			return string(amazon.Policy(amazon.Statement{
				Sid: "EventBridgeWrite", Services: []string{"events.amazonaws.com", "sqs.amazonaws.com"},
				Actions: []string{"sqs:SendMessage"}, Resources: []string{arn},
			}))
		}).(pulumi.StringOutput),
	}, parent); err != nil {
		return err
	}
	for _, ev := range interruptionEvents {
		pattern, _ := json.Marshal(map[string]any{"source": []string{ev.source}, "detail-type": []string{ev.detailType}})
		rule, err := cloudwatch.NewEventRule(ctx, name+"-karpenter-"+ev.name, &cloudwatch.EventRuleArgs{
			Description:  pulumi.String("Karpenter's interruption queue of " + name + ": " + ev.detailType),
			EventPattern: pulumi.String(string(pattern)),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-karpenter-"+ev.name, &cloudwatch.EventTargetArgs{
			Rule: rule.Name, Arn: queue.Arn,
		}, parent); err != nil {
			return err
		}
	}

	// The nodes' role: the managed node groups' policies and SSM, and an access entry that
	// lets its instances join (a managed node group's role gets one from EKS; this one does
	// not, so it is a role of its own).
	nodeRole, err := iam.NewRole(ctx, name+"-karpenter-node", &iam.RoleArgs{
		Description:      pulumi.String("Karpenter's nodes of " + name),
		AssumeRolePolicy: amazon.ServiceTrust("ec2.amazonaws.com"),
	}, parent)
	if err != nil {
		return err
	}
	var nodeDeps []pulumi.Resource
	// And SSM, as Karpenter's node role has it.
	for _, p := range append(slices.Clip(nodePolicies), "AmazonSSMManagedInstanceCore") {
		a, err := iam.NewRolePolicyAttachment(ctx, name+"-karpenter-node-"+names.DNS(p, 40), &iam.RolePolicyAttachmentArgs{
			Role: nodeRole.Name, PolicyArn: e.policy(p),
		}, parent)
		if err != nil {
			return err
		}
		nodeDeps = append(nodeDeps, a)
	}
	entry, err := eks.NewAccessEntry(ctx, name+"-karpenter-node", &eks.AccessEntryArgs{
		ClusterName: e.cluster.Name, PrincipalArn: nodeRole.Arn, Type: pulumi.String("EC2_LINUX"),
	}, parent)
	if err != nil {
		return err
	}
	nodeDeps = append(nodeDeps, entry)
	// The cluster's security group, which every node carries, found by the EC2NodeClasses.
	sgTag, err := ec2.NewTag(ctx, name+"-karpenter-sg", &ec2.TagArgs{
		ResourceId: e.cluster.VpcConfig.ClusterSecurityGroupId().Elem(),
		Key:        pulumi.String(spec.KarpenterDiscoveryTag), Value: pulumi.String(s.Discovery),
	}, parent)
	if err != nil {
		return err
	}
	nodeDeps = append(nodeDeps, sgTag)

	role, err := iam.NewRole(ctx, name+"-karpenter", &iam.RoleArgs{
		Description:      pulumi.String("Karpenter's controller of " + name),
		AssumeRolePolicy: amazon.ServiceAccountTrust(e.oidc.Arn, e.issuer, karpenterNamespace, karpenterServiceAccount),
	}, parent)
	if err != nil {
		return err
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-karpenter", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: pulumi.All(queue.Arn, nodeRole.Arn, e.cluster.Arn).ApplyT(func(v []any) string {
			return string(karpenterPolicy(partition, region, e.clusterName, v[0].(string), v[1].(string), v[2].(string)))
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return err
	}

	provider := pulumi.Provider(c.Provider)
	crds, err := helm.NewRelease(ctx, name+"-karpenter-crd", &helm.ReleaseArgs{
		Name: pulumi.String("karpenter-crd"), Chart: pulumi.String(karpenterCRDChart), Version: pulumi.String(KarpenterVersion),
		Namespace: pulumi.String(karpenterNamespace),
	}, parent, provider)
	if err != nil {
		return err
	}
	replicas := 2 // the chart's default: one controller leads, one stands by on another node
	if s.SystemPool.MinNodes < 2 {
		replicas = 1
	}
	controller, err := helm.NewRelease(ctx, name+"-karpenter", &helm.ReleaseArgs{
		Name: pulumi.String("karpenter"), Chart: pulumi.String(karpenterChart), Version: pulumi.String(KarpenterVersion),
		Namespace: pulumi.String(karpenterNamespace),
		SkipCrds:  pulumi.Bool(true), // karpenter-crd holds them
		Values: pulumi.Map{
			"settings": pulumi.Map{
				"clusterName":       pulumi.String(e.clusterName),
				"interruptionQueue": queue.Name,
			},
			"serviceAccount": pulumi.Map{
				"name":        pulumi.String(karpenterServiceAccount),
				"annotations": pulumi.Map{"eks.amazonaws.com/role-arn": role.Arn},
			},
			"replicas": pulumi.Int(replicas),
			// On the system node group, which Karpenter does not manage: it never removes the
			// nodes it runs on.
			"nodeSelector": pulumi.Map{spec.PoolLabel: pulumi.String(s.SystemPool.Name)},
			// Karpenter starts before CoreDNS can run on nodes it has yet to launch.
			"dnsPolicy": pulumi.String("Default"),
			"controller": pulumi.Map{"resources": pulumi.Map{
				"requests": pulumi.Map{"cpu": pulumi.String("500m"), "memory": pulumi.String("512Mi")},
				"limits":   pulumi.Map{"cpu": pulumi.String("1"), "memory": pulumi.String("1Gi")},
			}},
		},
	}, parent, provider, pulumi.DependsOn([]pulumi.Resource{crds, policy}))
	if err != nil {
		return err
	}

	for _, pool := range s.AppPools {
		class, err := karpenterNodeClass(ctx, name, pool, nodeRole.Name, s.Discovery, parent, provider, append([]pulumi.Resource{controller}, nodeDeps...))
		if err != nil {
			return err
		}
		np, err := karpenterNodePool(s, pool)
		if err != nil {
			return err
		}
		_, err = apiextensions.NewCustomResource(ctx, name+"-nodepool-"+pool.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("karpenter.sh/v1"),
			Kind:       pulumi.String("NodePool"),
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(pool.Name),
				Annotations: pulumi.StringMap{
					spec.AnnotationNodeSize: pulumi.String(pool.Size.AWS),
					spec.AnnotationMinNodes: pulumi.String(strconv.Itoa(pool.MinNodes)),
				},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": np},
		}, parent, provider, pulumi.DependsOn([]pulumi.Resource{class}))
		if err != nil {
			return err
		}
	}
	return nil
}

// karpenterNodeClass is an app pool's EC2NodeClass: the node role, the AMI family of the
// managed node groups, the private subnets and the cluster's security group by their discovery
// tag, an encrypted gp3 root volume of the managed groups' size, and IMDSv2 only, out of the
// pods' reach (one hop).
func karpenterNodeClass(ctx *pulumi.Context, name string, pool spec.NodePool, role pulumi.StringOutput, discovery string, parent, provider pulumi.ResourceOption, deps []pulumi.Resource) (pulumi.Resource, error) {
	selector := pulumi.Array{pulumi.Map{"tags": pulumi.StringMap{spec.KarpenterDiscoveryTag: pulumi.String(discovery)}}}
	return apiextensions.NewCustomResource(ctx, name+"-nodeclass-"+pool.Name, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(nodeClassGroup + "/v1"),
		Kind:       pulumi.String(nodeClassKind),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(pool.Name)},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"role":                       role,
			"amiSelectorTerms":           pulumi.Array{pulumi.Map{"alias": pulumi.String(amiAlias)}},
			"subnetSelectorTerms":        selector,
			"securityGroupSelectorTerms": selector,
			"blockDeviceMappings": pulumi.Array{pulumi.Map{
				"deviceName": pulumi.String("/dev/xvda"),
				"ebs": pulumi.Map{
					"volumeSize": pulumi.String(fmt.Sprintf("%dGi", nodeDiskGiB)), "volumeType": pulumi.String("gp3"),
					"encrypted": pulumi.Bool(true), "deleteOnTermination": pulumi.Bool(true),
				},
			}},
			"metadataOptions": pulumi.Map{
				"httpEndpoint": pulumi.String("enabled"), "httpTokens": pulumi.String("required"),
				"httpPutResponseHopLimit": pulumi.Int(1),
			},
		}},
	}, parent, provider, pulumi.DependsOn(deps))
}

// karpenterNodePool is an app pool's NodePool spec: nodes of the preset's size (a spot pool
// takes any catalogued type of the same vCPUs and memory, as its managed node group would),
// on-demand or spot as the pool says, in the stack's zones, with the pool's labels; limits of
// the pool's maximum nodes' vCPUs and memory; consolidation of empty and underused nodes after
// Cluster Autoscaler's unneeded time, never more than 10% of the nodes at once, and none in a
// launch window.
func karpenterNodePool(s Spec, pool spec.NodePool) (pulumi.Map, error) {
	cpu, memory, err := pool.KarpenterLimits()
	if err != nil {
		return nil, err
	}
	types := []string{pool.Size.AWS}
	capacity := "on-demand"
	if pool.Spot {
		capacity = "spot"
		if types, err = spec.Interchangeable(spec.AWS, spec.NodeSize, pool.Size.AWS); err != nil {
			return nil, err
		}
	}
	requirement := func(key string, values ...string) pulumi.Map {
		return pulumi.Map{"key": pulumi.String(key), "operator": pulumi.String("In"), "values": pulumi.ToStringArray(values)}
	}
	requirements := pulumi.Array{
		requirement("node.kubernetes.io/instance-type", types...),
		requirement("karpenter.sh/capacity-type", capacity),
		requirement("kubernetes.io/arch", "amd64"),
		requirement("kubernetes.io/os", "linux"),
	}
	if len(s.Zones) > 0 {
		requirements = append(requirements, requirement("topology.kubernetes.io/zone", s.Zones...))
	}
	budgets := pulumi.Array{pulumi.Map{"nodes": pulumi.String(disruptionBudget)}}
	for _, w := range s.Windows {
		b, err := windowBudget(w.Begin, w.End)
		if err != nil {
			return nil, err
		}
		budgets = append(budgets, b)
	}
	return pulumi.Map{
		"template": pulumi.Map{
			"metadata": pulumi.Map{"labels": pulumi.ToStringMap(pool.NodeLabels())},
			"spec": pulumi.Map{
				"nodeClassRef": pulumi.Map{"group": pulumi.String(nodeClassGroup), "kind": pulumi.String(nodeClassKind), "name": pulumi.String(pool.Name)},
				"requirements": requirements,
			},
		},
		"limits": pulumi.Map{"cpu": pulumi.String(cpu), "memory": pulumi.String(memory)},
		"disruption": pulumi.Map{
			"consolidationPolicy": pulumi.String("WhenEmptyOrUnderutilized"),
			"consolidateAfter":    pulumi.String(scaleDownUnneededTime),
			"budgets":             budgets,
		},
	}, nil
}

// windowBudget is a budget that lets Karpenter remove no node from a launch window's begin to
// its end: the begin as the window's KEDA cron triggers schedule it (spec.CronAt), for the
// window's length.
func windowBudget(begin, end time.Time) (pulumi.Map, error) {
	d := end.Sub(begin)
	if d <= 0 {
		return nil, fmt.Errorf("launch window from %s to %s: it ends before it begins", begin.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return pulumi.Map{
		"nodes":    pulumi.String("0"),
		"schedule": pulumi.String(spec.CronAt(begin)),
		"duration": pulumi.String(fmt.Sprintf("%dm", int(math.Ceil(d.Minutes())))),
	}, nil
}

// karpenterPolicy is the controller's IAM policy as Karpenter's getting-started template sets
// it: launching and tagging instances and launch templates only for this cluster's NodePools,
// terminating only those, reading the region's EC2, SSM's AMI parameters and prices, the
// interruption queue, passing the node role, the instance profiles it makes for it, and the
// cluster's endpoint.
func karpenterPolicy(partition, region, clusterName, queueARN, nodeRoleARN, clusterARN string) pulumi.String {
	ec2ARN := func(kind string) string { return "arn:" + partition + ":ec2:" + region + ":*:" + kind + "/*" }
	owned := map[string]any{"aws:ResourceTag/kubernetes.io/cluster/" + clusterName: "owned"}
	requestOwned := map[string]any{
		"aws:RequestTag/kubernetes.io/cluster/" + clusterName: "owned",
		"aws:RequestTag/eks:eks-cluster-name":                 clusterName,
	}
	launched := []string{ec2ARN("fleet"), ec2ARN("instance"), ec2ARN("volume"), ec2ARN("network-interface"), ec2ARN("launch-template"), ec2ARN("spot-instances-request")}
	profiles := "arn:" + partition + ":iam::*:instance-profile/*"
	merged := func(m, extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	return amazon.Policy(
		amazon.Statement{Sid: "AllowScopedEC2InstanceAccessActions", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resources: []string{"arn:" + partition + ":ec2:" + region + "::image/*", "arn:" + partition + ":ec2:" + region + "::snapshot/*",
				ec2ARN("security-group"), ec2ARN("subnet"), ec2ARN("capacity-reservation")}},
		amazon.Statement{Sid: "AllowScopedEC2LaunchTemplateAccessActions", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resources: []string{ec2ARN("launch-template")},
			Condition: map[string]any{"StringEquals": owned, "StringLike": map[string]any{"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
		amazon.Statement{Sid: "AllowScopedEC2InstanceActionsWithTags", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
			Resources: launched,
			Condition: map[string]any{"StringEquals": requestOwned, "StringLike": map[string]any{"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
		amazon.Statement{Sid: "AllowScopedResourceCreationTagging", Actions: []string{"ec2:CreateTags"},
			Resources: launched,
			Condition: map[string]any{
				"StringEquals": merged(requestOwned, map[string]any{"ec2:CreateAction": []string{"RunInstances", "CreateFleet", "CreateLaunchTemplate"}}),
				"StringLike":   map[string]any{"aws:RequestTag/karpenter.sh/nodepool": "*"},
			}},
		amazon.Statement{Sid: "AllowScopedResourceTagging", Actions: []string{"ec2:CreateTags"},
			Resources: []string{ec2ARN("instance")},
			Condition: map[string]any{
				"StringEquals":              owned,
				"StringLike":                map[string]any{"aws:ResourceTag/karpenter.sh/nodepool": "*"},
				"StringEqualsIfExists":      map[string]any{"aws:RequestTag/eks:eks-cluster-name": clusterName},
				"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
			}},
		amazon.Statement{Sid: "AllowScopedDeletion", Actions: []string{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
			Resources: []string{ec2ARN("instance"), ec2ARN("launch-template")},
			Condition: map[string]any{"StringEquals": owned, "StringLike": map[string]any{"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
		amazon.Statement{Sid: "AllowRegionalReadActions", Resources: []string{"*"},
			Actions: []string{"ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceTypeOfferings",
				"ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
				"ec2:DescribeSubnets", "ec2:DescribeAvailabilityZones"},
			Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": region}}},
		amazon.Statement{Sid: "AllowSSMReadActions", Actions: []string{"ssm:GetParameter"},
			Resources: []string{"arn:" + partition + ":ssm:" + region + "::parameter/aws/service/*"}},
		amazon.Statement{Sid: "AllowPricingReadActions", Actions: []string{"pricing:GetProducts"}, Resources: []string{"*"}},
		amazon.Statement{Sid: "AllowInterruptionQueueActions", Actions: []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
			Resources: []string{queueARN}},
		amazon.Statement{Sid: "AllowPassingInstanceRole", Actions: []string{"iam:PassRole"}, Resources: []string{nodeRoleARN},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}}}},
		amazon.Statement{Sid: "AllowScopedInstanceProfileCreationActions", Actions: []string{"iam:CreateInstanceProfile"}, Resources: []string{profiles},
			Condition: map[string]any{
				"StringEquals": merged(requestOwned, map[string]any{"aws:RequestTag/topology.kubernetes.io/region": region}),
				"StringLike":   map[string]any{"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			}},
		amazon.Statement{Sid: "AllowScopedInstanceProfileTagActions", Actions: []string{"iam:TagInstanceProfile"}, Resources: []string{profiles},
			Condition: map[string]any{
				"StringEquals": merged(merged(owned, map[string]any{"aws:ResourceTag/topology.kubernetes.io/region": region}), merged(requestOwned, map[string]any{"aws:RequestTag/topology.kubernetes.io/region": region})),
				"StringLike":   map[string]any{"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			}},
		amazon.Statement{Sid: "AllowScopedInstanceProfileActions", Actions: []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
			Resources: []string{profiles},
			Condition: map[string]any{
				"StringEquals": merged(owned, map[string]any{"aws:ResourceTag/topology.kubernetes.io/region": region}),
				"StringLike":   map[string]any{"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			}},
		amazon.Statement{Sid: "AllowInstanceProfileReadActions", Actions: []string{"iam:GetInstanceProfile"}, Resources: []string{profiles}},
		// From Karpenter 1.7 the controller lists instance profiles to collect those of
		// deleted EC2NodeClasses; IAM scopes no list action to a resource.
		amazon.Statement{Sid: "AllowUnscopedInstanceProfileListAction", Actions: []string{"iam:ListInstanceProfiles"}, Resources: []string{"*"}},
		amazon.Statement{Sid: "AllowAPIServerEndpointDiscovery", Actions: []string{"eks:DescribeCluster"}, Resources: []string{clusterARN}},
	)
}
