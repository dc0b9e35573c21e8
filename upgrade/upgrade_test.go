package upgrade

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{Type: typ, Name: name, Custom: true, Inputs: inputs}
}

func deployment(name, process string, annotations map[string]any, cpu string) plan.Resource {
	return res(types.K8sDeployment, name, map[string]any{
		"metadata": map[string]any{"name": process, "namespace": "scalestack"},
		"spec": map[string]any{"replicas": 2.0, "template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{spec.ProcessLabel: process}, "annotations": annotations},
			"spec": map[string]any{
				"terminationGracePeriodSeconds": 90.0,
				"containers": []any{map[string]any{
					"resources": map[string]any{"requests": map[string]any{"cpu": cpu}},
					"lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 30.0}}},
				}},
			},
		}},
	})
}

func find(t *testing.T, d Diff, name string) Change {
	t.Helper()
	for _, c := range d.Changes {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "no change", "%s is not in the diff", name)
	return Change{}
}

func TestCompareClassifies(t *testing.T) {
	component := plan.Resource{Type: "scalestack:components:Database", Name: "db"}
	primary := res(types.DODatabaseCluster, "db-pg", map[string]any{"size": "db-s-1vcpu-2gb", "engine": "pg", "name": "db"})
	primary.Parent, primary.ParentType, primary.Protect = "db", component.Type, true
	replica := res(types.DODatabaseReplica, "db-replica-1", map[string]any{"size": "db-s-1vcpu-2gb"})
	replica.Protect = true
	oldPool := res(types.DODatabaseConnectionPool, "pool-20", map[string]any{"name": "app-20", "size": 20.0, "dbName": "app", "user": "app", "mode": "transaction"})
	newPool := res(types.DODatabaseConnectionPool, "pool-40", map[string]any{"name": "app-40", "size": 40.0, "dbName": "app", "user": "app", "mode": "transaction"})
	cluster := res(types.DOKubernetesCluster, "doks", map[string]any{"ha": true, "region": "fra1"})
	api := deployment("app-api", "api", map[string]any{spec.ConfigAnnotationPrefix + "DATABASE_URL": "aaaa"}, "500m")
	api.IgnoreChanges = []string{"spec.replicas"}
	ws := deployment("app-ws", "websocket", map[string]any{spec.ConfigAnnotationPrefix + "CACHE_URL": "cccc"}, "250m")
	before := plan.Plan{Resources: []plan.Resource{component, primary, replica, oldPool, cluster, api, ws}}

	primary2 := primary
	primary2.Inputs = map[string]any{"size": "db-s-2vcpu-4gb", "engine": "pg", "name": "db"}
	cluster2 := cluster
	cluster2.Inputs = map[string]any{"ha": false, "region": "fra1"}
	cluster2.IgnoreChanges = []string{"ha"}
	api2 := deployment("app-api", "api", map[string]any{spec.ConfigAnnotationPrefix + "DATABASE_URL": "bbbb"}, "500m")
	api2.IgnoreChanges = []string{"spec.replicas"}
	api2.Inputs["spec"].(map[string]any)["replicas"] = 3.0
	after := plan.Plan{Resources: []plan.Resource{component, primary2, newPool, cluster2, api2, ws}}

	d, err := Compare(before, after, Options{Project: "scalestack", Stack: "prod"})
	require.NoError(t, err)
	assert.Empty(t, d.Refusals, "a replica removed and a database resized in place are allowed")

	db := find(t, d, "db-pg")
	assert.Equal(t, InPlace, db.How)
	assert.Equal(t, "urn:pulumi:prod::scalestack::scalestack:components:Database$digitalocean:index/databaseCluster:DatabaseCluster::db-pg", db.URN)
	require.Len(t, db.Properties, 1)
	assert.Equal(t, "size", db.Properties[0].Path)

	assert.Equal(t, CreatedBeside, find(t, d, "pool-40").How)
	assert.Equal(t, "pool-20", find(t, d, "pool-40").Pair)
	assert.Equal(t, RemovedAfter, find(t, d, "pool-20").How)

	rep := find(t, d, "db-replica-1")
	assert.Equal(t, Removed, rep.How)
	assert.True(t, rep.Protected, "the runbook unprotects it first")
	assert.Empty(t, rep.Refused, "a read replica's data is the primary's")

	// The engine keeps what ignoreChanges names: the HA control plane stays, and the
	// autoscaler's replicas are not the program's.
	for _, name := range []string{"doks", "app-ws"} {
		for _, c := range d.Changes {
			assert.NotEqual(t, name, c.Name, "%s does not change", name)
		}
	}
	require.Len(t, d.Kept, 2)
	assert.Equal(t, "ha", d.Kept[0].Path)
	assert.Contains(t, d.Kept[0].Note, "cannot turn a cluster's HA control plane off")
	ha, _ := d.Head.Find(types.DOKubernetesCluster, "doks")
	assert.Equal(t, true, ha.Inputs["ha"], "the head is priced with the HA the cloud keeps")

	// The API rolls because the one setting it reads moved; the WebSocket pods, which read
	// another, do not roll and keep their sockets.
	require.Len(t, d.Rolls, 1)
	assert.Equal(t, "scalestack/api", d.Rolls[0].Workload)
	assert.Equal(t, []string{"DATABASE_URL changes in the app's configuration"}, d.Rolls[0].Why)
	for _, dr := range d.Drops {
		assert.NotEqual(t, "open WebSockets", dr.What)
	}
	assert.Equal(t, Counts{Same: 3, InPlace: 2, Created: 1, Removed: 2}, d.Counts)
}

