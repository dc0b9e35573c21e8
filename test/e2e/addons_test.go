//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/workloads"
)

// installedStack is the stack of TestInstalledAddons, apart from TestLocalStack's. Both put the
// app in the namespace scalestack, so they run one after the other, each destroyed at its end.
const installedStack = "e2e-installed"

// installedAddons marks KEDA, kube-prometheus-stack, metrics-server and VPA as the cluster's
// own: no Helm release (whose chart would come from the internet), but every object that
// depends on them.
const installedAddons = `{"workloads":{"addons":{"ingress":false,"metricsServer":true,"keda":true,"monitoring":true,"vpa":true,"installed":["keda","monitoring","metricsServer","vpa"]}}}`

const (
	triggerAuthentication = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
	podMonitor            = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
	serviceMonitor        = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
	prometheusRule        = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
)

// A local 10K stack on a cluster that runs KEDA and kube-prometheus-stack itself
// (workloads.addons.installed): the up makes the workers' ScaledObject and TriggerAuthentication
// instead of an HPA, the PodMonitors, ServiceMonitors and exporters, and the signals'
// PrometheusRule in the cluster's monitoring namespace, all as the plan says; destroy takes them
// all and leaves the cluster's namespace. The CRDs are the real ones (TestMain), but KEDA's
// operator and Prometheus do not run (kwok runs no containers, and there is no KEDA binary
// here): nothing reconciles the ScaledObject, so this proves what the API server holds, not
// that the workers scale on the queue.
func TestInstalledAddons(t *testing.T) {
	ctx := context.Background()
	clusterMonitoring(t)
	cfg := cluster.LocalConfig("10k")
	cfg["scalestack:overrides"] = installedAddons
	// Receivers for the alerts, set as the README says (the webhook encrypted): the
	// Alertmanager Secret then goes to the cluster's monitoring namespace too.
	const slack, channel = "https://hooks.slack.com/services/T000/B000/XXXX", "#alerts"
	planned := maps.Clone(cfg)
	planned["scalestack:alerts"] = `{"slack":"` + slack + `","slackChannel":"` + channel + `"}`
	p, err := stacks.Plan(installedStack, planned, []string{"scalestack:alerts"})
	require.NoError(t, err)
	for _, r := range p.OfType(types.HelmRelease) {
		require.Failf(t, "a Helm release in the plan", "%s (chart %s): an installed add-on has none, and the others are off", r.Name, r.StringAt("chart"))
	}

	stack, err := engine.Stack(ctx, installedStack, cfg)
	require.NoError(t, err)
	require.NoError(t, stack.SetConfigWithOptions(ctx, "scalestack:alerts.slack", auto.ConfigValue{Value: slack, Secret: true}, &auto.ConfigOptions{Path: true}))
	require.NoError(t, stack.SetConfigWithOptions(ctx, "scalestack:alerts.slackChannel", auto.ConfigValue{Value: channel}, &auto.ConfigOptions{Path: true}))
	destroyed := false
	t.Cleanup(func() {
		// TestLocalStack's objects have the same names: whatever happened, leave none of ours.
		if !destroyed {
			_, err := stack.Destroy(ctx, optdestroy.ProgressStreams(logFile(t, "installed-destroy-cleanup")))
			assert.NoError(t, err, "destroy after a failure")
		}
		assert.NoError(t, engine.Workspace.RemoveStack(ctx, installedStack))
	})

	start := time.Now()
	res, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "installed-up")))
	require.NoError(t, err, "pulumi up of the 10k stack with the cluster's KEDA and monitoring")
	t.Logf("up: %s, %v", time.Since(start).Round(time.Second), *res.Summary.ResourceChanges)
	checkLive(t, p)

	t.Run("KEDA scales the workers", func(t *testing.T) {
		for _, process := range []string{"worker", "websocket"} {
			live := kubectlJSON(t, "scaledobject.v1alpha1.keda.sh", workloads.Namespace, process)
			want := planObject(t, p, types.KEDAScaledObject, process)
			assert.Empty(t, differences(want, live), "the %s ScaledObject as planned", process)
			assert.Equal(t, process, must(t, live, "spec", "scaleTargetRef", "name"))
			for _, bound := range []string{"minReplicaCount", "maxReplicaCount"} {
				assert.Equal(t, must(t, want.Inputs, "spec", bound), must(t, live, "spec", bound), "%s %s", process, bound)
			}
			assert.Len(t, must(t, live, "spec", "triggers"), len(want.ListAt("spec.triggers")), "%s triggers", process)
			// Neither the CPU fallback nor KEDA's own HPA (keda-hpa-<name>, which only its
			// operator would make).
			assert.Empty(t, kubectlNames(t, "horizontalpodautoscalers.v2.autoscaling", workloads.Namespace, process), "an HPA for %s beside its ScaledObject", process)
		}
		live := kubectlJSON(t, "triggerauthentication.v1alpha1.keda.sh", workloads.Namespace, "worker-cache")
		want := planObject(t, p, triggerAuthentication, "worker-cache")
		// The Secret's name comes from the program's outputs; the plan has it as unknown.
		assert.Equal(t, "CACHE_PASSWORD", must(t, live, "spec", "secretTargetRef", 0, "key"))
		assert.Equal(t, "password", must(t, live, "spec", "secretTargetRef", 0, "parameter"))
		assert.Empty(t, differences(want, live))
		// The ScaledObject's trigger names that TriggerAuthentication.
		so := kubectlJSON(t, "scaledobject.v1alpha1.keda.sh", workloads.Namespace, "worker")
		assert.Equal(t, "worker-cache", must(t, so, "spec", "triggers", 0, "authenticationRef", "name"))
	})

	t.Run("Prometheus's objects", func(t *testing.T) {
		for _, kind := range []struct{ typ, kubectl string }{
			{podMonitor, "podmonitors.v1.monitoring.coreos.com"},
			{serviceMonitor, "servicemonitors.v1.monitoring.coreos.com"},
		} {
			var want []string
			for _, r := range p.OfType(kind.typ) {
				_, name := objectRef(r)
				want = append(want, name)
			}
			require.NotEmpty(t, want, "the plan has no %s", kind.typ)
			assert.ElementsMatch(t, want, kubectlNames(t, kind.kubectl, workloads.Namespace, ""), kind.typ)
		}
		rule := kubectlJSON(t, "prometheusrule.v1.monitoring.coreos.com", workloads.MonitoringNamespace, "scalestack")
		want := planObject(t, p, prometheusRule, "scalestack")
		assert.Empty(t, differences(want, rule), "the rules as planned")
		assert.NotEmpty(t, must(t, rule, "spec", "groups"))
	})

	_, err = stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(logFile(t, "installed-preview-after-up")))
	assert.NoError(t, err, "a preview right after the up must have no changes")

	_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(logFile(t, "installed-destroy")))
	require.NoError(t, err, "pulumi destroy")
	destroyed = true
	checkDestroyed(t, p)
	assert.NotEmpty(t, kubectlNames(t, "namespaces", "", workloads.MonitoringNamespace), "destroy deleted the cluster's own monitoring namespace")
}

