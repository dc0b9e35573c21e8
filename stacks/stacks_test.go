// The program-level tests: the real program under the recording mocks. This is the one test
// package that links the cloud SDKs; keep program-level checks here.
package stacks_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/internal/forcenew"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/upgrade"
)

var update = flag.Bool("update", false, "rewrite the golden plans under testdata/")

const (
	doCluster  = types.DOKubernetesCluster
	doPool     = types.DOKubernetesNodePool
	doDatabase = types.DODatabaseCluster
	doReplica  = types.DODatabaseReplica
	doConnPool = types.DODatabaseConnectionPool
	doFirewall = types.DODatabaseFirewall
	doVPC      = types.DOVpc

	awsVPC         = types.AWSVPC
	awsSubnet      = types.AWSSubnet
	awsNAT         = types.AWSNatGateway
	awsRouteTable  = types.AWSRouteTable
	awsSG          = types.AWSSecurityGroup
	awsIngress     = types.AWSSecurityGroupIngressRule
	awsEKS         = types.AWSEKS
	awsNodeGroup   = types.AWSEKSNodeGroup
	awsAddon       = types.AWSEKSAddon
	awsRDS         = types.AWSRDSInstance
	awsCache       = types.AWSCacheReplicationGroup
	awsProvider    = types.ProviderAWS
	helmRelease    = types.HelmRelease
	awsAccessEntry = types.AWSEKSAccessEntry
)

// builtClouds are the clouds every program-level check runs on.
var builtClouds = []spec.Cloud{spec.DigitalOcean, spec.AWS, spec.Local}

func planFor(t *testing.T, cloud spec.Cloud, tier string, extra ...string) plan.Plan {
	t.Helper()
	raw := map[string]string{"scalestack:cloud": string(cloud), "scalestack:tier": tier}
	if cloud == spec.Local {
		raw["scalestack:kubeconfig"] = "testdata/kubeconfig.yaml"
	}
	var secrets []string
	for i := 0; i+1 < len(extra); i += 2 {
		raw[extra[i]] = extra[i+1]
		// Credentials are set encrypted, as the program demands.
		for _, k := range config.SecretKeys {
			if extra[i] == config.Key(k) {
				secrets = append(secrets, extra[i])
			}
		}
	}
	p, err := stacks.Plan("prod", raw, secrets)
	require.NoError(t, err)
	return p
}

func preset(t *testing.T, tier string) tiers.Preset {
	t.Helper()
	p, err := tiers.Load(tier)
	require.NoError(t, err)
	return p
}

// golden compares output with its file under testdata/, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./stacks -update to create it")
	assert.Equal(t, string(want), string(got), "%s changed: review the diff, then go test ./stacks -update", name)
}

// Golden plans: one per cloud and tier, reviewed as a diff when the program changes.
func TestGoldenPlans(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				b, err := planFor(t, cloud, tier).JSON()
				require.NoError(t, err)
				golden(t, fmt.Sprintf("plan-%s-%s.json", cloud, tier), b)
			})
		}
	}
}

// Golden cost reports: every cloud and tier priced with the tier's usage assumptions. Every
// resource the program creates is priced or known to be free: a new resource type without a
// price fails here, not silently in a user's estimate.
func TestGoldenCostReports(t *testing.T) {
	prices, err := cost.Default()
	require.NoError(t, err)
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				usage, err := cost.TierUsage(tier)
				require.NoError(t, err)
				region := config.DefaultRegions[cloud]
				rep, err := cost.Estimate(planFor(t, cloud, tier).Resources, prices, cost.Options{Region: region, Tier: tier, Usage: usage})
				require.NoError(t, err)
				for _, u := range rep.Unpriced {
					// An existing cluster's load balancers cost what its owner pays; nothing else
					// may go unpriced.
					assert.Equal(t, spec.Local, cloud, "%s %s is not priced: %s", u.Type, u.Name, u.Reason)
					assert.Contains(t, u.Reason, "LoadBalancer", u.Name)
				}
				assert.True(t, rep.Ceiling.GreaterThanOrEqual(rep.Baseline))
				b, err := cost.JSON(rep)
				require.NoError(t, err)
				golden(t, fmt.Sprintf("cost-%s-%s.json", cloud, tier), b)
			})
		}
	}
}

