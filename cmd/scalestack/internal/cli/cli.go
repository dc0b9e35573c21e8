// Package cli is the scalestack command line. It holds no cloud SDK: the program that builds
// the plan is passed in by cmd/scalestack, so the command line's tests build in seconds.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// Exit codes: 0 success, 1 a failure while running, 2 bad input (flags, config, files), 3 a cost
// above the budget (ExitOverBudget), 4 a mandatory policy broken (ExitPolicy), 5 a part that
// cannot carry the users (ExitShort), 6 a change that replaces or deletes a stateful resource
// (ExitRefused).
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitShort is `scalestack capacity`'s when a part cannot carry the users.
	ExitShort = 5
)

// Planner runs the program offline and returns its plan.
type Planner func(stack string, raw map[string]string, secretKeys []string) (plan.Plan, error)

// Deps are what the command line needs from the program.
type Deps struct {
	Plan Planner
	// Project is the Pulumi project's name, for the URNs the runbooks print.
	Project string
}

// usageError is bad input: it exits 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

const help = `scalestack: the platform for a launch, planned and priced before it is built.

Usage:
  scalestack plan --cloud C --tier T [--region R] [--config Pulumi.<stack>.yaml] [--format text|json|mermaid|dot]
  scalestack cost --cloud C --tier T [--region R] [--config F] [--format text|json|markdown] [--usage F] [--budget N]
  scalestack cost diff --cloud C --from-tier A --to-tier B [--config F] [flags of cost]
  scalestack cost diff --base-config F1 --head-config F2 [--stack NAME] [flags of cost]
  scalestack cost diff --preview preview.json [flags of cost]
  scalestack cost tiers [--format text|markdown|json]
  scalestack check --cloud C --tier T [--region R] [--config F] [--format text|json]
  scalestack capacity --cloud C --tier T [--users N] [--config F] [--model F] [--format text|json|markdown]
  scalestack capacity --cloud C --users N [--config F] [--model F] [--format text|json|markdown]
  scalestack capacity tiers [--format text|markdown|json]
  scalestack signals --cloud C --tier T [--config F] [--format yaml|json|markdown] [--out DIR]
  scalestack plan diff --cloud C --from-tier A --to-tier B [--config F] [--format text|json|markdown]
  scalestack plan diff --base-config F1 --head-config F2 [--stack NAME] | --preview preview.json
  scalestack upgrade --to T (--config Pulumi.<stack>.yaml | --cloud C --from A) [--preview preview.json] [--format text|json|markdown]
  scalestack upgrade --preview preview.json
  scalestack simulate --cloud C --tier T (--ramp "FROM->TO in DURATION" | --traffic FILE) [--config F] [--assumptions F] [--prescale] [--format text|json|svg]
  scalestack rightsize --kubeconfig F (--cloud C --tier T | --config F) [--format text|json]

Commands:
  plan        run the Pulumi program offline under mocks and print every resource it would create,
              then a summary per component (size, cost, guardrails); mermaid and dot draw the platform
  cost        the monthly cost of a stack: baseline (pools at their minimum) and ceiling
  cost diff   what a change adds or saves a month: between tiers, stack files, or a pulumi preview
  cost tiers  every cloud and tier priced, beside the seed case's band for the tier
  check       run the guardrail policies on the offline plan
  capacity    what every part carries at the tier's minimums and maximums against N users, the
              first bottleneck, and (without --tier) the smallest tier that carries N users
  signals     the stack's alerting rules (from its capacity), their promtool tests and its
              Grafana dashboards: what the program deploys where monitoring is on
  plan diff   every input a change moves, each as the engine carries it out (in place, created
              beside, replaced, removed), the pods it rolls and why, the connections it drops
  upgrade     the ordered runbook of a tier switch: the exact commands, what each step disrupts,
              the cost and capacity before and after; refuses (exit 6) a switch or a preview that
              replaces or deletes a database, cache or cluster
  simulate    the stack under a curve of users, second by second, as its autoscalers and node
              autoscaler would scale it: what runs short, when, for how long, and what to hold
  rightsize   the Vertical Pod Autoscaler's recommendations in a cluster against the requests the
              stack sets, and the overrides that would follow them (read-only)

Exit codes: 0 ok, 1 failed, 2 bad input, 3 the monthly ceiling is above --budget,
4 a mandatory policy is broken, 5 a part cannot carry the users (capacity),
6 the change replaces or deletes a stateful resource (upgrade).

Run 'scalestack <command> --help' for a command's flags.
`

// commands are the commands Main knows, for "did you mean" in its error.
var commands = []string{"plan", "cost", "check", "capacity", "signals", "upgrade", "simulate", "rightsize", "help"}

