package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/cmd/scalestack/internal/cli"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// Every tier switch of the two clouds, each tier to each other (12 a cloud): its runbook and its
// plan diff, as `scalestack upgrade` and `scalestack plan diff` print them in markdown, against
// goldens in testdata/switches (go test ./cmd/scalestack -update rewrites them). None is
// refused: no preset switch replaces or deletes what holds data.
func TestTierSwitchGoldens(t *testing.T) {
	deps := cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}
	run := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		code := cli.Main(args, &stdout, &stderr, deps)
		require.Equal(t, cli.ExitOK, code, "scalestack %v: %s", args, stderr.String())
		return stdout.String()
	}
	n := 0
	for _, cloud := range []string{"digitalocean", "aws"} {
		for _, from := range tiers.Names {
			for _, to := range tiers.Names {
				if from == to {
					continue
				}
				n++
				t.Run(cloud+"-"+from+"-to-"+to, func(t *testing.T) {
					got := run("upgrade", "--cloud", cloud, "--from", from, "--to", to, "--format", "markdown") + "\n" +
						run("plan", "diff", "--cloud", cloud, "--from-tier", from, "--to-tier", to, "--format", "markdown")
					path := filepath.Join("testdata", "switches", cloud+"-"+from+"-to-"+to+".md")
					if *update {
						require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
						require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
						return
					}
					want, err := os.ReadFile(path)
					require.NoError(t, err, "go test ./cmd/scalestack -update writes the goldens")
					assert.Equal(t, string(want), got)
				})
			}
		}
	}
	assert.Equal(t, 24, n)
}