func TestCompareRefusesLosingData(t *testing.T) {
	rds := res(types.AWSRDSInstance, "db-primary", map[string]any{"engine": "postgres", "identifier": "db", "instanceClass": "db.t4g.medium"})
	rdsReplica := res(types.AWSRDSInstance, "db-replica-1", map[string]any{"replicateSourceDb": "db"})
	cache := res(types.AWSCacheReplicationGroup, "cache", map[string]any{"replicationGroupId": "cache"})
	before := plan.Plan{Resources: []plan.Resource{rds, rdsReplica, cache}}

	renamed := cache
	renamed.Inputs = map[string]any{"replicationGroupId": "cache-2"}
	d, err := Compare(before, plan.Plan{Resources: []plan.Resource{renamed}}, Options{Project: "scalestack", Stack: "prod"})
	require.NoError(t, err)
	assert.Equal(t, Replaced, find(t, d, "cache").How)
	assert.True(t, find(t, d, "cache").Properties[0].ForcesReplacement)
	assert.Contains(t, find(t, d, "cache").Refused, "replicationGroupId cache -> cache-2")
	assert.Contains(t, find(t, d, "db-primary").Refused, "would be deleted, with its data")
	assert.Empty(t, find(t, d, "db-replica-1").Refused, "a replica goes with the tier")
	assert.Len(t, d.Refusals, 2)

	rb := Build(Input{Cloud: "aws", Stack: "prod", Config: "Pulumi.prod.yaml", From: "100k", To: "10k", Diff: d})
	assert.True(t, rb.Refused)
	assert.Empty(t, rb.Steps, "no runbook makes losing data safe")
	assert.Contains(t, rb.Text(), "! aws:rds/instance:Instance db-primary: would be deleted, with its data")
}

// A preview's own replacements and URNs are the engine's: they are taken as given.
func TestCompareTakesThePreviewsWord(t *testing.T) {
	db := res(types.DODatabaseCluster, "db-pg", map[string]any{"size": "a"})
	db2 := db
	db2.Inputs = map[string]any{"size": "b"}
	urn := "urn:pulumi:prod::scalestack::x$digitalocean:index/databaseCluster:DatabaseCluster::db-pg"
	d, err := Compare(plan.Plan{Resources: []plan.Resource{db}}, plan.Plan{Resources: []plan.Resource{db2}},
		Options{Replaced: map[string]bool{db.Key(): true}, URNs: map[string]string{db.Key(): urn}})
	require.NoError(t, err)
	c := find(t, d, "db-pg")
	assert.Equal(t, Replaced, c.How, "the engine said replace, although size changes in place")
	assert.Equal(t, urn, c.URN)
	assert.Contains(t, c.Refused, "would be replaced (an input that cannot change in place)")
}