// Main runs the command line and returns its exit code.
func Main(args []string, stdout, stderr io.Writer, deps Deps) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, help)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, help)
		return ExitOK
	case "plan":
		err = runPlan(args[1:], stdout, stderr, deps)
	case "cost":
		err = runCost(args[1:], stdout, stderr, deps)
	case "check":
		err = runCheck(args[1:], stdout, stderr, deps)
	case "capacity":
		err = runCapacity(args[1:], stdout, stderr, deps)
	case "signals":
		err = runSignals(args[1:], stdout, stderr, deps)
	case "upgrade":
		err = runUpgrade(args[1:], stdout, stderr, deps)
	case "simulate":
		err = runSimulate(args[1:], stdout, stderr, deps)
	case "rightsize":
		err = runRightsize(args[1:], stdout, stderr, deps)
	default:
		err = usagef("scalestack: %q is not a command (want plan, cost, check, capacity, signals, upgrade, simulate or rightsize; see scalestack help)%s", args[0], config.DidYouMean(args[0], commands))
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, new(overBudget)):
		fmt.Fprintln(stderr, err)
		return ExitOverBudget
	case errors.As(err, new(short)):
		fmt.Fprintln(stderr, err)
		return ExitShort
	case errors.As(err, new(refused)):
		fmt.Fprintln(stderr, err)
		return ExitRefused
	case errors.As(err, new(policyFailed)):
		fmt.Fprintln(stderr, err)
		return ExitPolicy
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, err)
		return ExitUsage
	default:
		fmt.Fprintln(stderr, err)
		return ExitError
	}
}

// OfflineKubeconfig stands in for a local stack's kubeconfig in offline commands.
const OfflineKubeconfig = "(offline plan: no cluster is contacted)"

// stackFlags are the flags that choose a stack: shared by every command that reads one.
type stackFlags struct {
	cloud, tier, region, configPath string
}

func (s *stackFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.cloud, "cloud", "", "cloud: "+spec.CloudList()+" (overrides scalestack:cloud in --config)")
	fs.StringVar(&s.tier, "tier", "", "tier: "+tiers.List()+" (overrides scalestack:tier in --config)")
	fs.StringVar(&s.region, "region", "", "the cloud's region, for example fra1 or eu-central-1 (overrides scalestack:region in --config)")
	fs.StringVar(&s.configPath, "config", "", "a Pulumi stack file (Pulumi.<stack>.yaml) whose config to use")
}

// resolve reads the stack file, applies the flags and parses the result.
func (s *stackFlags) resolve() (config.StackFile, config.Config, error) {
	sf := config.StackFile{Stack: "dev", Raw: map[string]string{}}
	if s.configPath != "" {
		var err error
		if sf, err = config.ReadStackFile(s.configPath); err != nil {
			return sf, config.Config{}, usageError{err}
		}
	}
	if s.cloud != "" {
		sf.Raw[config.Key(config.KeyCloud)] = s.cloud
	}
	if s.tier != "" {
		sf.Raw[config.Key(config.KeyTier)] = s.tier
	}
	if s.region != "" {
		sf.Raw[config.Key(config.KeyRegion)] = s.region
	}
	// The commands here plan offline and contact no cluster, so a local stack needs no
	// kubeconfig; the plan shows this placeholder where `pulumi up` uses the real one.
	if sf.Raw[config.Key(config.KeyCloud)] == string(spec.Local) && sf.Raw[config.Key(config.KeyKubeconfig)] == "" {
		sf.Raw[config.Key(config.KeyKubeconfig)] = OfflineKubeconfig
	}
	cfg, err := config.Parse(sf.Raw)
	if err != nil {
		return sf, cfg, usageError{err}
	}
	if err := config.CheckSecrets(sf.Raw, func(key string) bool { return slices.Contains(sf.Secrets, key) }); err != nil {
		return sf, cfg, usageError{fmt.Errorf("%s: %w", s.configPath, err)}
	}
	return sf, cfg, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("scalestack "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: scalestack %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags and refuses stray arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if s := config.Suggest(strings.TrimPrefix(name, "-"), names); s != "" {
				return usageError{fmt.Errorf("%s: %w; did you mean --%s?", fs.Name(), err, s)}
			}
		}
		return usageError{fmt.Errorf("%s: %w", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (flags only)", fs.Name(), fs.Arg(0))
	}
	return nil
}

func checkFormat(flagName, value string, allowed ...string) error {
	if !slices.Contains(allowed, value) {
		return usagef("scalestack: flag --%s: %q is not a format (want one of %s)", flagName, value, strings.Join(allowed, ", "))
	}
	return nil
}

// stackCommand parses the flags of a command that reads one stack and prints text or JSON.
func stackCommand(name, synopsis string, args []string, stderr io.Writer) (config.StackFile, config.Config, string, error) {
	fs := newFlagSet(name, synopsis, stderr)
	var sf stackFlags
	sf.register(fs)
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return config.StackFile{}, config.Config{}, "", err
	}
	if err := checkFormat("format", *format, "text", "json"); err != nil {
		return config.StackFile{}, config.Config{}, "", err
	}
	file, cfg, err := sf.resolve()
	return file, cfg, *format, err
}
