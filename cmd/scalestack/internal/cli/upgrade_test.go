package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upgrade --preview refuses, with its own exit code, a real preview that replaces a stateful
// resource (the sample replaces the cache), and passes the same preview without that step.
func TestUpgradeGatesAPreview(t *testing.T) {
	t.Parallel()
	sample, err := filepath.Abs("../../../../cost/testdata/preview.json")
	require.NoError(t, err)
	code, out, errOut := run(t, &fakePlan{}, "upgrade", "--preview", sample)
	assert.Equal(t, ExitRefused, code, errOut)
	assert.Contains(t, out, "! digitalocean:index/databaseCluster:DatabaseCluster scalestack-prod-cache-valkey: would be replaced")
	assert.Contains(t, errOut, "scalestack upgrade: refused:")

	code, out, _ = run(t, &fakePlan{}, "upgrade", "--preview", sample, "--format", "json")
	assert.Equal(t, ExitRefused, code)
	var gate struct {
		Refusals []string `json:"refusals"`
		Counts   struct {
			Replaced int `json:"replaced"`
		} `json:"counts"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &gate))
	assert.Len(t, gate.Refusals, 1)
	assert.Equal(t, 1, gate.Counts.Replaced)

	// The same preview without the cache's replacement.
	b, err := os.ReadFile(sample)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	var steps []any
	for _, s := range doc["steps"].([]any) {
		switch s.(map[string]any)["op"] {
		case "replace", "create-replacement", "delete-replaced":
			continue
		}
		steps = append(steps, s)
	}
	doc["steps"] = steps
	safe, err := json.Marshal(doc)
	require.NoError(t, err)
	code, out, errOut = run(t, &fakePlan{}, "upgrade", "--preview", writeFile(t, "safe.json", string(safe)))
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "nothing that holds data is replaced or deleted")

	code, out, _ = run(t, &fakePlan{}, "plan", "diff", "--preview", sample)
	assert.Equal(t, ExitOK, code, "plan diff shows a refusal; only upgrade gates")
	assert.Contains(t, out, "Refused: a tier switch never does this to what holds data")
	assert.Contains(t, out, "scalestack-prod-cache-valkey: would be replaced (privateNetworkUuid vpc-1 -> vpc-2)", "the engine says replace; forcenew says why")
	assert.Contains(t, out, "! privateNetworkUuid: vpc-1 -> vpc-2")
}

func TestUpgradeBadInput(t *testing.T) {
	t.Parallel()
	checkBadInputs(t, []badInput{
		{"nothing to do", []string{"upgrade"}, "want --to T (with --config F, or --cloud C and --from A), or --preview alone"},
		{"no current tier", []string{"upgrade", "--cloud", "aws", "--to", "100k"}, "want --config F (the stack as it runs), or --cloud C with --from A"},
		{"bad tier", []string{"upgrade", "--cloud", "aws", "--from", "10k", "--to", "50k"}, `"50k" is not a tier (want one of 1k, 10k, 100k, 1m)`},
		{"bad from", []string{"upgrade", "--cloud", "aws", "--from", "10K", "--to", "100k"}, `did you mean "10k"?`},
		{"bad format", []string{"upgrade", "--cloud", "aws", "--from", "10k", "--to", "100k", "--format", "yaml"}, `flag --format: "yaml" is not a format (want one of text, json, markdown)`},
		{"missing preview", []string{"upgrade", "--preview", "/nonexistent/preview.json"}, "no such file or directory"},
		{"broken preview", []string{"upgrade", "--preview", writeFile(t, "broken.json", `{"steps": [{"op": "create"`)}, "the JSON ends early"},
		{"preview beside a tier", []string{"upgrade", "--preview", writeFile(t, "p.json", `{"steps": []}`), "--cloud", "aws"}, "or --preview alone"},
		{"plan diff without sides", []string{"plan", "diff", "--format", "json"}, "scalestack plan diff: want exactly one of --from-tier with --to-tier"},
		{"plan diff half a tier pair", []string{"plan", "diff", "--cloud", "aws", "--from-tier", "1k"}, "scalestack plan diff: --from-tier and --to-tier go together"},
	})
}

func TestSimulateBadInput(t *testing.T) {
	t.Parallel()
	badTraffic := writeFile(t, "traffic.yaml", "points: [{second: 0, users: 1}, {second: 60, users: -5}]\n")
	checkBadInputs(t, []badInput{
		{"no curve", []string{"simulate", "--cloud", "aws", "--tier", "10k"}, "want exactly one of --ramp or --traffic"},
		{"two curves", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--traffic", badTraffic}, "want exactly one of --ramp or --traffic"},
		{"bad ramp", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "lots"}, `flag --ramp "lots" is not FROM->TO in DURATION`},
		{"bad duration", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in forever"}, `"forever" is not a duration`},
		{"bad traffic", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--traffic", badTraffic}, "points.1.users: -5 is not a number of users"},
		{"missing traffic", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--traffic", "/nonexistent.yaml"}, "no such file or directory"},
		{"bad format", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--format", "png"}, `flag --format: "png" is not a format (want one of text, json, svg)`},
		{"bad tier", []string{"simulate", "--cloud", "aws", "--tier", "5k", "--ramp", "1->2 in 1m"}, `"5k" is not a tier`},
		{"unknown assumption", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "a.yaml", "imagePull: 3\n")},
			"imagePull: not an assumption (want appStartSeconds, figureScrapes, hpaSyncSeconds, hpaTolerance, imagePullSeconds, karpenterBatchSeconds, kedaPollingSeconds, metricsOffsetSeconds, metricsResolutionSeconds, nodeScanSeconds, nodeProvisionSeconds)"},
		{"negative assumption", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "b.yaml", "imagePullSeconds: -3\n")},
			"imagePullSeconds: -3 is out of range (want 0 to 604800)"},
		{"unknown cloud", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "c.yaml", "nodeProvisionSeconds: {gcp: 60}\n")},
			"nodeProvisionSeconds.gcp: not a cloud (want aws, digitalocean, karpenter, local)"},
		{"not a number", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "d.yaml", "hpaSyncSeconds: soon\n")},
			`hpaSyncSeconds: "soon" is not a number`},
		{"sync of 0", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "e.yaml", "hpaSyncSeconds: 0\n")},
			"hpaSyncSeconds and nodeScanSeconds must be 1 or more"},
		{"stray field", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", writeFile(t, "f.yaml", "appStartSeconds: {value: 3, why: logs}\n")},
			"appStartSeconds.why: not a field (want value, source)"},
		{"missing assumptions", []string{"simulate", "--cloud", "aws", "--tier", "10k", "--ramp", "1->2 in 1m", "--assumptions", "/nonexistent.yaml"}, "no such file or directory"},
	})
}

// badInput is a command line that must exit 2 with this message, before the program runs.
type badInput struct {
	name string
	args []string
	want string
}

func checkBadInputs(t *testing.T, cases []badInput) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakePlan{}
			code, out, errOut := run(t, f, tt.args...)
			assert.Equal(t, ExitUsage, code, errOut)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
			assert.Nil(t, f.raw, "the program never ran")
		})
	}
}
