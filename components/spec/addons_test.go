package spec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// workloads.addons.installed lists add-ons the cluster runs itself: each one scalestack can
// leave to the cluster, once, and switched on; every problem is reported, naming its entry.
func TestAddonsInstalledValidation(t *testing.T) {
	t.Parallel()
	on := Addons{Ingress: true, MetricsServer: true, KEDA: true, Monitoring: true, ClusterAutoscaler: true, VPA: true}
	tests := []struct {
		name      string
		installed []string
		edit      func(*Addons)
		want      []string
	}{
		{"unknown key", []string{"prometheus"}, nil, []string{
			`workloads.addons.installed.0: "prometheus" is not an add-on (want one of metricsServer, keda, monitoring, vpa)`,
		}},
		{"a switch's name in another case", []string{"KEDA"}, nil, []string{
			`workloads.addons.installed.0: "KEDA" is not an add-on (want one of metricsServer, keda, monitoring, vpa)`,
		}},
		{"ingress", []string{"ingress"}, nil, []string{
			`workloads.addons.installed.0: "ingress" cannot be left to the cluster: scalestack's ingress load balancer and edge settings come with its own release (want one of metricsServer, keda, monitoring, vpa; or ingress: false to route with a controller of your own)`,
		}},
		{"cluster autoscaler", []string{"clusterAutoscaler"}, nil, []string{
			`workloads.addons.installed.0: "clusterAutoscaler" cannot be left to the cluster: scalestack makes nothing that depends on it (want one of metricsServer, keda, monitoring, vpa; or clusterAutoscaler: false to leave the nodes to the cluster's own)`,
		}},
		{"karpenter", []string{"karpenter"}, func(a *Addons) { a.ClusterAutoscaler, a.Karpenter = false, true }, []string{
			`workloads.addons.installed.0: "karpenter" cannot be left to the cluster: scalestack's NodePools, node role and interruption queue come with its own release (want one of metricsServer, keda, monitoring, vpa; or karpenter: false to leave the nodes to the cluster's own)`,
		}},
		{"karpenter beside cluster autoscaler", nil, func(a *Addons) { a.Karpenter = true }, []string{
			`workloads.addons.karpenter: true with clusterAutoscaler: true: both would resize the same nodes (want one of them false)`,
		}},
		{"vpa without metrics-server", nil, func(a *Addons) { a.VPA, a.MetricsServer = true, false }, []string{
			`workloads.addons.vpa: true with metricsServer: false: the recommender reads pods' use from metrics-server (want metricsServer: true, or vpa: false)`,
		}},
		{"repeat", []string{"keda", "monitoring", "keda"}, nil, []string{
			`workloads.addons.installed.2: "keda" is already entry 0 (want each add-on once)`,
		}},
		{"add-on off", []string{"keda"}, func(a *Addons) { a.KEDA = false }, []string{
			`workloads.addons.installed.0: "keda" is installed but workloads.addons.keda is false (want keda: true, or "keda" left out of installed)`,
		}},
		{"every problem at once", []string{"monitoring", "grafana", "monitoring"}, func(a *Addons) { a.Monitoring = false }, []string{
			`workloads.addons.installed.0: "monitoring" is installed but workloads.addons.monitoring is false`,
			`workloads.addons.installed.1: "grafana" is not an add-on`,
			`workloads.addons.installed.2: "monitoring" is already entry 0`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := workloadsWith(func(w *Workloads) {
				w.Addons = on
				w.Addons.Installed = tt.installed
				if tt.edit != nil {
					tt.edit(&w.Addons)
				}
			})
			err := w.Validate("workloads.", "system", []NodePool{{Name: "app"}})
			require.Error(t, err)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tt.want), err.Error())
			for i, want := range tt.want {
				assert.Contains(t, lines[i], want)
			}
		})
	}
	for _, ok := range [][]string{nil, {"keda"}, {"monitoring", "keda", "metricsServer"}, {"vpa"}} {
		require.NoError(t, workloadsWith(func(w *Workloads) { w.Addons, w.Addons.Installed = on, ok }).Validate("workloads.", "system", []NodePool{{Name: "app"}}), ok)
	}
}

// Release is what NewPlatform installs: an add-on switched on that the cluster does not run.
func TestAddonsRelease(t *testing.T) {
	t.Parallel()
	a := Addons{Ingress: true, KEDA: true, Monitoring: true, Installed: []string{AddonKEDA, AddonMonitoring}}
	for key, want := range map[string]bool{
		AddonIngress: true, AddonMetricsServer: false, AddonKEDA: false, AddonMonitoring: false, AddonClusterAutoscaler: false, AddonKarpenter: false, AddonVPA: false, "nothing": false,
	} {
		assert.Equal(t, want, a.Release(key), key)
	}
	assert.True(t, a.On(AddonKEDA), "an installed add-on is still on: its dependents are made")
	assert.Equal(t, []string{AddonMetricsServer, AddonKEDA, AddonMonitoring, AddonVPA}, InstallableAddons())
}