// Golden check reports: every preset, on every cloud, passes every mandatory guardrail.
func TestGoldenCheckReports(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				preset, err := tiers.Load(tier)
				require.NoError(t, err)
				opts, err := policies.OptionsFor(tier, config.DefaultRegions[cloud], 0, "", "", preset.Policies, nil)
				require.NoError(t, err)
				model, err := capacity.Default()
				require.NoError(t, err)
				opts.Cloud, opts.Capacity = cloud, &model
				rep := policies.Check(planFor(t, cloud, tier).Resources, opts)
				assert.False(t, rep.Failed(), "mandatory violations:\n%s", rep.Text())
				// The advisories: a cloud cluster's API is open until scalestack:adminCidrs says
				// who may reach it, and a large tier's ceiling needs more than a new account's
				// limits until scalestack:capacity says they were raised.
				api := 0
				for _, v := range rep.Violations {
					assert.Contains(t, []string{"cluster-api-restricted", "account-limits"}, v.Rule, "%s", rep.Text())
					assert.Equal(t, policies.Advisory, v.Level)
					if v.Rule == "cluster-api-restricted" {
						api++
					}
				}
				if cloud == spec.Local {
					assert.Empty(t, rep.Violations, "an existing cluster's API and limits are not the stack's")
				} else {
					assert.Equal(t, 1, api, "%s", rep.Text())
				}
				b, err := cost.JSON(rep)
				require.NoError(t, err)
				golden(t, fmt.Sprintf("check-%s-%s.json", cloud, tier), b)
			})
		}
	}
}

// Golden capacity reports: every cloud and tier weighed against its own users. On the clouds
// the presets size, every part carries the tier's users with the headroom at the ceiling and
// the previous tier's at the baseline, and every pool holds its pods; the local cloud's
// in-cluster database and cache are development stand-ins, reported as they are.
func TestGoldenCapacityReports(t *testing.T) {
	model, err := capacity.Default()
	require.NoError(t, err)
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				preset, err := tiers.Load(tier)
				require.NoError(t, err)
				baseline, err := tiers.BaselineUsers(tier, preset.Users)
				require.NoError(t, err)
				rep, err := capacity.Evaluate(planFor(t, cloud, tier), model, capacity.Options{Cloud: cloud, Tier: tier, Users: preset.Users, BaselineUsers: baseline})
				require.NoError(t, err)
				if cloud != spec.Local {
					assert.True(t, rep.Carries, "%s", rep.Text())
					assert.GreaterOrEqual(t, rep.CeilingUsers, int64(math.Ceil(1.5*float64(preset.Users))), "%s", rep.Text())
					assert.GreaterOrEqual(t, rep.BaselineUsers, int64(math.Ceil(1.5*float64(baseline))), "%s", rep.Text())
					assert.NotEmpty(t, rep.Fits)
				}
				b, err := rep.JSON()
				require.NoError(t, err)
				golden(t, fmt.Sprintf("capacity-%s-%s.json", cloud, tier), b)
			})
		}
	}
}

// A deliberately bad stack fails the check with a readable report.
func TestCheckCatchesABadStack(t *testing.T) {
	p := planFor(t, spec.AWS, "100k", "scalestack:protect", "false",
		"scalestack:overrides", `{"cluster":{"appPools":[{"name":"app","size":{"aws":"c7i.xlarge","digitalocean":"s-4vcpu-8gb"},"minNodes":3,"maxNodes":12}]},"workloads":{"worker":{"pool":"app"}}}`)
	rep := policies.Check(p.Resources, policies.Options{Tier: "100k", Region: "us-east-1", Budget: 500})
	require.True(t, rep.Failed())
	text := rep.Text()
	assert.Contains(t, text, "stateful-protected")
	assert.Contains(t, text, "aws:Instance scalestack-prod-db-primary: is not protected")
	assert.Contains(t, text, "budget")
	assert.Contains(t, text, "is above the budget $500.00")
}

