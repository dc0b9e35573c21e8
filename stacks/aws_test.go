package stacks_test

import (
	"github.com/scalestack/scalestack/plan/types"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// On AWS the plan follows the preset too: zones, NAT layout, node groups, RDS and ElastiCache.
func TestAWSPlanFollowsThePreset(t *testing.T) {
	for _, tier := range tiers.Names {
		t.Run(tier, func(t *testing.T) {
			p := planFor(t, spec.AWS, tier)
			pre := preset(t, tier)

			require.Len(t, p.OfType(awsVPC), 1)
			assert.Equal(t, pre.Network.CIDR, p.OfType(awsVPC)[0].Inputs["cidrBlock"])
			zones := pre.Network.ZoneNames("us-east-1")
			assert.Len(t, p.OfType(awsSubnet), 2*len(zones), "a public and a private subnet a zone")
			nats := 1
			if pre.Network.NATGateways == spec.NATPerZone {
				nats = len(zones)
			}
			assert.Len(t, p.OfType(awsNAT), nats)
			assert.Len(t, p.OfType(awsRouteTable), 1+len(zones), "one public route table and a private one a zone")

			eks := p.OfType(awsEKS)
			require.Len(t, eks, 1)
			assert.Equal(t, pre.Cluster.Version.AWS, eks[0].Inputs["version"])
			assert.Equal(t, "API", must(eks[0].Get("accessConfig.authenticationMode")), "access entries, not the aws-auth ConfigMap")
			assert.Equal(t, "STANDARD", must(eks[0].Get("upgradePolicy.supportType")))

			groups := p.OfType(awsNodeGroup)
			managed := append([]spec.NodePool{pre.Cluster.SystemPool}, pre.Cluster.AppPools...)
			if pre.Workloads.Addons.Karpenter {
				managed = managed[:1] // the app pools are Karpenter's NodePools (TestKarpenterOnEKS)
			}
			require.Len(t, groups, len(managed))
			for _, want := range managed {
				g := findBy(t, groups, "nodeGroupName", func(v any) bool { return strings.HasPrefix(v.(string), want.Name) })
				assert.Equal(t, want.Size.AWS, must(g.Get("instanceTypes.0")))
				assert.Equal(t, float64(want.MinNodes), must(g.Get("scalingConfig.minSize")))
				assert.Equal(t, float64(want.MaxNodes), must(g.Get("scalingConfig.maxSize")))
				labels, _ := g.Inputs["labels"].(map[string]any)
				assert.Equal(t, want.Name, labels[spec.PoolLabel], "pool label")
				assert.Contains(t, g.IgnoreChanges, "scalingConfig.desiredSize", "the autoscaler owns the desired size")
				tags, _ := g.Inputs["tags"].(map[string]any)
				assert.Equal(t, "owned", tags["k8s.io/cluster-autoscaler/scalestack-prod-cluster"], "auto-discovery tag")
				capacity := "ON_DEMAND"
				if want.Spot {
					capacity = "SPOT"
				}
				assert.Equal(t, capacity, g.Inputs["capacityType"], want.Name)
			}
			var addons []any
			for _, a := range p.OfType(awsAddon) {
				addons = append(addons, a.Inputs["addonName"])
			}
			assert.ElementsMatch(t, []any{"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}, addons)
			var autoscaler []plan.Resource
			for _, r := range p.OfType(helmRelease) {
				if r.Inputs["chart"] == "cluster-autoscaler" {
					autoscaler = append(autoscaler, r)
				}
			}
			if pre.Workloads.Addons.Karpenter {
				assert.Empty(t, autoscaler, "no Cluster Autoscaler beside Karpenter")
			} else {
				require.Len(t, autoscaler, 1)
				assert.Equal(t, "cluster-autoscaler", autoscaler[0].Inputs["chart"])
				maxTotal := spec.DefaultSystemPool.MaxNodes
				for _, pool := range pre.Cluster.AppPools {
					maxTotal += pool.MaxNodes
				}
				assert.Equal(t, float64(maxTotal), must(autoscaler[0].Get("values.extraArgs.max-nodes-total")), "a bounded ceiling")
			}

			primary, replicas := rdsInstances(t, p)
			assert.Equal(t, pre.Database.Size.AWS, primary.Inputs["instanceClass"])
			assert.Equal(t, pre.Database.Standby.AWS > 0, primary.Inputs["multiAz"])
			assert.Equal(t, float64(pre.Database.BackupDays), primary.Inputs["backupRetentionPeriod"])
			assert.Len(t, replicas, pre.Database.Replicas)
			for _, r := range replicas {
				assert.Equal(t, pre.Database.ReplicaSize.AWS, r.Inputs["instanceClass"])
			}

			groupsOfCache := p.OfType(awsCache)
			require.Len(t, groupsOfCache, 1)
			kv := groupsOfCache[0]
			assert.Equal(t, pre.Cache.Size.AWS, kv.Inputs["nodeType"])
			assert.Equal(t, "enabled", kv.Inputs["clusterMode"])
			assert.Equal(t, float64(pre.Cache.Shards.AWS), kv.Inputs["numNodeGroups"])
			assert.Equal(t, float64(pre.Cache.Standby.AWS), kv.Inputs["replicasPerNodeGroup"])
			assert.Equal(t, pre.Cache.Standby.AWS > 0, kv.Inputs["multiAzEnabled"])
		})
	}
}

// The seed rules: Multi-AZ database and cache from 10K up, several shards at 1M, one NAT
// gateway a zone from 100K up, spot capacity for workers only from 100K up.
func TestAWSTiersMeetTheirFloor(t *testing.T) {
	for i, tier := range tiers.Names {
		p := planFor(t, spec.AWS, tier)
		primary, _ := rdsInstances(t, p)
		kv := p.OfType(awsCache)[0]
		if i >= 1 {
			assert.Equal(t, true, primary.Inputs["multiAz"], tier)
			assert.Equal(t, true, kv.Inputs["multiAzEnabled"], tier)
		}
		if i >= 2 {
			assert.Len(t, p.OfType(awsNAT), 3, tier)
		}
		if tier == "1m" {
			assert.Greater(t, kv.Inputs["numNodeGroups"], 1.0, tier)
		}
		for _, g := range p.OfType(awsNodeGroup) {
			if g.Inputs["capacityType"] == "SPOT" {
				assert.GreaterOrEqual(t, i, 2, "%s: spot only from 100K", tier)
				assert.True(t, strings.HasPrefix(g.Inputs["nodeGroupName"].(string), "worker"), "%s: spot only for workers", tier)
			}
		}
	}
}

// Nothing stateful is reachable from outside the cluster on AWS: private subnets, security
// groups that admit only the cluster's nodes on one port, encryption, protection and backups.
func TestAWSSecurity(t *testing.T) {
	for _, tier := range tiers.Names {
		t.Run(tier, func(t *testing.T) {
			p := planFor(t, spec.AWS, tier)
			eks := p.OfType(awsEKS)[0]
			nodeSG := eks.Name + "-cluster-sg"

			sgs := p.OfType(awsSG)
			require.Len(t, sgs, 2, "one for the database, one for the cache")
			for _, sg := range sgs {
				assert.Equal(t, []any{}, sg.Inputs["egress"], "%s: no egress", sg.Name)
				assert.NotContains(t, sg.Inputs, "ingress", "%s: no inline ingress", sg.Name)
			}
			rules := p.OfType(awsIngress)
			require.Len(t, rules, 2)
			ports := map[any]bool{}
			for _, r := range rules {
				assert.Equal(t, nodeSG, r.Inputs["referencedSecurityGroupId"], "%s admits only the cluster's nodes", r.Name)
				assert.NotContains(t, r.Inputs, "cidrIpv4", r.Name)
				assert.Equal(t, r.Inputs["fromPort"], r.Inputs["toPort"], "one port")
				ports[r.Inputs["fromPort"]] = true
			}
			assert.Equal(t, map[any]bool{5432.0: true, 6379.0: true}, ports)

			primary, replicas := rdsInstances(t, p)
			for _, db := range append(replicas, primary) {
				assert.Equal(t, false, db.Inputs["publiclyAccessible"], db.Name)
				assert.Equal(t, true, db.Inputs["storageEncrypted"], db.Name)
				assert.Equal(t, true, db.Inputs["deletionProtection"], db.Name)
				assert.True(t, db.Protect, db.Name)
				assert.Len(t, db.Inputs["vpcSecurityGroupIds"], 1, db.Name)
			}
			assert.Equal(t, false, primary.Inputs["skipFinalSnapshot"])
			assert.NotEmpty(t, primary.Inputs["finalSnapshotIdentifier"])
			assert.Equal(t, plan.Secret, primary.Inputs["password"], "the generated password is a secret")
			assert.Contains(t, primary.IgnoreChanges, "password", "generated once, never rotated by a run")
			assert.GreaterOrEqual(t, primary.Inputs["backupRetentionPeriod"], 1.0)

			kv := p.OfType(awsCache)[0]
			assert.Equal(t, true, kv.Inputs["atRestEncryptionEnabled"])
			assert.Equal(t, true, kv.Inputs["transitEncryptionEnabled"])
			assert.Equal(t, plan.Secret, kv.Inputs["authToken"])
			assert.Contains(t, kv.IgnoreChanges, "authToken")
			assert.True(t, kv.Protect)
			assert.True(t, eks.Protect)

			// Databases and caches live in the private subnets, whose routes lead to NAT, never
			// to the internet gateway.
			private := map[any]bool{}
			for _, s := range p.OfType(awsSubnet) {
				assert.Equal(t, false, s.Inputs["mapPublicIpOnLaunch"], s.Name)
				if strings.Contains(s.Name, "-private-") {
					private[s.Name+"-id"] = true
				}
			}
			for _, typ := range []string{types.AWSRDSSubnetGroup, types.AWSCacheSubnetGroup} {
				groups := p.OfType(typ)
				require.Len(t, groups, 1, typ)
				ids, _ := groups[0].Inputs["subnetIds"].([]any)
				require.NotEmpty(t, ids)
				for _, id := range ids {
					assert.True(t, private[id], "%s uses private subnet %v", typ, id)
				}
			}
			for _, g := range p.OfType(awsNodeGroup) {
				ids, _ := g.Inputs["subnetIds"].([]any)
				for _, id := range ids {
					assert.True(t, private[id], "node group %s in private subnet %v", g.Name, id)
				}
			}
			for _, rt := range p.OfType(awsRouteTable) {
				if strings.Contains(rt.Name, "-private-") {
					assert.NotEmpty(t, must(rt.Get("routes.0.natGatewayId")), rt.Name)
					_, viaIGW := rt.Get("routes.0.gatewayId")
					assert.False(t, viaIGW, "%s routes through NAT, not the internet gateway", rt.Name)
				}
			}
		})
	}
}

// The AWS provider skips every account look-up, so preview starts without calling AWS.
func TestAWSProviderNeedsNoAccountAtPreview(t *testing.T) {
	p := planFor(t, spec.AWS, "1k", "scalestack:region", "eu-central-1")
	providers := p.OfType(awsProvider)
	require.Len(t, providers, 1)
	in := providers[0].Inputs
	assert.Equal(t, "eu-central-1", in["region"])
	for _, k := range []string{"skipCredentialsValidation", "skipRequestingAccountId", "skipMetadataApiCheck"} {
		assert.Equal(t, true, in[k], k)
	}
	for _, s := range p.OfType(awsSubnet) {
		assert.True(t, strings.HasPrefix(s.Inputs["availabilityZone"].(string), "eu-central-1"), s.Name)
	}
}

// Admins from config get an access entry and the cluster-admin access policy.
func TestAWSAdminsGetAccessEntries(t *testing.T) {
	arn := "arn:aws:iam::123456789012:role/platform-admins"
	p := planFor(t, spec.AWS, "1k", "scalestack:overrides", `{"cluster":{"admins":["`+arn+`"]}}`)
	entries := p.OfType(awsAccessEntry)
	require.Len(t, entries, 1)
	assert.Equal(t, arn, entries[0].Inputs["principalArn"])
	assoc := p.OfType(types.AWSEKSAccessPolicyAssociation)
	require.Len(t, assoc, 1)
	assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", assoc[0].Inputs["policyArn"])

	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "1k",
		"scalestack:overrides": `{"cluster":{"admins":["` + arn + `"]}}`}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cluster.admins.0")
}

// Tags reach every taggable AWS resource as a map, beside the resource's own Name.
func TestAWSTags(t *testing.T) {
	want := stacks.TagMap("scalestack", "prod")
	tagged := 0
	for _, r := range planFor(t, spec.AWS, "100k").Resources {
		tags, ok := r.Inputs["tags"].(map[string]any)
		if !ok {
			continue
		}
		tagged++
		for k, v := range want {
			assert.Equal(t, v, tags[k], "%s %s", r.Type, r.Name)
		}
	}
	assert.Greater(t, tagged, 20)
}

func rdsInstances(t *testing.T, p plan.Plan) (primary plan.Resource, replicas []plan.Resource) {
	t.Helper()
	for _, r := range p.OfType(awsRDS) {
		if _, isReplica := r.Inputs["replicateSourceDb"]; isReplica {
			replicas = append(replicas, r)
		} else {
			primary = r
		}
	}
	require.NotEmpty(t, primary.Name, "an RDS primary")
	return primary, replicas
}

func findBy(t *testing.T, rs []plan.Resource, key string, match func(any) bool) plan.Resource {
	t.Helper()
	for _, r := range rs {
		if v, ok := r.Inputs[key]; ok && match(v) {
			return r
		}
	}
	t.Fatalf("no resource with a matching %s", key)
	return plan.Resource{}
}
