//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/rightsize"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/config"
)

// rightsizeNamespace keeps the test's VerticalPodAutoscalers apart from the stacks' own.
const rightsizeNamespace = "rightsize-e2e"

// TestRightsizeReadsTheRealVPA creates the local 10K plan's VerticalPodAutoscalers on the real
// API server (the VPA v1.4.0 CRD), writes a recommendation into the API's status as the
// recommender would (its status subresource), and has rightsize read them through the
// cluster's kubeconfig and weigh them against the plan's requests.
func TestRightsizeReadsTheRealVPA(t *testing.T) {
	ctx := context.Background()
	raw := map[string]string{config.Key(config.KeyCloud): string(spec.Local), config.Key(config.KeyTier): "10k", config.Key(config.KeyKubeconfig): cluster.Kubeconfig}
	p, err := stacks.Plan(stackName, raw, nil)
	require.NoError(t, err)
	require.NotEmpty(t, p.OfType(types.VPA), "the local 10K plan has VerticalPodAutoscalers")

	var objects []map[string]any
	for _, r := range p.OfType(types.VPA) {
		obj, err := manifest(r)
		require.NoError(t, err)
		obj["metadata"].(map[string]any)["namespace"] = rightsizeNamespace
		objects = append(objects, obj)
	}
	createNamespaces(t, map[string]bool{rightsizeNamespace: true})
	path := writeStream(t, "rightsize-vpas.yaml", objects)
	_, err = cluster.Kubectl(ctx, "apply", "--server-side", "-f", path)
	require.NoError(t, err, "the real VPA CRD takes the plan's objects")
	t.Cleanup(func() {
		_, _ = cluster.Kubectl(context.Background(), "delete", "namespace", rightsizeNamespace, "--wait=false")
	})

	// The API requests 500m and 256Mi at 10K; the recommendation says 600m to 1 CPU.
	_, err = cluster.Kubectl(ctx, "patch", "verticalpodautoscaler", "api", "-n", rightsizeNamespace, "--subresource=status", "--type=merge", "-p",
		`{"status":{"recommendation":{"containerRecommendations":[{"containerName":"api","target":{"cpu":"700m","memory":"300Mi"},`+
			`"lowerBound":{"cpu":"600m","memory":"200Mi"},"upperBound":{"cpu":"1","memory":"600Mi"}}]}}}`)
	require.NoError(t, err)

	planned := rightsize.Planned(p)
	for i := range planned {
		planned[i].Namespace = rightsizeNamespace
	}
	client, err := rightsize.Load(ctx, cluster.Kubeconfig)
	require.NoError(t, err)
	rep, err := rightsize.Compare(ctx, client, planned)
	require.NoError(t, err)
	require.Len(t, rep.Rows, 1, "one recommendation: %s", rep.Text())
	row := rep.Rows[0]
	assert.Equal(t, "api", row.Name)
	assert.Equal(t, "workloads.api.resources", row.Key)
	assert.Equal(t, "raise", row.CPU.Do, "the request is below the lower bound: %s", rep.Text())
	assert.Equal(t, "700m", row.CPU.Recommended.Target)
	assert.Len(t, rep.Waiting, len(planned)-1, "every other VerticalPodAutoscaler waits for the recommender")
	assert.True(t, strings.Contains(rep.Text(), "workloads.api.resources: {cpu: 700m}"), rep.Text())
	t.Log(rep.Text())
}