// The plan follows the preset: every size and count comes from the tier's data.
func TestPlanFollowsThePreset(t *testing.T) {
	for _, tier := range tiers.Names {
		t.Run(tier, func(t *testing.T) {
			p := planFor(t, spec.DigitalOcean, tier)
			pre := preset(t, tier)

			clusters := p.OfType(doCluster)
			require.Len(t, clusters, 1)
			c := clusters[0]
			assert.Equal(t, pre.Cluster.HA, c.Inputs["ha"])
			assert.Equal(t, spec.DefaultSystemPool.Size.DigitalOcean, must(c.Get("nodePool.size")))
			assert.Equal(t, false, c.Inputs["autoUpgrade"], "the version is pinned")
			assert.Equal(t, true, c.Inputs["surgeUpgrade"])
			assert.NotEmpty(t, must(c.Get("maintenancePolicy.day")))

			pools := p.OfType(doPool)
			require.Len(t, pools, len(pre.Cluster.AppPools))
			for i, want := range pre.Cluster.AppPools {
				got := pools[i]
				assert.Equal(t, want.Size.DigitalOcean, got.Inputs["size"])
				assert.Equal(t, true, got.Inputs["autoScale"])
				assert.Equal(t, float64(want.MinNodes), got.Inputs["minNodes"])
				assert.Equal(t, float64(want.MaxNodes), got.Inputs["maxNodes"])
				labels, _ := got.Inputs["labels"].(map[string]any)
				assert.Equal(t, want.Name, labels[spec.PoolLabel])
			}

			dbs := p.OfType(doDatabase)
			require.Len(t, dbs, 2, "PostgreSQL and Valkey")
			pg, vk := dbs[0], dbs[1]
			if pg.Inputs["engine"] != "pg" {
				pg, vk = vk, pg
			}
			assert.Equal(t, "pg", pg.Inputs["engine"])
			assert.Equal(t, float64(1+pre.Database.Standby.DigitalOcean), pg.Inputs["nodeCount"])
			assert.Equal(t, pre.Database.Size.DigitalOcean, pg.Inputs["size"])
			assert.Equal(t, "valkey", vk.Inputs["engine"])
			assert.Equal(t, float64(1+pre.Cache.Standby.DigitalOcean), vk.Inputs["nodeCount"])
			assert.Equal(t, "allkeys_lru", vk.Inputs["evictionPolicy"])

			assert.Len(t, p.OfType(doReplica), pre.Database.Replicas)
			pools = p.OfType(doConnPool)
			require.Len(t, pools, 1)
			assert.Equal(t, "transaction", pools[0].Inputs["mode"])
			assert.Equal(t, float64(pre.Database.Pool.Size), pools[0].Inputs["size"])
		})
	}
}

