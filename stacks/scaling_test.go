package stacks_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/tiers"
)

const podMonitor = "kubernetes:monitoring.coreos.com/v1:PodMonitor"

func release(t *testing.T, p plan.Plan, chart string) plan.Resource {
	t.Helper()
	for _, r := range p.OfType(helmRelease) {
		if r.Inputs["chart"] == chart {
			return r
		}
	}
	t.Fatalf("no %s release", chart)
	return plan.Resource{}
}

// wantBehavior is the app's HPA behaviour, which the ingress HPA and KEDA's HPA share.
func wantBehavior(t *testing.T, p plan.Plan) any {
	t.Helper()
	hpa, ok := byMetaName(p, k8sHPA, "api")
	require.True(t, ok)
	b, ok := hpa.Get("spec.behavior")
	require.True(t, ok)
	return b
}

// ingress-nginx follows workloads.ingress: requests and limits, the chart's HPA with the app's
// behaviour, the chart's one PodDisruptionBudget allowing one pod down, on the preset's pool.
func TestIngressFollowsThePreset(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				p := planFor(t, cloud, tier)
				pre := preset(t, tier)
				ing := pre.Workloads.Ingress
				rel := release(t, p, "ingress-nginx")
				v := func(path string) any { return must(rel.Get("values.controller." + path)) }
				assert.Equal(t, ing.Resources.CPU, v("resources.requests.cpu"))
				assert.Equal(t, ing.Resources.Memory, v("resources.requests.memory"))
				assert.Equal(t, ing.Resources.CPULimit, v("resources.limits.cpu"))
				assert.Equal(t, ing.Resources.MemoryLimit, v("resources.limits.memory"))
				assert.Equal(t, true, v("autoscaling.enabled"))
				assert.Equal(t, float64(ing.MinReplicas), v("autoscaling.minReplicas"))
				assert.Equal(t, float64(ing.MaxReplicas), v("autoscaling.maxReplicas"))
				assert.Equal(t, float64(ing.CPUTarget), v("autoscaling.targetCPUUtilizationPercentage"))
				assert.Equal(t, 0.0, v("autoscaling.targetMemoryUtilizationPercentage"), "no memory target")
				assert.Equal(t, wantBehavior(t, p), v("autoscaling.behavior"), "the app's HPA behaviour")
				assert.Equal(t, float64(ing.MinReplicas), v("replicaCount"))
				assert.GreaterOrEqual(t, ing.MinReplicas, 2, "the chart creates its PDB above one replica")
				assert.Equal(t, 1.0, v("maxUnavailable"), "one controller down at a time")
				assert.Equal(t, 0.0, v("minAvailable"), "unset, so the chart's PDB takes maxUnavailable")
				for _, r := range p.OfType(k8sPDB) {
					ns, _ := r.Get("metadata.namespace")
					assert.NotEqual(t, "ingress-nginx", ns, "no second PDB beside the chart's: %s", r.Name)
				}
				want := map[string]any{spec.PoolLabel: ing.Pool}
				if cloud == spec.Local {
					want = map[string]any{}
				}
				assert.Equal(t, want, v("nodeSelector"))
				wantPool := map[string]string{"1k": "system", "10k": "system", "100k": "app", "1m": "app"}[tier]
				assert.Equal(t, wantPool, ing.Pool)

				// The API still admits the controllers, wherever they run: by namespace.
				np, ok := byMetaName(p, k8sNetpol, "allow-ingress-to-api")
				require.True(t, ok)
				assert.Equal(t, "ingress-nginx", keyAt(np, "spec.ingress.0.from.0.namespaceSelector.matchLabels", "kubernetes.io/metadata.name"), "by namespace, not by node")
			})
		}
	}
}

