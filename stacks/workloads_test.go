package stacks_test

import (
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks/tiers"
)

const (
	k8sDeployment = types.K8sDeployment
	k8sService    = types.K8sService
	k8sHPA        = types.K8sHorizontalPodAutoscaler
	k8sPDB        = types.K8sPodDisruptionBudget
	k8sSecret     = types.K8sSecret
	k8sNetpol     = types.K8sNetworkPolicy
	kedaScaled    = types.KEDAScaledObject
)

func byMetaName(p plan.Plan, typ, name string) (plan.Resource, bool) {
	for _, r := range p.OfType(typ) {
		if v, _ := r.Get("metadata.name"); v == name {
			return r, true
		}
	}
	return plan.Resource{}, false
}

// The app follows the preset on every cloud and tier: Deployments with restricted, probed,
// sized containers spread over nodes and zones, HPAs and KEDA within the preset's bounds, a PDB
// each, the WebSocket service on its own load balancer, the Secret secret.
func TestWorkloadsFollowThePreset(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				p := planFor(t, cloud, tier)
				w := preset(t, tier).Workloads
				processes := map[string]spec.Service{"api": w.API, "websocket": w.WebSocket, "worker": w.Worker}
				for name, svc := range processes {
					dep, ok := byMetaName(p, k8sDeployment, name)
					require.True(t, ok, name)
					assert.Equal(t, float64(svc.MinReplicas), must(dep.Get("spec.replicas")), name)
					assert.Contains(t, dep.IgnoreChanges, "spec.replicas", "%s: the autoscaler owns the count", name)
					selector, _ := dep.Get("spec.template.spec.nodeSelector")
					if cloud == spec.Local {
						assert.Nil(t, selector, "%s: an existing cluster's nodes carry no pool label", name)
					} else {
						assert.Equal(t, svc.Pool, selector.(map[string]any)[spec.PoolLabel], name)
					}
					c, _ := dep.Get("spec.template.spec.containers.0")
					container, _ := c.(map[string]any)
					require.NotNil(t, container, name)
					for _, k := range []string{"readinessProbe", "livenessProbe", "startupProbe", "resources", "securityContext", "lifecycle"} {
						assert.Contains(t, container, k, "%s %s", name, k)
					}
					assert.Equal(t, svc.Resources.CPU, must(dep.Get("spec.template.spec.containers.0.resources.requests.cpu")), name)
					assert.Equal(t, svc.Resources.MemoryLimit, must(dep.Get("spec.template.spec.containers.0.resources.limits.memory")), name)
					assert.Equal(t, true, must(dep.Get("spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem")), name)
					assert.Len(t, must(dep.Get("spec.template.spec.topologySpreadConstraints")), 2, "%s spreads over nodes and zones", name)
					_, hasPDB := byMetaName(p, k8sPDB, name)
					assert.True(t, hasPDB, "%s has a PodDisruptionBudget", name)
				}
				onConnections := w.Addons.KEDA && w.Addons.Monitoring
				hpas := []string{"api"}
				if !onConnections {
					hpas = append(hpas, "websocket")
				}
				for _, name := range hpas {
					hpa, ok := byMetaName(p, k8sHPA, name)
					require.True(t, ok, name)
					assert.Equal(t, float64(processes[name].MinReplicas), must(hpa.Get("spec.minReplicas")))
					assert.Equal(t, float64(processes[name].MaxReplicas), must(hpa.Get("spec.maxReplicas")))
					assert.Equal(t, 60.0, must(hpa.Get("spec.metrics.0.resource.target.averageUtilization")))
					assert.Equal(t, 0.0, must(hpa.Get("spec.behavior.scaleUp.stabilizationWindowSeconds")), "%s scales up at once", name)
				}
				scaled, ok := byMetaName(p, kedaScaled, "worker")
				require.True(t, ok)
				assert.Len(t, p.OfType(kedaScaled), map[bool]int{true: 2, false: 1}[onConnections], "the worker's, and the WebSocket's where it scales on connections")
				assert.Equal(t, float64(w.Worker.MinReplicas), must(scaled.Get("spec.minReplicaCount")))
				assert.Equal(t, float64(w.Worker.MaxReplicas), must(scaled.Get("spec.maxReplicaCount")))
				wantTrigger := map[spec.Cloud]string{spec.DigitalOcean: "redis", spec.AWS: "redis-cluster", spec.Local: "redis"}[cloud]
				assert.Equal(t, wantTrigger, must(scaled.Get("spec.triggers.0.type")))

				ws, ok := byMetaName(p, k8sService, "websocket")
				require.True(t, ok)
				assert.Equal(t, "LoadBalancer", must(ws.Get("spec.type")), "the WebSocket service has its own load balancer")
				assert.Equal(t, "Local", must(ws.Get("spec.externalTrafficPolicy")))
				annotations, _ := ws.Get("metadata.annotations")
				a, _ := annotations.(map[string]any)
				switch cloud {
				case spec.DigitalOcean:
					assert.Equal(t, fmtInt(w.WebSocket.LoadBalancerNodes), a["service.beta.kubernetes.io/do-loadbalancer-size-unit"])
				case spec.AWS:
					assert.Equal(t, "nlb", a["service.beta.kubernetes.io/aws-load-balancer-type"])
				}
				api, ok := byMetaName(p, k8sService, "api")
				require.True(t, ok)
				assert.Equal(t, "ClusterIP", must(api.Get("spec.type")), "the API is reached through the ingress")
				ing, ok := byMetaName(p, types.K8sIngress, "api")
				require.True(t, ok)
				assert.Equal(t, "api", must(ing.Get("spec.rules.0.http.paths.0.backend.service.name")))

				secret, ok := byMetaName(p, k8sSecret, "app")
				require.True(t, ok)
				switch data := secret.Inputs["stringData"].(type) {
				case string:
					assert.Equal(t, plan.Secret, data, "the Secret's data is secret as a whole")
				case map[string]any:
					require.NotEmpty(t, data)
					for k, v := range data {
						assert.Equal(t, plan.Secret, v, "Secret key %s is secret", k)
					}
				default:
					t.Fatalf("stringData is %T", data)
				}
				_, deny := byMetaName(p, k8sNetpol, "default-deny")
				assert.True(t, deny)
				_, dns := byMetaName(p, k8sNetpol, "allow-dns")
				assert.True(t, dns)

				pgb, inCluster := byMetaName(p, k8sDeployment, "pgbouncer")
				assert.Equal(t, cloud != spec.DigitalOcean, inCluster, "PgBouncer runs in the cluster where the cloud has no managed pool")
				if inCluster {
					env, _ := pgb.Get("spec.template.spec.containers.0.env")
					found := false
					for _, e := range env.([]any) {
						m := e.(map[string]any)
						if m["name"] == "DEFAULT_POOL_SIZE" {
							found = true
							// The replicas share the pool: together they open no more than it.
							per := preset(t, tier).Database.Pool.Size / w.Pooler.Replicas
							assert.Equal(t, fmtInt(per), m["value"])
							assert.LessOrEqual(t, per*w.Pooler.Replicas, preset(t, tier).Database.Pool.Size)
						}
					}
					assert.True(t, found)
				}

				var charts []any
				for _, r := range p.OfType(helmRelease) {
					charts = append(charts, r.Inputs["chart"])
				}
				assert.Contains(t, charts, "ingress-nginx")
				assert.Contains(t, charts, "metrics-server")
				assert.Contains(t, charts, "keda")
				if w.Addons.Monitoring {
					assert.Contains(t, charts, "kube-prometheus-stack")
				} else {
					assert.NotContains(t, charts, "kube-prometheus-stack")
				}
			})
		}
	}
}

