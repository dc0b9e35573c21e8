package stacks_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/upgrade"
)

// karpenterOn switches Karpenter on in Cluster Autoscaler's place, for the tiers whose presets
// do not.
const karpenterOn = `{"workloads":{"addons":{"clusterAutoscaler":false,"karpenter":true}}}`

// ec2NodeClassFields are the spec fields of Karpenter's EC2NodeClass (karpenter.k8s.aws/v1) as
// chart 1.11.1 serves them. Its CRD ships with the AWS provider's module, which is not served
// here, so the end-to-end tests cannot send the objects to a real schema: this is the check, by
// the v1 API's field names and the enums of the values scalestack sets.
var ec2NodeClassFields = []string{
	"amiFamily", "amiSelectorTerms", "associatePublicIPAddress", "blockDeviceMappings", "capacityReservationSelectorTerms",
	"context", "detailedMonitoring", "instanceProfile", "instanceStorePolicy", "kubelet", "metadataOptions", "role",
	"securityGroupSelectorTerms", "subnetSelectorTerms", "tags", "userData",
}

// Under mocks, for every tier with Karpenter (the 100K and 1M presets, and 1K and 10K switched
// on): the IAM, the interruption queue and its rules, the controller's charts, a NodePool and
// an EC2NodeClass per app pool with the preset's limits, the discovery tags, and no Cluster
// Autoscaler nor app node group.
func TestKarpenterOnEKS(t *testing.T) {
	for _, tier := range tiers.Names {
		t.Run(tier, func(t *testing.T) {
			pre := preset(t, tier)
			var p plan.Plan
			if pre.Workloads.Addons.Karpenter {
				assert.False(t, pre.Workloads.Addons.ClusterAutoscaler, "never both")
				p = planFor(t, spec.AWS, tier)
			} else {
				p = planFor(t, spec.AWS, tier, "scalestack:overrides", karpenterOn)
			}
			find := func(typ, name string) plan.Resource {
				t.Helper()
				r, ok := p.Find(typ, name)
				require.True(t, ok, "%s %s", typ, name)
				return r
			}
			for _, r := range p.OfType(helmRelease) {
				assert.NotEqual(t, "cluster-autoscaler", r.StringAt("chart"), "no Cluster Autoscaler beside Karpenter")
			}
			groups := p.OfType(awsNodeGroup)
			require.Len(t, groups, 1, "the system group alone stays a managed node group")
			assert.Equal(t, "system", groups[0].StringAt("nodeGroupName"))

			// IAM: the controller's role for its service account (IRSA), its policy scoped to
			// the cluster, and the nodes' role with its access entry.
			controller := find(types.AWSIAMRole, "scalestack-prod-cluster-karpenter")
			assert.Contains(t, controller.StringAt("assumeRolePolicy"), "system:serviceaccount:kube-system:karpenter")
			policy := find("aws:iam/rolePolicy:RolePolicy", "scalestack-prod-cluster-karpenter")
			doc := policy.StringAt("policy")
			for _, sid := range []string{"AllowScopedEC2InstanceAccessActions", "AllowScopedDeletion", "AllowInterruptionQueueActions", "AllowPassingInstanceRole", "AllowAPIServerEndpointDiscovery",
				"AllowUnscopedInstanceProfileListAction"} { // Karpenter 1.7 on: its instance profiles' garbage collection lists them
				assert.Contains(t, doc, sid)
			}
			assert.Contains(t, doc, "aws:ResourceTag/kubernetes.io/cluster/scalestack-prod-cluster", "it terminates only this cluster's instances")
			node := find(types.AWSIAMRole, "scalestack-prod-cluster-karpenter-node")
			assert.Contains(t, node.StringAt("assumeRolePolicy"), "ec2.amazonaws.com")
			var attached []string
			for _, r := range p.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
				if strings.HasPrefix(r.Name, "scalestack-prod-cluster-karpenter-node-") {
					attached = append(attached, r.StringAt("policyArn"))
				}
			}
			assert.Len(t, attached, 4)
			entry := find(types.AWSEKSAccessEntry, "scalestack-prod-cluster-karpenter-node")
			assert.Equal(t, "EC2_LINUX", entry.StringAt("type"))

			// The interruption queue and the four rules that feed it.
			queue := find("aws:sqs/queue:Queue", "scalestack-prod-cluster-karpenter")
			assert.Equal(t, 300.0, must(queue.Get("messageRetentionSeconds")))
			assert.Equal(t, true, must(queue.Get("sqsManagedSseEnabled")))
			qp := find("aws:sqs/queuePolicy:QueuePolicy", "scalestack-prod-cluster-karpenter")
			assert.Contains(t, qp.StringAt("policy"), "events.amazonaws.com")
			var detail []string
			for _, r := range p.OfType("aws:cloudwatch/eventRule:EventRule") {
				var pattern struct {
					DetailType []string `json:"detail-type"`
				}
				require.NoError(t, json.Unmarshal([]byte(r.StringAt("eventPattern")), &pattern))
				detail = append(detail, pattern.DetailType...)
			}
			assert.ElementsMatch(t, []string{"AWS Health Event", "EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation", "EC2 Instance State-change Notification"}, detail)
			assert.Len(t, p.OfType("aws:cloudwatch/eventTarget:EventTarget"), 4)

			// The controller, pinned, on the system group, with its CRDs from their own chart.
			release := find(helmRelease, "scalestack-prod-cluster-karpenter")
			crds := find(helmRelease, "scalestack-prod-cluster-karpenter-crd")
			assert.Equal(t, "1.11.1", release.StringAt("version"))
			assert.Equal(t, release.StringAt("version"), crds.StringAt("version"))
			assert.Equal(t, true, must(release.Get("skipCrds")))
			assert.Equal(t, "scalestack-prod-cluster", must(release.Get("values.settings.clusterName")))
			assert.Equal(t, "system", release.MapAt("values.nodeSelector")[spec.PoolLabel])
			assert.Contains(t, release.Dependencies, "scalestack-prod-cluster-karpenter-crd")

			// Discovery: the private subnets and the cluster's security group carry the tag.
			for _, s := range p.OfType(awsSubnet) {
				tags := s.MapAt("tags")
				if strings.Contains(s.Name, "-private-") {
					assert.Equal(t, "scalestack-prod", tags[spec.KarpenterDiscoveryTag], s.Name)
				} else {
					assert.NotContains(t, tags, spec.KarpenterDiscoveryTag, s.Name)
				}
			}
			sg := find("aws:ec2/tag:Tag", "scalestack-prod-cluster-karpenter-sg")
			assert.Equal(t, spec.KarpenterDiscoveryTag, sg.StringAt("key"))

			require.Len(t, p.OfType(types.KarpenterNodePool), len(pre.Cluster.AppPools))
			for _, pool := range pre.Cluster.AppPools {
				np := find(types.KarpenterNodePool, "scalestack-prod-cluster-nodepool-"+pool.Name)
				info, err := spec.Lookup(spec.AWS, spec.NodeSize, pool.Size.AWS)
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprint(info.VCPUs*float64(pool.MaxNodes)), np.MapAt("spec.limits")["cpu"], "the preset's maximum vCPUs")
				assert.Equal(t, fmt.Sprint(info.MemoryGiB*float64(pool.MaxNodes))+"Gi", np.MapAt("spec.limits")["memory"])
				kp, err := spec.ReadKarpenterPool(spec.AWS, np.MapAt("metadata.annotations"), np.MapAt("spec.limits"), np.ListAt("spec.template.spec.requirements"))
				require.NoError(t, err)
				assert.Equal(t, spec.KarpenterPool{Size: pool.Size.AWS, Min: pool.MinNodes, Max: pool.MaxNodes, Spot: pool.Spot, Info: info}, kp, "read back as the preset's pool")
				assert.Equal(t, pool.Name, np.MapAt("spec.template.metadata.labels")[spec.PoolLabel])
				req := map[string][]any{}
				for _, x := range np.ListAt("spec.template.spec.requirements") {
					m := x.(map[string]any)
					assert.Equal(t, "In", m["operator"])
					req[m["key"].(string)] = m["values"].([]any)
				}
				capacity := []any{"on-demand"}
				sizes := []string{pool.Size.AWS}
				if pool.Spot {
					capacity = []any{"spot"}
					sizes, err = spec.Interchangeable(spec.AWS, spec.NodeSize, pool.Size.AWS)
					require.NoError(t, err)
				}
				assert.Equal(t, capacity, req["karpenter.sh/capacity-type"], pool.Name)
				assert.ElementsMatch(t, sizes, req["node.kubernetes.io/instance-type"], "sizes with the preset's vCPUs and memory: the capacity model holds")
				assert.Len(t, req["topology.kubernetes.io/zone"], len(pre.Network.WithDefaults().ZoneNames("us-east-1")))
				budgets := np.ListAt("spec.disruption.budgets")
				require.Len(t, budgets, 1, "no launch window configured")
				assert.Equal(t, "10%", budgets[0].(map[string]any)["nodes"])
				assert.Equal(t, "WhenEmptyOrUnderutilized", np.StringAt("spec.disruption.consolidationPolicy"))

				class := find(types.KarpenterEC2NodeClass, "scalestack-prod-cluster-nodeclass-"+pool.Name)
				assert.Equal(t, pool.Name, np.StringAt("spec.template.spec.nodeClassRef.name"))
				for field := range class.MapAt("spec") {
					assert.Contains(t, ec2NodeClassFields, field, "EC2NodeClass v1 has spec.%s", field)
				}
				for _, required := range []string{"amiSelectorTerms", "subnetSelectorTerms", "securityGroupSelectorTerms"} {
					assert.NotEmpty(t, class.ListAt("spec."+required), required)
				}
				assert.Regexp(t, `^(al2023|bottlerocket|al2|windows2019|windows2022)@(latest|v\d+)$`, class.StringAt("spec.amiSelectorTerms.0.alias"))
				assert.Equal(t, "scalestack-prod", class.MapAt("spec.subnetSelectorTerms.0.tags")[spec.KarpenterDiscoveryTag])
				assert.Equal(t, "scalestack-prod", class.MapAt("spec.securityGroupSelectorTerms.0.tags")[spec.KarpenterDiscoveryTag])
				assert.Contains(t, []any{"gp2", "gp3", "io1", "io2", "sc1", "st1", "standard"}, must(class.Get("spec.blockDeviceMappings.0.ebs.volumeType")))
				assert.Equal(t, "required", class.StringAt("spec.metadataOptions.httpTokens"), "IMDSv2 only")
				assert.NotEmpty(t, class.StringAt("spec.role"))
			}
		})
	}
}

