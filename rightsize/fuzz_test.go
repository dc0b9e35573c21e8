package rightsize

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// A quantity of any text is a finite number of 0 or more, or an error naming the form wanted.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"500m", "1.5", "262144k", "512Mi", "1e3", "", "-1", "NaN", "1e400", "2E", "0x10", "Infm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := Quantity(q)
		if err != nil {
			require.Contains(t, err.Error(), "quantity")
			return
		}
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0) || v < 0, "%q read as %v", q, v)
		_ = cpuText(v)
		_ = memoryText(v)
	})
}

// A kubeconfig of any shape loads or is refused as the user's input: never a panic. Documents
// with an exec plugin are left out: the fuzzer must not run commands it made up.
func FuzzLoad(f *testing.F) {
	f.Add("current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\n")
	f.Add("current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: '!!'}}]\nusers: [{name: u, user: {client-certificate-data: eA==}}]\n")
	f.Add("{")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		if strings.Contains(doc, "exec") {
			return
		}
		path := filepath.Join(dir, "kubeconfig")
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
		c, err := Load(context.Background(), path)
		if err == nil {
			require.NotEmpty(t, c.Server)
		}
	})
}

// An API server's answer of any body gives a report or an error: never a panic, and every
// advice is one of raise, lower, keep or see.
func FuzzCompare(f *testing.F) {
	f.Add(vpas)
	f.Add(`{"items":[{"metadata":{"namespace":"scalestack","name":"api"},"spec":{"targetRef":{"kind":"Deployment","name":"api"}},"status":{"recommendation":{"containerRecommendations":[{"containerName":"api","target":{"cpu":"-1"}}]}}}]}`)
	f.Add(`{"items":null}`)
	var body atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body.Load().(string))) }))
	defer srv.Close()
	planned := Planned(planned())
	f.Fuzz(func(t *testing.T, b string) {
		body.Store(b)
		c := &Client{Server: srv.URL, http: srv.Client()}
		rep, err := Compare(context.Background(), c, planned)
		if err != nil {
			return
		}
		for _, row := range rep.Rows {
			for _, a := range []Advice{row.CPU, row.Memory} {
				require.Contains(t, []string{"raise", "lower", "keep", "see"}, a.Do)
			}
		}
		_ = rep.Text()
	})
}
