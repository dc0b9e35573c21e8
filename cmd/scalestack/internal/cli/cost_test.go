package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/tiers"
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
	// Both sides are planned under the head file's stack name, so the pool only changes.
	assert.Contains(t, out, "✏️ changed")
	assert.NotContains(t, out, "➕ added")
	assert.NotContains(t, out, "➖ removed")
}

// --stack names the stack both files are planned under; without it, the head file's.
func TestCostDiffStackName(t *testing.T) {
	t.Parallel()
	base := writeFile(t, "Pulumi.base.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1k\n")
	head := writeFile(t, "Pulumi.head.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 10k\n")
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"default: the head's stack", nil, "head-app"},
		{"--stack", []string{"--stack", "prod"}, "prod-app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"cost", "diff", "--base-config", base, "--head-config", head, "--format", "json"}, tc.extra...)
			code, out, errOut := runCostCLI(t, args...)
			require.Equal(t, ExitOK, code, errOut)
			var d struct {
				Changes []struct{ Name, Action string } `json:"changes"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &d))
			require.Len(t, d.Changes, 1)
			assert.Equal(t, tc.want, d.Changes[0].Name)
			assert.Equal(t, "changed", d.Changes[0].Action)
		})
	}
	code, _, errOut := runCostCLI(t, "cost", "diff", "--cloud", "digitalocean", "--from-tier", "1k", "--to-tier", "10k", "--stack", "prod")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "flag --stack goes with --base-config and --head-config")
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
	// The stacks package's golden plans: every preset priced, and its cost floor beside it.
	code, out, errOut := runGolden(t, "cost", "tiers")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "| digitalocean | 1k | $90.00 (within) | $162.00 (above) | $20.00 - $100.00 | $90.00 (1.00x) |")
	assert.Contains(t, out, "| aws | 100k |")

	code, out, errOut = runGolden(t, "cost", "tiers", "--format", "json")
	require.Equal(t, ExitOK, code, errOut)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 8)
	assert.Equal(t, map[string]any{"cloud": "digitalocean", "tier": "1k", "baselineMonthly": "90", "ceilingMonthly": "162",
		"band": map[string]any{"low": "20", "high": "100"}, "baselineVerdict": "within", "ceilingVerdict": "above",
		"floorMonthly": "90", "floorRatio": 1.0}, rows[0])

	code, _, errOut = runCostCLI(t, "cost", "tiers", "--format", "html")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "want one of text, json, markdown")
}

// The usage assumptions of cost are written for the tiers of stacks/tiers, which own the order.
func TestCostTiersMatchPresets(t *testing.T) {
	t.Parallel()
	names, err := cost.Tiers()
	require.NoError(t, err)
	assert.ElementsMatch(t, tiers.Names, names)
}

// Zero is no budget, from the flag as from scalestack:budget.
func TestCostBudgetZeroIsNone(t *testing.T) {
	t.Parallel()
	stack := writeFile(t, "Pulumi.prod.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1m\n  scalestack:budget: 0\n")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"flag 0", []string{"cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "0", "--format", "json"}},
		{"config 0", []string{"cost", "--config", stack, "--format", "json"}},
		{"diff flag 0", []string{"cost", "diff", "--cloud", "digitalocean", "--from-tier", "1k", "--to-tier", "1m", "--budget", "0", "--format", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCostCLI(t, tc.args...)
			require.Equal(t, ExitOK, code, errOut)
			assert.NotContains(t, out, `"budget"`, "no budget, no verdict")
		})
	}
}

// The verdict is in the report itself, so that a pull-request comment says why the job failed.
func TestCostBudgetInReport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"cost json over", []string{"cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "400", "--format", "json"}, ExitOverBudget,
			[]string{`"budget": {`, `"limit": "400"`, `"ceiling": "432"`, `"over": true`}},
		{"cost json within", []string{"cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "500", "--format", "json"}, ExitOK,
			[]string{`"limit": "500"`, `"over": false`}},
		{"cost markdown", []string{"cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "400", "--format", "markdown"}, ExitOverBudget,
			[]string{"**Budget**: over budget: the monthly ceiling $432.00 is above the budget $400.00"}},
		{"cost text", []string{"cost", "--cloud", "digitalocean", "--tier", "100k", "--budget", "400"}, ExitOverBudget,
			[]string{"over budget: the monthly ceiling $432.00 is above the budget $400.00"}},
		{"diff json", []string{"cost", "diff", "--cloud", "digitalocean", "--from-tier", "1k", "--to-tier", "1m", "--budget", "500", "--format", "json"}, ExitOverBudget,
			[]string{`"limit": "500"`, `"ceiling": "576"`, `"over": true`}},
		{"diff markdown", []string{"cost", "diff", "--cloud", "digitalocean", "--from-tier", "1k", "--to-tier", "1m", "--budget", "500", "--format", "markdown"}, ExitOverBudget,
			[]string{"**Budget**: over budget: the monthly ceiling $576.00 is above the budget $500.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCostCLI(t, tc.args...)
			assert.Equal(t, tc.wantCode, code, errOut)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

// awsPlan is a small AWS plan: a cluster and a NAT gateway, whose region comes from the flags.
func awsPlan(stack string, _ map[string]string, _ []string) (plan.Plan, error) {
	return plan.Sorted([]plan.Resource{
		{Type: types.AWSEKS, Name: stack + "-eks", Custom: true, Inputs: map[string]any{}},
		{Type: types.AWSNatGateway, Name: stack + "-nat", Custom: true, Inputs: map[string]any{}},
		{Type: types.AWSEip, Name: stack + "-nat-ip", Custom: true, Inputs: map[string]any{}},
	}), nil
}

// A usage file or a region the prices cannot take is bad input: one line naming the key, exit 2.
func TestCostBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, usage, region string
		want                string
	}{
		{"usage NaN", "egressGB: .nan\n", "", `usage "egressGB": NaN is not a number`},
		{"usage infinity", "natDataGB: .inf\n", "", `usage "natDataGB": +Inf is not a number`},
		{"usage implausible", "egressGB: 1e300\n", "", `usage "egressGB": 1e+300 is above the bound`},
		{"unpriced region", "", "ap-south-1", `no aws prices for region "ap-south-1" (want one of eu-central-1, us-east-1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"cost", "--cloud", "aws", "--tier", "100k"}
			if tc.usage != "" {
				args = append(args, "--usage", writeFile(t, "usage.yaml", tc.usage))
			}
			if tc.region != "" {
				args = append(args, "--region", tc.region)
			}
			var out, errOut bytes.Buffer
			code := Main(args, &out, &errOut, Deps{Plan: awsPlan})
			assert.Equal(t, ExitUsage, code, errOut.String())
			assert.Contains(t, errOut.String(), tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut.String()), "\n")+1, "one line: %s", errOut.String())
		})
	}
}

