//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/simulate"
	"github.com/scalestack/scalestack/stacks/config"
)

// The simulator's HPA against the real one: kube-controller-manager's HPA controller scales the
// 100K preset's API (its HorizontalPodAutoscaler from the plan, verbatim) on the CPU that
// metrics-server scrapes from kwok's emulated kubelets, under a step in load from what 3 pods
// carry to what 11 need. The test plays the load balancer: every second it spreads the load over
// the Ready pods (each pod's CPU capped at its limit, as the kernel caps it) through kwok's
// usage annotation. The simulator, given the same plan, the same step and the cluster's
// readiness (kwok's pods run no image and start at once), must set the same replica counts
// within one sync period.
func TestHPAMatchesSimulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const tier, ns, process = "100k", "hpa-sim", "api"
	raw := cluster.LocalConfig(tier)
	p := planOf(t, raw)
	cfg, err := config.Parse(raw)
	require.NoError(t, err)

	hpa := planObject(t, p, types.K8sHorizontalPodAutoscaler, process)
	deploy := planObject(t, p, types.K8sDeployment, process)
	container := deploy.MapAt("spec.template.spec.containers.0")
	require.NotNil(t, container, "the API's container in the plan")
	resources := asMap(container["resources"])
	request, limit := millicores(t, asMap(resources["requests"])["cpu"]), millicores(t, asMap(resources["limits"])["cpu"])
	target, ok := hpa.NumberAt("spec.metrics.0.resource.target.averageUtilization")
	require.True(t, ok, "the API's HPA targets CPU utilisation")

	dyn, err := capacity.DynamicsOf(p, cfg.Capacity, capacity.Options{Cloud: spec.Local, Tier: tier, Users: 1000})
	require.NoError(t, err)
	var sc capacity.Scaler
	for _, s := range dyn.Scalers {
		if s.Name == process {
			sc = s
		}
	}
	require.NotZero(t, sc.PerPod, "the capacity model's API")
	// Users that 3 pods carry within the tolerance, then what needs 11 (seed 000's step).
	before, after := 2.8*sc.PerPod/sc.PerUser, 10.5*sc.PerPod/sc.PerUser
	// A pod at the HPA's target uses target% of its request; the load is that per PerPod.
	cpuOf := func(users float64) float64 { return users * sc.PerUser / sc.PerPod * target / 100 * request }

	k := newKube(t, cluster.Kubeconfig)
	_, err = cluster.Kubectl(ctx, "create", "namespace", ns)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := cluster.Kubectl(context.Background(), "delete", "namespace", ns, "--wait", "--timeout=60s")
		if err != nil {
			t.Log(err)
		}
	})
	minReplicas, _ := hpa.NumberAt("spec.minReplicas")
	manifests := []map[string]any{
		{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": process, "namespace": ns},
			"spec": map[string]any{
				"replicas": minReplicas,
				"selector": map[string]any{"matchLabels": map[string]any{"app": process}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": process}},
					"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": "app", "resources": resources}}},
				},
			},
		},
		{
			"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
			"metadata": map[string]any{"name": process, "namespace": ns},
			"spec":     hpa.MapAt("spec"),
		},
	}
	var stream bytes.Buffer
	for _, m := range manifests {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		stream.Write(b)
		stream.WriteString("\n")
	}
	f := filepath.Join(t.TempDir(), "hpa.json")
	require.NoError(t, os.WriteFile(f, stream.Bytes(), 0o644))
	_, err = cluster.Kubectl(ctx, "apply", "-f", f)
	require.NoError(t, err)

	// Warm up at the load 3 pods carry until the HPA reads every pod's CPU.
	load := cpuOf(before)
	balance := func() int { return k.spread(t, ns, process, load, limit) }
	deadline := time.Now().Add(3 * time.Minute)
	for {
		balance()
		var h struct {
			Status struct {
				CurrentReplicas int `json:"currentReplicas"`
				CurrentMetrics  []struct {
					Resource struct {
						Current struct {
							AverageUtilization *int `json:"averageUtilization"`
						} `json:"current"`
					} `json:"resource"`
				} `json:"currentMetrics"`
			} `json:"status"`
		}
		k.get(t, "/apis/autoscaling/v2/namespaces/"+ns+"/horizontalpodautoscalers/"+process, &h)
		if len(h.Status.CurrentMetrics) > 0 && h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization != nil &&
			math.Abs(float64(*h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization)-target*before/(minReplicas*sc.PerPod/sc.PerUser)) < 6 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the HPA never read the pods' CPU: %+v", h.Status)
		time.Sleep(time.Second)
	}

	// The step, then a replica count a second for 150 s.
	const seconds = 150
	load = cpuOf(after)
	start := time.Now()
	real := make([]int, 0, seconds+1)
	for i := 0; i <= seconds; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second)))
		balance()
		var d struct {
			Spec struct {
				Replicas int `json:"replicas"`
			} `json:"spec"`
		}
		k.get(t, "/apis/apps/v1/namespaces/"+ns+"/deployments/"+process, &d)
		real = append(real, d.Spec.Replicas)
	}

	a, err := simulate.Default()
	require.NoError(t, err)
	// The cluster's own figures: kwok's pods pull no image and start no app, and turn Ready
	// when kwok gets to them (measured); kwok's first reading of a new pod's CPU counter is 0,
	// which metrics-server drops, so a pod has its first rate at the third scrape after it is
	// Ready, not the second (measured with kubectl get --raw /apis/metrics.k8s.io).
	readiness := k.readiness(t, ns, process, start)
	a.ImagePullSeconds.Value, a.AppStartSeconds.Value = 0, readiness
	a.FigureScrapes.Value = 3
	// The controller's syncs and metrics-server's scrapes run apart, each every 15 s: the
	// simulator takes their phases from the cluster (the HPA's last scale was at a sync; the pods'
	// metrics carry their scrape's time), and the step at the same point between two syncs.
	var h struct {
		Status struct {
			LastScaleTime time.Time `json:"lastScaleTime"`
		} `json:"status"`
	}
	k.get(t, "/apis/autoscaling/v2/namespaces/"+ns+"/horizontalpodautoscalers/"+process, &h)
	var metrics struct {
		Items []struct {
			Timestamp time.Time `json:"timestamp"`
		} `json:"items"`
	}
	k.get(t, "/apis/metrics.k8s.io/v1beta1/namespaces/"+ns+"/pods", &metrics)
	require.NotEmpty(t, metrics.Items)
	sync := a.HPASyncSeconds.Value
	phase := func(at time.Time) float64 {
		return math.Mod(math.Mod(at.Sub(h.Status.LastScaleTime).Seconds(), sync)+sync, sync)
	}
	a.MetricsOffsetSeconds.Value = phase(metrics.Items[0].Timestamp)
	warm := 60 + math.Round(phase(start))
	t.Logf("new pods Ready %.0f s after they were created (median); the step %.0f s after a sync, the scrapes %.0f s after one", readiness, warm-60, a.MetricsOffsetSeconds.Value)
	curve := simulate.Curve{Name: "step", Points: []simulate.Point{{Second: 0, Users: before}, {Second: warm, Users: before}, {Second: warm + 1, Users: after}, {Second: warm + seconds, Users: after}}}
	res, err := simulate.Run(p, cfg.Capacity, a, simulate.Options{Cloud: spec.Local, Tier: tier, Curve: curve, RowSeconds: 1})
	require.NoError(t, err)
	sim := make([]int, 0, seconds+1)
	for _, row := range res.Timeline {
		if row.Second >= warm && row.Second <= warm+seconds {
			sim = append(sim, row.Processes[process].Replicas)
		}
	}
	require.Len(t, sim, seconds+1)

	t.Logf("replicas after the step: real %s; simulated %s", changes(real), changes(sim))
	period := int(sync)
	for i := range real {
		lo, hi := math.MaxInt, 0
		for j := max(i-period, 0); j <= min(i+period, seconds); j++ {
			lo, hi = min(lo, sim[j]), max(hi, sim[j])
		}
		require.Truef(t, real[i] >= lo && real[i] <= hi, "%d s after the step the real controller had %d replicas; the simulator had %d to %d within one sync period (%d s) of it", i, real[i], lo, hi, period)
	}
	require.Equal(t, real[seconds], sim[seconds], "the replicas the step settles at")
}