// Add-ons switch off in config, and the app's images come from scalestack:app.
func TestWorkloadsConfig(t *testing.T) {
	p := planFor(t, spec.DigitalOcean, "100k",
		"scalestack:overrides", `{"workloads":{"addons":{"monitoring":false,"keda":false},"api":{"cpuTarget":75}}}`,
		"scalestack:app", `{"api":{"image":"ghcr.io/acme/api:1.4.2","port":3000,"healthPath":"/healthz","env":{"LOG_LEVEL":"info"}}}`)
	for _, r := range p.OfType(helmRelease) {
		assert.NotContains(t, []any{"kube-prometheus-stack", "keda"}, r.Inputs["chart"])
	}
	assert.Empty(t, p.OfType(kedaScaled), "without KEDA the worker scales on CPU")
	_, ok := byMetaName(p, k8sHPA, "worker")
	assert.True(t, ok)
	hpa, _ := byMetaName(p, k8sHPA, "api")
	assert.Equal(t, 75.0, must(hpa.Get("spec.metrics.0.resource.target.averageUtilization")), "workloads.api.cpuTarget")
	ws, _ := byMetaName(p, k8sDeployment, "websocket")
	env, _ := ws.Get("spec.template.spec.containers.0.env")
	assert.Contains(t, env, map[string]any{"name": "MAX_CONNECTIONS", "value": fmtInt(preset(t, "100k").Workloads.WebSocket.ConnectionsPerPod)})
	api, _ := byMetaName(p, k8sDeployment, "api")
	assert.Equal(t, "ghcr.io/acme/api:1.4.2", must(api.Get("spec.template.spec.containers.0.image")))
	assert.Equal(t, 3000.0, must(api.Get("spec.template.spec.containers.0.ports.0.containerPort")))
	assert.Equal(t, "/healthz", must(api.Get("spec.template.spec.containers.0.readinessProbe.httpGet.path")))

	edge := planFor(t, spec.DigitalOcean, "1k", "scalestack:domain", "example.com", "scalestack:cloudflareZoneId", zoneID)
	wsSvc, _ := byMetaName(edge, k8sService, "websocket")
	ranges, _ := wsSvc.Get("spec.loadBalancerSourceRanges")
	assert.NotEmpty(t, ranges, "with an edge the WebSocket load balancer admits only Cloudflare")
}

