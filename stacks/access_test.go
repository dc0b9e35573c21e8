package stacks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/internal/forcenew"
	"github.com/scalestack/scalestack/stacks"
)

// scalestack:adminCidrs restricts the Kubernetes API on both clouds, at exactly the inputs the
// cluster-api-restricted guardrail reads; without it the API stays open as before, and adding
// or changing the ranges updates the cluster in place.
func TestAdminCIDRsRestrictTheAPI(t *testing.T) {
	const cidrs = `["203.0.113.0/24","198.51.100.7/32"]`
	want := []any{"203.0.113.0/24", "198.51.100.7/32"}

	t.Run("digitalocean", func(t *testing.T) {
		open := planFor(t, spec.DigitalOcean, "1k")
		require.Len(t, open.OfType(doCluster), 1)
		_, set := open.OfType(doCluster)[0].Get("controlPlaneFirewall")
		assert.False(t, set, "no adminCidrs: no control-plane firewall, nobody is locked out")

		restricted := planFor(t, spec.DigitalOcean, "1k", "scalestack:adminCidrs", cidrs)
		doks := restricted.OfType(doCluster)
		require.Len(t, doks, 1)
		assert.Equal(t, true, must(doks[0].Get("controlPlaneFirewall.enabled")))
		assert.Equal(t, want, must(doks[0].Get("controlPlaneFirewall.allowedAddresses")))

		for _, pair := range [][2]string{{"open", "restricted"}, {"restricted", "open"}} {
			before, after := open, restricted
			if pair[0] == "restricted" {
				before, after = restricted, open
			}
			replaced, err := forcenew.Replacements(before, after)
			require.NoError(t, err)
			assert.Empty(t, replaced, "%s to %s replaces nothing", pair[0], pair[1])
		}
	})

	t.Run("aws", func(t *testing.T) {
		open := planFor(t, spec.AWS, "1k")
		require.Len(t, open.OfType(awsEKS), 1)
		assert.Equal(t, true, must(open.OfType(awsEKS)[0].Get("vpcConfig.endpointPublicAccess")))
		_, set := open.OfType(awsEKS)[0].Get("vpcConfig.publicAccessCidrs")
		assert.False(t, set, "no adminCidrs: EKS's default, open to every address")

		restricted := planFor(t, spec.AWS, "1k", "scalestack:adminCidrs", cidrs)
		eks := restricted.OfType(awsEKS)
		require.Len(t, eks, 1)
		assert.Equal(t, true, must(eks[0].Get("vpcConfig.endpointPublicAccess")), "the public endpoint stays, restricted")
		assert.Equal(t, want, must(eks[0].Get("vpcConfig.publicAccessCidrs")))

		replaced, err := forcenew.Replacements(open, restricted)
		require.NoError(t, err)
		assert.Empty(t, replaced, "restricting the API replaces nothing")
		replaced, err = forcenew.Replacements(restricted, open)
		require.NoError(t, err)
		assert.Empty(t, replaced, "opening the API replaces nothing")
	})

	t.Run("bad ranges fail before any resource", func(t *testing.T) {
		_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "aws", "scalestack:tier": "1k", "scalestack:adminCidrs": `["10.0.0.5/24"]`}, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `stacks: config "scalestack:adminCidrs": 0: "10.0.0.5/24" has host bits set (want 10.0.0.0/24)`)
	})
}

// aws:region is not silently ignored by the program: it may only repeat scalestack:region.
func TestAWSRegionMustMatch(t *testing.T) {
	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "aws", "scalestack:tier": "1k", "aws:region": "eu-west-1"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stacks: config "aws:region": "eu-west-1" is set without scalestack:region`)

	p := planFor(t, spec.AWS, "1k", "scalestack:region", "eu-west-1", "aws:region", "eu-west-1")
	providers := p.OfType(awsProvider)
	require.Len(t, providers, 1)
	assert.Equal(t, "eu-west-1", providers[0].Inputs["region"])
}
