package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/tiers"
)

func prices(t *testing.T) Prices {
	t.Helper()
	p, err := Default()
	require.NoError(t, err)
	return p
}

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{Type: typ, Name: name, Custom: true, Inputs: inputs}
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// Every shipped table parses, every entry has a source and a date, and both AWS regions price
// the same items.
func TestShippedPrices(t *testing.T) {
	t.Parallel()
	p := prices(t)
	require.ElementsMatch(t, []string{"digitalocean", "aws", "cloudflare"}, sortedKeys(p))
	use, fra := p["aws"].Regions["us-east-1"], p["aws"].Regions["eu-central-1"]
	require.NotEmpty(t, use)
	assert.ElementsMatch(t, sortedKeys(use), sortedKeys(fra))
	for name, it := range use {
		assert.ElementsMatch(t, sortedKeys(it.Prices), sortedKeys(fra[name].Prices), name)
	}
}

// Every size a preset names has a price on its cloud: the tiers can always be priced.
func TestEveryPresetSizeIsPriced(t *testing.T) {
	t.Parallel()
	p := prices(t)
	items := map[spec.Cloud]map[spec.SizeKind][]string{
		spec.DigitalOcean: {spec.NodeSize: {"node"}, spec.DatabaseSize: {"postgres"}, spec.CacheSize: {"valkey"}},
		spec.AWS:          {spec.NodeSize: {"ec2"}, spec.DatabaseSize: {"rdsPostgres"}, spec.CacheSize: {"elasticacheValkey"}},
	}
	for _, name := range tiers.Names {
		pre, err := tiers.Load(name)
		require.NoError(t, err)
		for cloud, kinds := range items {
			sizes := map[spec.SizeKind][]string{
				spec.NodeSize:     {pre.Cluster.SystemPool.Size.For(cloud)},
				spec.DatabaseSize: {pre.Database.Size.For(cloud), pre.Database.ReplicaSize.For(cloud)},
				spec.CacheSize:    {pre.Cache.Size.For(cloud)},
			}
			for _, pool := range pre.Cluster.AppPools {
				sizes[spec.NodeSize] = append(sizes[spec.NodeSize], pool.Size.For(cloud))
			}
			for kind, slugs := range sizes {
				for _, slug := range slugs {
					for _, item := range kinds[kind] {
						for _, region := range []string{"us-east-1", "eu-central-1"} {
							_, err := p.Lookup(string(cloud), region, item, slug)
							assert.NoError(t, err, "%s %s %s %s", name, cloud, item, slug)
						}
					}
				}
			}
		}
	}
}

