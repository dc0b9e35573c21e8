package stacks_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

const (
	triggerAuth    = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
	serviceMonitor = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
)

// An add-on the cluster runs already (workloads.addons.installed) gets no Helm release, and what
// depends on it is made as it is beside scalestack's own release, waiting for no release.
func TestInstalledAddons(t *testing.T) {
	const releases = `{"workloads":{"addons":{"ingress":false,"metricsServer":false,"vpa":false}}}`
	const installed = `{"workloads":{"addons":{"ingress":false,"metricsServer":false,"vpa":false,"installed":["keda","monitoring"]}}}`
	ours := planFor(t, spec.Local, "10k", "scalestack:overrides", releases)
	theirs := planFor(t, spec.Local, "10k", "scalestack:overrides", installed)

	charts := func(p plan.Plan) []string {
		var out []string
		for _, r := range p.OfType(helmRelease) {
			out = append(out, r.StringAt("chart"))
		}
		return out
	}
	require.ElementsMatch(t, []string{"keda", "kube-prometheus-stack"}, charts(ours), "the test's baseline installs both")
	assert.Empty(t, charts(theirs), "no release for an add-on the cluster runs")

	for _, typ := range []string{kedaScaled, triggerAuth, podMonitor, serviceMonitor} {
		want, got := byName(ours.OfType(typ)), byName(theirs.OfType(typ))
		require.NotEmpty(t, got, typ)
		require.Equal(t, keys(want), keys(got), typ)
		for name, r := range got {
			assert.Equal(t, want[name].Inputs, r.Inputs, "%s %s is the same as beside the release", typ, name)
			for _, d := range r.Dependencies {
				assert.NotContains(t, []string{"scalestack-prod-platform-keda", "scalestack-prod-platform-kube-prometheus-stack"}, d, "%s %s", typ, name)
			}
		}
	}
	for _, process := range []string{"worker", "websocket"} {
		_, scaled := byMetaName(theirs, kedaScaled, process)
		_, onCPU := byMetaName(theirs, k8sHPA, process)
		assert.True(t, scaled, "%s scales through the cluster's KEDA", process)
		assert.False(t, onCPU, "no HPA fallback for %s", process)
	}
	auth, ok := byMetaName(theirs, triggerAuth, "worker-cache")
	require.True(t, ok, "the worker's TriggerAuthentication")
	assert.Equal(t, "CACHE_PASSWORD", auth.StringAt("spec.secretTargetRef.0.key"))

	rule, ok := byMetaName(theirs, prometheusRule, "scalestack")
	require.True(t, ok, "the signals' PrometheusRule, in the cluster's monitoring namespace")
	assert.Equal(t, "monitoring", rule.StringAt("metadata.namespace"))
	assert.NotEmpty(t, rule.ListAt("spec.groups"))
	ourRule, ok := byMetaName(ours, prometheusRule, "scalestack")
	require.True(t, ok, "the signals' PrometheusRule beside the release")
	assert.Equal(t, ourRule.Inputs, rule.Inputs, "the same alerts (the API's latency among them) beside the cluster's Prometheus as beside scalestack's")
	for _, d := range rule.Dependencies {
		assert.NotEqual(t, "scalestack-prod-platform-kube-prometheus-stack", d)
	}
}

func byName(rs []plan.Resource) map[string]plan.Resource {
	out := map[string]plan.Resource{}
	for _, r := range rs {
		out[r.Name] = r
	}
	return out
}

func keys(m map[string]plan.Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
