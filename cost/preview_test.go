package cost

import (
	"bytes"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
)

func readSample(t testing.TB) Preview {
	t.Helper()
	f, err := os.Open("testdata/preview.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := ReadPreview(f)
	require.NoError(t, err)
	return p
}

// The sample is a tier switch from 10K to 100K on DigitalOcean, with a replacement, a delete, a
// read and a resource type that has no price, written as pulumi preview --json prints them.
func TestReadPreview(t *testing.T) {
	t.Parallel()
	p := readSample(t)
	assert.Equal(t, "prod", p.Stack)
	assert.Equal(t, "100k", p.Config["scalestack:tier"])
	assert.Equal(t, map[string]int{"same": 3, "update": 3, "create": 4, "delete": 1, "create-replacement": 1, "replace": 1, "delete-replaced": 1, "read": 1}, p.Steps)

	names := func(rs []plan.Resource) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	assert.NotContains(t, names(p.Head), "shared-staging", "a read resource is not this stack's")
	assert.Contains(t, names(p.Base), "scalestack-prod-db-app-transaction-20", "a deleted resource is on the base side only")
	assert.NotContains(t, names(p.Head), "scalestack-prod-db-app-transaction-20")
	assert.Contains(t, names(p.Head), "scalestack-prod-cluster-worker-s-2vcpu-4gb", "a created resource is on the head side only")
	assert.NotContains(t, names(p.Base), "scalestack-prod-cluster-worker-s-2vcpu-4gb")
	assert.Equal(t, 1, strings.Count(strings.Join(names(p.Head), " "), "scalestack-prod-cache-valkey"), "a replacement's three steps are one resource")
	assert.True(t, p.Replaced[Ref{types.DODatabaseCluster, "scalestack-prod-cache-valkey"}])
	for _, r := range p.Head {
		if r.Name == "scalestack-prod-db-app-transaction-40" {
			assert.Equal(t, plan.Secret, r.Inputs["user"], "secrets are masked")
		}
		if r.Name == "scalestack-prod-db-replica-1" {
			assert.Equal(t, plan.Unknown, r.Inputs["clusterId"], "unknowns are marked")
		}
		if r.Name == "scalestack-prod-cluster-doks" {
			assert.Equal(t, types.DOKubernetesCluster, r.Type, "the type is the last of the URN's type chain")
		}
	}
}

func TestPreviewCostDiff(t *testing.T) {
	t.Parallel()
	p := readSample(t)
	usage, err := TierUsage("100k")
	require.NoError(t, err)
	opts := Options{Region: "fra1", Tier: "100k", Usage: usage}
	base, err := Estimate(p.Base, prices(t), opts)
	require.NoError(t, err)
	head, err := Estimate(p.Head, prices(t), opts)
	require.NoError(t, err)
	d := Diff(base, head, p.Replaced)

	assert.Equal(t, "210", d.Base.Baseline.String())
	assert.Equal(t, "450", d.Base.Ceiling.String())
	assert.Equal(t, "532", d.Head.Baseline.String())
	assert.Equal(t, "1132", d.Head.Ceiling.String())
	assert.Equal(t, "322", d.Delta.Baseline.String())
	actions := map[string]string{}
	for _, c := range d.Changes {
		actions[c.Name] = c.Action
	}
	assert.Equal(t, map[string]string{
		"scalestack-prod-cluster-doks":               Changed,
		"scalestack-prod-cluster-app-s-4vcpu-8gb":    Changed,
		"scalestack-prod-cluster-worker-s-2vcpu-4gb": Added,
		"scalestack-prod-db-pg":                      Changed,
		"scalestack-prod-db-replica-1":               Added,
		"scalestack-prod-cache-valkey":               Replaced,
	}, actions)
	require.Len(t, d.Unpriced, 1)
	assert.Equal(t, "assets", d.Unpriced[0].Name)

	md := d.Markdown("stack prod")
	for _, want := range []string{CommentMarker, "### Cost of this change: stack prod", "| baseline (pools at minimum) | $210.00 | $532.00 | **+$322.00** |",
		"🔁 replaced", "➕ added", "+ HA control plane x 1", "**Not priced**", "`digitalocean:SpacesBucket` assets"} {
		assert.Contains(t, md, want)
	}
}

func TestReadPreviewRejectsBadInput(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile("testdata/preview.json")
	require.NoError(t, err)
	for _, tc := range []struct{ name, json, want string }{
		{"empty", "", "the JSON ends early"},
		{"truncated", string(sample[:len(sample)/2]), "the JSON ends early"},
		{"not JSON", "Previewing update (prod):", "invalid character"},
		{"no steps", `{"config": {}}`, `no "steps"`},
		{"steps not a list", `{"steps": {}}`, "cannot unmarshal object"},
		{"unknown op", `{"steps": [{"op": "frobnicate", "urn": "urn:pulumi:s::p::t::n"}]}`, `steps[0]: op "frobnicate" is not a Pulumi step (want one of create,`},
		{"bad urn", `{"steps": [{"op": "create", "urn": "nope", "newState": {"type": "t", "custom": true}}]}`, `steps[0]: urn "nope" is not a Pulumi URN`},
		{"create without state", `{"steps": [{"op": "create", "urn": "urn:pulumi:s::p::t::n"}]}`, `steps[0]: op "create" without the state it changes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadPreview(strings.NewReader(tc.json))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The preview reader never panics, and what it accepts it can price or list as unpriced.
func FuzzReadPreview(f *testing.F) {
	sample, err := os.ReadFile("testdata/preview.json")
	require.NoError(f, err)
	f.Add(sample)
	f.Add([]byte(`{"steps":[]}`))
	f.Add([]byte(`{"steps":[{"op":"same","urn":"urn:pulumi:a::b::c::d","oldState":{"custom":true,"inputs":{"size":1}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPreview(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range append(p.Base, p.Head...) {
			if r.Type == "" || r.Name == "" {
				t.Fatalf("resource without a type or name: %+v", r)
			}
		}
		pr, err := Default()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = Estimate(p.Head, pr, Options{Region: "us-east-1"})
	})
}

// BenchmarkPreviewCostDiff is `scalestack cost diff --preview` on a 5,000-step preview: read
// the JSON, price both sides, diff them and render the pull-request comment.
func BenchmarkPreviewCostDiff(b *testing.B) {
	doc := generatedPreview(5000)
	pr, err := Default()
	require.NoError(b, err)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p, err := ReadPreview(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		opts := Options{Region: "us-east-1", Usage: Usage{NATDataGB: 500, EgressGB: 10000, LoadBalancerLCU: 10}}
		base, err := Estimate(p.Base, pr, opts)
		if err != nil {
			b.Fatal(err)
		}
		head, err := Estimate(p.Head, pr, opts)
		if err != nil {
			b.Fatal(err)
		}
		_ = Diff(base, head, p.Replaced).Markdown("bench")
	}
}

// generatedPreview writes a preview of n steps over a mix of priced and free AWS resources, with
// updates, creates, deletes and replacements.
func generatedPreview(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"config":{"scalestack:tier":"100k","aws:region":"us-east-1"},"steps":[`)
	kinds := []struct{ typ, in, out string }{
		{types.AWSEKSNodeGroup, `{"instanceTypes":["c7i.large"],"capacityType":"ON_DEMAND","diskSize":50,"scalingConfig":{"minSize":1,"maxSize":6}}`, `{"instanceTypes":["c7i.large"],"capacityType":"ON_DEMAND","diskSize":50,"scalingConfig":{"minSize":3,"maxSize":12}}`},
		{types.AWSRDSInstance, `{"engine":"postgres","instanceClass":"db.t4g.small","allocatedStorage":20}`, `{"engine":"postgres","instanceClass":"db.m7g.large","multiAz":true,"allocatedStorage":40}`},
		{types.AWSCacheReplicationGroup, `{"engine":"valkey","nodeType":"cache.t4g.small","numNodeGroups":1,"replicasPerNodeGroup":0}`, `{"engine":"valkey","nodeType":"cache.m7g.large","numNodeGroups":2,"replicasPerNodeGroup":1}`},
		{types.AWSNatGateway, `{"subnetId":"s"}`, `{"subnetId":"s"}`},
		{types.AWSSubnet, `{"cidrBlock":"10.0.0.0/24"}`, `{"cidrBlock":"10.0.0.0/24"}`},
		{types.AWSIAMRole, `{"assumeRolePolicy":"{}"}`, `{"assumeRolePolicy":"{}"}`},
	}
	ops := []string{"same", "update", "create", "delete", "replace"}
	for i := range n {
		k := kinds[i%len(kinds)]
		op := ops[(i/len(kinds))%len(ops)]
		if i > 0 {
			b.WriteByte(',')
		}
		urn := fmt.Sprintf("urn:pulumi:bench::scalestack::scalestack:components:X$%s::r-%d", k.typ, i)
		old := fmt.Sprintf(`{"urn":%q,"custom":true,"type":%q,"inputs":%s}`, urn, k.typ, k.in)
		nw := fmt.Sprintf(`{"urn":%q,"custom":true,"type":%q,"inputs":%s}`, urn, k.typ, k.out)
		switch op {
		case "create":
			fmt.Fprintf(&b, `{"op":%q,"urn":%q,"newState":%s}`, op, urn, nw)
		case "delete":
			fmt.Fprintf(&b, `{"op":%q,"urn":%q,"oldState":%s}`, op, urn, old)
		default:
			fmt.Fprintf(&b, `{"op":%q,"urn":%q,"oldState":%s,"newState":%s}`, op, urn, old, nw)
		}
	}
	b.WriteString(`],"changeSummary":{}}`)
	return b.Bytes()
}

// A resource whose URN moves (a new parent without an alias) is deleted and made again: a
// replacement, whatever its inputs; a discarded one stays in the cloud.
func TestReadPreviewMovesAndDiscards(t *testing.T) {
	const doc = `{"steps": [
	  {"op": "delete", "urn": "urn:pulumi:prod::scalestack::scalestack:components:Database$digitalocean:index/databaseCluster:DatabaseCluster::db-pg",
	   "oldState": {"type": "digitalocean:index/databaseCluster:DatabaseCluster", "custom": true, "inputs": {"size": "a"}}},
	  {"op": "create", "urn": "urn:pulumi:prod::scalestack::scalestack:components:Store$digitalocean:index/databaseCluster:DatabaseCluster::db-pg",
	   "newState": {"type": "digitalocean:index/databaseCluster:DatabaseCluster", "custom": true, "inputs": {"size": "a"}}},
	  {"op": "discard", "urn": "urn:pulumi:prod::scalestack::digitalocean:index/volume:Volume::data",
	   "oldState": {"type": "digitalocean:index/volume:Volume", "custom": true, "inputs": {}}}
	]}`
	pv, err := ReadPreview(strings.NewReader(doc))
	require.NoError(t, err)
	assert.True(t, pv.Replaced[Ref{"digitalocean:index/databaseCluster:DatabaseCluster", "db-pg"}], "moved: deleted and made again")
	assert.Contains(t, pv.URNs["digitalocean:index/databaseCluster:DatabaseCluster::db-pg"], "Store$", "the URN the change gives it")
	assert.True(t, pv.Discarded["digitalocean:index/volume:Volume::data"])
}