// changes says a replica count a second as its steps: "3, 7 from 14 s, 11 from 58 s".
func changes(counts []int) string {
	out := []string{fmt.Sprint(counts[0])}
	for i := 1; i < len(counts); i++ {
		if counts[i] != counts[i-1] {
			out = append(out, fmt.Sprintf("%d from %d s", counts[i], i))
		}
	}
	return strings.Join(out, ", ")
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// millicores reads a CPU quantity of the plan ("1", "500m", 2).
func millicores(t *testing.T, v any) float64 {
	t.Helper()
	switch q := v.(type) {
	case float64:
		return q * 1000
	case string:
		var f float64
		if strings.HasSuffix(q, "m") {
			_, err := fmt.Sscanf(q, "%gm", &f)
			require.NoError(t, err, q)
			return f
		}
		_, err := fmt.Sscanf(q, "%g", &f)
		require.NoError(t, err, q)
		return f * 1000
	}
	require.Failf(t, "not a CPU quantity", "%v", v)
	return 0
}

// kube is a small client of the API server from a kubeconfig with a token: the load's spread
// takes a request a pod a second, which kubectl's start-up would not keep up with.
type kube struct {
	server, token string
	client        *http.Client
	// usage is what each pod's annotation says now, so that only changes are patched.
	usage map[string]string
}

func newKube(t *testing.T, kubeconfig string) *kube {
	t.Helper()
	b, err := os.ReadFile(kubeconfig)
	require.NoError(t, err)
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			User struct {
				Token string `yaml:"token"`
			} `yaml:"user"`
		} `yaml:"users"`
	}
	require.NoError(t, yaml.Unmarshal(b, &kc))
	require.NotEmpty(t, kc.Clusters)
	require.NotEmpty(t, kc.Users)
	ca, err := base64.StdEncoding.DecodeString(kc.Clusters[0].Cluster.CA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	return &kube{
		server: kc.Clusters[0].Cluster.Server, token: kc.Users[0].User.Token,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
		usage:  map[string]string{},
	}
}

