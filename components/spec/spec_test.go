package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalog(t *testing.T) {
	t.Parallel()
	require.NoError(t, CatalogErr())
	info, err := Lookup(DigitalOcean, DatabaseSize, "db-s-2vcpu-4gb")
	require.NoError(t, err)
	assert.Equal(t, 97, info.Connections)
	_, err = Lookup(DigitalOcean, NodeSize, "s-3vcpu-1gb")
	assert.ErrorContains(t, err, `"s-3vcpu-1gb" is not a digitalocean node size (want one of s-1vcpu-2gb,`)
	src, asOf, err := CatalogSource(DigitalOcean, CacheSize)
	require.NoError(t, err)
	assert.NotEmpty(t, src)
	assert.NotEmpty(t, asOf)
}

func TestValidateReportsEveryField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"network", Network{CIDR: "8.8.8.0/24", Zones: 9, NATGateways: "many"}.Validate("network."), []string{
			`network.cidr: "8.8.8.0/24" is not a private IPv4 range`,
			`network.zones: 9 is out of range (want 2 to 6)`,
			`network.natGateways: "many" is not a NAT layout (want one of single, per-zone)`,
		}},
		{"network host bits", Network{CIDR: "10.20.1.0/16", Zones: 3, NATGateways: NATSingle}.Validate(""), []string{
			`cidr: "10.20.1.0/16" has host bits set (want 10.20.0.0/16)`,
		}},
		{"cluster", Cluster{Version: PerCloud{DigitalOcean: "1.33"}, Maintenance: Maintenance{Day: "someday", StartTime: "25:00"},
			SystemPool: DefaultSystemPool, AppPools: []NodePool{{Name: "system", Size: PerCloud{DigitalOcean: "s-2vcpu-4gb"}, MinNodes: 0, MaxNodes: 101}}}.Validate("cluster.", DigitalOcean), []string{
			`cluster.version.digitalocean: "1.33" is not a DOKS version slug`,
			`cluster.maintenance.day: "someday" is not a day`,
			`cluster.maintenance.startTime: "25:00" is not a time of day`,
			`cluster.appPools.0.minNodes: 0 is below 1`,
			`cluster.appPools.0.maxNodes: 101 is above the bound 100`,
			`cluster.appPools.0.name: "system" is used by another pool`,
		}},
		{"database", Database{Version: "9", Size: PerCloud{DigitalOcean: "db-s-2vcpu-4gb"}, ReplicaSize: PerCloud{DigitalOcean: "db-s-1vcpu-1gb"},
			Replicas: 1, Standby: Same(3), Pool: Pool{Mode: "batch", Size: 0}, DBName: "App", User: "u"}.Validate("database.", DigitalOcean), []string{
			`database.version: "9" is not a supported PostgreSQL major version (want one of 14, 15, 16, 17)`,
			`database.standby.digitalocean: 3 is out of range (want 0 to 2 standby nodes)`,
			`database.replicaSize.digitalocean: "db-s-1vcpu-1gb" has less memory than the primary "db-s-2vcpu-4gb"`,
			`database.pool.mode: "batch" is not a pool mode`,
			`database.pool.size: 0 is below 1`,
			`database.dbName: "App" is not a database name`,
		}},
		{"cache", Cache{Engine: "memcached", Version: "8", Size: PerCloud{DigitalOcean: "db-s-1vcpu-1gb"}, Shards: Same(1), EvictionPolicy: "allkeys-lfu"}.Validate("cache.", DigitalOcean), []string{
			`cache.engine: "memcached" is not a cache engine (want one of valkey, redis)`,
			`cache.evictionPolicy: "allkeys-lfu" is not an eviction policy on digitalocean`,
		}},
		{"workloads", workloadsWith(func(w *Workloads) {
			w.API.CPUTarget, w.Worker.CPUTarget, w.WebSocket.MaxReplicas = 150, -5, 0
		}).Validate("workloads.", "system", []NodePool{{Name: "app"}}), []string{
			`workloads.api.cpuTarget: 150 is out of range (want 1 to 100 percent of the CPU request)`,
			`workloads.worker.cpuTarget: -5 is out of range (want 1 to 100`,
			`workloads.websocket.maxReplicas: 0 is below minReplicas 1`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Error(t, tt.err)
			for _, w := range tt.want {
				assert.Contains(t, tt.err.Error(), w)
			}
		})
	}
}

func TestEvictionPolicySpelling(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "allkeys_lru", Cache{EvictionPolicy: "allkeys-lru"}.DigitalOceanEvictionPolicy())
}

func TestSubnetCIDRsAreStableAndDisjoint(t *testing.T) {
	t.Parallel()
	n := Network{CIDR: "10.20.0.0/16", Zones: 6}
	seen := map[string]bool{}
	for i := range 6 {
		private, public, err := n.SubnetCIDRs(i)
		require.NoError(t, err)
		assert.False(t, seen[private] || seen[public], "zone %d reuses a range", i)
		seen[private], seen[public] = true, true
	}
	private, public, err := n.SubnetCIDRs(0)
	require.NoError(t, err)
	assert.Equal(t, "10.20.0.0/19", private)
	assert.Equal(t, "10.20.224.0/22", public)
	private, public, err = n.SubnetCIDRs(2)
	require.NoError(t, err)
	assert.Equal(t, "10.20.64.0/19", private)
	assert.Equal(t, "10.20.232.0/22", public)
	_, _, err = n.SubnetCIDRs(6)
	assert.EqualError(t, err, "zone 6 is out of range (want 0 to 5)")
}

func TestZoneNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, Network{Zones: 3}.ZoneNames("us-east-1"))
	assert.Equal(t, []string{"ap-northeast-1a", "ap-northeast-1c"}, Network{Zones: 2}.ZoneNames("ap-northeast-1"))
	assert.Equal(t, []string{"eu-west-1c", "eu-west-1a"}, Network{Zones: 2, AvailabilityZones: []string{"eu-west-1c", "eu-west-1a"}}.ZoneNames("eu-west-1"))

	assert.NoError(t, Network{CIDR: DefaultCIDR, Zones: 3}.ValidateZones("network.", "eu-central-1"))
	err := Network{CIDR: "10.0.0.0/22", Zones: 3}.ValidateZones("network.", "us-west-1")
	assert.ErrorContains(t, err, `network.zones: 3 is more than the zones us-west-1 has for every account (want at most 2, or name them in availabilityZones)`)
	assert.ErrorContains(t, err, `network.cidr: "10.0.0.0/22" has a /22 prefix (want /16 to /20 on aws`)
	err = Network{CIDR: DefaultCIDR, Zones: 2, AvailabilityZones: []string{"us-east-1a", "us-east-2a"}}.ValidateZones("network.", "us-east-1")
	assert.EqualError(t, err, `network.availabilityZones.1: "us-east-2a" is not a zone of us-east-1 (want us-east-1a, us-east-1b, ...)`)
}

func TestAWSWindows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m                   Maintenance
		maintenance, backup string
	}{
		{DefaultMaintenance, "sun:04:00-sun:05:00", "02:00-03:00"},
		{Maintenance{Day: "monday", StartTime: "00:30"}, "mon:00:30-mon:01:30", "22:30-23:30"},
		{Maintenance{Day: "sunday", StartTime: "23:30"}, "sun:23:30-mon:00:30", "21:30-22:30"},
	} {
		maintenance, backup, err := tc.m.AWSWindows()
		require.NoError(t, err)
		assert.Equal(t, tc.maintenance, maintenance, tc.m)
		assert.Equal(t, tc.backup, backup, tc.m)
	}
	_, _, err := Maintenance{Day: "any", StartTime: "04:00"}.AWSWindows()
	assert.ErrorContains(t, err, `maintenance.day: "any" is not a day AWS can schedule`)
}

func TestPoolerServerConnections(t *testing.T) {
	t.Parallel()
	cases := []struct{ replicas, pool, want int }{
		{1, 8, 8},
		{2, 40, 20},
		{4, 300, 75},
		{3, 40, 13}, // never more than the pool in all
		{4, 2, 1},   // but at least one each
		{0, 20, 20}, // before defaults
	}
	for _, c := range cases {
		got := Pooler{Replicas: c.replicas}.ServerConnections(c.pool)
		assert.Equal(t, c.want, got, "%d replicas sharing %d", c.replicas, c.pool)
		if c.replicas > 0 && c.pool >= c.replicas {
			assert.LessOrEqual(t, got*c.replicas, c.pool)
		}
	}
}

// workloadsWith is a valid set of workloads on the pool "app", changed by edit.
func workloadsWith(edit func(*Workloads)) Workloads {
	svc := Service{MinReplicas: 1, MaxReplicas: 3}
	w := Workloads{API: svc, WebSocket: svc, Worker: svc, Ingress: Service{MinReplicas: 2, MaxReplicas: 3}}.WithDefaults("system", []NodePool{{Name: "app"}})
	edit(&w)
	return w
}

func TestWorkloadDefaults(t *testing.T) {
	t.Parallel()
	w := workloadsWith(func(*Workloads) {})
	require.NoError(t, w.Validate("", "system", []NodePool{{Name: "app"}}))
	for _, s := range []Service{w.API, w.WebSocket, w.Worker, w.Ingress} {
		assert.Equal(t, DefaultCPUTarget, s.CPUTarget)
	}
	assert.Equal(t, "system", w.Ingress.Pool, "the ingress controllers run on the system pool by default")
	assert.Equal(t, "app", w.API.Pool)
	assert.Equal(t, DefaultIngressResources, w.Ingress.Resources)
	assert.Equal(t, DefaultConnectionTarget, w.WebSocket.ConnectionTarget)
	assert.Equal(t, Same(1), w.WebSocket.LoadBalancers, "one WebSocket load balancer on every cloud")
	assert.Equal(t, 8000, w.WebSocket.ConnectionThreshold(), "80% of 10,000 connections a pod")
	kept := Workloads{API: Service{CPUTarget: 75}}.WithDefaults("system", nil)
	assert.Equal(t, 75, kept.API.CPUTarget, "a set target is kept")
}