// A launch window stops Karpenter from removing nodes from the window's begin to its end: a
// budget of 0 nodes on that schedule, beside the 10% one.
func TestKarpenterHoldsNodesInALaunchWindow(t *testing.T) {
	p := planFor(t, spec.AWS, "100k", "scalestack:launch", `[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":100000}]`)
	np, ok := p.Find(types.KarpenterNodePool, "scalestack-prod-cluster-nodepool-app")
	require.True(t, ok)
	budgets := np.ListAt("spec.disruption.budgets")
	require.Len(t, budgets, 2)
	window := budgets[1].(map[string]any)
	assert.Equal(t, "0", window["nodes"])
	// The cron triggers begin ahead of the start by the time the nodes and pods take.
	trigger := ""
	for _, so := range p.OfType(kedaScaled) {
		if so.StringAt("metadata.name") == "api" {
			for _, tr := range so.ListAt("spec.triggers") {
				if m := tr.(map[string]any); m["type"] == "cron" {
					trigger = m["metadata"].(map[string]any)["start"].(string)
				}
			}
		}
	}
	require.NotEmpty(t, trigger, "the API's cron trigger")
	assert.Equal(t, trigger, window["schedule"], "the budget begins with the window's hold")
	assert.Regexp(t, `^\d+m$`, window["duration"])
}