// Nothing stateful is reachable from outside the cluster, and everything stateful is protected.
func TestSecurityAndProtection(t *testing.T) {
	for _, tier := range tiers.Names {
		t.Run(tier, func(t *testing.T) {
			p := planFor(t, spec.DigitalOcean, tier)
			vpc := p.OfType(doVPC)
			require.Len(t, vpc, 1)

			for _, r := range append(p.OfType(doDatabase), p.OfType(doReplica)...) {
				assert.Equal(t, vpc[0].Name+"-id", r.Inputs["privateNetworkUuid"], "%s is on the private network", r.Name)
				assert.True(t, r.Protect, "%s is protected", r.Name)
			}
			cluster := p.OfType(doCluster)[0]
			assert.True(t, cluster.Protect)
			assert.Equal(t, vpc[0].Name+"-id", cluster.Inputs["vpcUuid"])

			firewalls := p.OfType(doFirewall)
			require.Len(t, firewalls, 2, "one for the database, one for the cache")
			guarded := map[any]bool{}
			for _, fw := range firewalls {
				rules, _ := fw.Inputs["rules"].([]any)
				require.Len(t, rules, 1, "%s admits exactly one source", fw.Name)
				assert.Equal(t, "k8s", must(fw.Get("rules.0.type")))
				assert.Equal(t, cluster.Name+"-id", must(fw.Get("rules.0.value")), "only the cluster")
				guarded[fw.Inputs["clusterId"]] = true
			}
			for _, db := range p.OfType(doDatabase) {
				assert.True(t, guarded[db.Name+"-id"], "%s has a firewall", db.Name)
			}
		})
	}
}

func TestProtectFollowsConfig(t *testing.T) {
	p := planFor(t, spec.DigitalOcean, "100k", "scalestack:protect", "false")
	for _, r := range p.Resources {
		assert.False(t, r.Protect, "%s", r.Name)
	}
}

// HA cannot be turned off on DOKS: tiers without it leave an existing cluster's HA alone.
func TestHAIsNeverTurnedOff(t *testing.T) {
	for _, tier := range tiers.Names {
		c := planFor(t, spec.DigitalOcean, tier).OfType(doCluster)[0]
		if preset(t, tier).Cluster.HA {
			assert.NotContains(t, c.IgnoreChanges, "ha", tier)
		} else {
			assert.Contains(t, c.IgnoreChanges, "ha", tier)
		}
	}
}

// Every tier switch, each tier to each other, changes no replace-forcing property of a resource
// that keeps its name (forcenew.yaml lists them with their sources). A resource whose name
// changes (a node pool or connection pool of a new size) is a new resource that comes up before
// the old one goes; stateful resources never change name.
func TestTierSwitchesReplaceNothing(t *testing.T) {
	stateful := map[spec.Cloud][]string{
		spec.DigitalOcean: {doCluster, doDatabase, doVPC},
		spec.AWS:          {awsVPC, awsSubnet, awsEKS, awsCache, types.AWSInternetGateway},
		spec.Local:        {types.K8sStatefulSet, types.K8sSecret, types.K8sNamespace},
	}
	replicaType := map[spec.Cloud]string{spec.DigitalOcean: doReplica, spec.AWS: awsRDS, spec.Local: "none"}
	for _, cloud := range builtClouds {
		plans := map[string]plan.Plan{}
		for _, tier := range tiers.Names {
			plans[tier] = planFor(t, cloud, tier)
		}
		switches := 0
		for _, from := range tiers.Names {
			for _, to := range tiers.Names {
				if from == to {
					continue
				}
				switches++
				t.Run(string(cloud)+"-"+from+"-to-"+to, func(t *testing.T) {
					before, after := plans[from], plans[to]
					replaced, err := forcenew.Replacements(before, after)
					require.NoError(t, err)
					assert.Empty(t, replaced, "replace-forcing changes")
					d, err := upgrade.Compare(before, after, upgrade.Options{Project: stacks.ProjectName, Stack: "prod"})
					require.NoError(t, err)
					assert.Empty(t, d.Refusals, "what the upgrade command refuses")
					for _, typ := range stateful[cloud] {
						require.NotEmpty(t, before.OfType(typ), typ)
						for _, r := range before.OfType(typ) {
							if r.ParentType == types.WorkloadApp {
								continue // the app's Secrets hold outputs of other resources, not state of their own
							}
							if r.MapAt("spec.template.metadata.labels")[spec.RoleLabel] == spec.ReplicaRole {
								continue // the local read replicas, which go with a tier that has none
							}
							_, kept := after.Find(r.Type, r.Name)
							assert.True(t, kept, "%s %s keeps its name", typ, r.Name)
						}
					}
					if cloud == spec.AWS {
						_, kept := after.Find(awsRDS, "scalestack-prod-db-primary")
						assert.True(t, kept, "the RDS primary keeps its name")
					}
					// Replicas that stay keep their names; only the ones above the smaller count go.
					n := min(len(replicasOf(before, replicaType[cloud])), len(replicasOf(after, replicaType[cloud])))
					for i := 1; i <= n; i++ {
						_, kept := after.Find(replicaType[cloud], fmt.Sprintf("scalestack-prod-db-replica-%d", i))
						assert.True(t, kept, "replica %d keeps its name", i)
					}
				})
			}
		}
		assert.Equal(t, 12, switches)
	}
}

