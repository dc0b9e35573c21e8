//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/test/e2e/harness"
)

// promtool runs Prometheus's promtool in dir and returns its output and whether it passed.
func promtool(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(harness.Promtool(toolsBin), args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		require.NoError(t, err, "promtool %s", strings.Join(args, " "))
	}
	return out.String(), err == nil
}

// TestRulesWithPromtool writes every cloud's and tier's rules and their unit tests with the
// built command line (`scalestack signals --out`, as a user would), then holds them to
// Prometheus's own promtool: `check rules` (syntax, PromQL, templates) and `test rules` (each
// alert fires on its scenario's series, with its labels and rendered annotations, at its time,
// and nothing fires on a quiet stack or before an alert's duration has passed).
func TestRulesWithPromtool(t *testing.T) {
	for _, cloud := range config.BuiltClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				dir := filepath.Join(workDir, "signals", string(cloud)+"-"+tier)
				args := []string{"signals", "--cloud", string(cloud), "--tier", tier, "--out", dir}
				if cloud == "local" {
					args = append(args, "--config", localStackFile(t))
				}
				out, err := exec.Command(scalestackBin, args...).CombinedOutput()
				require.NoError(t, err, "scalestack %s: %s", strings.Join(args, " "), out)
				check, ok := promtool(t, dir, "check", "rules", "rules.yaml")
				assert.True(t, ok, "promtool check rules:\n%s", check)
				assert.Contains(t, check, "SUCCESS")
				test, ok := promtool(t, dir, "test", "rules", "rules.test.yaml")
				assert.True(t, ok, "promtool test rules:\n%s", test)
			})
		}
	}
}

// The tests hold the thresholds: the same scenarios against rules whose limits moved fail.
func TestPromtoolCatchesAMovedThreshold(t *testing.T) {
	dir := filepath.Join(workDir, "signals", "moved")
	out, err := exec.Command(scalestackBin, "signals", "--cloud", "digitalocean", "--tier", "100k", "--out", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	rules, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	require.NoError(t, err)
	moved := strings.ReplaceAll(string(rules), ">= 0.8", ">= 1.1")
	require.NotEqual(t, string(rules), moved)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(moved), 0o644))
	test, ok := promtool(t, dir, "test", "rules", "rules.test.yaml")
	assert.False(t, ok, "promtool test rules passed with the autoscalers' limit moved:\n%s", test)
	assert.Contains(t, test, "alertname: ScalestackAutoscalerNearMaximum")
}

// localStackFile is a stack file of the local cloud on the test cluster: signals plans the
// stack, and the local cloud needs its kubeconfig.
func localStackFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Pulumi.local.yaml")
	body := "config:\n  scalestack:cloud: local\n  scalestack:kubeconfig: " + cluster.Kubeconfig + "\n"
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}
