package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ingress controllers, the WebSocket connection target and the WebSocket load balancers are
// validated, each error naming its field and the allowed values.
func TestWorkloadsValidateIngressAndWebSocket(t *testing.T) {
	t.Parallel()
	pools := []NodePool{{Name: "app"}, {Name: "worker"}}
	tests := []struct {
		name string
		edit func(*Workloads)
		want []string
	}{
		{"one ingress controller", func(w *Workloads) { w.Ingress.MinReplicas = 1 }, []string{
			`workloads.ingress.minReplicas: 1 is below 2 (want at least 2: a single controller is a single point of failure for all HTTP)`,
		}},
		{"ingress max below min", func(w *Workloads) { w.Ingress.MinReplicas, w.Ingress.MaxReplicas = 4, 3 }, []string{
			`workloads.ingress.maxReplicas: 3 is below minReplicas 4`,
		}},
		{"ingress pool unknown", func(w *Workloads) { w.Ingress.Pool = "edge" }, []string{
			`workloads.ingress.pool: "edge" is not the system pool or an app pool of the cluster (want one of system, app, worker)`,
		}},
		{"app on the system pool", func(w *Workloads) { w.API.Pool = "system" }, []string{
			`workloads.api.pool: "system" is not an app pool of the cluster (want one of app, worker)`,
		}},
		{"connection target 0", func(w *Workloads) { w.WebSocket.ConnectionTarget = 0 }, []string{
			`workloads.websocket.connectionTarget: 0 is out of range (want 1 to 100 percent of connectionsPerPod)`,
		}},
		{"connection target 101", func(w *Workloads) { w.WebSocket.ConnectionTarget = 101 }, []string{
			`workloads.websocket.connectionTarget: 101 is out of range (want 1 to 100 percent of connectionsPerPod)`,
		}},
		{"no load balancer", func(w *Workloads) { w.WebSocket.LoadBalancers = Same(0) }, []string{
			`workloads.websocket.loadBalancers.digitalocean: 0 is out of range (want 1 to 10 load balancers)`,
			`workloads.websocket.loadBalancers.aws: 0 is out of range (want 1 to 10 load balancers)`,
		}},
		{"eleven load balancers", func(w *Workloads) { w.WebSocket.LoadBalancers = PerCloudInt{DigitalOcean: 11, AWS: 1} }, []string{
			`workloads.websocket.loadBalancers.digitalocean: 11 is out of range (want 1 to 10 load balancers)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := workloadsWith(tt.edit)
			err := w.Validate("workloads.", "system", pools)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
	// An app pool is allowed for the ingress, as the system pool is.
	require.NoError(t, workloadsWith(func(w *Workloads) { w.Ingress.Pool = "app" }).Validate("", "system", pools))
	require.NoError(t, workloadsWith(func(w *Workloads) { w.WebSocket.LoadBalancers = PerCloudInt{DigitalOcean: 10, AWS: 1} }).Validate("", "system", pools))
}

// The app's metrics endpoint defaults to its port and /metrics, and is validated.
func TestAppMetrics(t *testing.T) {
	t.Parallel()
	a := App{WebSocket: Container{Image: "ghcr.io/acme/ws:1.0.0", Port: 8081}}.WithDefaults()
	assert.Equal(t, Metrics{Port: 8081, Path: "/metrics"}, a.WebSocket.Metrics)
	assert.Equal(t, Metrics{Port: 8080, Path: "/metrics"}, a.API.Metrics, "the placeholder's port")
	a.WebSocket.Metrics = Metrics{Port: 70000, Path: "metrics"}
	err := a.Validate("app.")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `app.websocket.metrics.port: 70000 is not a port (want 1 to 65535`)
	assert.Contains(t, err.Error(), `app.websocket.metrics.path: "metrics" is not a path (want it to start with /`)
}
