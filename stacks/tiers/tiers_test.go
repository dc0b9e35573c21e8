package tiers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		// The system pool's name and size never change (on DOKS its size replaces the cluster);
		// its node counts change in place and may grow with the tier.
		assert.Equal(t, spec.DefaultSystemPool.Name, p.Cluster.SystemPool.Name, name)
		assert.Equal(t, spec.DefaultSystemPool.Size, p.Cluster.SystemPool.Size, name)
		if i > 0 {
			assert.GreaterOrEqual(t, p.Cluster.SystemPool.MinNodes, prev.Cluster.SystemPool.MinNodes, name)
		}
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
