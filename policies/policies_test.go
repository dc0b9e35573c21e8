package policies

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{Type: typ, Name: name, Custom: true, Inputs: inputs}
}

func protected(r plan.Resource) plan.Resource { r.Protect = true; return r }

// dependingOn gives a resource the engine's dependencies: the names of the resources its inputs
// come from.
func dependingOn(r plan.Resource, names ...string) plan.Resource { r.Dependencies = names; return r }

// goodContainer passes every container rule.
func goodContainer() map[string]any {
	return map[string]any{
		"name": "api", "image": "ghcr.io/acme/api:1.4.2",
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "250m", "memory": "256Mi"},
			"limits":   map[string]any{"cpu": "1", "memory": "512Mi"},
		},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080.0}},
		"livenessProbe":  map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080.0}},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"capabilities": map[string]any{"drop": []any{"ALL"}},
		},
	}
}

func deployment(name string, replicas float64, container map[string]any) plan.Resource {
	return res(types.K8sDeployment, name, map[string]any{
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"replicas": replicas,
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec": map[string]any{
					"securityContext": map[string]any{"runAsNonRoot": true},
					"containers":      []any{container},
				},
			},
		},
	})
}

func pdb(app string) plan.Resource {
	return res(types.K8sPodDisruptionBudget, app+"-pdb", map[string]any{"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": app}}}})
}