func TestRunbookOrdersTheSwitch(t *testing.T) {
	pool := res(types.DOKubernetesNodePool, "app-pool", map[string]any{"maxNodes": 6.0, "labels": map[string]any{spec.PoolLabel: "app"}})
	hpa := res(types.K8sHorizontalPodAutoscaler, "api", map[string]any{"spec": map[string]any{"maxReplicas": 6.0}})
	replica := res(types.DODatabaseReplica, "db-replica-1", map[string]any{"size": "db-s-2vcpu-4gb"})
	replica.Protect = true
	small := plan.Plan{Resources: []plan.Resource{pool, hpa}}
	pool2, hpa2 := pool, hpa
	pool2.Inputs = map[string]any{"maxNodes": 14.0, "labels": map[string]any{spec.PoolLabel: "app"}}
	hpa2.Inputs = map[string]any{"spec": map[string]any{"maxReplicas": 30.0}}
	big := plan.Plan{Resources: []plan.Resource{pool2, hpa2, replica}}

	up, err := Compare(small, big, Options{Project: "scalestack", Stack: "prod"})
	require.NoError(t, err)
	rb := Build(Input{Cloud: "digitalocean", Stack: "prod", Config: "Pulumi.prod.yaml", From: "10k", To: "100k", Diff: up})
	require.False(t, rb.Refused)
	titles := func(rb Runbook) []string {
		var out []string
		for _, s := range rb.Steps {
			out = append(out, s.Title)
		}
		return out
	}
	assert.Equal(t, []string{"Switch the stack's tier to 100k", "Preview the switch, and stop if it replaces or deletes what holds data",
		"Grow the capacity first: nodes, databases, caches", "Apply the rest of the switch", "Check that the stack is what the 100k tier says"}, titles(rb))
	first := rb.Steps[2].Commands[0]
	assert.Contains(t, first, "--target 'urn:pulumi:prod::scalestack::digitalocean:index/kubernetesNodePool:KubernetesNodePool::app-pool'")
	assert.Contains(t, first, "DatabaseReplica::db-replica-1'")
	assert.NotContains(t, first, "HorizontalPodAutoscaler", "the maximums come last going up")
	assert.Equal(t, "scalestack upgrade --preview preview.json", rb.Steps[1].Commands[1], "the gate alone: the stack file says the new tier by now")

	down, err := Compare(big, small, Options{Project: "scalestack", Stack: "prod"})
	require.NoError(t, err)
	rb = Build(Input{Cloud: "digitalocean", Stack: "prod", Config: "Pulumi.prod.yaml", From: "100k", To: "10k", Diff: down,
		Kept: [][2]string{{"scalestack:overrides.database.size.digitalocean", "db-s-2vcpu-4gb"}}})
	assert.Equal(t, []string{"Switch the stack's tier to 10k", "Unprotect what the 10k tier removes", "Preview the switch, and stop if it replaces or deletes what holds data",
		"Lower the autoscalers' bounds first", "Apply the rest of the switch", "Check that the stack is what the 10k tier says"}, titles(rb))
	assert.Equal(t, "pulumi config set --path 'scalestack:overrides.database.size.digitalocean' db-s-2vcpu-4gb --stack prod", rb.Steps[0].Commands[1])
	assert.Equal(t, "pulumi state unprotect --stack prod --yes 'urn:pulumi:prod::scalestack::digitalocean:index/databaseReplica:DatabaseReplica::db-replica-1'", rb.Steps[1].Commands[0])
	assert.Contains(t, rb.Steps[3].Commands[0], "HorizontalPodAutoscaler::api'")
	assert.NotContains(t, rb.Steps[3].Commands[0], "KubernetesNodePool", "the nodes shrink last going down")
	assert.True(t, strings.HasSuffix(rb.Text(), "$ scalestack capacity --config Pulumi.prod.yaml\n"))
}

func TestShrinks(t *testing.T) {
	assert.True(t, Shrinks("db-s-2vcpu-4gb", "db-s-1vcpu-2gb"))
	assert.True(t, Shrinks("db-s-2vcpu-4gb", "db-s-2vcpu-2gb"))
	assert.False(t, Shrinks("db-s-1vcpu-2gb", "db-s-2vcpu-4gb"))
	assert.False(t, Shrinks("db-s-1vcpu-2gb", "db-s-1vcpu-2gb"))
	assert.False(t, Shrinks("db.m7g.large", "db.t4g.medium"), "not DigitalOcean's slugs: nothing known")
}