func TestBadTables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "cloud: x\ncurrency: USD\nregions: {}\nprise: 1\n", "field prise not found"},
		{"no source", "cloud: x\ncurrency: USD\nregions:\n  '*':\n    a: {unit: month, price: '1'}\n", "*.a: source and as_of are required"},
		{"bad unit", "cloud: x\ncurrency: USD\nregions:\n  '*':\n    a: {unit: day, source: s, as_of: d, price: '1'}\n", `*.a: unit "day" (want one of month, hour`},
		{"negative", "cloud: x\ncurrency: USD\nregions:\n  '*':\n    a: {unit: month, source: s, as_of: d, prices: {s1: '-1'}}\n", `*.a.s1: "-1" is not a price`},
		{"float", "cloud: x\ncurrency: USD\nregions:\n  '*':\n    a: {unit: month, source: s, as_of: d, price: 'twelve'}\n", `"twelve" is not a price`},
		{"both", "cloud: x\ncurrency: USD\nregions:\n  '*':\n    a: {unit: month, source: s, as_of: d, price: '1', prices: {b: '2'}}\n", "want either price or prices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseTable([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// One case per priced resource type: the inputs a plan records, and the monthly figures.
func TestPricedResourceTypes(t *testing.T) {
	t.Parallel()
	usage := Usage{NATDataGB: 100, EgressGB: 0, LoadBalancerLCU: 2}
	for _, tc := range []struct {
		name              string
		r                 plan.Resource
		region            string
		baseline, ceiling string
	}{
		{"DOKS with HA and an autoscaled default pool", res(types.DOKubernetesCluster, "c",
			map[string]any{"ha": true, "nodePool": map[string]any{"size": "s-2vcpu-4gb", "autoScale": true, "minNodes": 1.0, "maxNodes": 3.0}}), "", "64", "112"},
		{"DOKS without HA, fixed pool", res(types.DOKubernetesCluster, "c",
			map[string]any{"ha": false, "nodePool": map[string]any{"size": "s-4vcpu-8gb", "nodeCount": 3.0}}), "", "144", "144"},
		{"DOKS node pool", res(types.DOKubernetesNodePool, "p",
			map[string]any{"size": "c-8", "autoScale": true, "minNodes": 6.0, "maxNodes": 40.0}), "", "1008", "6720"},
		{"DO PostgreSQL with a standby", res(types.DODatabaseCluster, "db",
			map[string]any{"engine": "pg", "size": "db-s-2vcpu-4gb", "nodeCount": 2.0}), "", "120", "120"},
		{"DO Valkey", res(types.DODatabaseCluster, "kv",
			map[string]any{"engine": "valkey", "size": "db-s-1vcpu-1gb", "nodeCount": 1.0}), "", "15", "15"},
		{"DO read replica", res(types.DODatabaseReplica, "r",
			map[string]any{"size": "db-s-2vcpu-4gb"}), "", "60", "60"},
		{"DO load balancer of 3 nodes", res(types.DOLoadBalancer, "lb", map[string]any{"sizeUnit": 3.0}), "", "36", "36"},
		{"DO volume", res(types.DOVolume, "v", map[string]any{"size": 100.0}), "", "10", "10"},
		{"EKS", res(types.AWSEKS, "eks", map[string]any{}), "us-east-1", "73", "73"},
		{"EKS node group on demand", res(types.AWSEKSNodeGroup, "ng", map[string]any{
			"instanceTypes": []any{"t3.medium"}, "capacityType": "ON_DEMAND", "diskSize": 50.0,
			"scalingConfig": map[string]any{"minSize": 1.0, "maxSize": 3.0, "desiredSize": 1.0}}), "us-east-1", "34.37", "103.10"},
		{"EKS node group on spot", res(types.AWSEKSNodeGroup, "ng", map[string]any{
			"instanceTypes": []any{"c7i.large", "c6i.large"}, "capacityType": "SPOT", "diskSize": 20.0,
			"scalingConfig": map[string]any{"minSize": 2.0, "maxSize": 2.0}}), "us-east-1", "61.84", "61.84"},
		{"RDS Multi-AZ", res(types.AWSRDSInstance, "db", map[string]any{
			"engine": "postgres", "instanceClass": "db.m7g.large", "multiAz": true, "allocatedStorage": 20.0, "identifier": "db"}), "us-east-1", "249.88", "249.88"},
		{"RDS in Frankfurt", res(types.AWSRDSInstance, "db", map[string]any{
			"engine": "postgres", "instanceClass": "db.t4g.micro", "allocatedStorage": 20.0}), "eu-central-1", "16.17", "16.17"},
		{"ElastiCache Valkey, 3 shards of 3 nodes", res(types.AWSCacheReplicationGroup, "kv", map[string]any{
			"engine": "valkey", "nodeType": "cache.m7g.xlarge", "numNodeGroups": 3.0, "replicasPerNodeGroup": 2.0}), "us-east-1", "1655.64", "1655.64"},
		{"ElastiCache Redis, 2 clusters", res(types.AWSCacheReplicationGroup, "kv", map[string]any{
			"engine": "redis", "nodeType": "cache.t4g.small", "numCacheClusters": 2.0}), "us-east-1", "46.72", "46.72"},
		{"NAT gateway with its data", res(types.AWSNatGateway, "nat", map[string]any{}), "us-east-1", "37.35", "37.35"},
		{"elastic IP", res(types.AWSEip, "ip", map[string]any{}), "us-east-1", "3.65", "3.65"},
		{"NLB with its capacity units", res(types.AWSLB, "lb", map[string]any{"loadBalancerType": "network"}), "us-east-1", "25.19", "25.19"},
		{"EBS volume", res(types.AWSEBSVolume, "v", map[string]any{"size": 100.0, "type": "gp3"}), "us-east-1", "8", "8"},
		{"Cloudflare Pro", res(types.CFZone, "z", map[string]any{"plan": "pro"}), "", "25", "25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Estimate([]plan.Resource{tc.r}, prices(t), Options{Region: tc.region, Usage: usage})
			require.NoError(t, err)
			require.Empty(t, rep.Unpriced)
			line := rep.Lines[0]
			assert.Equal(t, tc.r.Type, line.Type)
			assert.True(t, money(tc.baseline).Equal(line.Baseline), "baseline %s, want %s", line.Baseline, tc.baseline)
			assert.True(t, money(tc.ceiling).Equal(line.Ceiling), "ceiling %s, want %s", line.Ceiling, tc.ceiling)
			for _, p := range line.Parts {
				assert.NotEmpty(t, p.Source, p.What)
				assert.NotEmpty(t, p.AsOf, p.What)
			}
		})
	}
}