// replicasOf are the read replicas of a plan (on AWS, RDS instances that replicate a source).
func replicasOf(p plan.Plan, typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range p.OfType(typ) {
		if _, isAWSPrimary := r.Inputs["username"]; typ == awsRDS && isAWSPrimary {
			continue
		}
		out = append(out, r)
	}
	return out
}

// The check above can fail: a change of a replace-forcing property is caught.
func TestTierSwitchCheckCatchesAReplacement(t *testing.T) {
	before := planFor(t, spec.DigitalOcean, "10k")
	after := planFor(t, spec.DigitalOcean, "10k", "scalestack:overrides", `{"network":{"cidr":"10.30.0.0/16"}}`)
	replaced, err := forcenew.Replacements(before, after)
	require.NoError(t, err)
	require.Len(t, replaced, 1)
	assert.Equal(t, "ipRange", replaced[0].Path)

	downgrade := planFor(t, spec.DigitalOcean, "10k", "scalestack:overrides", `{"cluster":{"version":{"digitalocean":"1.32.9-do.0"}}}`)
	replaced, err = forcenew.Replacements(before, downgrade)
	require.NoError(t, err)
	require.Len(t, replaced, 1, "a version downgrade replaces a DOKS cluster")
	upgrade := planFor(t, spec.DigitalOcean, "10k", "scalestack:overrides", `{"cluster":{"version":{"digitalocean":"1.34.1-do.0"}}}`)
	replaced, err = forcenew.Replacements(before, upgrade)
	require.NoError(t, err)
	assert.Empty(t, replaced, "an upgrade is in place")

	before = planFor(t, spec.AWS, "10k")
	after = planFor(t, spec.AWS, "10k", "scalestack:overrides", `{"network":{"cidr":"10.30.0.0/16"}}`)
	replaced, err = forcenew.Replacements(before, after)
	require.NoError(t, err)
	paths := map[string]bool{}
	for _, r := range replaced {
		paths[r.Type+" "+r.Path] = true
	}
	assert.True(t, paths[awsVPC+" cidrBlock"], "a new VPC range replaces the VPC: %v", replaced)
	assert.True(t, paths[awsSubnet+" cidrBlock"], "and its subnets: %v", replaced)

	pgDowngrade := planFor(t, spec.AWS, "10k", "scalestack:overrides", `{"database":{"version":"16"}}`)
	replaced, err = forcenew.Replacements(before, pgDowngrade)
	require.NoError(t, err)
	require.NotEmpty(t, replaced, "a PostgreSQL major downgrade is caught")
	assert.Equal(t, "engineVersion", replaced[0].Path)
}

// Tags come from one transform, never include the tier, and reach every taggable resource.
func TestTagsAreStableAcrossTiers(t *testing.T) {
	want := []any{"scalestack", "scalestack-project-scalestack", "scalestack-stack-prod"}
	for _, tier := range tiers.Names {
		for _, r := range planFor(t, spec.DigitalOcean, tier).Resources {
			if tags, ok := r.Inputs["tags"]; ok {
				assert.Equal(t, want, tags, "%s %s", tier, r.Name)
			}
		}
	}
	for _, typ := range []string{doCluster, doPool, doDatabase, doReplica} {
		r := planFor(t, spec.DigitalOcean, "1m").OfType(typ)[0]
		assert.Contains(t, r.Inputs, "tags", typ)
	}
}

