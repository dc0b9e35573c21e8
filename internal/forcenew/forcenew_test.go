package forcenew

import (
	"github.com/scalestack/scalestack/plan/types"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
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
