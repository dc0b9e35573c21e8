package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/config"
)

// The summary says which add-ons the cluster runs itself (workloads.addons.installed).
func TestSummaryNamesTheClustersAddons(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse(map[string]string{
		"scalestack:cloud": "local", "scalestack:tier": "10k", "scalestack:kubeconfig": "k.yaml",
		"scalestack:overrides": `{"workloads":{"addons":{"ingress":false,"installed":["keda","monitoring"]}}}`,
	})
	require.NoError(t, err)
	assert.Equal(t, "metrics-server, KEDA (the cluster's), kube-prometheus-stack (the cluster's), VPA recommender (updateMode Off)", sizes(cfg)[types.WorkloadPlatform])
}
