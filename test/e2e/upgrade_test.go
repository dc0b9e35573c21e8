//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/upgrade"
	"github.com/scalestack/scalestack/workloads"
)

// refusedExit is scalestack upgrade's documented exit code for a refused change: the contract
// the pull-request workflow reads, checked here as a user's CI would.
const refusedExit = 6

// shortExit is scalestack capacity's documented exit code for a part that cannot carry the users.
const shortExit = 5

// switchStack is TestTierSwitchRunbook's stack, apart from the others; it too puts the app in the
// namespace scalestack, so the tests run one after the other, each destroyed at its end.
const switchStack = "e2e-switch"

// The workers read four settings only (scalestack:app's reads): the read replicas' URLs, which
// a switch between 10K and 100K moves, are not among them.
const workerReads = `{"worker":{"reads":["DATABASE_URL","CACHE_URL","CACHE_PASSWORD","QUEUE"]}}`

// A protected local stack goes 10K -> 100K -> 10K by the runbooks of `scalestack upgrade`, each
// command run as written (the pulumi commands through the Automation API where they run the
// program, the real CLI where they do not; scalestack as built). Up, the switch rolls exactly
// the Deployments the plan diff says roll (pods and ReplicaSets compared by uid before and
// after), and not the workers. Down, the naive preview fails with the engine's own refusal to
// delete the protected replica, and the runbook's way through succeeds. Then, protection off, a
// real preview that replaces a stateful resource (made so by a transform) is refused by upgrade
// --preview with exit 6; the same stack's preview without it passes.
func TestTierSwitchRunbook(t *testing.T) {
	ctx := context.Background()
	cfg := cluster.LocalConfig("10k")
	cfg["scalestack:protect"] = "true"
	cfg["scalestack:app"] = workerReads
	stack, err := engine.Stack(ctx, switchStack, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		// Whatever happened, leave nothing: unprotect everything, then destroy.
		_, err := engine.CLI(ctx, "state", "unprotect", "--stack", switchStack, "--all", "--yes")
		assert.NoError(t, err)
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(logFile(t, "switch-destroy")))
		assert.NoError(t, err, "destroy")
		assert.NoError(t, engine.Workspace.RemoveStack(ctx, switchStack))
	})
	start := time.Now()
	_, err = stack.Up(ctx, optup.ProgressStreams(logFile(t, "switch-up-10k")))
	require.NoError(t, err, "pulumi up of the protected 10k stack")
	t.Logf("up 10k: %s", time.Since(start).Round(time.Second))

	if !t.Run("up to 100k rolls only what the plan diff says", func(t *testing.T) {
		rb := runbook(t, "100k")
		require.False(t, rb.Refused)
		rolled := map[string]bool{}
		for _, r := range rb.Diff.Rolls {
			rolled[r.Workload] = true
		}
		require.True(t, rolled[workloads.Namespace+"/api"], "the API's pods change size")
		require.False(t, rolled[workloads.Namespace+"/worker"], "the workers read nothing the switch moves")
		before := identities(t)
		follow(t, stack, rb)
		// The rollout the engine waited for is done when the new pods are Ready; the old
		// ReplicaSet's last pods are marked for deletion a moment later.
		var after map[string]identity
		deadline := time.Now().Add(90 * time.Second)
		for {
			after = identities(t)
			left := false
			for name, was := range before {
				if rolled[workloads.Namespace+"/"+name] && len(intersect(was.pods, after[name].pods)) > 0 {
					left = true
				}
			}
			if !left || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Second)
		}
		for name, was := range before {
			now := after[name]
			if rolled[workloads.Namespace+"/"+name] {
				assert.NotEqual(t, was.replicaSets, now.replicaSets, "%s rolls: a new ReplicaSet", name)
				assert.Empty(t, intersect(was.pods, now.pods), "%s rolls: none of its old pods is left", name)
				continue
			}
			assert.Equal(t, was, now, "%s does not roll: the same ReplicaSet and pods", name)
		}
		_, ok := liveObject(t, "statefulset", "scalestack-postgres", "postgres-replica")
		assert.True(t, ok, "the 100k tier's read replicas")
	}) {
		t.FailNow()
	}

	down := runbook(t, "10k")
	t.Run("the naive downgrade fails with the engine's refusal", func(t *testing.T) {
		require.NoError(t, stack.SetConfig(ctx, "scalestack:tier", auto.ConfigValue{Value: "10k"}))
		_, err := stack.Preview(ctx, optpreview.ProgressStreams(logFile(t, "switch-naive-preview")))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "protect", "the engine names the protection")
		assert.Contains(t, err.Error(), "scalestack-"+switchStack+"-db-replica")
		require.NoError(t, stack.SetConfig(ctx, "scalestack:tier", auto.ConfigValue{Value: "100k"}), "back as it runs")
	})
	t.Run("the runbook's downgrade succeeds", func(t *testing.T) {
		require.False(t, down.Refused)
		follow(t, stack, down)
		_, ok := liveObject(t, "statefulset", "scalestack-postgres", "postgres-replica")
		assert.False(t, ok, "the 10k tier has no read replicas")
		_, ok = liveObject(t, "statefulset", "scalestack-postgres", "postgres")
		assert.True(t, ok, "the primary stays")
	})

	t.Run("upgrade --preview refuses a real preview that replaces a stateful resource", func(t *testing.T) {
		// A protected stack's preview already fails on it (the engine will not replace a
		// protected resource); the gate holds where protection is off, as on this stack now.
		require.NoError(t, stack.SetConfig(ctx, "scalestack:protect", auto.ConfigValue{Value: "false"}))
		_, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "switch-unprotected")))
		require.NoError(t, err, "pulumi up with scalestack:protect false")
		engine.Workspace.SetProgram(renamedCache)
		defer engine.Workspace.SetProgram(stacks.Program)
		code, out := gate(t)
		assert.Equal(t, refusedExit, code, out)
		assert.Contains(t, out, "StatefulSet scalestack-"+switchStack+"-cache-valkey: would be replaced")

		engine.Workspace.SetProgram(stacks.Program)
		code, out = gate(t)
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "nothing that holds data is replaced or deleted")
	})
}

