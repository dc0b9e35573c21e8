package cli

import (
	"bytes"
	"encoding/json"
	"github.com/scalestack/scalestack/plan/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/plan"
)

// tierPlan stands in for the program: a node pool whose size follows the tier, so that prices
// and diffs are known: 1k 1 x $48, 10k 2, 100k 3, 1m 4 nodes (ceilings 3x).
func tierPlan(stack string, raw map[string]string, _ []string) (plan.Plan, error) {
	n := map[string]float64{"1k": 1, "10k": 2, "100k": 3, "1m": 4}[raw["scalestack:tier"]]
	return plan.Sorted([]plan.Resource{
		{Type: types.DOKubernetesNodePool, Name: stack + "-app", Custom: true,
			Inputs: map[string]any{"size": "s-4vcpu-8gb", "autoScale": true, "minNodes": n, "maxNodes": 3 * n}},
		{Type: types.DOVpc, Name: stack + "-vpc", Custom: true, Inputs: map[string]any{}},
	}), nil
}

func runCostCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut, Deps{Plan: tierPlan})
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestCost(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "100k")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "monthly cost (100k, nyc3): $144.00 baseline, $432.00 ceiling (USD)")

	code, out, errOut = runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "1k", "--format", "json")
	require.Equal(t, ExitOK, code, errOut)
	var rep struct {
		Baseline string `json:"baselineMonthly"`
		Ceiling  string `json:"ceilingMonthly"`
		Free     []any  `json:"free"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "48", rep.Baseline)
	assert.Equal(t, "144", rep.Ceiling)
	assert.Len(t, rep.Free, 1)

	code, out, _ = runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "1k", "--region", "fra1")
	require.Equal(t, ExitOK, code)
	assert.Contains(t, out, "monthly cost (1k, fra1)")

	code, out, _ = runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "1k", "--format", "markdown")
	require.Equal(t, ExitOK, code)
	assert.True(t, strings.HasPrefix(out, "<!-- scalestack-cost -->"))
}

func TestCostBudget(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "400")
	assert.Equal(t, ExitOverBudget, code)
	assert.Contains(t, errOut, "the monthly ceiling $432.00 is above the budget $400.00")

	code, _, _ = runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "432")
	assert.Equal(t, ExitOK, code, "a ceiling equal to the budget is within it")

	stack := writeFile(t, "Pulumi.prod.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1m\n  scalestack:budget: 500\n")
	code, _, errOut = runCostCLI(t, "cost", "--config", stack)
	assert.Equal(t, ExitOverBudget, code, "scalestack:budget applies without the flag")
	assert.Contains(t, errOut, "$576.00 is above the budget $500.00")
	code, _, _ = runCostCLI(t, "cost", "--config", stack, "--budget", "1000")
	assert.Equal(t, ExitOK, code, "the flag wins over the stack's budget")

	code, _, errOut = runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "1k", "--budget", "lots")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, `flag --budget: "lots" is not an amount of dollars`)
}

func TestCostDiffBetweenTiers(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "cost", "diff", "--cloud", "digitalocean", "--from-tier", "10k", "--to-tier", "1m")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "monthly cost: $96.00 -> $192.00 baseline (+$96.00), $288.00 -> $576.00 ceiling (+$288.00)")
	assert.Contains(t, out, "nodes: 2-6 -> 4-12")

	code, out, _ = runCostCLI(t, "cost", "diff", "--cloud", "digitalocean", "--from-tier", "1m", "--to-tier", "1k", "--format", "json")
	require.Equal(t, ExitOK, code)
	var d struct {
		Delta struct {
			Baseline string `json:"baselineMonthly"`
		} `json:"delta"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.Equal(t, "-144", d.Delta.Baseline)
}

func TestCostDiffBetweenStackFiles(t *testing.T) {
	t.Parallel()
	base := writeFile(t, "Pulumi.base.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1k\n")
	head := writeFile(t, "Pulumi.head.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 10k\n")
	code, out, errOut := runCostCLI(t, "cost", "diff", "--base-config", base, "--head-config", head, "--format", "markdown")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "| baseline (pools at minimum) | $48.00 | $96.00 | **+$48.00** |")
	// The stacks are named by their files, so the pool is a new resource.
	assert.Contains(t, out, "➕ added")
	assert.Contains(t, out, "➖ removed")
}

func TestCostDiffPreview(t *testing.T) {
	t.Parallel()
	sample, err := filepath.Abs("../../../../cost/testdata/preview.json")
	require.NoError(t, err)
	code, out, errOut := runCostCLI(t, "cost", "diff", "--preview", sample, "--format", "markdown")
	assert.Equal(t, ExitOverBudget, code, "the preview's scalestack:budget of 1000 is below its ceiling of 1132")
	assert.Contains(t, errOut, "the monthly ceiling $1,132.00 is above the budget $1,000.00")
	assert.Contains(t, out, "### Cost of this change: stack prod")
	assert.Contains(t, out, "**+$322.00**")

	code, _, _ = runCostCLI(t, "cost", "diff", "--preview", sample, "--budget", "2000")
	assert.Equal(t, ExitOK, code)

	usage := writeFile(t, "usage.yml", "natDataGB: -1\n")
	code, _, errOut = runCostCLI(t, "cost", "diff", "--preview", sample, "--usage", usage)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, `usage "natDataGB": -1 is negative`)

	broken := writeFile(t, "preview.json", `{"steps": [{"op": "create"`)
	code, _, errOut = runCostCLI(t, "cost", "diff", "--preview", broken)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "the JSON ends early")

	notier := writeFile(t, "preview.json", `{"config": {}, "steps": []}`)
	code, _, errOut = runCostCLI(t, "cost", "diff", "--preview", notier)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "no tier to take usage assumptions from (want --usage FILE)")
}

func TestCostDiffNeedsOneMode(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"cost", "diff"},
		{"cost", "diff", "--from-tier", "1k", "--to-tier", "10k", "--preview", "p.json"},
		{"cost", "diff", "--from-tier", "1k"},
		{"cost", "diff", "--base-config", "a.yaml"},
		{"cost", "diff", "--from-tier", "1k", "--to-tier", "10k", "--format", "html"},
	} {
		code, _, errOut := runCostCLI(t, args...)
		assert.Equal(t, ExitUsage, code, "%v: %s", args, errOut)
	}
}

func TestCostTiers(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "cost", "tiers")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "| digitalocean | 1k | $48.00 | $144.00 | $20.00 - $100.00 (within) |")
	assert.Contains(t, out, "| digitalocean | 1m | $192.00 | $576.00 | $2,000.00 - $20,000.00 (below) |")
	assert.Contains(t, out, "| aws | 100k |")
}

func TestCheck(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "check", "--cloud", "digitalocean", "--tier", "1k")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "15 rules passed, 0 violations")

	stack := writeFile(t, "Pulumi.prod.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1m\n  scalestack:budget: 500\n")
	code, out, errOut = runCostCLI(t, "check", "--config", stack)
	assert.Equal(t, ExitPolicy, code)
	assert.Contains(t, out, "mandatory budget")
	assert.Contains(t, out, "the monthly ceiling $576.00 is above the budget $500.00")
	assert.Contains(t, errOut, "scalestack check: 1 mandatory violations")

	relaxed := writeFile(t, "Pulumi.prod.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1m\n  scalestack:budget: 500\n  scalestack:policies:\n    budget: advisory\n")
	code, out, _ = runCostCLI(t, "check", "--config", relaxed, "--format", "json")
	assert.Equal(t, ExitOK, code, "an advisory violation does not fail")
	assert.Contains(t, out, `"level": "advisory"`)
}
