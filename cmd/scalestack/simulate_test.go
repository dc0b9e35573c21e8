package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/cmd/scalestack/internal/cli"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/simulate"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// spikeOf is a tier's own spike: the previous tier's users to this tier's in 10 minutes (at
// 1K, a tenth of its users to all of them).
func spikeOf(t testing.TB, tier string) string {
	t.Helper()
	p, err := tiers.Load(tier)
	require.NoError(t, err)
	from, err := tiers.BaselineUsers(tier, p.Users/10)
	require.NoError(t, err)
	return fmt.Sprintf("%d->%d in 10m", from, p.Users)
}

// Every cloud's and tier's simulation under its own spike, against goldens in
// testdata/simulations (go test ./cmd/scalestack -update rewrites them).
func TestSimulationGoldens(t *testing.T) {
	deps := cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}
	for _, cloud := range spec.Clouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := cli.Main([]string{"simulate", "--cloud", string(cloud), "--tier", tier, "--ramp", spikeOf(t, tier)}, &stdout, &stderr, deps)
				require.Equal(t, cli.ExitOK, code, stderr.String())
				path := filepath.Join("testdata", "simulations", string(cloud)+"-"+tier+".txt")
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, stdout.Bytes(), 0o644))
					return
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "go test ./cmd/scalestack -update writes the goldens")
				assert.Equal(t, string(want), stdout.String())
			})
		}
	}
}

// TestLaunchCharts checks that the README's charts of seed 000's launch are what make chart
// draws today.
func TestLaunchCharts(t *testing.T) {
	deps := cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}
	for _, tier := range []string{"10k", "100k"} {
		var stdout, stderr bytes.Buffer
		code := cli.Main([]string{"simulate", "--cloud", "digitalocean", "--tier", tier, "--traffic", "../../stacks/examples/seed-000-launch.yaml", "--format", "svg"}, &stdout, &stderr, deps)
		require.Equal(t, cli.ExitOK, code, stderr.String())
		path := "../../docs/seed-000-" + tier + ".svg"
		want, err := os.ReadFile(path)
		require.NoError(t, err, "make chart draws it")
		// The chart's title names the traffic file as make chart passes it, from the root.
		got := strings.ReplaceAll(stdout.String(), "../../stacks/examples/", "stacks/examples/")
		assert.Equal(t, string(want), got, "%s is stale: run make chart", path)
	}
}

// Seed 000's launch on the 100K preset runs the app pool's pods short while its nodes come up; a
// launch window holding the peak's pods and nodes from the start closes the gap, and its extra
// nodes are priced.
func TestPrescaleClosesTheGap(t *testing.T) {
	deps := cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"simulate", "--cloud", "digitalocean", "--tier", "100k", "--traffic", "../../stacks/examples/seed-000-launch.yaml", "--prescale"}, &stdout, &stderr, deps)
	require.Equal(t, cli.ExitOK, code, stderr.String())
	without, with, ok := strings.Cut(stdout.String(), "With a launch window")
	require.True(t, ok, stdout.String())
	assert.Contains(t, without, "pool/app")
	assert.Contains(t, with, "nothing runs short")
	assert.Contains(t, with, "it costs $0.20 an hour for the extra nodes (app +3)", "three s-4vcpu-8gb nodes at $48 a month")

	// The window holds the peak's pods as its cron trigger would: never fewer, all along.
	stdout.Reset()
	code = cli.Main([]string{"simulate", "--cloud", "digitalocean", "--tier", "100k", "--traffic", "../../stacks/examples/seed-000-launch.yaml", "--prescale", "--format", "json"}, &stdout, &stderr, deps)
	require.Equal(t, cli.ExitOK, code, stderr.String())
	var cmp simulate.Comparison
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &cmp))
	for _, row := range cmp.With.Timeline {
		require.GreaterOrEqual(t, row.Processes["api"].Ready, 11, "at %v s", row.Second)
		require.GreaterOrEqual(t, row.Processes["websocket"].Ready, 13, "at %v s", row.Second)
	}
}

// The cost report prices each launch window: the extra nodes its hold needs, an hour as the bill
// prices them, from the hold's begin to the window's end; the same extra nodes and hourly price
// as simulate --prescale gives for the same users.
func TestCostOfLaunchWindow(t *testing.T) {
	deps := cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}
	stack := filepath.Join(t.TempDir(), "Pulumi.launch.yaml")
	require.NoError(t, os.WriteFile(stack, []byte(`config:
  scalestack:cloud: digitalocean
  scalestack:tier: 100k
  scalestack:launch:
    - {start: "2026-12-24T18:00:00Z", duration: 2h, users: 100000}
`), 0o644))
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"cost", "--config", stack, "--format", "json"}, &stdout, &stderr, deps)
	require.Equal(t, cli.ExitOK, code, stderr.String())
	var rep struct {
		Windows []struct {
			Begin, End time.Time
			Users      int
			ExtraNodes map[string]int `json:"extraNodes"`
			PerHour    string         `json:"perHour"`
			Total      string         `json:"total"`
		} `json:"launchWindows"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), stdout.String())
	require.Len(t, rep.Windows, 1)
	w := rep.Windows[0]
	assert.Equal(t, 100000, w.Users)
	assert.Equal(t, map[string]int{"app": 3}, w.ExtraNodes, "as simulate --prescale says for seed 000's peak")
	assert.Equal(t, time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC), w.End)
	assert.True(t, w.Begin.Before(time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)), "held ahead of the start")
	hours := w.End.Sub(w.Begin).Hours()
	perHour, err := strconv.ParseFloat(w.PerHour, 64)
	require.NoError(t, err)
	assert.InDelta(t, 3*48/730.0, perHour, 0.001, "three s-4vcpu-8gb nodes at $48 a month")
	total, err := strconv.ParseFloat(w.Total, 64)
	require.NoError(t, err)
	assert.InDelta(t, perHour*hours, total, 0.01)

	stdout.Reset()
	code = cli.Main([]string{"cost", "--config", stack}, &stdout, &stderr, deps)
	require.Equal(t, cli.ExitOK, code, stderr.String())
	assert.Contains(t, stdout.String(), "launch windows (scalestack:launch; not in the monthly totals):\n  2026-12-24T18:00:00Z for 100000 users: held from 2026-12-24 17:")
	assert.Contains(t, stdout.String(), "extra nodes 3 app: $0.20/h")
}

// A day of the 1M tier at one-second steps (goal: under a second).
func BenchmarkSimulate1MDay(b *testing.B) {
	raw := map[string]string{config.Key(config.KeyCloud): "digitalocean", config.Key(config.KeyTier): "1m"}
	p, err := stacks.Plan("dev", raw, nil)
	require.NoError(b, err)
	cfg, err := config.Parse(raw)
	require.NoError(b, err)
	a, err := simulate.Default()
	require.NoError(b, err)
	curve := simulate.Curve{Name: "a day", Points: []simulate.Point{{Second: 0, Users: 100000}, {Second: 6 * 3600, Users: 1000000}, {Second: 18 * 3600, Users: 1000000}, {Second: 24 * 3600, Users: 100000}}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := simulate.Run(p, cfg.Capacity, a, simulate.Options{Cloud: spec.DigitalOcean, Tier: "1m", Curve: curve}); err != nil {
			b.Fatal(err)
		}
	}
}