// Where KEDA and monitoring run, the WebSocket pods scale on their open connections and CPU
// through KEDA, scraped by a PodMonitor the network policies admit; elsewhere (1k) on CPU.
func TestWebSocketScalesOnConnections(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				p := planFor(t, cloud, tier)
				w := preset(t, tier).Workloads
				ws := w.WebSocket
				so, scaled := byMetaName(p, kedaScaled, "websocket")
				hpa, onCPU := byMetaName(p, k8sHPA, "websocket")
				mon, monitored := byMetaName(p, podMonitor, "websocket")
				metricsNP, admitted := byMetaName(p, k8sNetpol, "allow-monitoring-to-websocket")
				if !(w.Addons.KEDA && w.Addons.Monitoring) {
					assert.Equal(t, "1k", tier, "only the 1k preset runs without monitoring")
					assert.False(t, scaled || monitored || admitted, "no ScaledObject, PodMonitor or metrics policy")
					require.True(t, onCPU, "the CPU HPA")
					assert.Equal(t, float64(ws.MinReplicas), must(hpa.Get("spec.minReplicas")))
					assert.Equal(t, "false", keyAt(hpa, "metadata.annotations", "validations.keda.sh/hpa-ownership"), "KEDA may take over on a tier switch")
					return
				}
				assert.False(t, onCPU, "KEDA's HPA alone scales the pods")
				require.True(t, scaled)
				assert.Equal(t, float64(ws.MinReplicas), must(so.Get("spec.minReplicaCount")))
				assert.Equal(t, float64(ws.MaxReplicas), must(so.Get("spec.maxReplicaCount")))
				assert.Equal(t, "websocket", must(so.Get("spec.scaleTargetRef.name")))
				assert.Equal(t, wantBehavior(t, p), must(so.Get("spec.advanced.horizontalPodAutoscalerConfig.behavior")))
				assert.Equal(t, "prometheus", must(so.Get("spec.triggers.0.type")))
				assert.Equal(t, "AverageValue", must(so.Get("spec.triggers.0.metricType")))
				assert.Equal(t, "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090", must(so.Get("spec.triggers.0.metadata.serverAddress")))
				assert.Equal(t, `sum(scalestack_websocket_connections{namespace="scalestack"})`, must(so.Get("spec.triggers.0.metadata.query")))
				assert.Equal(t, fmtInt(ws.ConnectionsPerPod*ws.ConnectionTarget/100), must(so.Get("spec.triggers.0.metadata.threshold")))
				assert.Equal(t, "8000", must(so.Get("spec.triggers.0.metadata.threshold")), "80% of 10,000")
				assert.Equal(t, "cpu", must(so.Get("spec.triggers.1.type")))
				assert.Equal(t, "Utilization", must(so.Get("spec.triggers.1.metricType")))
				assert.Equal(t, fmtInt(ws.CPUTarget), must(so.Get("spec.triggers.1.metadata.value")))
				assert.Contains(t, so.Dependencies, "scalestack-prod-platform-keda")

				require.True(t, monitored)
				assert.Equal(t, "scalestack", must(mon.Get("metadata.namespace")))
				assert.Equal(t, "websocket", keyAt(mon, "spec.selector.matchLabels", "scalestack.dev/process"))
				assert.Equal(t, "ws", must(mon.Get("spec.podMetricsEndpoints.0.port")))
				assert.Equal(t, "/metrics", must(mon.Get("spec.podMetricsEndpoints.0.path")))
				assert.Equal(t, "http", must(mon.Get("spec.podMetricsEndpoints.0.scheme")), "no edge: the pods serve plain HTTP")
				assert.Contains(t, mon.Dependencies, "scalestack-prod-platform-kube-prometheus-stack")

				require.True(t, admitted)
				assert.Equal(t, "monitoring", keyAt(metricsNP, "spec.ingress.0.from.0.namespaceSelector.matchLabels", "kubernetes.io/metadata.name"))
				assert.Equal(t, 8080.0, must(metricsNP.Get("spec.ingress.0.ports.0.port")), "the metrics port")
				assert.Equal(t, "websocket", keyAt(metricsNP, "spec.podSelector.matchLabels", "scalestack.dev/process"))
			})
		}
	}
}

// With an edge the WebSocket pods serve TLS, and Prometheus scrapes them over HTTPS; a metrics
// port of their own gets a named container port that the PodMonitor and the policy use.
func TestWebSocketMetricsEndpoint(t *testing.T) {
	p := edgePlan(t, spec.DigitalOcean, "100k")
	mon, ok := byMetaName(p, podMonitor, "websocket")
	require.True(t, ok)
	assert.Equal(t, "https", must(mon.Get("spec.podMetricsEndpoints.0.scheme")))
	assert.Equal(t, true, must(mon.Get("spec.podMetricsEndpoints.0.tlsConfig.insecureSkipVerify")))

	p = planFor(t, spec.AWS, "100k", "scalestack:app", `{"websocket":{"image":"ghcr.io/acme/ws:1.4.2","port":8081,"healthPath":"/healthz","metrics":{"port":9100,"path":"/stats"}}}`)
	mon, _ = byMetaName(p, podMonitor, "websocket")
	assert.Equal(t, "metrics", must(mon.Get("spec.podMetricsEndpoints.0.port")))
	assert.Equal(t, "/stats", must(mon.Get("spec.podMetricsEndpoints.0.path")))
	dep, _ := byMetaName(p, k8sDeployment, "websocket")
	assert.Equal(t, map[string]any{"name": "metrics", "containerPort": 9100.0}, must(dep.Get("spec.template.spec.containers.0.ports.1")))
	np, _ := byMetaName(p, k8sNetpol, "allow-monitoring-to-websocket")
	assert.Equal(t, 9100.0, must(np.Get("spec.ingress.0.ports.0.port")))

	off := planFor(t, spec.DigitalOcean, "100k", "scalestack:overrides", `{"workloads":{"addons":{"monitoring":false}}}`)
	_, scaled := byMetaName(off, kedaScaled, "websocket")
	_, onCPU := byMetaName(off, k8sHPA, "websocket")
	assert.False(t, scaled, "without monitoring there is no connection count to scale on")
	assert.True(t, onCPU)
	assert.Empty(t, off.OfType(podMonitor))
}

