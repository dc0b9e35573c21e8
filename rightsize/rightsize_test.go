package rightsize

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

func TestQuantity(t *testing.T) {
	for q, want := range map[string]float64{"500m": 0.5, "1.5": 1.5, "2": 2, "512Mi": 512 << 20, "262144k": 262144e3, "1Gi": 1 << 30, "1e3": 1000, "100M": 1e8} {
		got, err := Quantity(q)
		require.NoError(t, err, q)
		assert.InDelta(t, want, got, 1e-6, q)
	}
	for _, bad := range []string{"", "m", "-1", "lots", "NaN", "1x", "Inf"} {
		_, err := Quantity(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "420m", cpuText(0.412))
	for _, m := range []string{"70m", "140m", "280m", "550m", "1100m"} {
		q, err := Quantity(m)
		require.NoError(t, err)
		assert.Equal(t, m, cpuText(q), "an exact figure stays itself")
	}
	assert.Equal(t, "12", cpuText(11.2))
	assert.Equal(t, "300Mi", memoryText(300<<20))
	assert.Equal(t, "301Mi", memoryText(300<<20+1))
}

// planned is a plan of two of the app's Deployments, the ingress controller's release and a
// chart's Deployment, each with a VerticalPodAutoscaler.
func planned() plan.Plan {
	dep := func(name string, cpu, mem string) plan.Resource {
		return plan.Resource{Type: types.K8sDeployment, Name: "d-" + name, Custom: true, Inputs: map[string]any{
			"metadata": map[string]any{"name": name, "namespace": "scalestack"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
				"name": name, "resources": map[string]any{"requests": map[string]any{"cpu": cpu, "memory": mem}},
			}}}}},
		}}
	}
	vpa := func(ns, kind, name string) plan.Resource {
		return plan.Resource{Type: types.VPA, Name: "v-" + name, Custom: true, Inputs: map[string]any{
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec":     map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": kind, "name": name}, "updatePolicy": map[string]any{"updateMode": "Off"}},
		}}
	}
	return plan.Plan{Resources: []plan.Resource{
		dep("api", "1", "512Mi"), dep("worker", "250m", "256Mi"),
		{Type: types.HelmRelease, Name: "ingress", Custom: true, Inputs: map[string]any{"chart": "ingress-nginx", "namespace": "ingress-nginx",
			"values": map[string]any{"controller": map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "256Mi"}}}}}},
		vpa("scalestack", "Deployment", "api"), vpa("scalestack", "Deployment", "worker"),
		vpa("ingress-nginx", "Deployment", "ingress-nginx-controller"), vpa("keda", "Deployment", "keda-operator"),
	}}
}

const vpas = `{"items": [
 {"metadata": {"name": "api", "namespace": "scalestack"}, "spec": {"targetRef": {"kind": "Deployment", "name": "api"}},
  "status": {"recommendation": {"containerRecommendations": [{"containerName": "api",
   "target": {"cpu": "412m", "memory": "300Mi"}, "lowerBound": {"cpu": "300m", "memory": "200Mi"}, "upperBound": {"cpu": "800m", "memory": "600Mi"}}]}}},
 {"metadata": {"name": "worker", "namespace": "scalestack"}, "spec": {"targetRef": {"kind": "Deployment", "name": "worker"}},
  "status": {"recommendation": {"containerRecommendations": [{"containerName": "worker",
   "target": {"cpu": "587m", "memory": "262144k"}, "lowerBound": {"cpu": "400m", "memory": "131072k"}, "upperBound": {"cpu": "1", "memory": "524288k"}}]}}},
 {"metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "spec": {"targetRef": {"kind": "Deployment", "name": "ingress-nginx-controller"}}, "status": {}},
 {"metadata": {"name": "keda-operator", "namespace": "keda"}, "spec": {"targetRef": {"kind": "Deployment", "name": "keda-operator"}},
  "status": {"recommendation": {"containerRecommendations": [{"containerName": "keda-operator", "target": {"cpu": "25m", "memory": "100Mi"}}]}}},
 {"metadata": {"name": "other", "namespace": "default"}, "spec": {"targetRef": {"kind": "Deployment", "name": "other"}}, "status": {}}
]}`

// server is an API server on 127.0.0.1 over TLS that wants a bearer token and answers GETs of
// VerticalPodAutoscalers; it fails the test on any other method.
func server(t *testing.T, body string) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: rightsize only reads", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message": "Unauthorized"}`)
			return
		}
		if r.URL.Path != "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers" || body == "" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func kubeconfigFor(t *testing.T, srv *httptest.Server, user string) string {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: test
contexts: [{name: test, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: %s, certificate-authority-data: %s}}]
users: [{name: u, user: %s}]
`, srv.URL, base64.StdEncoding.EncodeToString(ca), user)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	return path
}