// renamedCache is the program with the local cache's StatefulSet renamed: the Kubernetes
// provider replaces an object whose name changes.
func renamedCache(ctx *pulumi.Context) error {
	err := ctx.RegisterResourceTransform(func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		meta, ok := a.Props["metadata"].(pulumi.Map)
		if a.Type != types.K8sStatefulSet || a.Name != "scalestack-"+switchStack+"-cache-valkey" || !ok {
			return nil
		}
		meta["name"] = pulumi.String("valkey-renamed")
		return &pulumi.ResourceTransformResult{Props: a.Props, Opts: a.Opts}
	})
	if err != nil {
		return err
	}
	return stacks.Program(ctx)
}

// liveObject reads an object from the API server, and whether there is one.
func liveObject(t *testing.T, kind, namespace, name string) (map[string]any, bool) {
	t.Helper()
	out, err := cluster.Kubectl(context.Background(), "get", kind, "-n", namespace, name, "--ignore-not-found", "-o", "json")
	require.NoError(t, err)
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, false
	}
	var obj map[string]any
	require.NoError(t, json.Unmarshal(out, &obj))
	return obj, true
}

// gate runs the real preview --json and scalestack upgrade --preview on it.
func gate(t *testing.T) (int, string) {
	t.Helper()
	out, err := engine.PreviewJSON(context.Background(), switchStack)
	require.NoError(t, err, "pulumi preview --json")
	path := filepath.Join(workDir, "switch-preview.json")
	require.NoError(t, os.WriteFile(path, out, 0o644))
	cmd := exec.Command(scalestackBin, "upgrade", "--preview", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String() + stderr.String()
}

// runbook is `scalestack upgrade --to tier --config` of the stack's own file, as it runs now.
func runbook(t *testing.T, tier string) upgrade.Runbook {
	t.Helper()
	out, code := scalestack(t, "upgrade", "--to", tier, "--config", "Pulumi."+switchStack+".yaml", "--format", "json")
	require.Equal(t, 0, code, out)
	var rb upgrade.Runbook
	require.NoError(t, json.Unmarshal([]byte(out), &rb), out)
	for i, s := range rb.Steps {
		t.Logf("step %d: %s: %v", i+1, s.Title, s.Commands)
	}
	return rb
}

// scalestack runs the built command line in the workspace's folder, where the stack file is.
func scalestack(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(scalestackBin, args...)
	cmd.Dir = engine.Workspace.WorkDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return stdout.String() + stderr.String(), exit.ExitCode()
	}
	require.NoError(t, err)
	return stdout.String(), 0
}

