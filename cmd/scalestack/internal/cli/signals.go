package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/signals"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

const signalsSynopsis = `signals --cloud C --tier T [--region R] [--config Pulumi.<stack>.yaml] [--format yaml|json|markdown] [--out DIR]`

// The files `signals --out` writes, for promtool and Grafana.
const (
	RulesFile = "rules.yaml"
	TestsFile = "rules.test.yaml"
)

// signalsNamespace is the app's namespace, which the rules select: the workloads package's
// Namespace (spec.PoolerNamespace), which the command line reads without the Kubernetes SDK.
const signalsNamespace = "scalestack"

func runSignals(args []string, stdout, stderr io.Writer, deps Deps) error {
	var sf stackFlags
	var format, out string
	fs := newFlagSet("signals", signalsSynopsis, stderr)
	sf.register(fs)
	fs.StringVar(&format, "format", "yaml", "output format: yaml (the Prometheus rules file), json (rules, dashboards, alerts and scenarios) or markdown (the alert table)")
	fs.StringVar(&out, "out", "", "a folder to write "+RulesFile+", "+TestsFile+" (promtool test rules) and dashboards/<uid>.json to, instead of printing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", format, "yaml", "json", "markdown"); err != nil {
		return err
	}
	if out != "" {
		// Before the program runs: a folder that cannot be made is bad input.
		if err := os.MkdirAll(filepath.Join(out, "dashboards"), 0o755); err != nil {
			return usageError{fmt.Errorf("scalestack signals: --out %s: %w", out, err)}
		}
	}
	set, err := signalsOfStack(sf, deps)
	if err != nil {
		return err
	}
	if out != "" {
		return writeSignals(set, out, stdout)
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(set, "", "  ")
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(b, '\n'))
		return err
	case "markdown":
		_, err := io.WriteString(stdout, set.Markdown())
		return err
	default:
		b, err := set.RulesFile()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
}

// signalsOfStack plans a stack and makes its signals as the program does: the plan weighed at
// the preset's users, the stack's SLO and capacity overrides.
func signalsOfStack(sf stackFlags, deps Deps) (signals.Set, error) {
	file, cfg, err := sf.resolve()
	if err != nil {
		return signals.Set{}, err
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return signals.Set{}, fmt.Errorf("scalestack signals: %w", err)
	}
	return setOf(p, file.Stack, cfg)
}

func setOf(p plan.Plan, stack string, cfg config.Config) (signals.Set, error) {
	baseline, err := tiers.BaselineUsers(cfg.Tier, cfg.Preset.Users)
	if err != nil {
		return signals.Set{}, err
	}
	set, _, err := signals.ForPlan(p, cfg.Capacity, signals.Options{
		Cloud: cfg.Cloud, Tier: cfg.Tier, Next: tiers.Next(cfg.Tier), SLOMilliseconds: cfg.SLOMilliseconds, Namespace: signalsNamespace,
		Installed: cfg.Preset.Workloads.Addons.Installed, Stack: stack,
	}, cfg.Preset.Users, baseline)
	if err != nil {
		return signals.Set{}, fmt.Errorf("scalestack signals: %w", err)
	}
	return set, nil
}

// writeSignals writes the rules, their promtool tests and the dashboards to dir.
func writeSignals(set signals.Set, dir string, stdout io.Writer) error {
	rules, err := set.RulesFile()
	if err != nil {
		return err
	}
	tests, err := set.TestFile(RulesFile)
	if err != nil {
		return err
	}
	files := map[string][]byte{RulesFile: rules, TestsFile: tests}
	for _, d := range set.Dashboards {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		files[filepath.Join("dashboards", d.UID+".json")] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "wrote %s, %s (promtool test rules %s) and %d dashboards to %s\n", RulesFile, TestsFile, TestsFile, len(set.Dashboards), dir)
	return err
}