func TestCompare(t *testing.T) {
	srv := server(t, vpas)
	ctx := context.Background()
	c, err := Load(ctx, kubeconfigFor(t, srv, "{token: s3cret}"))
	require.NoError(t, err)
	rep, err := Compare(ctx, c, Planned(planned()))
	require.NoError(t, err)
	require.Len(t, rep.Rows, 3)
	api := rep.Rows[0]
	assert.Equal(t, "workloads.api.resources", api.Key)
	assert.Equal(t, Advice{Requested: "1000m", Recommended: Range{Target: "420m", Lower: "300m", Upper: "800m"}, Do: "lower"}, api.CPU, "1 CPU is above the upper bound")
	assert.Equal(t, "keep", api.Memory.Do)
	worker := rep.Rows[1]
	assert.Equal(t, "raise", worker.CPU.Do, "250m is below the lower bound")
	assert.Equal(t, "keep", worker.Memory.Do)
	keda := rep.Rows[2]
	assert.Empty(t, keda.Key, "a chart's workload has no preset key")
	assert.Equal(t, "see", keda.CPU.Do)
	assert.Equal(t, []string{"ingress-nginx/Deployment/ingress-nginx-controller"}, rep.Waiting)
	assert.Equal(t, []string{"default/other"}, rep.Unplanned)
	text := rep.Text()
	assert.Contains(t, text, "workloads.api.resources: {cpu: 420m}")
	assert.Contains(t, text, "workloads.worker.resources: {cpu: 590m}")
	assert.Contains(t, text, "No recommendation yet")
}

// A credential plugin (as EKS's `aws eks get-token`) gives the token.
func TestExecCredential(t *testing.T) {
	srv := server(t, vpas)
	script := filepath.Join(t.TempDir(), "get-token")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"s3cret\"}}'\n"), 0o755))
	c, err := Load(context.Background(), kubeconfigFor(t, srv, fmt.Sprintf("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: %s, args: [eks, get-token]}}", script)))
	require.NoError(t, err)
	_, err = Compare(context.Background(), c, Planned(planned()))
	require.NoError(t, err)
}

func TestErrors(t *testing.T) {
	srv := server(t, "")
	ctx := context.Background()
	c, err := Load(ctx, kubeconfigFor(t, srv, "{token: s3cret}"))
	require.NoError(t, err)
	_, err = Compare(ctx, c, nil)
	assert.ErrorIs(t, err, ErrNoVPA, "a cluster without the VPA's API")

	c, err = Load(ctx, kubeconfigFor(t, srv, "{token: wrong}"))
	require.NoError(t, err)
	_, err = Compare(ctx, c, nil)
	assert.ErrorContains(t, err, "401 Unauthorized")

	dir := t.TempDir()
	for name, doc := range map[string]string{
		"not yaml":       "{",
		"no context":     "current-context: x\ncontexts: [{name: y, context: {cluster: c, user: u}}]\n",
		"bad server":     "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'not a url'}}]\nusers: [{name: u, user: {}}]\n",
		"missing user":   "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n",
		"bad CA":         "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: bm90IHBlbQ==}}]\nusers: [{name: u, user: {}}]\n",
		"no credentials": "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token-file: /typo}}]\n",
		"missing token":  "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {tokenFile: /nonexistent}}]\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
		_, err := Load(ctx, path)
		require.Error(t, err, name)
		assert.ErrorAs(t, err, new(ConfigError), name)
	}
	_, err = Load(ctx, filepath.Join(dir, "absent"))
	assert.ErrorAs(t, err, new(ConfigError))
}

// A raise past the plan's limit says so, and the overrides lift the limit with the request
// (spec refuses a request above its limit).
func TestRaiseAboveLimit(t *testing.T) {
	a, err := advise("1500m", "1200m", "2", 0.5, 1, true, cpuText)
	require.NoError(t, err)
	assert.Equal(t, Advice{Requested: "500m", Recommended: Range{Target: "1500m", Lower: "1200m", Upper: "2000m"}, Do: "raise", Limit: "1000m"}, a)
	within, err := advise("800m", "600m", "900m", 0.5, 1, true, cpuText)
	require.NoError(t, err)
	assert.Empty(t, within.Limit, "a target within the limit needs no new limit")
	rep := Report{Server: "https://127.0.0.1", Rows: []Row{{Namespace: "scalestack", Kind: "Deployment", Name: "api", Container: "api",
		Key: "workloads.api.resources", CPU: a, Memory: Advice{Do: "keep"}}}}
	text := rep.Text()
	assert.Contains(t, text, "workloads.api.resources: {cpu: 1500m, cpuLimit: 1500m}")
	assert.Contains(t, text, "raise, and its limit 1000m")
}
