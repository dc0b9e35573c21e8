package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/plan"
)

// goldenPlans plans a stack by reading the stacks package's golden plan of its cloud and tier:
// the real program's output, without linking the cloud SDKs into these tests.
func goldenPlans(stack string, raw map[string]string, _ []string) (plan.Plan, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "stacks", "testdata", fmt.Sprintf("plan-%s-%s.json", raw["scalestack:cloud"], raw["scalestack:tier"])))
	if err != nil {
		return plan.Plan{}, err
	}
	var p plan.Plan
	return p, json.Unmarshal(b, &p)
}

func runGolden(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut, Deps{Plan: goldenPlans})
	return code, out.String(), errOut.String()
}

// "Which tier for 20,000 users that may become 100,000?" has an answer, with its figures.
func TestCapacityRecommendsATier(t *testing.T) {
	t.Parallel()
	code, out, errOut := runGolden(t, "capacity", "--cloud", "digitalocean", "--users", "20_000")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "20,000 concurrent users on digitalocean (30,000 with the headroom) need the 100k tier; past it, 1m.")
	assert.Contains(t, out, "pulumi config set scalestack:tier 100k")
	assert.Contains(t, out, "10k    no")
	assert.Contains(t, out, "first bottleneck")

	code, out, errOut = runGolden(t, "capacity", "--cloud", "aws", "--users", "1000", "--format", "json")
	require.Equal(t, ExitOK, code, errOut)
	var rec Recommendation
	require.NoError(t, json.Unmarshal([]byte(out), &rec))
	assert.Equal(t, "1k", rec.Recommended)
	assert.Equal(t, "10k", rec.Next)
	require.Len(t, rec.Tiers, 4)
	assert.NotEmpty(t, rec.Tiers[0].BaselineMonthly)
	require.NotNil(t, rec.Report)
	assert.True(t, rec.Report.Carries)

	code, out, errOut = runGolden(t, "capacity", "--cloud", "digitalocean", "--users", "5000000")
	assert.Equal(t, ExitShort, code)
	assert.Contains(t, out, "no tier carries 5,000,000")
	assert.Contains(t, errOut, "no tier carries 5000000 users with the headroom (7500000): the largest, 1m, carries")
}

func TestCapacityOfATier(t *testing.T) {
	t.Parallel()
	code, out, errOut := runGolden(t, "capacity", "--cloud", "digitalocean", "--tier", "100k", "--format", "json")
	require.Equal(t, ExitOK, code, errOut)
	var rep capacity.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.True(t, rep.Carries)
	assert.Equal(t, 100000, rep.Users)
	assert.Equal(t, int64(150000), rep.Required.Ceiling)
	assert.Equal(t, int64(15000), rep.Required.Baseline, "the 10k tier's users with the headroom")
	assert.NotEmpty(t, rep.Parts)
	assert.NotNil(t, rep.Bottleneck.Ceiling)

	code, out, errOut = runGolden(t, "capacity", "--cloud", "digitalocean", "--tier", "10k", "--users", "100000")
	assert.Equal(t, ExitShort, code)
	assert.Contains(t, out, "SHORT")
	assert.Contains(t, errOut, "scalestack capacity: digitalocean 10k does not carry 100000 users")

	code, out, errOut = runGolden(t, "capacity", "--cloud", "aws", "--tier", "1m", "--format", "markdown")
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "| Part | Demand | Baseline | Ceiling | Note |")
	assert.Contains(t, out, "(advisory)")
}

// The stack's config and --model change the model; the account's limits are the stack's.
func TestCapacityModelOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stack := filepath.Join(dir, "Pulumi.prod.yaml")
	require.NoError(t, os.WriteFile(stack, []byte("config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1m\n  scalestack:capacity:\n    limits:\n      digitalocean:\n        droplets: 100\n"), 0o600))
	code, out, errOut := runGolden(t, "capacity", "--config", stack)
	require.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "of 100: within")

	model := filepath.Join(dir, "heavy.yaml")
	require.NoError(t, os.WriteFile(model, []byte("demand:\n  requestsPerUser: 0.5\n"), 0o600))
	code, out, errOut = runGolden(t, "capacity", "--config", stack, "--model", model)
	assert.Equal(t, ExitShort, code, "ten times the requests: the 1m preset's API runs short")
	assert.Contains(t, out, "API pods")
	assert.Contains(t, errOut, "does not carry")
}