// A replica's storage is its source's; the egress of an AWS stack with a cluster is a usage line.
func TestRDSReplicaAndEgress(t *testing.T) {
	t.Parallel()
	primary := res(types.AWSRDSInstance, "db", map[string]any{"instanceClass": "db.t4g.small", "allocatedStorage": 100.0, "identifier": "app-db"})
	replica := res(types.AWSRDSInstance, "db-replica-1", map[string]any{"instanceClass": "db.t4g.small", "replicateSourceDb": "app-db"})
	eks := res(types.AWSEKS, "eks", nil)
	rep, err := Estimate([]plan.Resource{primary, replica, eks}, prices(t), Options{Region: "us-east-1", Usage: Usage{EgressGB: 1000}})
	require.NoError(t, err)
	require.Len(t, rep.Lines, 4)
	assert.Equal(t, "storage, gp3 GB", rep.Lines[1].Parts[1].What)
	assert.True(t, money("100").Equal(rep.Lines[1].Parts[1].Quantity), "the replica stores what its source stores")
	egress := rep.Lines[3]
	assert.Equal(t, "usage", egress.Type)
	assert.True(t, money("90").Equal(egress.Baseline))
	assert.True(t, egress.Parts[0].Usage)
	assert.Equal(t, "egressGB", egress.Parts[0].UsageKey)
	sum := decimal.Zero
	for _, l := range rep.Lines {
		sum = sum.Add(l.Baseline)
	}
	assert.True(t, rep.Baseline.Equal(sum))
}

// Usage-based lines are priced only with the resources they belong to.
func TestUsageLinesNeedTheirResources(t *testing.T) {
	t.Parallel()
	usage := Usage{NATDataGB: 500, EgressGB: 10000, LoadBalancerLCU: 10}
	for _, tc := range []struct {
		name      string
		resources []plan.Resource
		wantUsage []string
	}{
		{"only unpriced types", []plan.Resource{res("aws:sqs/queue:Queue", "q", nil)}, nil},
		{"a database alone", []plan.Resource{res(types.AWSRDSInstance, "db", map[string]any{"instanceClass": "db.t4g.small", "allocatedStorage": 20.0})}, nil},
		{"a cluster", []plan.Resource{res(types.AWSEKS, "eks", nil)}, []string{"egressGB"}},
		{"a NAT gateway", []plan.Resource{res(types.AWSNatGateway, "nat", nil)}, []string{"natDataGB"}},
		{"a load balancer Service", []plan.Resource{res(types.K8sService, "lb", map[string]any{"spec": map[string]any{"type": "LoadBalancer"}}), res(types.AWSEKS, "eks", nil)},
			[]string{"loadBalancerLCU", "egressGB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Estimate(tc.resources, prices(t), Options{Region: "us-east-1", Usage: usage})
			require.NoError(t, err)
			var got []string
			for _, l := range rep.Lines {
				for _, p := range l.Parts {
					if p.Usage {
						got = append(got, p.UsageKey)
					}
				}
			}
			assert.ElementsMatch(t, tc.wantUsage, got)
		})
	}
}