func fmtInt(n int) string { return strconv.Itoa(n) }

// Add-ons off: no Cluster Autoscaler on EKS, and no ingress-nginx nor an Ingress that only it
// would route (and report an address for, which the provider waits on); on, both are there.
func TestAddonSwitches(t *testing.T) {
	charts := func(p plan.Plan) []any {
		var out []any
		for _, r := range p.OfType(helmRelease) {
			out = append(out, r.Inputs["chart"])
		}
		return out
	}
	const ingress = types.K8sIngress
	on := planFor(t, spec.AWS, "10k")
	assert.Contains(t, charts(on), "cluster-autoscaler")
	assert.Contains(t, charts(on), "ingress-nginx")
	assert.Len(t, on.OfType(ingress), 1)

	off := planFor(t, spec.AWS, "10k", "scalestack:overrides", `{"workloads":{"addons":{"ingress":false,"clusterAutoscaler":false}}}`)
	assert.NotContains(t, charts(off), "cluster-autoscaler")
	assert.NotContains(t, charts(off), "ingress-nginx")
	assert.Empty(t, off.OfType(ingress))
	_, api := byMetaName(off, k8sService, "api")
	assert.True(t, api, "the API's Service stays for a controller of the user's own")
	require.Len(t, off.OfType(types.ProviderKubernetes), 1, "the cluster's provider does not depend on the autoscaler")
}

// The edge's origin certificate is what the WebSocket pods mount: its Secrets must not wait for
// the app's Deployments, or the first up with a domain waits for pods that wait for it.
func TestOriginCertificateDoesNotWaitForThePods(t *testing.T) {
	for _, cloud := range []spec.Cloud{spec.DigitalOcean, spec.AWS} {
		p := edgePlan(t, cloud, "100k")
		deployments := map[string]bool{}
		for _, r := range p.OfType(k8sDeployment) {
			deployments[r.Name] = true
		}
		ws, ok := byMetaName(p, k8sDeployment, "websocket")
		require.True(t, ok)
		vols, _ := ws.Get("spec.template.spec.volumes")
		assert.Contains(t, fmt.Sprint(vols), "origin-tls", "%s: the WebSocket pods mount the origin certificate", cloud)
		var namespaces []string
		for _, r := range p.OfType(k8sSecret) {
			if name, _ := r.Get("metadata.name"); name != "origin-tls" && name != "origin-tls-key" {
				continue
			}
			ns, _ := r.Get("metadata.namespace")
			namespaces = append(namespaces, fmt.Sprint(ns))
			require.NotEmpty(t, r.Dependencies, "%s: %s records its dependencies", cloud, r.Name)
			for _, d := range r.Dependencies {
				assert.False(t, deployments[d], "%s: %s waits for the Deployment %s", cloud, r.Name, d)
			}
		}
		assert.ElementsMatch(t, []string{"scalestack", "scalestack", "ingress-nginx"}, namespaces, "%s: the key, and a TLS Secret where TLS ends", cloud)
	}
}

// A process with its own reads list sees only those settings, each from the Secret or the
// ConfigMap, and its pod template carries the digests of those alone; one without reads gets
// everything and a digest of every setting but the tier, which rolls nothing.
func TestProcessesReadTheirSettings(t *testing.T) {
	p := planFor(t, spec.Local, "10k", "scalestack:app", `{"worker":{"reads":["CACHE_URL","QUEUE"]}}`)
	annotations := func(process string) []string {
		d, ok := byMetaName(p, k8sDeployment, process)
		require.True(t, ok, process)
		var keys []string
		for k := range d.MapAt("spec.template.metadata.annotations") {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	assert.Equal(t, []string{spec.ConfigAnnotationPrefix + "CACHE_URL", spec.ConfigAnnotationPrefix + "QUEUE"}, annotations("worker"))
	var all []string
	for _, k := range spec.Settings() {
		if k != spec.TierSetting {
			all = append(all, spec.ConfigAnnotationPrefix+k)
		}
	}
	slices.Sort(all)
	assert.Equal(t, all, annotations("api"))

	worker, _ := byMetaName(p, k8sDeployment, "worker")
	assert.Empty(t, worker.ListAt("spec.template.spec.containers.0.envFrom"), "the worker sees only what it reads")
	from := map[string]string{}
	for _, e := range worker.ListAt("spec.template.spec.containers.0.env") {
		env := e.(map[string]any)
		source, _ := env["valueFrom"].(map[string]any)
		for kind := range source {
			from[env["name"].(string)] = kind
		}
	}
	assert.Equal(t, map[string]string{"CACHE_URL": "secretKeyRef", "QUEUE": "configMapKeyRef"}, from)
	api, _ := byMetaName(p, k8sDeployment, "api")
	assert.Len(t, api.ListAt("spec.template.spec.containers.0.envFrom"), 2, "the Secret and the ConfigMap whole")
}