// At 1M on DigitalOcean two load balancers carry the sockets, each of the preset's nodes and in
// front of the same pods, with a record each under the WebSocket name; the first keeps its
// names. AWS has one NLB.
func TestWebSocketLoadBalancers(t *testing.T) {
	for _, cloud := range []spec.Cloud{spec.DigitalOcean, spec.AWS} {
		t.Run(string(cloud), func(t *testing.T) {
			p := edgePlan(t, cloud, "1m")
			ws := preset(t, "1m").Workloads.WebSocket
			n := ws.LoadBalancers.For(cloud)
			assert.Equal(t, map[spec.Cloud]int{spec.DigitalOcean: 2, spec.AWS: 1}[cloud], n)
			var lbs []plan.Resource
			for _, r := range p.OfType(k8sService) {
				if sel, _ := keyAt2(r, "spec.selector", "scalestack.dev/process"); sel == "websocket" {
					lbs = append(lbs, r)
				}
			}
			require.Len(t, lbs, n)
			for i := 1; i <= n; i++ {
				name, resource := "websocket", "scalestack-prod-app-websocket"
				if i > 1 {
					name, resource = fmt.Sprintf("websocket-%d", i), fmt.Sprintf("scalestack-prod-app-websocket-%d", i)
				}
				svc, ok := byMetaName(p, k8sService, name)
				require.True(t, ok, name)
				assert.Equal(t, resource, svc.Name)
				assert.Equal(t, "LoadBalancer", must(svc.Get("spec.type")))
				if cloud == spec.DigitalOcean {
					assert.Equal(t, fmtInt(ws.LoadBalancerNodes), keyAt(svc, "metadata.annotations", "service.beta.kubernetes.io/do-loadbalancer-size-unit"))
				}
			}
			var records []plan.Resource
			for _, r := range p.OfType(types.CFRecord) {
				if r.Inputs["name"] == "ws.example.com" {
					records = append(records, r)
					assert.Equal(t, true, r.Inputs["proxied"])
				}
			}
			require.Len(t, records, n)
			_, first := p.Find(types.CFRecord, "scalestack-prod-edge-ws")
			assert.True(t, first, "the first record keeps its name")
			if n > 1 {
				_, second := p.Find(types.CFRecord, "scalestack-prod-edge-ws-2")
				assert.True(t, second)
			}
			np, ok := byMetaName(p, k8sNetpol, "allow-lb-to-websocket")
			require.True(t, ok)
			assert.Equal(t, "websocket", keyAt(np, "spec.podSelector.matchLabels", "scalestack.dev/process"), "one policy admits every load balancer's traffic: they select the same pods")
		})
	}
}

// keyAt is the value under a key that has dots (a label or annotation) of the map at path.
func keyAt(r plan.Resource, path, key string) any {
	v, _ := keyAt2(r, path, key)
	if v == nil {
		return "<missing>"
	}
	return v
}

func keyAt2(r plan.Resource, path, key string) (any, bool) {
	m, _ := r.Get(path)
	obj, _ := m.(map[string]any)
	v, ok := obj[key]
	return v, ok
}

// A launch window (scalestack:launch) raises every KEDA-scaled process's minimum with a cron
// trigger from ahead of the window's start to its end, to the pods its users need; the API moves
// from its HPA to a ScaledObject on the same CPU target to carry one. Users past the tier's
// maximums are refused.
func TestLaunchWindowsPrescale(t *testing.T) {
	const window = `[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":100000}]`
	p := planFor(t, spec.DigitalOcean, "100k", "scalestack:launch", window)
	_, hpa := byMetaName(p, k8sHPA, "api")
	assert.False(t, hpa, "the API's HPA gives way to KEDA's")
	crons := map[string]map[string]any{}
	for _, name := range []string{"api", "websocket", "worker"} {
		so, ok := byMetaName(p, kedaScaled, name)
		require.True(t, ok, name)
		var kinds []string
		for _, tr := range so.ListAt("spec.triggers") {
			m := tr.(map[string]any)
			kinds = append(kinds, m["type"].(string))
			if m["type"] == "cron" {
				crons[name] = m["metadata"].(map[string]any)
			}
		}
		assert.Contains(t, kinds, "cron", name)
		if name == "api" {
			assert.Equal(t, []string{"cpu", "cron"}, kinds)
		}
	}
	// The DigitalOcean app pool needs nodes for the window: four minutes of provisioning, a
	// scan and a pod's start ahead of 18:00, rounded up, and a minute more.
	assert.Equal(t, "54 17 24 12 *", crons["api"]["start"])
	assert.Equal(t, "0 20 24 12 *", crons["api"]["end"])
	assert.Equal(t, "11", crons["api"]["desiredReplicas"], "the 11 API pods 100,000 users need")
	assert.Equal(t, "Etc/UTC", crons["worker"]["timezone"])

	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "10k",
		"scalestack:launch": `[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":500000}]`}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stacks: config "scalestack:launch": 0.users: 500000 need more api pods than the 10k preset's maximum of 6`)
}