// An internet-facing NLB holds a public IPv4 address in each public subnet's zone.
func TestNLBPublicIPv4(t *testing.T) {
	t.Parallel()
	subnet := func(name string) plan.Resource {
		return res(types.AWSSubnet, name, map[string]any{"tags": map[string]any{"kubernetes.io/role/elb": "1"}})
	}
	svc := func(name string, annotations map[string]any) plan.Resource {
		return res(types.K8sService, name, map[string]any{"spec": map[string]any{"type": "LoadBalancer"},
			"metadata": map[string]any{"annotations": annotations}})
	}
	nlb := map[string]any{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
	for _, tc := range []struct {
		name      string
		resources []plan.Resource
		want      string
	}{
		{"3 zones x 2 load balancers", []plan.Resource{subnet("a"), subnet("b"), subnet("c"), svc("api", nlb), svc("ws", nlb)}, "21.9"},
		{"internal", []plan.Resource{subnet("a"), subnet("b"), subnet("c"),
			svc("api", map[string]any{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"})}, "0"},
		{"an aws:lb network", []plan.Resource{res(types.AWSLB, "lb", map[string]any{"loadBalancerType": "network", "subnets": []any{"a", "b"}})}, "7.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Estimate(tc.resources, prices(t), Options{Region: "us-east-1"})
			require.NoError(t, err)
			ips := decimal.Zero
			for _, l := range rep.Lines {
				for _, p := range l.Parts {
					if p.Size == "" && strings.HasPrefix(p.What, "public IPv4") {
						ips = ips.Add(p.Baseline)
					}
				}
			}
			assert.True(t, money(tc.want).Equal(ips), "public IPv4 %s, want %s", ips, tc.want)
		})
	}
}

// Storage autoscaling lets an RDS instance's disk grow to maxAllocatedStorage: the ceiling.
func TestRDSStorageAutoscaling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		inputs                 map[string]any
		wantBaseGB, wantCeilGB string
	}{
		{"autoscaling", map[string]any{"allocatedStorage": 100.0, "maxAllocatedStorage": 500.0}, "100", "500"},
		{"multi-AZ autoscaling", map[string]any{"allocatedStorage": 100.0, "maxAllocatedStorage": 500.0, "multiAz": true}, "200", "1000"},
		{"off", map[string]any{"allocatedStorage": 100.0}, "100", "100"},
		{"off with 0", map[string]any{"allocatedStorage": 100.0, "maxAllocatedStorage": 0.0}, "100", "100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.inputs["instanceClass"] = "db.t4g.small"
			rep, err := Estimate([]plan.Resource{res(types.AWSRDSInstance, "db", tc.inputs)}, prices(t), Options{Region: "us-east-1"})
			require.NoError(t, err)
			disk := rep.Lines[0].Parts[1]
			assert.True(t, money(tc.wantBaseGB).Equal(disk.Quantity), "baseline GB %s", disk.Quantity)
			assert.True(t, money(tc.wantCeilGB).Equal(disk.CeilingQuantity), "ceiling GB %s", disk.CeilingQuantity)
			assert.True(t, disk.UnitPrice.Mul(money(tc.wantCeilGB)).Round(2).Equal(disk.Ceiling))
		})
	}
}

// The zone of a stack with a domain is part of its bill, once.
func TestEdgeZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		resources []plan.Resource
		opts      Options
		want      string
	}{
		{"configured zone", nil, StackOptions("", "", Usage{}, "example.com", "pro"), "25"},
		{"no domain", nil, StackOptions("", "", Usage{}, "", "pro"), "0"},
		{"the plan's own zone wins", []plan.Resource{res(types.CFZone, "z", map[string]any{"plan": "business"})},
			StackOptions("", "", Usage{}, "example.com", "pro"), "250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Estimate(tc.resources, prices(t), tc.opts)
			require.NoError(t, err)
			assert.True(t, money(tc.want).Equal(rep.Baseline), "baseline %s, want %s", rep.Baseline, tc.want)
		})
	}
}

// An AWS plan in a region without prices is one error naming the region and the priced ones.
func TestUnpricedRegionIsOneError(t *testing.T) {
	t.Parallel()
	resources := []plan.Resource{res(types.AWSEKS, "eks", nil), res(types.AWSNatGateway, "nat", nil), res(types.AWSEip, "ip", nil)}
	_, err := Estimate(resources, prices(t), Options{Region: "ap-south-1"})
	var re RegionError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, `no aws prices for region "ap-south-1" (want one of eu-central-1, us-east-1)`, err.Error())
}