// Switching an existing stack from Cluster Autoscaler to Karpenter (and back) replaces nothing:
// what it removes is the managed app node groups and Cluster Autoscaler's release and role, and
// what it changes in place is tags and the alerts; the database, cache and cluster are untouched.
func TestSwitchingToKarpenterReplacesNothing(t *testing.T) {
	ca := planFor(t, spec.AWS, "10k")
	kp := planFor(t, spec.AWS, "10k", "scalestack:overrides", karpenterOn)
	for _, c := range []struct {
		name         string
		before, head plan.Plan
	}{{"to Karpenter", ca, kp}, {"back", kp, ca}} {
		t.Run(c.name, func(t *testing.T) {
			d, err := upgrade.Compare(c.before, c.head, upgrade.Options{Project: "scalestack", Stack: "prod"})
			require.NoError(t, err)
			assert.Empty(t, d.Refusals)
			assert.Zero(t, d.Counts.Replaced, "nothing replaced")
			for _, ch := range d.Changes {
				switch ch.How {
				case upgrade.Removed, upgrade.RemovedAfter:
					assert.False(t, ch.Stateful, "%s %s removed", ch.Type, ch.Name)
					assert.Contains(t, []string{types.AWSEKSNodeGroup, helmRelease, types.AWSIAMRole, "aws:iam/rolePolicy:RolePolicy", types.KarpenterNodePool,
						types.KarpenterEC2NodeClass, "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy", "aws:cloudwatch/eventRule:EventRule",
						"aws:cloudwatch/eventTarget:EventTarget", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", types.AWSEKSAccessEntry, "aws:ec2/tag:Tag"}, ch.Type, ch.Name)
				case upgrade.InPlace:
					// The subnets' discovery tag, and the alerts' rules and the stack's tier
					// record, which name the node autoscaler.
					assert.Contains(t, []string{awsSubnet, "aws:eks/nodeGroup:NodeGroup", types.K8sConfigMap, "kubernetes:monitoring.coreos.com/v1:PrometheusRule"}, ch.Type, "in place: %s %s", ch.Type, ch.Name)
				}
				assert.False(t, slices.Contains(types.Stateful, ch.Type), "a database, cache or cluster changes: %s %s %s", ch.How, ch.Type, ch.Name)
			}
		})
	}
}