func (k *kube) do(t *testing.T, method, path, contentType string, body []byte, out any) {
	t.Helper()
	req, err := http.NewRequest(method, k.server+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+k.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := k.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out))
	}
}

func (k *kube) get(t *testing.T, path string, out any) {
	t.Helper()
	k.do(t, http.MethodGet, path, "", nil, out)
}

// readiness is the median of the seconds from creation to Ready of a process's pods created
// after a moment.
func (k *kube) readiness(t *testing.T, ns, app string, after time.Time) float64 {
	t.Helper()
	var pods struct {
		Items []struct {
			Metadata struct {
				Created time.Time `json:"creationTimestamp"`
			} `json:"metadata"`
			Status struct {
				Conditions []struct {
					Type string    `json:"type"`
					At   time.Time `json:"lastTransitionTime"`
				} `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	k.get(t, "/api/v1/namespaces/"+ns+"/pods?labelSelector=app%3D"+app, &pods)
	var delays []float64
	for _, p := range pods.Items {
		if p.Metadata.Created.Before(after.Truncate(time.Second)) {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" {
				delays = append(delays, c.At.Sub(p.Metadata.Created).Seconds())
			}
		}
	}
	require.NotEmpty(t, delays, "no pod was created after the step")
	slices.Sort(delays)
	return delays[len(delays)/2]
}

// spread is the load balancer: it shares a load (millicores) among a process's Ready pods, each
// capped at its CPU limit, and gives the others none. It returns the Ready pods.
func (k *kube) spread(t *testing.T, ns, app string, load, limit float64) int {
	t.Helper()
	var pods struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
			Status struct {
				Conditions []struct {
					Type   string `json:"type"`
					Status string `json:"status"`
				} `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	k.get(t, "/api/v1/namespaces/"+ns+"/pods?labelSelector=app%3D"+app, &pods)
	ready := map[string]bool{}
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" && p.Metadata.DeletionTimestamp == nil {
				ready[p.Metadata.Name] = true
			}
		}
	}
	for _, p := range pods.Items {
		use := 0.0
		if ready[p.Metadata.Name] {
			use = math.Min(load/float64(len(ready)), limit)
		}
		v := fmt.Sprintf("%dm", int(math.Max(math.Round(use), 1)))
		if k.usage[p.Metadata.Name] == v {
			continue
		}
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{"kwok.x-k8s.io/usage-cpu": v}}})
		k.do(t, http.MethodPatch, "/api/v1/namespaces/"+ns+"/pods/"+p.Metadata.Name, "application/merge-patch+json", patch, nil)
		k.usage[p.Metadata.Name] = v
	}
	return len(ready)
}