func TestWhatIsNotPriced(t *testing.T) {
	t.Parallel()
	rs := []plan.Resource{
		res(types.DOVpc, "vpc", nil),
		res(types.K8sDeployment, "api", nil),
		res(types.K8sService, "api", map[string]any{"spec": map[string]any{"type": "ClusterIP"}}),
		res(types.DOSpacesBucket, "assets", nil),
		res(types.DOKubernetesNodePool, "secret-size", map[string]any{"size": plan.Secret}),
		res(types.DODatabaseCluster, "gd", map[string]any{"engine": "pg", "size": "gd-2vcpu-8gb"}),
		{Type: types.ComponentCluster, Name: "component", Custom: false},
		{Type: types.ProviderDigitalOcean, Name: "default", Custom: true},
	}
	rep, err := Estimate(rs, prices(t), Options{})
	require.NoError(t, err)
	assert.Empty(t, rep.Lines)
	assert.True(t, rep.Baseline.IsZero())
	assert.Len(t, rep.Free, 3, "the VPC, the Deployment and the ClusterIP Service")
	require.Len(t, rep.Unpriced, 3)
	assert.Equal(t, "no price for this resource type", rep.Unpriced[0].Reason)
	assert.Equal(t, "size is not known until the resource exists", rep.Unpriced[1].Reason)
	assert.Contains(t, rep.Unpriced[2].Reason, `size "gd-2vcpu-8gb" has no price in the table yet`)
}

