package tiers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
)

// sizedClouds are the clouds whose sizes every preset carries.
var sizedClouds = []spec.Cloud{spec.DigitalOcean, spec.AWS}

// Every shipped preset is valid for every cloud it carries sizes for.
func TestPresetsValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, spec.CatalogErr())
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := Load(name)
			require.NoError(t, err)
			for _, c := range sizedClouds {
				assert.NoError(t, p.Validate(c), "%s on %s", name, c)
			}
		})
	}
}

// The presets carry the load the capacity model computes for their users, at the HPA's CPU
// target, and their pools fit both the need and the database's connection budget.
func TestPresetsCarryTheirLoad(t *testing.T) {
	t.Parallel()
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := Load(name)
			require.NoError(t, err)
			load := capacity.Default.For(p.Users)
			w := p.Workloads
			apiCPU := float64(w.API.MaxReplicas*spec.MilliCPU(w.API.Resources.CPU)) / 1000 * capacity.Default.TargetCPU
			assert.GreaterOrEqual(t, apiCPU, load.APICPU, "API pods at the HPA target carry the busy vCPUs")
			assert.GreaterOrEqual(t, w.WebSocket.MaxReplicas*w.WebSocket.ConnectionsPerPod, load.WebSockets, "WebSocket pods hold every connection")
			assert.GreaterOrEqual(t, w.WebSocket.LoadBalancerNodes, spec.DOLoadBalancerNodes(load.WebSockets), "the DigitalOcean load balancer takes every connection")
			for _, c := range sizedClouds {
				// At their ceilings, the pods of each pool fit the pool's nodes at their ceiling.
				need := map[string]int{}
				for _, s := range []spec.Service{w.API, w.WebSocket, w.Worker} {
					need[s.Pool] += s.MaxReplicas * spec.MilliCPU(s.Resources.CPU)
				}
				for _, pool := range p.Cluster.AppPools {
					info, err := spec.Lookup(c, spec.NodeSize, pool.Size.For(c))
					require.NoError(t, err)
					assert.LessOrEqual(t, need[pool.Name], int(info.VCPUs*1000)*pool.MaxNodes, "%s: pool %s holds its pods at their ceiling", c, pool.Name)
				}
			}
			for _, c := range sizedClouds {
				var maxCPU float64
				for _, pool := range p.Cluster.AppPools {
					info, err := spec.Lookup(c, spec.NodeSize, pool.Size.For(c))
					require.NoError(t, err)
					maxCPU += info.VCPUs * float64(pool.MaxNodes)
				}
				assert.GreaterOrEqual(t, maxCPU, load.APICPUCapacity, "%s: app pools' ceiling in vCPU", c)

				limit, err := p.Database.PoolLimit(c)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, p.Database.Pool.Size, load.PoolConnections, "%s: pool size against the need", c)
				assert.LessOrEqual(t, p.Database.Pool.Size, limit, "%s: pool size against the budget", c)
			}
		})
	}
}

// Tiers grow: a larger tier never has less of anything than a smaller one.
func TestPresetsGrowWithTheTier(t *testing.T) {
	t.Parallel()
	var prev Preset
	for i, name := range Names {
		p, err := Load(name)
		require.NoError(t, err)
		if i > 0 {
			assert.Greater(t, p.Users, prev.Users, name)
			for _, c := range sizedClouds {
				assert.GreaterOrEqual(t, p.Database.Standby.For(c), prev.Database.Standby.For(c), "%s on %s", name, c)
				assert.GreaterOrEqual(t, p.Cache.Shards.For(c), prev.Cache.Shards.For(c), "%s on %s", name, c)
				assert.GreaterOrEqual(t, p.Cache.Standby.For(c), prev.Cache.Standby.For(c), "%s on %s", name, c)
			}
			assert.GreaterOrEqual(t, p.Database.Replicas, prev.Database.Replicas, name)
			assert.GreaterOrEqual(t, p.Database.Pool.Size, prev.Database.Pool.Size, name)
			assert.True(t, p.Cluster.HA || !prev.Cluster.HA, "%s: HA cannot be turned off once on", name)
		}
		// What forces a replacement is the same in every tier.
		assert.Equal(t, spec.DefaultSystemPool, p.Cluster.SystemPool, name)
		assert.Equal(t, spec.DefaultCIDR, p.Network.CIDR, name)
		// An EKS node group's subnets force its replacement, so the zones never change either.
		assert.Equal(t, spec.DefaultZones, p.Network.Zones, name)
		assert.Empty(t, p.Network.AvailabilityZones, name)
		prev = p
	}
}

func TestLoadRejectsUnknownTier(t *testing.T) {
	t.Parallel()
	_, err := Load("50k")
	require.EqualError(t, err, `"50k" is not a tier (want one of 1k, 10k, 100k, 1m)`)
}

func TestDecodeRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	_, err := Decode([]byte("tier: 1k\ndatabase:\n  replicaz: 2\n"))
	require.ErrorContains(t, err, "field replicaz not found")
}
