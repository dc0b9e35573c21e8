package main

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/cmd/scalestack/internal/cli"
	"github.com/scalestack/scalestack/stacks"
)

// readmeCommand is one command line of a sh block in the README.
type readmeCommand struct {
	line int
	args []string
	// exit is the exit code the README documents in the line's comment ("# exit 3: why"), or 0.
	exit int
}

var documentedExit = regexp.MustCompile(`#\s*exit (\d):`)

// offlineCommands lists every `scalestack ...` and `go run ./cmd/scalestack ...` command of the
// README's sh blocks. Commands of other tools (pulumi, make, kubectl) need an account, the engine
// or a cluster and are not run here; a scalestack command that reads a real preview does too.
func offlineCommands(t *testing.T, readme string) []readmeCommand {
	t.Helper()
	f, err := os.Open(readme)
	require.NoError(t, err)
	defer f.Close()
	var out []readmeCommand
	inSh := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```sh"):
			inSh = true
			continue
		case strings.HasPrefix(line, "```"):
			inSh = false
			continue
		case !inSh:
			continue
		}
		cmd, comment, _ := strings.Cut(line, "#")
		fields := strings.Fields(cmd)
		switch {
		case len(fields) > 3 && fields[0] == "go" && fields[1] == "run" && fields[2] == "./cmd/scalestack":
			fields = fields[3:]
		case len(fields) > 1 && fields[0] == "scalestack":
			fields = fields[1:]
		default:
			continue
		}
		if strings.ContainsAny(cmd, "|&><$\"'") {
			t.Errorf("README.md:%d: %q: a scalestack command the test cannot run as written (no pipes, redirects or quotes)", n, line)
			continue
		}
		c := readmeCommand{line: n, args: fields}
		if m := documentedExit.FindStringSubmatch("#" + comment); m != nil {
			c.exit, _ = strconv.Atoi(m[1])
		}
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestReadmeCommands runs every offline scalestack command of the README as written, from the
// repository root, and checks the exit code it documents.
func TestReadmeCommands(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	cmds := offlineCommands(t, filepath.Join(root, "README.md"))
	require.GreaterOrEqual(t, len(cmds), 5, "the README's scalestack commands")
	t.Chdir(root)
	for _, c := range cmds {
		t.Run(strconv.Itoa(c.line)+"_"+strings.Join(c.args, "_"), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(c.args, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName})
			assert.Equal(t, c.exit, code, "README.md:%d: scalestack %s\n%s", c.line, strings.Join(c.args, " "), stderr.String())
			assert.NotEmpty(t, stdout.String(), "README.md:%d prints nothing", c.line)
		})
	}
}

var update = flag.Bool("update", false, "rewrite the README's diagrams and the tier switches' goldens from the plans")

// TestReadmeDiagrams checks that the README's platform diagrams are what `scalestack plan
// --format mermaid` draws from today's plans; -update (make diagrams) rewrites them.
func TestReadmeDiagrams(t *testing.T) {
	path, err := filepath.Abs("../../README.md")
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	for _, cloud := range []string{"digitalocean", "aws"} {
		var stdout, stderr bytes.Buffer
		code := cli.Main([]string{"plan", "--cloud", cloud, "--tier", "100k", "--format", "mermaid"}, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName})
		require.Equal(t, 0, code, stderr.String())
		begin, end := "<!-- diagram "+cloud+" 100k: make diagrams -->\n", "<!-- end of diagram "+cloud+" -->"
		i, j := strings.Index(readme, begin), strings.Index(readme, end)
		require.True(t, i >= 0 && j > i, "README.md has no %q ... %q section", strings.TrimSpace(begin), end)
		want := begin + "```mermaid\n" + stdout.String() + "```\n"
		if *update {
			readme = readme[:i] + want + readme[j:]
			continue
		}
		assert.Equal(t, want, readme[i:j], "README.md's %s diagram is not the plan's: run make diagrams", cloud)
	}
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(readme), 0o644))
	}
}

// TestReadmeCostTable checks that the README's table of every cloud and tier is what `scalestack
// cost tiers` (make cost) prints today.
func TestReadmeCostTable(t *testing.T) {
	path, err := filepath.Abs("../../README.md")
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"cost", "tiers"}, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName})
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, string(b), stdout.String(), "README.md's cost table is not what make cost prints: paste its output")
}

// TestReadmeCapacityTable checks that the README's capacity table is what `scalestack capacity
// tiers` prints today.
func TestReadmeCapacityTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"capacity", "tiers"}, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName})
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, string(b), stdout.String(), "README.md's capacity table is not what scalestack capacity tiers prints: paste its output")
}

// TestCapacityChart checks that docs/capacity-tiers.svg is what make chart draws today.
func TestCapacityChart(t *testing.T) {
	want, err := os.ReadFile("../../docs/capacity-tiers.svg")
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"capacity", "tiers", "--format", "svg"}, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName})
	require.Equal(t, 0, code, stderr.String())
	assert.Equal(t, string(want), stdout.String(), "docs/capacity-tiers.svg is stale: run make chart")
}

// BenchmarkEveryPreset is what a CI job asks of every preset in one process: the plan, the
// bill, the guardrails and the capacity report (with its cost floor) of the 8 presets.
func BenchmarkEveryPreset(b *testing.B) {
	for b.Loop() {
		for _, args := range [][]string{{"capacity", "tiers", "--format", "json"}, {"cost", "tiers", "--format", "json"}} {
			var stdout, stderr bytes.Buffer
			if code := cli.Main(args, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}); code != 0 {
				b.Fatal(stderr.String())
			}
		}
		for _, cloud := range []string{"digitalocean", "aws"} {
			for _, tier := range []string{"1k", "10k", "100k", "1m"} {
				var stdout, stderr bytes.Buffer
				if code := cli.Main([]string{"check", "--cloud", cloud, "--tier", tier, "--format", "json"}, &stdout, &stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}); code != 0 {
					b.Fatal(stderr.String())
				}
			}
		}
	}
}