func TestBadInputIsAnError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    plan.Resource
		opts Options
		want string
	}{
		{"unknown size", res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-99vcpu"}), Options{},
			`"s-99vcpu" is not a priced digitalocean node size (want one of c-16,`},
		{"unknown instance type", res(types.AWSEKSNodeGroup, "g", map[string]any{"instanceTypes": []any{"p5.48xlarge"}}), Options{Region: "us-east-1"},
			`"p5.48xlarge" is not a priced aws ec2 size`},
		{"unpriced region", res(types.AWSEKS, "eks", nil), Options{Region: "ap-south-1"},
			`no aws prices for region "ap-south-1" (want one of eu-central-1, us-east-1)`},
		{"no region", res(types.AWSEKS, "eks", nil), Options{}, "the AWS region is not known"},
		{"negative count", res(types.DOKubernetesNodePool, "p", map[string]any{"size": "c-2", "autoScale": true, "minNodes": -1.0}), Options{},
			"minNodes: -1 is not a whole number of 0 or more"},
		{"negative usage", res(types.DOVpc, "v", nil), Options{Usage: Usage{NATDataGB: -1}},
			`usage "natDataGB": -1 is negative (want 0 or more)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Estimate([]plan.Resource{tc.r}, prices(t), tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestUsageFile(t *testing.T) {
	t.Parallel()
	base, err := TierUsage("100k")
	require.NoError(t, err)
	u, err := ReadUsage(strings.NewReader("natDataGB: 42\n"), base)
	require.NoError(t, err)
	assert.Equal(t, 42.0, u.NATDataGB)
	assert.Equal(t, base.EgressGB, u.EgressGB, "keys left out keep the tier's figure")

	_, err = ReadUsage(strings.NewReader("natDataGb: 42\n"), base)
	assert.ErrorContains(t, err, "field natDataGb not found")
	_, err = ReadUsage(strings.NewReader("egressGB: -3\n"), base)
	assert.ErrorContains(t, err, `usage "egressGB": -3 is negative`)
	u, err = ReadUsage(strings.NewReader(""), base)
	require.NoError(t, err)
	assert.Equal(t, base, u, "an empty file changes nothing")

	_, err = TierUsage("50k")
	assert.EqualError(t, err, `"50k" is not a tier with usage assumptions (want one of 100k, 10k, 1k, 1m)`)
	names, err := Tiers()
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		band, err := SeedBand(name)
		require.NoError(t, err)
		assert.True(t, money(band.Low).LessThan(money(band.High)), name)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	p := prices(t)
	pool := func(size string, lo, hi float64) plan.Resource {
		return res(types.DOKubernetesNodePool, "app", map[string]any{"size": size, "autoScale": true, "minNodes": lo, "maxNodes": hi})
	}
	db := res(types.DODatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-2vcpu-4gb", "nodeCount": 1.0})
	replica := res(types.DODatabaseReplica, "replica", map[string]any{"size": "db-s-2vcpu-4gb"})
	lb := res(types.DOLoadBalancer, "lb", map[string]any{"sizeUnit": 1.0})
	base, err := Estimate([]plan.Resource{pool("s-4vcpu-8gb", 3, 12), db, replica}, p, Options{})
	require.NoError(t, err)
	head, err := Estimate([]plan.Resource{pool("s-4vcpu-8gb", 6, 12), db, lb}, p, Options{})
	require.NoError(t, err)

	d := Diff(base, head, map[Ref]bool{{db.Type, db.Name}: true})
	assert.True(t, d.Delta.Baseline.Equal(money("144").Add(money("12")).Sub(money("60"))), "%s", d.Delta.Baseline)
	assert.True(t, d.Delta.Ceiling.Equal(money("12").Sub(money("60"))), "%s", d.Delta.Ceiling)
	require.Len(t, d.Changes, 4)
	byName := map[string]Change{}
	for _, c := range d.Changes {
		byName[c.Name] = c
	}
	assert.Equal(t, Changed, byName["app"].Action)
	assert.Equal(t, "nodes: 3-12 -> 6-12", byName["app"].Summary)
	assert.Equal(t, Replaced, byName["db"].Action, "a replacement is reported even at the same price")
	assert.Equal(t, Added, byName["lb"].Action)
	assert.Equal(t, Removed, byName["replica"].Action)
	assert.True(t, byName["replica"].Delta.Baseline.Equal(money("-60")))

	bigger, err := Estimate([]plan.Resource{pool("s-8vcpu-16gb", 3, 12), db, replica}, p, Options{})
	require.NoError(t, err)
	resized := Diff(base, bigger, nil)
	require.Len(t, resized.Changes, 1)
	assert.Equal(t, "nodes: 3-12 x s-4vcpu-8gb -> 3-12 x s-8vcpu-16gb", resized.Changes[0].Summary)

	same := Diff(base, base, nil)
	assert.Empty(t, same.Changes)
	assert.Contains(t, same.Markdown("none"), "No resource changes its monthly cost.")
}

func TestRendering(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "$1,234,567.50", Money(money("1234567.5")))
	assert.Equal(t, "-$12.00", Money(money("-12")))
	assert.Equal(t, "$0.00", Money(decimal.Zero))

	rep, err := Estimate([]plan.Resource{
		res(types.DOKubernetesNodePool, "app|pool", map[string]any{"size": "c-2", "autoScale": true, "minNodes": 1.0, "maxNodes": 2.0}),
		res(types.DOSpacesBucket, "assets", nil),
	}, prices(t), Options{Tier: "1k"})
	require.NoError(t, err)
	md := rep.Markdown()
	assert.True(t, strings.HasPrefix(md, CommentMarker))
	assert.Contains(t, md, "| app\\|pool | digitalocean:KubernetesNodePool | $42.00 - $84.00 |", "pipes are escaped in table cells")
	assert.Contains(t, md, "**Not priced**")
	assert.Contains(t, rep.Text(), "not priced (not in the totals)")
	b, err := JSON(rep)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"baselineMonthly": "42"`, "money is a decimal string in JSON")
}

// A usage figure must be finite and plausible: a NaN once panicked in decimal.NewFromFloat.
func TestUsageFileRefusesImplausibleFigures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, want string
	}{
		{"egressGB: .nan\n", `usage "egressGB": NaN is not a number (want 0 to 1e+07)`},
		{"egressGB: .inf\n", `usage "egressGB": +Inf is not a number`},
		{"natDataGB: -.inf\n", `usage "natDataGB": -Inf is not a number`},
		{"egressGB: 1e300\n", `usage "egressGB": 1e+300 is above the bound 1e+07`},
		{"loadBalancerLCU: 100001\n", `usage "loadBalancerLCU": 100001 is above the bound 100000`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, err := ReadUsage(strings.NewReader(tc.file), Usage{})
			assert.ErrorContains(t, err, tc.want)
		})
	}
	u, err := ReadUsage(strings.NewReader("egressGB: 10000000\nloadBalancerLCU: 100000\n"), Usage{})
	require.NoError(t, err, "the bounds themselves are accepted")
	assert.Equal(t, float64(MaxEgressGB), u.EgressGB)
}