func TestKeepAndURN(t *testing.T) {
	parent := plan.Resource{Type: "scalestack:components:Cluster", Name: "cluster"}
	child := res(types.DOKubernetesNodePool, "pool", map[string]any{"a": map[string]any{"b": 1.0}})
	child.Parent, child.ParentType = "cluster", parent.Type
	p := plan.Plan{Resources: []plan.Resource{parent, child}}
	assert.Equal(t, "urn:pulumi:s::p::scalestack:components:Cluster$digitalocean:index/kubernetesNodePool:KubernetesNodePool::pool", p.URN(child, "p", "s"))

	after := child
	after.Inputs = map[string]any{"a": map[string]any{"b": 2.0}}
	after.IgnoreChanges = []string{"a.b"}
	kept, ks := plan.Keep(p, plan.Plan{Resources: []plan.Resource{parent, after}})
	require.Len(t, ks, 1)
	v, _ := kept.Resources[1].Get("a.b")
	assert.Equal(t, 1.0, v)
	got, _ := after.Get("a.b")
	assert.Equal(t, 2.0, got, "Keep changes a copy")
}

func TestDisruptionsAreSourced(t *testing.T) {
	ds, err := Disruptions()
	require.NoError(t, err)
	assert.NotEmpty(t, ds)
}

// DigitalOcean refuses to shrink a database's nodes: the diff warns, and says what to keep.
func TestCompareWarnsOfAShrink(t *testing.T) {
	db := res(types.DODatabaseCluster, "db-pg", map[string]any{"size": "db-s-2vcpu-4gb", "engine": "pg"})
	small := db
	small.Inputs = map[string]any{"size": "db-s-1vcpu-2gb", "engine": "pg"}
	d, err := Compare(plan.Plan{Resources: []plan.Resource{db}}, plan.Plan{Resources: []plan.Resource{small}}, Options{})
	require.NoError(t, err)
	require.Len(t, d.Warnings, 1)
	assert.Contains(t, d.Warnings[0], "DigitalOcean cannot shrink a database's nodes (db-s-2vcpu-4gb to db-s-1vcpu-2gb)")
	assert.Equal(t, map[string]string{db.Key(): "db-s-2vcpu-4gb"}, d.Shrunk())
	assert.Contains(t, d.Text("t"), "The cloud will refuse")
	up, err := Compare(plan.Plan{Resources: []plan.Resource{small}}, plan.Plan{Resources: []plan.Resource{db}}, Options{})
	require.NoError(t, err)
	assert.Empty(t, up.Warnings)
}

// An EKS node group whose minimum rises above the desired size the engine keeps gets its desired
// size raised first: EKS refuses the update otherwise.
func TestRunbookRaisesADesiredSize(t *testing.T) {
	group := func(min, desired float64) plan.Resource {
		r := res(types.AWSEKSNodeGroup, "app", map[string]any{"clusterName": "c", "nodeGroupName": "app-c7i",
			"labels":        map[string]any{spec.PoolLabel: "app"},
			"scalingConfig": map[string]any{"minSize": min, "maxSize": 14.0, "desiredSize": desired}})
		r.IgnoreChanges = []string{"scalingConfig.desiredSize"}
		return r
	}
	d, err := Compare(plan.Plan{Resources: []plan.Resource{group(1, 1)}}, plan.Plan{Resources: []plan.Resource{group(3, 3)}}, Options{Stack: "prod"})
	require.NoError(t, err)
	require.Len(t, d.Kept, 1, "the autoscaler's desired size")
	rb := Build(Input{Cloud: "aws", Stack: "prod", Config: "Pulumi.prod.yaml", From: "1k", To: "10k", Diff: d})
	var raise *Step
	for i, s := range rb.Steps {
		if strings.HasPrefix(s.Title, "Raise app-c7i") {
			raise = &rb.Steps[i]
		}
	}
	require.NotNil(t, raise)
	assert.Equal(t, "aws eks update-nodegroup-config --cluster-name c --nodegroup-name app-c7i --scaling-config maxSize=14,desiredSize=3", raise.Commands[1])
}
