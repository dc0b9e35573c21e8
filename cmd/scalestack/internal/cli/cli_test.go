package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/scalestack/scalestack/plan/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
)

// fakePlan records what the command line passed and returns a small plan with a secret input.
type fakePlan struct {
	stack   string
	raw     map[string]string
	secrets []string
	err     error
}

func (f *fakePlan) plan(stack string, raw map[string]string, secrets []string) (plan.Plan, error) {
	f.stack, f.raw, f.secrets = stack, raw, secrets
	if f.err != nil {
		return plan.Plan{}, f.err
	}
	return plan.Sorted([]plan.Resource{
		{Type: types.ComponentCluster, Name: "c"},
		{Type: types.DOKubernetesCluster, Name: "c-doks", Parent: "c", ParentType: types.ComponentCluster, Custom: true, Protect: true,
			Inputs: map[string]any{"region": "nyc3", "token": plan.Secret}},
	}), nil
}

func run(t *testing.T, f *fakePlan, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut, Deps{Plan: f.plan})
	return code, out.String(), errOut.String()
}

func TestPlanJSON(t *testing.T) {
	t.Parallel()
	f := &fakePlan{}
	code, out, errOut := run(t, f, "plan", "--cloud", "digitalocean", "--tier", "100k", "--format", "json")
	require.Equal(t, ExitOK, code, errOut)
	var doc struct {
		Resources []struct {
			Type, Name, Parent string
			Inputs             map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Resources, 2)
	assert.Equal(t, "c", doc.Resources[1].Parent)
	assert.Equal(t, "[secret]", doc.Resources[1].Inputs["token"])
	assert.Equal(t, "dev", f.stack)
	assert.Equal(t, "100k", f.raw["scalestack:tier"])
}

func TestPlanText(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, &fakePlan{}, "plan", "--cloud", "digitalocean", "--tier", "1k")
	require.Equal(t, ExitOK, code)
	plan, summary, found := strings.Cut(out, "\nSummary: ")
	require.True(t, found, "the plan ends with a summary:\n%s", out)
	assert.Equal(t, `2 resources
scalestack:components:Cluster  c
  digitalocean:index/kubernetesCluster:KubernetesCluster  c-doks [protected]
      region = nyc3
      token = [secret]
`, plan)
	assert.Contains(t, summary, "digitalocean 1k in nyc3")
	assert.Regexp(t, `Cluster\s+c\s+1 resource\s+free \(some resources unpriced\)`, summary, "the cluster component with its resource count; the fake cluster has no pool to price")
	assert.Contains(t, summary, "nodes system s-2vcpu-4gb x 1-3", "its size, from the preset")
	assert.Regexp(t, `cost: \$[0-9.,]+ a month at baseline`, summary)
	assert.Regexp(t, `guardrails: (pass|FAIL): \d+ rules passed`, summary)
}

func TestPlanDiagrams(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, &fakePlan{}, "plan", "--cloud", "digitalocean", "--tier", "1k", "--format", "mermaid")
	require.Equal(t, ExitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "flowchart LR\n"), out)
	code, out, errOut = run(t, &fakePlan{}, "plan", "--cloud", "digitalocean", "--tier", "1k", "--format", "dot")
	require.Equal(t, ExitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "digraph scalestack {"), out)
	code, _, errOut = run(t, &fakePlan{}, "plan", "--cloud", "digitalocean", "--tier", "1k", "--format", "svg")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "want one of text, json, mermaid, dot")
}

func TestPlanReadsTheStackFileAndFlagsWin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(path, []byte("config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 10k\n  digitalocean:token:\n    secure: v1:xyz\n"), 0o600))
	f := &fakePlan{}
	code, _, errOut := run(t, f, "plan", "--config", path, "--tier", "1m")
	require.Equal(t, ExitOK, code, errOut)
	assert.Equal(t, "staging", f.stack)
	assert.Equal(t, "1m", f.raw["scalestack:tier"], "the flag overrides the file")
	assert.Equal(t, []string{"digitalocean:token"}, f.secrets)
}

func TestBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "Pulumi.bad.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("config: [\n"), 0o600))
	unnamed := filepath.Join(dir, "prod.yaml")
	require.NoError(t, os.WriteFile(unnamed, []byte("config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1k\n"), 0o600))
	badModel := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badModel, []byte("demand:\n  requestsPerUsers: 1\n"), 0o600))
	listModel := filepath.Join(dir, "list.yaml")
	require.NoError(t, os.WriteFile(listModel, []byte("[1, 2]\n"), 0o600))
	badSLO := filepath.Join(dir, "Pulumi.slo.yaml")
	require.NoError(t, os.WriteFile(badSLO, []byte("config:\n  scalestack:cloud: aws\n  scalestack:tier: 10k\n  scalestack:slo: fast\n"), 0o600))
	awsFile := filepath.Join(dir, "Pulumi.eu.yaml")
	require.NoError(t, os.WriteFile(awsFile, []byte("config:\n  scalestack:cloud: aws\n  scalestack:tier: 1k\n  aws:region: eu-west-1\n"), 0o600))
	plainAlerts := filepath.Join(dir, "Pulumi.plain.yaml")
	require.NoError(t, os.WriteFile(plainAlerts, []byte("config:\n  scalestack:cloud: aws\n  scalestack:tier: 10k\n  scalestack:alerts:\n    slack: https://hooks.slack.com/services/T000/B000/XXXX\n"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"alerts in plain text", []string{"plan", "--config", plainAlerts}, `scalestack:alerts: is set in plain text (want it encrypted: pulumi config set --secret scalestack:alerts`},
		{"unknown command", []string{"deploy"}, `scalestack: "deploy" is not a command (want plan, cost, check, capacity, signals, upgrade, simulate or rightsize; see scalestack help)`},
		{"unknown flag", []string{"plan", "--formt", "json"}, "flag provided but not defined: -formt; did you mean --format?"},
		{"unknown flag, nothing near", []string{"plan", "--zzz", "1k"}, "scalestack plan: flag provided but not defined: -zzz\n"},
		{"stray argument", []string{"plan", "--tier", "1k", "extra"}, `unexpected argument "extra"`},
		{"bad tier", []string{"plan", "--cloud", "digitalocean", "--tier", "50k"}, `stacks: config "scalestack:tier": "50k" is not a tier (want one of 1k, 10k, 100k, 1m)`},
		{"no cloud", []string{"plan", "--tier", "1k"}, `stacks: config "scalestack:cloud": is not set (want one of digitalocean, aws, local)`},
		{"bad format", []string{"plan", "--cloud", "digitalocean", "--tier", "1k", "--format", "yaml"}, `flag --format: "yaml" is not a format (want one of text, json`},
		{"missing config file", []string{"plan", "--config", filepath.Join(dir, "nope.yaml")}, "no such file or directory"},
		{"broken config file", []string{"plan", "--config", broken}, "not a stack settings file"},
		{"stack file without the stack in its name", []string{"plan", "--config", unnamed}, `is not named Pulumi.<stack>.yaml (want the stack's name in the file name, for example Pulumi.prod.yaml`},
		{"near command", []string{"plna"}, `scalestack: "plna" is not a command (want plan, cost, check, capacity, signals, upgrade, simulate or rightsize; see scalestack help); did you mean "plan"?`},
		{"near flag", []string{"plan", "--teir", "1k"}, "scalestack plan: flag provided but not defined: -teir; did you mean --tier?"},
		{"near flag with a value", []string{"check", "--regoin=fra1"}, "did you mean --region?"},
		{"tier in the wrong case", []string{"plan", "--cloud", "digitalocean", "--tier", "100K"}, `"100K" is not a tier (want one of 1k, 10k, 100k, 1m); did you mean "100k"?`},
		{"signals bad format", []string{"signals", "--cloud", "aws", "--tier", "100k", "--format", "svg"}, `flag --format: "svg" is not a format (want one of yaml, json, markdown`},
		{"signals bad tier", []string{"signals", "--cloud", "aws", "--tier", "100"}, `stacks: config "scalestack:tier": "100" is not a tier (want one of 1k, 10k, 100k, 1m)`},
		{"signals bad slo", []string{"signals", "--config", badSLO}, `stacks: config "scalestack:slo": "fast" is not a latency in whole milliseconds (want 1 to 60000`},
		{"signals out is a file", []string{"signals", "--cloud", "aws", "--tier", "100k", "--out", badModel}, "scalestack signals: --out " + badModel},
		{"capacity --cloud digitalocean", []string{"capacity", "--cloud", "digitalocean"}, "give --tier (or a --config with scalestack:tier), or --users N"},
		{"capacity --cloud digitalocean --users many", []string{"capacity", "--cloud", "digitalocean", "--users", "many"}, `flag --users: "many" is not a number of users (want a whole number from 1 to 1000000000`},
		{"capacity --users with misplaced underscores", []string{"capacity", "--cloud", "digitalocean", "--users", "1_0_0"}, `flag --users: "1_0_0" is not a number of users`},
		{"capacity --users with a sign", []string{"capacity", "--cloud", "digitalocean", "--users", "+5"}, `flag --users: "+5" is not a number of users`},
		{"capacity --cloud digitalocean --users 0", []string{"capacity", "--cloud", "digitalocean", "--users", "0"}, `flag --users: "0" is not a number of users`},
		{"capacity --cloud digitalocean --tier 1k --format svg", []string{"capacity", "--cloud", "digitalocean", "--tier", "1k", "--format", "svg"}, `flag --format: "svg" is not a format (want one of text, json, markdown)`},
		{"capacity --cloud digitalocean --tier 1k --model", []string{"capacity", "--cloud", "digitalocean", "--tier", "1k", "--model", badModel}, `"demand.requestsPerUsers" is not a figure (want one of requestsPerUser,`},
		{"capacity --cloud digitalocean --tier 1k --model", []string{"capacity", "--cloud", "digitalocean", "--tier", "1k", "--model", listModel}, "is not a YAML or JSON object"},
		{"capacity --cloud digitalocean --tier 1k --model noneyaml", []string{"capacity", "--cloud", "digitalocean", "--tier", "1k", "--model", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"capacity --cloud gcp --tier 1k", []string{"capacity", "--cloud", "gcp", "--tier", "1k"}, `stacks: config "scalestack:cloud"`},
		{"capacity --cloud digitalocean --tier 2k", []string{"capacity", "--cloud", "digitalocean", "--tier", "2k"}, `"2k" is not a tier`},
		{"aws:region beside another scalestack:region", []string{"plan", "--config", awsFile, "--region", "us-east-1"}, `stacks: config "aws:region": "eu-west-1" differs from scalestack:region "us-east-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakePlan{}
			code, out, errOut := run(t, f, tt.args...)
			assert.Equal(t, ExitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
			assert.Nil(t, f.raw, "the program never ran")
		})
	}
}

func TestProgramFailureExitsOne(t *testing.T) {
	t.Parallel()
	code, _, errOut := run(t, &fakePlan{err: errors.New("boom")}, "plan", "--cloud", "digitalocean", "--tier", "1k")
	assert.Equal(t, ExitError, code)
	assert.Contains(t, errOut, "scalestack plan: boom")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, &fakePlan{}, "help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, out, "scalestack plan --cloud C --tier T")
	code, _, errOut := run(t, &fakePlan{}, "plan", "--help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, errOut, "-format")
}