func FuzzReadUsage(f *testing.F) {
	for _, seed := range []string{"", "natDataGB: 42\n", "egressGB: .nan\n", "egressGB: .inf\n", "egressGB: 1e300\n",
		"loadBalancerLCU: -1\n", "natDataGB: [1]\n", "{egressGB: 5, natDataGB: 0x10}\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		u, err := ReadUsage(strings.NewReader(file), Usage{NATDataGB: 1, EgressGB: 2, LoadBalancerLCU: 3})
		if err != nil {
			return
		}
		for _, v := range []float64{u.NATDataGB, u.EgressGB, u.LoadBalancerLCU} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("ReadUsage(%q) = %+v: a figure is not finite and non-negative", file, u)
			}
		}
		// A valid usage prices without a panic.
		if _, err := Estimate([]plan.Resource{res(types.AWSEKS, "eks", nil)}, prices(t), Options{Region: "us-east-1", Usage: u}); err != nil {
			t.Fatal(err)
		}
	})
}

// The reports name only the usage assumptions that priced a line, and mark the prices that are
// estimates or a third party's figures.
func TestReportSaysWhatItAssumed(t *testing.T) {
	t.Parallel()
	usage := Usage{NATDataGB: 500, EgressGB: 10000, LoadBalancerLCU: 10}
	for _, tc := range []struct {
		name      string
		resources []plan.Resource
		region    string
		want      []string
		notWant   []string
	}{
		{"digitalocean", []plan.Resource{res(types.DOKubernetesNodePool, "p", map[string]any{"size": "s-4vcpu-8gb", "nodeCount": 2.0})}, "",
			nil, []string{"usage assumed", "Usage assumed", "NAT data", "LCU"}},
		{"aws in Frankfurt", []plan.Resource{res(types.AWSEKS, "eks", nil), res(types.AWSNatGateway, "nat", nil)}, "eu-central-1",
			[]string{"usage assumed: NAT data 500 GB, egress 10000 GB", "third-party prices: NAT gateway", "NAT gateway: x 1 at 0.052/hour = $37.96 [third-party]"}, []string{"LCU"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Estimate(tc.resources, prices(t), Options{Region: tc.region, Usage: usage})
			require.NoError(t, err)
			for _, out := range []string{rep.Text(), rep.Markdown()} {
				for _, n := range tc.notWant {
					assert.NotContains(t, out, n)
				}
			}
			for _, w := range tc.want {
				assert.Contains(t, rep.Text(), w)
			}
			if len(tc.want) > 0 {
				assert.Contains(t, rep.Markdown(), "Usage assumed: NAT data 500 GB, egress 10000 GB.")
				assert.Contains(t, rep.Markdown(), "Not list prices (third-party prices: NAT gateway).")
			}
		})
	}
}

func TestPriceCaveats(t *testing.T) {
	t.Parallel()
	// The caveat is the table's word, never guessed from the source's prose.
	_, err := ParseTable([]byte("cloud: x\ncurrency: USD\nregions:\n  \"*\":\n    a: {unit: month, source: s, as_of: \"2026-01-01\", price: \"1\", caveat: guess}\n"))
	assert.ErrorContains(t, err, `*.a: caveat "guess" (want one of estimate, third-party, or none for a list price)`)
	prices, err := Default()
	require.NoError(t, err)
	for _, tc := range []struct{ cloud, region, item, key, want string }{
		{"aws", "us-east-1", "eksCluster", "", ""},
		{"digitalocean", "*", "postgres", "db-s-1vcpu-1gb", CaveatThirdParty},
		{"digitalocean", "*", "postgresStandby", "db-s-2vcpu-4gb", CaveatEstimate},
	} {
		r, err := prices.Lookup(tc.cloud, tc.region, tc.item, tc.key)
		require.NoError(t, err, tc.item)
		assert.Equal(t, tc.want, r.Caveat, tc.item)
	}
}
