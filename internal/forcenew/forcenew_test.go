package forcenew

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

func TestTableLoads(t *testing.T) {
	t.Parallel()
	table, err := Table()
	require.NoError(t, err)
	assert.Contains(t, table, types.DOKubernetesCluster)
}

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{Type: typ, Name: name, Inputs: inputs}
}

func TestReplacements(t *testing.T) {
	t.Parallel()
	const cluster = types.DOKubernetesCluster
	base := map[string]any{"region": "nyc3", "version": "1.33.1-do.0", "nodePool": map[string]any{"size": "s-2vcpu-4gb", "maxNodes": 3.0}}
	tests := []struct {
		name   string
		after  map[string]any
		afterN string
		want   []string
	}{
		{"same", base, "c", nil},
		{"in-place change", map[string]any{"region": "nyc3", "version": "1.33.1-do.0", "nodePool": map[string]any{"size": "s-2vcpu-4gb", "maxNodes": 9.0}}, "c", nil},
		{"nested replace", map[string]any{"region": "nyc3", "version": "1.33.1-do.0", "nodePool": map[string]any{"size": "s-4vcpu-8gb"}}, "c", []string{"nodePool.size"}},
		{"upgrade", map[string]any{"region": "nyc3", "version": "1.34.0-do.0", "nodePool": base["nodePool"]}, "c", nil},
		{"downgrade", map[string]any{"region": "nyc3", "version": "1.33.0-do.9", "nodePool": base["nodePool"]}, "c", []string{"version"}},
		{"renamed is not a replace", map[string]any{"region": "fra1"}, "other", nil},
		{"removed input", map[string]any{"version": "1.33.1-do.0", "nodePool": base["nodePool"]}, "c", []string{"region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Replacements(plan.Plan{Resources: []plan.Resource{res(cluster, "c", base)}},
				plan.Plan{Resources: []plan.Resource{res(cluster, tt.afterN, tt.after)}})
			require.NoError(t, err)
			var paths []string
			for _, r := range got {
				paths = append(paths, r.Path)
			}
			assert.Equal(t, tt.want, paths)
		})
	}
}

func TestVersionLess(t *testing.T) {
	t.Parallel()
	assert.True(t, versionLess("1.32.9-do.0", "1.33.1-do.0"))
	assert.True(t, versionLess("1.33.1-do.0", "1.33.1-do.2"))
	assert.False(t, versionLess("1.33.10-do.0", "1.33.9-do.0"), "numeric, not lexical")
	assert.False(t, versionLess("17", "17"))
	assert.True(t, versionLess("16", "17"))
}

// The Cloudflare entries list exactly what the provider's schema marks: ForceNew for an SDKv2
// resource, a RequiresReplace plan modifier for a plugin-framework one (forcenew.yaml cites the
// files). An input that updates in place must not be listed: a tier-switch check would refuse a
// safe change, and the cost diff would count a replacement that never happens.
func TestCloudflareEntriesFollowTheProvider(t *testing.T) {
	t.Parallel()
	table, err := Table()
	require.NoError(t, err)
	for _, tt := range []struct {
		typ      string
		replaces []string
		inPlace  []string
	}{
		{types.CFRecord, []string{"zoneId", "name", "type"}, []string{"content", "value", "ttl", "proxied", "comment"}},
		{types.CFRuleset, []string{"name", "phase"}, []string{"zoneId", "accountId", "kind", "description", "rules"}},
		{types.CFOriginCaCertificate, []string{"csr", "hostnames", "requestType", "requestedValidity"}, []string{"minDaysForRenewal"}},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			entry, ok := table[tt.typ]
			require.True(t, ok, "%s is in forcenew.yaml", tt.typ)
			var paths []string
			for _, p := range entry.Properties {
				assert.Equal(t, Always, p.When, p.Path)
				paths = append(paths, p.Path)
			}
			assert.ElementsMatch(t, tt.replaces, paths)
			for _, p := range tt.inPlace {
				assert.NotContains(t, paths, p, "%s updates in place", p)
			}
			assert.Contains(t, entry.Source, "terraform-provider-cloudflare internal/", "the entry cites the upstream file")
		})
	}
}

func TestCloudflareReplacements(t *testing.T) {
	t.Parallel()
	record := map[string]any{"zoneId": "z1", "name": "api.example.com", "type": "A", "content": "192.0.2.1"}
	ruleset := map[string]any{"zoneId": "z1", "name": "scalestack rate limits", "kind": "zone", "phase": "http_ratelimit"}
	cert := map[string]any{"csr": "csr-1", "hostnames": []any{"example.com"}, "requestType": "origin-ecc", "requestedValidity": 5475.0}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range m {
			out[key] = val
		}
		out[k] = v
		return out
	}
	tests := []struct {
		name          string
		typ           string
		before, after map[string]any
		ignore        []string
		want          []string
	}{
		{"record renamed", types.CFRecord, record, with(record, "name", "www.example.com"), nil, []string{"name"}},
		{"record new content", types.CFRecord, record, with(record, "content", "192.0.2.2"), nil, nil},
		{"ruleset renamed", types.CFRuleset, ruleset, with(ruleset, "name", "other"), nil, []string{"name"}},
		{"ruleset in another zone", types.CFRuleset, ruleset, with(ruleset, "zoneId", "z2"), nil, nil},
		{"ruleset of another kind", types.CFRuleset, ruleset, with(ruleset, "kind", "custom"), nil, nil},
		{"certificate from a new request", types.CFOriginCaCertificate, cert, with(cert, "csr", "csr-2"), nil, []string{"csr"}},
		{"new request, ignored", types.CFOriginCaCertificate, cert, with(cert, "csr", "csr-2"), []string{"csr"}, nil},
		{"parent ignored", types.DOKubernetesCluster, map[string]any{"nodePool": map[string]any{"size": "a"}},
			map[string]any{"nodePool": map[string]any{"size": "b"}}, []string{"nodePool"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			after := res(tt.typ, "r", tt.after)
			after.IgnoreChanges = tt.ignore
			got, err := Replacements(plan.Plan{Resources: []plan.Resource{res(tt.typ, "r", tt.before)}},
				plan.Plan{Resources: []plan.Resource{after}})
			require.NoError(t, err)
			var paths []string
			for _, r := range got {
				paths = append(paths, r.Path)
			}
			assert.Equal(t, tt.want, paths)
		})
	}
}