// Secrets never appear in a plan: the exported URLs and passwords print as [secret].
func TestNoSecretInThePlan(t *testing.T) {
	b, err := planFor(t, spec.DigitalOcean, "100k").JSON()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "password of")
	assert.NotContains(t, string(b), "kubeconfig of")
}

// The local cloud never falls back to an ambient kubeconfig.
func TestLocalNeedsAKubeconfig(t *testing.T) {
	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "local", "scalestack:tier": "1k"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stacks: config "scalestack:kubeconfig": is not set (want the path of a kubeconfig, or its contents, for the local cloud`)
}

// Every Kubernetes object goes through the cluster's explicit provider and every AWS resource
// through the stack's: a default provider would act on whatever cluster an ambient kubeconfig,
// or whatever account and region the environment, points at.
func TestExplicitProviders(t *testing.T) {
	for _, cloud := range builtClouds {
		p := planFor(t, cloud, "100k", "scalestack:domain", "example.com", "scalestack:cloudflareZoneId", "0123456789abcdef0123456789abcdef")
		providers := map[string]string{}
		for _, r := range p.Resources {
			if pkg, ok := strings.CutPrefix(r.Type, "pulumi:providers:"); ok {
				providers[r.Name] = pkg
			}
		}
		for _, r := range p.Resources {
			pkg, _, _ := strings.Cut(r.Type, ":")
			if !r.Custom || (pkg != "kubernetes" && pkg != "aws") {
				continue
			}
			assert.Equal(t, pkg, providers[r.Provider], "%s: %s %s goes through provider %q, not an explicit %s provider", cloud, r.Type, r.Name, r.Provider, pkg)
		}
	}
}

// Every Kubernetes provider changes ConfigMaps and Secrets in place: replacing one of a fixed
// name deletes it first, and every Deployment that reads it with it, so a tier switch (which
// changes the app's settings) would stop the app. The real engine showed it; this keeps it.
func TestKubernetesProvidersMutateConfigInPlace(t *testing.T) {
	for _, cloud := range builtClouds {
		p := planFor(t, cloud, "1k")
		providers := p.OfType(types.ProviderKubernetes)
		require.NotEmpty(t, providers, cloud)
		for _, r := range providers {
			for _, k := range []string{"enableConfigMapMutable", "enableSecretMutable"} {
				assert.Contains(t, []any{true, "true"}, r.Inputs[k], "%s: %s sets %s", cloud, r.Name, k)
			}
		}
	}
}

func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "50k"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"50k" is not a tier (want one of 1k, 10k, 100k, 1m)`)
}

// The example stack files in the repository plan cleanly.
func TestExampleStackFiles(t *testing.T) {
	files, err := filepath.Glob("../Pulumi.*.yaml")
	require.NoError(t, err)
	examples, err := filepath.Glob("examples/Pulumi.*.yaml")
	require.NoError(t, err)
	files = append(files, examples...)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sf, err := config.ReadStackFile(f)
			require.NoError(t, err)
			_, err = config.Parse(sf.Raw)
			require.NoError(t, err)
			_, err = stacks.Plan(sf.Stack, sf.Raw, sf.Secrets)
			require.NoError(t, err)
		})
	}
}

func must(v any, ok bool) any {
	if !ok {
		return "<missing>"
	}
	return v
}

// Pulumi.yaml is what the engine reads: its own parser takes it (an array config key without
// items is refused there, and nowhere else), and it declares every scalestack key.
func TestPulumiYAMLLoads(t *testing.T) {
	project, err := workspace.LoadProject("../Pulumi.yaml")
	require.NoError(t, err)
	for _, k := range config.Keys {
		_, ok := project.Config[config.Key(k)]
		assert.True(t, ok, "Pulumi.yaml declares %s", config.Key(k))
	}
}