// clusterMonitoring makes the monitoring namespace as `helm install kube-prometheus-stack
// --namespace monitoring --create-namespace` does (Helm labels it with its name, and writes it
// as Helm's field manager, not the provider's), and deletes it when the test ends, waiting
// until it is gone.
func clusterMonitoring(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ns := workloads.MonitoringNamespace
	require.Empty(t, kubectlNames(t, "namespaces", "", ns), "the %s namespace is there already", ns)
	manifest := filepath.Join(t.TempDir(), "namespace.json")
	b, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": ns, "labels": map[string]string{"name": ns}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifest, b, 0o644))
	_, err = cluster.Kubectl(ctx, "create", "-f", manifest, "--field-manager=helm")
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := cluster.Kubectl(ctx, "delete", "namespace", ns, "--wait", "--timeout=60s")
		assert.NoError(t, err, "delete the cluster's monitoring namespace")
	})
}

// planObject is the plan's object of a type by its metadata.name.
func planObject(t *testing.T, p plan.Plan, typ, name string) plan.Resource {
	t.Helper()
	for _, r := range p.OfType(typ) {
		if _, n := objectRef(r); n == name {
			return r
		}
	}
	require.Failf(t, "not in the plan", "%s %s", typ, name)
	return plan.Resource{}
}

// kubectlJSON reads one object back from the API server.
func kubectlJSON(t *testing.T, kind, namespace, name string) map[string]any {
	t.Helper()
	out, err := cluster.Kubectl(context.Background(), "get", kind, name, "-n", namespace, "-o", "json")
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(out, &obj))
	return obj
}

// kubectlNames lists the names of a kind's objects in a namespace (every namespace's for a
// cluster-wide kind), only the one named name unless it is empty.
func kubectlNames(t *testing.T, kind, namespace, name string) []string {
	t.Helper()
	args := []string{"get", kind, "-o", `jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}`}
	if namespace != "" {
		args = append(args, "-n", namespace)
	}
	out, err := cluster.Kubectl(context.Background(), args...)
	require.NoError(t, err)
	names := strings.Fields(string(out))
	if name != "" {
		names = slices.DeleteFunc(names, func(n string) bool { return n != name })
	}
	return names
}

// must walks an object by keys and list indexes, failing the test where the path ends early.
func must(t *testing.T, obj map[string]any, path ...any) any {
	t.Helper()
	var v any = obj
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "%v: not an object at %q", path, s)
			v, ok = m[s]
			require.True(t, ok, "%v: no %q", path, s)
		case int:
			l, ok := v.([]any)
			require.True(t, ok && s < len(l), "%v: no item %d", path, s)
			v = l[s]
		}
	}
	return v
}