// A report names only the usage assumptions that priced something.
func TestCostUsageAssumedIsUsed(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "cost", "--cloud", "digitalocean", "--tier", "100k")
	require.Equal(t, ExitOK, code, errOut)
	assert.NotContains(t, out, "usage assumed", "DigitalOcean prices no usage")

	var stdout, stderr bytes.Buffer
	code = Main([]string{"cost", "--cloud", "aws", "--tier", "100k"}, &stdout, &stderr, Deps{Plan: awsPlan})
	require.Equal(t, ExitOK, code, stderr.String())
	line := stdout.String()[strings.Index(stdout.String(), "usage assumed"):]
	assert.Contains(t, line, "NAT data 500 GB, egress 10000 GB")
	assert.NotContains(t, line, "LCU", "no load balancer in the plan")
}

// cost and check price one bill: a stack with a domain pays its zone's plan in both.
func TestOneBillWithADomain(t *testing.T) {
	t.Parallel()
	// 100k: the pool's ceiling is $432, with the preset's Cloudflare Pro zone $457.
	stack := writeFile(t, "Pulumi.prod.yaml", "config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 100k\n"+
		"  scalestack:domain: example.com\n  scalestack:cloudflareZoneId: 0123456789abcdef0123456789abcdef\n  scalestack:budget: 440\n")
	code, out, errOut := runCostCLI(t, "cost", "--config", stack, "--format", "json")
	assert.Equal(t, ExitOverBudget, code, errOut)
	var rep cost.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.True(t, slices.ContainsFunc(rep.Lines, func(l cost.Line) bool { return l.Type == types.CFZone && l.Name == "example.com" }))
	assert.Equal(t, "457", rep.Ceiling.String())

	// check prices the same bill: the zone's plan puts it over the budget too.
	code, out, errOut = runCostCLI(t, "check", "--config", stack)
	assert.Equal(t, ExitPolicy, code, errOut)
	assert.Contains(t, out, "the monthly ceiling $457.00 is above the budget $440.00")
}

func TestCheck(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCostCLI(t, "check", "--cloud", "digitalocean", "--tier", "1k")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "rules passed, 0 violations (0 mandatory)")

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