func with(c map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range c {
		out[k] = x
	}
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// ruleCase is one row of the rules' table: resources that pass, resources that break the rule,
// and the message the rule gives them.
type ruleCase struct {
	rule string
	opts Options
	pass []plan.Resource
	fail []plan.Resource
	want string
}

// ruleCases is the table of every rule's cases; TestEveryRuleIsTested holds that each rule has
// a failing one.
func ruleCases() []ruleCase {
	rds := func(in map[string]any) plan.Resource { return protected(res(types.AWSRDSInstance, "db", in)) }
	goodRDS := map[string]any{"deletionProtection": true, "skipFinalSnapshot": false, "finalSnapshotIdentifier": "db-final",
		"storageEncrypted": true, "publiclyAccessible": false, "vpcSecurityGroupIds": []any{"db-sg-id"}, "parameterGroupName": "db-pg17"}
	goodCache := map[string]any{"atRestEncryptionEnabled": true, "transitEncryptionEnabled": true, "securityGroupIds": []any{"kv-sg-id"},
		"subnetGroupName": "kv", "snapshotRetentionLimit": 1.0}
	return []ruleCase{
		{rule: "stateful-protected",
			pass: []plan.Resource{protected(res(types.DODatabaseCluster, "db", nil)), res(types.DOKubernetesNodePool, "pool", nil)},
			fail: []plan.Resource{res(types.AWSCacheReplicationGroup, "kv", nil)},
			want: "is not protected"},
		{rule: "deletion-safeguards",
			pass: []plan.Resource{rds(goodRDS), res(types.AWSRDSInstance, "replica", map[string]any{"deletionProtection": true, "replicateSourceDb": "db", "skipFinalSnapshot": true})},
			fail: []plan.Resource{rds(with(goodRDS, "skipFinalSnapshot", true))},
			want: "skips the final snapshot"},
		{rule: "deletion-safeguards",
			fail: []plan.Resource{rds(with(goodRDS, "deletionProtection", false))},
			want: "deletionProtection: is not true"},
		{rule: "data-private", // a firewall belongs to the database it depends on, whatever its IDs look like
			pass: []plan.Resource{
				res(types.DODatabaseCluster, "db", map[string]any{"privateNetworkUuid": "0b5a4f4e-8d1c-4c8e-9f5e-3c1b2a9d7e61"}),
				dependingOn(res(types.DODatabaseFirewall, "fw", map[string]any{"clusterId": "9c2e6f1a-4b7d-4e3a-8f0c-5d6b7a8e9f10", "rules": []any{map[string]any{"type": "k8s", "value": "cluster-id"}}}), "db", "doks"),
			},
			fail: []plan.Resource{
				res(types.DODatabaseCluster, "db", map[string]any{"privateNetworkUuid": "vpc-id"}),
				dependingOn(res(types.DODatabaseFirewall, "fw", map[string]any{"clusterId": plan.Unknown, "rules": []any{map[string]any{"type": "ip_addr", "value": "0.0.0.0/0"}}}), "db"),
			},
			want: "rules.0: admits 0.0.0.0/0, the whole internet"},
		{rule: "data-private",
			fail: []plan.Resource{res(types.DODatabaseCluster, "db", map[string]any{"privateNetworkUuid": "vpc-id"})},
			want: "has no database firewall"},
		{rule: "data-private", // the mock's "<name>-id" scheme is no match: only the dependency is
			fail: []plan.Resource{
				res(types.DODatabaseCluster, "db", map[string]any{"privateNetworkUuid": "vpc-id"}),
				dependingOn(res(types.DODatabaseFirewall, "fw", map[string]any{"clusterId": "db-id", "rules": []any{}}), "doks"),
			},
			want: ": has no database firewall"},
		{rule: "data-private",
			pass: []plan.Resource{rds(goodRDS), res(types.AWSSecurityGroupIngressRule, "db-sg-in", map[string]any{"securityGroupId": "db-sg-id", "referencedSecurityGroupId": "nodes"})},
			fail: []plan.Resource{rds(goodRDS), res(types.AWSSecurityGroupIngressRule, "db-sg-in", map[string]any{"securityGroupId": "db-sg-id", "cidrIpv4": "0.0.0.0/0"})},
			want: "cidrIpv4: admits 0.0.0.0/0, the whole internet, to a database or cache"},
		{rule: "data-private", // as a real preview sees it: IDs unknown, the rule depends on the group the database depends on
			pass: []plan.Resource{
				dependingOn(rds(with(goodRDS, "vpcSecurityGroupIds", []any{plan.Unknown})), "db-sg"),
				res(types.AWSSecurityGroup, "db-sg", map[string]any{}),
				res(types.AWSSecurityGroup, "lb-sg", map[string]any{"ingress": []any{map[string]any{"cidrBlocks": []any{"0.0.0.0/0"}}}}),
				dependingOn(res(types.AWSSecurityGroupIngressRule, "lb-sg-in", map[string]any{"securityGroupId": plan.Unknown, "cidrIpv4": "0.0.0.0/0"}), "lb-sg"),
			},
			fail: []plan.Resource{
				dependingOn(rds(with(goodRDS, "vpcSecurityGroupIds", []any{plan.Unknown})), "db-sg"),
				res(types.AWSSecurityGroup, "db-sg", map[string]any{}),
				dependingOn(res(types.AWSSecurityGroupIngressRule, "db-sg-in", map[string]any{"securityGroupId": plan.Unknown, "cidrIpv4": "0.0.0.0/0"}), "db-sg", "eks"),
			},
			want: "cidrIpv4: admits 0.0.0.0/0, the whole internet, to a database or cache"},
		{rule: "data-private", // inline rules of a group a cache depends on
			fail: []plan.Resource{
				dependingOn(res(types.AWSCacheReplicationGroup, "kv", with(goodCache, "securityGroupIds", []any{"sg-0f1e2d3c4b5a69788"})), "kv-sg"),
				res(types.AWSSecurityGroup, "kv-sg", map[string]any{"ingress": []any{map[string]any{"ipv6CidrBlocks": []any{"::/0"}}}}),
			},
			want: "ingress.0.ipv6CidrBlocks: admits ::/0, the whole internet, to a database or cache"},
		{rule: "data-private",
			fail: []plan.Resource{rds(with(goodRDS, "publiclyAccessible", true))},
			want: "publiclyAccessible: is true"},
		{rule: "data-private",
			fail: []plan.Resource{res(types.AWSCacheReplicationGroup, "kv", with(goodCache, "securityGroupIds", nil)), res(types.AWSSecurityGroup, "kv-sg", map[string]any{})},
			want: "securityGroupIds: is empty"},
		{rule: "data-encrypted",
			pass: []plan.Resource{rds(goodRDS), res(types.AWSCacheReplicationGroup, "kv", goodCache),
				res(types.AWSRDSParameterGroup, "pg", map[string]any{"family": "postgres17", "parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "1"}}})},
			fail: []plan.Resource{res(types.AWSCacheReplicationGroup, "kv", with(goodCache, "transitEncryptionEnabled", false))},
			want: "transitEncryptionEnabled: is not true"},
		{rule: "data-encrypted",
			fail: []plan.Resource{res(types.AWSRDSParameterGroup, "pg", map[string]any{"family": "postgres17", "parameters": []any{}})},
			want: "does not set rds.force_ssl = 1"},
		{rule: "autoscaler-bounded",
			pass: []plan.Resource{
				res(types.DOKubernetesNodePool, "p", map[string]any{"autoScale": true, "minNodes": 1.0, "maxNodes": 3.0}),
				res(types.AWSEKSNodeGroup, "g", map[string]any{"scalingConfig": map[string]any{"minSize": 1.0, "maxSize": 3.0}}),
				res(types.K8sHorizontalPodAutoscaler, "h", map[string]any{"spec": map[string]any{"minReplicas": 3.0, "maxReplicas": 30.0}}),
				res(types.KEDAScaledObject, "k", map[string]any{"spec": map[string]any{"minReplicaCount": 1.0, "maxReplicaCount": 20.0}}),
			},
			fail: []plan.Resource{res(types.K8sHorizontalPodAutoscaler, "h", map[string]any{"spec": map[string]any{"minReplicas": 3.0}})},
			want: "spec.maxReplicas: is not set"},
		{rule: "autoscaler-bounded",
			pass: []plan.Resource{res(types.KarpenterNodePool, "np", map[string]any{"metadata": map[string]any{"annotations": map[string]any{spec.AnnotationNodeSize: "c7i.xlarge", spec.AnnotationMinNodes: "3"}},
				"spec": map[string]any{"limits": map[string]any{"cpu": "56", "memory": "112Gi"}}})},
			fail: []plan.Resource{res(types.KarpenterNodePool, "np", map[string]any{"spec": map[string]any{"limits": map[string]any{"cpu": "56"}}})},
			want: "spec.limits.memory: is not set"},
		{rule: "autoscaler-bounded",
			fail: []plan.Resource{res(types.KarpenterNodePool, "np", map[string]any{"metadata": map[string]any{"annotations": map[string]any{spec.AnnotationNodeSize: "c7i.xlarge", spec.AnnotationMinNodes: "3"}},
				"spec": map[string]any{"limits": map[string]any{"cpu": "4000", "memory": "8000Gi"}}})},
			want: "spec.limits.cpu: holds 1000 nodes of c7i.xlarge (want at most 100 nodes)"},
		{rule: "autoscaler-bounded",
			fail: []plan.Resource{res(types.AWSEKSNodeGroup, "g", map[string]any{"scalingConfig": map[string]any{"minSize": 5.0, "maxSize": 3.0}})},
			want: "scalingConfig.minSize: is 5, above the maximum 3 (want min <= max)"},
		{rule: "autoscaler-bounded",
			fail: []plan.Resource{res(types.DOKubernetesCluster, "c", map[string]any{"nodePool": map[string]any{"autoScale": true, "minNodes": 1.0, "maxNodes": 500.0}})},
			want: "nodePool.maxNodes: is 500 (want at most 100 nodes)"},
		{rule: "container-resources",
			pass: []plan.Resource{deployment("api", 1, goodContainer())},
			fail: []plan.Resource{deployment("api", 1, with(goodContainer(), "resources", map[string]any{"requests": map[string]any{"cpu": "1"}}))},
			want: "container api has no requests.memory, limits.cpu, limits.memory"},
		{rule: "container-probes",
			pass: []plan.Resource{deployment("api", 1, goodContainer()), res(types.K8sJob, "migrate", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{with(goodContainer(), "livenessProbe", nil)}}}}})},
			fail: []plan.Resource{deployment("api", 1, with(goodContainer(), "livenessProbe", nil))},
			want: "container api has no livenessProbe"},
		{rule: "container-security",
			pass: []plan.Resource{deployment("api", 1, goodContainer())},
			fail: []plan.Resource{deployment("api", 1, with(goodContainer(), "securityContext", map[string]any{"privileged": true}))},
			want: "allowPrivilegeEscalation is not false; readOnlyRootFilesystem is not true; capabilities.drop does not list ALL; privileged is true"},
		{rule: "image-pinned",
			pass: []plan.Resource{deployment("api", 1, goodContainer()), deployment("w", 1, with(goodContainer(), "image", "ghcr.io/acme/w@sha256:"+strings.Repeat("0a", 32))),
				deployment("p", 1, with(goodContainer(), "image", "localhost:5000/acme/p:2.0"))},
			fail: []plan.Resource{deployment("api", 1, with(goodContainer(), "image", "localhost:5000/acme/api"))},
			want: `"localhost:5000/acme/api" is not pinned`},
		{rule: "image-pinned",
			fail: []plan.Resource{deployment("api", 1, with(goodContainer(), "image", "nginx:latest"))},
			want: `"nginx:latest" is not pinned`},
		{rule: "disruption-budget",
			pass: []plan.Resource{deployment("api", 3, goodContainer()), pdb("api"), deployment("solo", 1, goodContainer())},
			fail: []plan.Resource{deployment("api", 3, goodContainer()), pdb("other")},
			want: "runs 3 replicas without a PodDisruptionBudget"},
		{rule: "disruption-budget",
			fail: []plan.Resource{deployment("api", 1, goodContainer()),
				res(types.K8sHorizontalPodAutoscaler, "h", map[string]any{"spec": map[string]any{"minReplicas": 2.0, "maxReplicas": 4.0, "scaleTargetRef": map[string]any{"kind": "Deployment", "name": "api"}}})},
			want: "runs 2 replicas without a PodDisruptionBudget"},
		{rule: "min-replicas", opts: Options{Tier: "1k"},
			pass: []plan.Resource{deployment("api", 1, goodContainer())}},
		{rule: "min-replicas", opts: Options{Tier: "10k", MinReplicas: 2},
			pass: []plan.Resource{deployment("api", 2, goodContainer())},
			fail: []plan.Resource{deployment("api", 1, goodContainer())},
			want: "spec.replicas: runs as few as 1 replicas at tier 10k (want at least 2, the preset's policies.minReplicas"},
		{rule: "min-replicas", opts: Options{Tier: "custom", MinReplicas: 3}, // the floor is data: any tier name
			pass: []plan.Resource{deployment("api", 3, goodContainer())},
			fail: []plan.Resource{deployment("api", 2, goodContainer())},
			want: "runs as few as 2 replicas at tier custom (want at least 3"},
		{rule: "edge-origin-locked",
			pass: []plan.Resource{res(types.K8sService, "ws", map[string]any{"spec": map[string]any{"type": "LoadBalancer"}})},
		},
		{rule: "edge-origin-locked", opts: Options{Edge: true},
			pass: []plan.Resource{res(types.K8sService, "ws", map[string]any{"spec": map[string]any{"type": "LoadBalancer", "loadBalancerSourceRanges": []any{"173.245.48.0/20", "2606:4700::/32"}}}),
				res(types.K8sService, "api", map[string]any{"spec": map[string]any{"type": "ClusterIP"}})},
			fail: []plan.Resource{res(types.K8sService, "ws", map[string]any{"spec": map[string]any{"type": "LoadBalancer", "loadBalancerSourceRanges": []any{"173.245.48.0/20", "10.0.0.0/8"}}})},
			want: "admits 10.0.0.0/8, which is not a Cloudflare range"},
		{rule: "edge-origin-locked", opts: Options{Edge: true},
			fail: []plan.Resource{res(types.DOLoadBalancer, "lb", map[string]any{})},
			want: "firewall.allows: admits every address"},
		{rule: "edge-proxied", opts: Options{Edge: true},
			pass: []plan.Resource{res(types.CFRecord, "www", map[string]any{"type": "CNAME", "name": "www", "proxied": true}), res(types.CFRecord, "mx", map[string]any{"type": "MX", "name": "@"})},
			fail: []plan.Resource{res(types.CFRecord, "api", map[string]any{"type": "A", "name": "api", "proxied": false})},
			want: `A record "api" is not proxied`},
		{rule: "edge-ssl-strict", opts: Options{Edge: true},
			pass: []plan.Resource{res(types.CFZoneSettingsOverride, "s", map[string]any{"settings": map[string]any{"ssl": "strict"}})},
			fail: []plan.Resource{res(types.CFZoneSettingsOverride, "s", map[string]any{"settings": map[string]any{"ssl": "flexible"}})},
			want: `settings.ssl: is "flexible" (want strict`},
		{rule: "edge-ssl-strict", opts: Options{Edge: true}, // an edge whose zone settings are not planned
			fail: []plan.Resource{res(types.CFRecord, "api", map[string]any{"type": "A", "name": "api", "proxied": true})},
			want: ": the edge has no zone settings resource, so the zone keeps its own SSL mode (want a ZoneSettingsOverride with settings.ssl strict)"},
		{rule: "cluster-api-restricted",
			pass: []plan.Resource{
				res(types.AWSEKS, "private", map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": false}}),
				res(types.AWSEKS, "admins", map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24"}}}),
				res(types.AWSEKS, "later", map[string]any{"vpcConfig": map[string]any{"publicAccessCidrs": plan.Unknown}}),
				res(types.DOKubernetesCluster, "doks", map[string]any{"controlPlaneFirewall": map[string]any{"enabled": true, "allowedAddresses": []any{"203.0.113.7/32"}}}),
			},
			fail: []plan.Resource{res(types.AWSEKS, "eks", map[string]any{"vpcConfig": map[string]any{"endpointPrivateAccess": true, "subnetIds": []any{"a", "b"}}})},
			want: "vpcConfig.publicAccessCidrs: is empty, so the public endpoint admits 0.0.0.0/0 to the Kubernetes API (want only the administrators' ranges: set scalestack:adminCidrs"},
		{rule: "cluster-api-restricted",
			fail: []plan.Resource{res(types.AWSEKS, "eks", map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24", "0.0.0.0/0"}}})},
			want: "vpcConfig.publicAccessCidrs: admits 0.0.0.0/0 (the whole internet) to the Kubernetes API (want only the administrators' ranges: set scalestack:adminCidrs"},
		{rule: "cluster-api-restricted",
			fail: []plan.Resource{res(types.DOKubernetesCluster, "doks", map[string]any{"name": "doks"})},
			want: "controlPlaneFirewall.enabled: is not true, so the Kubernetes API admits the whole internet (want the control plane firewall on: set scalestack:adminCidrs"},
		{rule: "cluster-api-restricted",
			fail: []plan.Resource{res(types.DOKubernetesCluster, "doks", map[string]any{"controlPlaneFirewall": map[string]any{"enabled": true, "allowedAddresses": []any{"0.0.0.0/0"}}})},
			want: "controlPlaneFirewall.allowedAddresses: admits 0.0.0.0/0 (the whole internet) to the Kubernetes API (want only the administrators' ranges: set scalestack:adminCidrs"},
		{rule: "cluster-api-restricted",
			fail: []plan.Resource{res(types.DOKubernetesCluster, "doks", map[string]any{"controlPlaneFirewall": map[string]any{"enabled": true, "allowedAddresses": []any{}}})},
			want: "controlPlaneFirewall.allowedAddresses: is empty, so no administrators' range is admitted to the Kubernetes API"},
		{rule: "budget", opts: Options{Budget: 100},
			pass: []plan.Resource{res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-4vcpu-8gb", "autoScale": true, "minNodes": 1.0, "maxNodes": 2.0})},
			fail: []plan.Resource{res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-4vcpu-8gb", "autoScale": true, "minNodes": 1.0, "maxNodes": 3.0})},
			want: "the monthly ceiling $144.00 is above the budget $100.00 (baseline $48.00)"},
		{rule: "account-limits", opts: Options{Cloud: spec.DigitalOcean, Capacity: shippedModel()},
			pass: []plan.Resource{res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-4vcpu-8gb", "minNodes": 3.0, "maxNodes": 25.0, "labels": map[string]any{spec.PoolLabel: "app"}})},
			fail: []plan.Resource{res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-4vcpu-8gb", "minNodes": 3.0, "maxNodes": 40.0, "labels": map[string]any{spec.PoolLabel: "app"}})},
			want: `limits.digitalocean.droplets: the ceiling needs 40 Droplets in the account (every Kubernetes node is one), the account allows 25`},
	}
}

// shippedModel is capacity's model as it ships.
func shippedModel() *capacity.Model {
	m, err := capacity.Default()
	if err != nil {
		panic(err)
	}
	return &m
}

// levelOf is a rule's default level.
func levelOf(t *testing.T, name string) Level {
	for _, r := range All() {
		if r.Name == name {
			return r.Level
		}
	}
	t.Fatalf("%q is not a rule", name)
	return ""
}

// One table for every rule: resources that pass, resources that break it, and the message.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range ruleCases() {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			only := func(rep Report) []Violation {
				var out []Violation
				for _, v := range rep.Violations {
					if v.Rule == tc.rule {
						out = append(out, v)
					}
				}
				return out
			}
			if tc.pass != nil {
				assert.Empty(t, only(Check(tc.pass, tc.opts)), "passing resources")
			}
			if tc.fail == nil {
				return
			}
			vs := only(Check(tc.fail, tc.opts))
			require.NotEmpty(t, vs, "violating resources")
			var msgs []string
			for _, v := range vs {
				assert.Equal(t, levelOf(t, tc.rule), v.Level)
				msgs = append(msgs, v.Property+": "+v.Message)
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tc.want)
		})
	}
}

// Every rule has a case in the table whose resources break it: TestRules asserts that the rule
// fires on them with its message. A new rule without one fails here.
func TestEveryRuleIsTested(t *testing.T) {
	t.Parallel()
	failing := map[string]bool{}
	for _, tc := range ruleCases() {
		assert.Contains(t, Names(), tc.rule, "the table names a rule that does not exist")
		if tc.fail != nil {
			assert.NotEmpty(t, tc.want, "%s: a failing case says which message it wants", tc.rule)
			failing[tc.rule] = true
		}
	}
	for _, r := range All() {
		assert.NotEmpty(t, r.Description, r.Name)
		assert.Contains(t, []Level{Advisory, Mandatory}, r.Level, r.Name)
		assert.True(t, failing[r.Name], "rule %s has no failing case in ruleCases", r.Name)
	}
}

func TestLevelsFromConfig(t *testing.T) {
	t.Parallel()
	levels, err := ParseLevels(`{"stateful-protected": "advisory", "budget": "disabled"}`)
	require.NoError(t, err)
	rep := Check([]plan.Resource{res(types.AWSCacheReplicationGroup, "kv", nil)}, Options{Levels: levels, Budget: 1})
	require.NotEmpty(t, rep.Violations)
	for _, v := range rep.Violations {
		if v.Rule == "stateful-protected" {
			assert.Equal(t, Advisory, v.Level)
		}
	}
	assert.Contains(t, rep.Skipped, "budget")

	_, err = ParseLevels(`{"budgte": "advisory"}`)
	assert.ErrorContains(t, err, `"budgte" is not a rule (want one of stateful-protected,`)
	_, err = ParseLevels(`{"budget": "off"}`)
	assert.ErrorContains(t, err, `"budget": off is not a level (want one of advisory, mandatory, disabled)`)
	_, err = ParseLevels(`["budget"]`)
	assert.ErrorContains(t, err, "is not an object of rule names and levels")
	levels, err = ParseLevels("")
	assert.NoError(t, err)
	assert.Nil(t, levels)
}

func TestReportText(t *testing.T) {
	t.Parallel()
	rep := Check([]plan.Resource{deployment("api", 3, with(goodContainer(), "image", "api:latest"))}, Options{Tier: "100k"})
	assert.True(t, rep.Failed())
	text := rep.Text()
	assert.Contains(t, text, `image-pinned           kubernetes:Deployment api (spec.template.spec.containers.0.image): "api:latest" is not pinned`)
	assert.Contains(t, text, "violations (2 mandatory)")
}

// A rule that does not concern a stack is reported as not applicable, never as passed: the
// edge rules without a domain, min-replicas where the tier sets no floor.
func TestNotApplicable(t *testing.T) {
	t.Parallel()
	edgeRules := []string{"edge-origin-locked", "edge-proxied", "edge-ssl-strict"}
	lb := res(types.K8sService, "ws", map[string]any{"spec": map[string]any{"type": "LoadBalancer"}})

	rep := Check([]plan.Resource{lb, deployment("api", 1, goodContainer())}, Options{Tier: "1k"})
	assert.Equal(t, append(append([]string{"min-replicas"}, edgeRules...), "account-limits"), rep.NotApplicable, "account-limits without a cloud's limits")
	for _, name := range rep.NotApplicable {
		assert.NotContains(t, rep.Passed, name)
	}
	assert.Contains(t, rep.Text(), "rules disabled, 5 not applicable\n")
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"notApplicable":["min-replicas","edge-origin-locked","edge-proxied","edge-ssl-strict","account-limits"]`)
	assert.Contains(t, string(b), `"passed":[`, "the report's existing keys stay")

	// With a domain they run, and the unlocked load balancer breaks one.
	rep = Check([]plan.Resource{lb}, Options{Edge: true, MinReplicas: 2, Cloud: spec.DigitalOcean, Capacity: shippedModel()})
	assert.Empty(t, rep.NotApplicable)
	assert.Contains(t, rep.Passed, "min-replicas")
	assert.Contains(t, rep.Passed, "edge-proxied")
	assert.NotContains(t, rep.Passed, "edge-origin-locked")

	// A disabled rule is skipped, whether or not it applies.
	rep = Check(nil, Options{Levels: map[string]Level{"edge-proxied": Disabled}})
	assert.Contains(t, rep.Skipped, "edge-proxied")
	assert.NotContains(t, rep.NotApplicable, "edge-proxied")
	assert.NotNil(t, Check(nil, Options{Edge: true, MinReplicas: 1}).NotApplicable, "an empty list, not null, in JSON")
}

// The replica floor comes from the preset's data through OptionsFor, for any tier name.
func TestOptionsForCarriesThePresetsThresholds(t *testing.T) {
	t.Parallel()
	opts, err := OptionsFor("10k", "nyc3", 0, "", "", spec.Policies{MinReplicas: 2}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, opts.MinReplicas)
	assert.False(t, opts.Edge)
	rep := Check([]plan.Resource{deployment("api", 1, goodContainer())}, opts)
	require.True(t, rep.Failed())
	assert.Equal(t, "min-replicas", rep.Violations[0].Rule)

	opts, err = OptionsFor("1k", "nyc3", 0, "example.com", "free", spec.Policies{}, nil)
	require.NoError(t, err)
	assert.Zero(t, opts.MinReplicas)
	assert.True(t, opts.Edge)
	assert.Contains(t, Check([]plan.Resource{deployment("api", 1, goodContainer())}, opts).NotApplicable, "min-replicas")
}