// follow runs every command of a runbook, in order, as written.
func follow(t *testing.T, stack auto.Stack, rb upgrade.Runbook) {
	t.Helper()
	ctx := context.Background()
	for i, step := range rb.Steps {
		for _, line := range step.Commands {
			words, err := shellWords(line)
			require.NoError(t, err, line)
			where := fmt.Sprintf("step %d (%s): %s", i+1, step.Title, line)
			switch {
			case words[0] == "scalestack":
				out, code := scalestack(t, words[1:]...)
				if words[1] == "capacity" && code == shortExit {
					// The report is the check: the local cluster's small nodes and the
					// add-ons switched off leave parts short of the tier's users, which it says.
					t.Logf("%s: %s", where, firstLine(out))
					continue
				}
				require.Equal(t, 0, code, "%s: %s", where, out)
			case len(words) > 2 && words[0] == "pulumi" && words[1] == "config" && words[2] == "set":
				args, stackFlag := flagValue(words[3:], "--stack")
				require.Equal(t, switchStack, stackFlag, where)
				path := slices.Contains(args, "--path")
				args = slices.DeleteFunc(args, func(s string) bool { return s == "--path" })
				require.Len(t, args, 2, where)
				require.NoError(t, stack.SetConfigWithOptions(ctx, args[0], auto.ConfigValue{Value: args[1]}, &auto.ConfigOptions{Path: path}), where)
			case len(words) > 2 && words[0] == "pulumi" && words[1] == "state":
				// No program: the real CLI, as typed.
				_, err := engine.CLI(ctx, words[1:]...)
				require.NoError(t, err, where)
			case len(words) > 1 && words[0] == "pulumi" && words[1] == "preview":
				rest, stackFlag := flagValue(words[2:], "--stack")
				require.Equal(t, switchStack, stackFlag, where)
				switch {
				case slices.Equal(rest, []string{"--json", ">", "preview.json"}):
					out, err := engine.PreviewJSON(ctx, switchStack)
					require.NoError(t, err, where)
					require.NoError(t, os.WriteFile(filepath.Join(engine.Workspace.WorkDir(), "preview.json"), out, 0o644))
				case slices.Equal(rest, []string{"--expect-no-changes"}):
					_, err := stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(logFile(t, "switch-check")))
					require.NoError(t, err, where)
				default:
					require.Failf(t, "a preview the test does not know", where)
				}
			case len(words) > 1 && words[0] == "pulumi" && words[1] == "up":
				rest, stackFlag := flagValue(words[2:], "--stack")
				require.Equal(t, switchStack, stackFlag, where)
				var targets []string
				for len(rest) > 0 {
					switch rest[0] {
					case "--yes":
						rest = rest[1:]
					case "--target":
						require.Greater(t, len(rest), 1, where)
						targets, rest = append(targets, rest[1]), rest[2:]
					default:
						require.Failf(t, "a flag of pulumi up the test does not know", "%s: %s", where, rest[0])
					}
				}
				opts := []optup.Option{optup.ProgressStreams(logFile(t, fmt.Sprintf("switch-%s-step-%d", rb.To, i+1)))}
				if len(targets) > 0 {
					opts = append(opts, optup.Target(targets))
				}
				_, err := stack.Up(ctx, opts...)
				require.NoError(t, err, where)
			default:
				require.Failf(t, "a command the test does not know", where)
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// flagValue takes a flag and its value out of a command's words.
func flagValue(words []string, flag string) ([]string, string) {
	i := slices.Index(words, flag)
	if i < 0 || i+1 >= len(words) {
		return words, ""
	}
	return slices.Concat(words[:i], words[i+2:]), words[i+1]
}

// shellWords splits a command as sh does for the runbooks' commands: words apart by spaces,
// single quotes around a word with $ in it, and > as a word of its own.
func shellWords(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("an unclosed quote in %q", line)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

// identity is a Deployment's running pods and ReplicaSets, by uid.
type identity struct{ replicaSets, pods []string }

// identities are the app's Deployments' identities, by Deployment name.
func identities(t *testing.T) map[string]identity {
	t.Helper()
	out := map[string]identity{}
	for _, kind := range []string{"replicasets", "pods"} {
		b, err := cluster.Kubectl(context.Background(), "get", kind, "-n", workloads.Namespace, "-l", spec.ProcessLabel,
			"-o", `jsonpath={range .items[*]}{.metadata.labels.scalestack\.dev/process}={.metadata.uid}={.status.replicas}={.metadata.deletionTimestamp}{"\n"}{end}`)
		require.NoError(t, err)
		for _, line := range strings.Fields(string(b)) {
			parts := strings.SplitN(line, "=", 4)
			id := out[parts[0]]
			if kind == "pods" {
				if parts[3] != "" {
					// An old pod on its way out: draining through its preStop and grace period.
					continue
				}
				id.pods = append(id.pods, parts[1])
			} else if parts[2] != "0" {
				// The ReplicaSets that run pods: an old one scaled to nothing stays behind.
				id.replicaSets = append(id.replicaSets, parts[1])
			}
			out[parts[0]] = id
		}
	}
	for k, id := range out {
		slices.Sort(id.pods)
		slices.Sort(id.replicaSets)
		out[k] = id
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
