package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/upgrade"
)

// ExitRefused is `scalestack upgrade`'s when the switch, or the preview it checks, replaces or
// deletes a stateful resource.
const ExitRefused = upgrade.RefusedExit

// refused is a switch no runbook makes safe.
type refused struct{ lines []string }

func (r refused) Error() string {
	return "scalestack upgrade: refused: " + strings.Join(r.lines, "; ")
}

// sides are the flags that choose the two sides of a change: two tiers of one stack, two stack
// files, or a real preview. cost diff and plan diff share them.
type sides struct {
	cmd                                                                             string
	cloud, fromTier, toTier, configPath, basePath, headPath, previewPath, stackName string
}

func (s *sides) register(fs *flag.FlagSet) {
	fs.StringVar(&s.cloud, "cloud", "", "cloud: "+spec.CloudList()+", with --from-tier and --to-tier (overrides scalestack:cloud in --config)")
	fs.StringVar(&s.fromTier, "from-tier", "", "the tier before: "+tiers.List())
	fs.StringVar(&s.toTier, "to-tier", "", "the tier after: "+tiers.List())
	fs.StringVar(&s.configPath, "config", "", "a Pulumi stack file, with --from-tier and --to-tier")
	fs.StringVar(&s.basePath, "base-config", "", "the stack file before the change")
	fs.StringVar(&s.headPath, "head-config", "", "the stack file after the change")
	fs.StringVar(&s.previewPath, "preview", "", "the output of pulumi preview --json ('-' for standard input)")
	fs.StringVar(&s.stackName, "stack", "", "with --base-config and --head-config: the stack name both sides are planned under, so that resources keep their names (default: the head file's stack)")
}

// check wants exactly one way of choosing the sides.
func (s *sides) check() error {
	modes := 0
	for _, set := range []bool{s.fromTier != "" || s.toTier != "", s.basePath != "" || s.headPath != "", s.previewPath != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return usagef("scalestack %s: want exactly one of --from-tier with --to-tier, --base-config with --head-config, or --preview", s.cmd)
	}
	if s.previewPath != "" && (s.cloud != "" || s.configPath != "" || s.stackName != "") {
		return usagef("scalestack %s: --preview goes alone (the preview names its stack and configuration), without --cloud, --config or --stack", s.cmd)
	}
	return nil
}

// resolve reads the two sides of a tier or file change, and names the change.
func (s *sides) resolve() ([2]config.StackFile, [2]config.Config, string, error) {
	var files [2]config.StackFile
	var cfgs [2]config.Config
	base := stackFlags{cloud: s.cloud, tier: s.fromTier, configPath: s.configPath}
	head := stackFlags{cloud: s.cloud, tier: s.toTier, configPath: s.configPath}
	title := s.fromTier + " to " + s.toTier
	if s.basePath != "" || s.headPath != "" {
		if s.basePath == "" || s.headPath == "" || s.cloud != "" || s.configPath != "" {
			return files, cfgs, "", usagef("scalestack %s: --base-config and --head-config go together, without --cloud or --config", s.cmd)
		}
		base, head = stackFlags{configPath: s.basePath}, stackFlags{configPath: s.headPath}
		title = s.basePath + " to " + s.headPath
	} else if s.fromTier == "" || s.toTier == "" {
		return files, cfgs, "", usagef("scalestack %s: --from-tier and --to-tier go together", s.cmd)
	}
	if s.stackName != "" && s.basePath == "" {
		return files, cfgs, "", usagef("scalestack %s: flag --stack goes with --base-config and --head-config", s.cmd)
	}
	for i, side := range []stackFlags{base, head} {
		var err error
		if files[i], cfgs[i], err = side.resolve(); err != nil {
			return files, cfgs, "", err
		}
	}
	if s.basePath != "" {
		// Resource names derive from the stack name: plan both files under one name, or
		// two files of different names would look like a full rebuild.
		name := s.stackName
		if name == "" {
			name = files[1].Stack
		}
		files[0].Stack, files[1].Stack = name, name
	}
	return files, cfgs, title, nil
}

// readPreview reads a `pulumi preview --json` file ('-': standard input); a bad one is bad
// input.
func readPreview(path string) (cost.Preview, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return cost.Preview{}, usageError{err}
		}
		defer f.Close()
		r = f
	}
	pv, err := cost.ReadPreview(r)
	if err != nil {
		return cost.Preview{}, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	return pv, nil
}

// previewDiff is the diff of a real preview: the engine's own replacements and URNs.
func previewChanges(pv cost.Preview) (upgrade.Diff, error) {
	replaced := map[string]bool{}
	for ref := range pv.Replaced {
		replaced[plan.Resource{Type: ref.Type, Name: ref.Name}.Key()] = true
	}
	return upgrade.Compare(plan.Plan{Resources: pv.Base}, plan.Plan{Resources: pv.Head}, upgrade.Options{Stack: pv.Stack, Replaced: replaced, URNs: pv.URNs, Discarded: pv.Discarded})
}

// replacedRefs are the resources a change replaces, as the cost diff names them.
func replacedRefs(d upgrade.Diff) map[cost.Ref]bool {
	out := map[cost.Ref]bool{}
	for _, c := range d.Changes {
		if c.How == upgrade.Replaced {
			out[cost.Ref{Type: c.Type, Name: c.Name}] = true
		}
	}
	return out
}

// planDiffReport is `scalestack plan diff`'s JSON.
type planDiffReport struct {
	Title string           `json:"title"`
	Diff  upgrade.Diff     `json:"diff"`
	Cost  *cost.DiffReport `json:"cost,omitempty"`
	// Before and After are what each side carries (scalestack capacity); absent for a preview,
	// whose configuration the command does not plan.
	Before *upgrade.Side `json:"before,omitempty"`
	After  *upgrade.Side `json:"after,omitempty"`
}

const planDiffSynopsis = `plan diff (--cloud C --from-tier A --to-tier B [--config F] | --base-config F1 --head-config F2 [--stack NAME] | --preview preview.json)
                  [--format text|json|markdown]`

// switchOf is a tier or file change weighed: its diff, cost and capacity on both sides.
type switchOf struct {
	diff          upgrade.Diff
	cost          *cost.DiffReport
	before, after capacity.Report
}

// compareSides plans both sides of a change and compares them: the plans, the head's as the
// engine would apply it (what the cloud keeps stays), and the diff.
func compareSides(deps Deps, files [2]config.StackFile) ([2]plan.Plan, upgrade.Diff, error) {
	var plans [2]plan.Plan
	for i := range files {
		var err error
		if plans[i], err = deps.Plan(files[i].Stack, files[i].Raw, files[i].Secrets); err != nil {
			return plans, upgrade.Diff{}, err
		}
	}
	d, err := upgrade.Compare(plans[0], plans[1], upgrade.Options{Project: deps.Project, Stack: files[1].Stack})
	if err != nil {
		return plans, upgrade.Diff{}, err
	}
	plans[1] = d.Head
	return plans, d, nil
}

// weighSwitch plans both sides and compares them.
func weighSwitch(deps Deps, files [2]config.StackFile, cfgs [2]config.Config) (switchOf, error) {
	plans, d, err := compareSides(deps, files)
	if err != nil {
		return switchOf{}, err
	}
	sw := switchOf{diff: d}
	// The cost and capacity of the head are those of the stack as the engine leaves it: what
	// the cloud keeps (DigitalOcean's HA control plane) is billed and counted.
	base, errBase := billOf(plans[0], cfgs[0], nil)
	head, errHead := billOf(plans[1], cfgs[1], nil)
	var unpriced cost.RegionError
	switch {
	case errors.As(errBase, &unpriced) || errors.As(errHead, &unpriced):
		// A region without prices: the diff stands without a cost.
	case errBase != nil:
		return switchOf{}, pricingError("scalestack", errBase)
	case errHead != nil:
		return switchOf{}, pricingError("scalestack", errHead)
	default:
		cd := cost.Diff(base, head, replacedRefs(d))
		sw.cost = &cd
	}
	if sw.before, err = weighStack(plans[0], cfgs[0], 0, nil, ""); err != nil {
		return switchOf{}, err
	}
	if sw.after, err = weighStack(plans[1], cfgs[1], 0, nil, ""); err != nil {
		return switchOf{}, err
	}
	return sw, nil
}

func runPlanDiff(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("plan diff", planDiffSynopsis, stderr)
	s := sides{cmd: "plan diff"}
	s.register(fs)
	format := fs.String("format", "text", "output format: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json", "markdown"); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	var rep planDiffReport
	if s.previewPath != "" {
		pv, err := readPreview(s.previewPath)
		if err != nil {
			return err
		}
		if rep.Diff, err = previewChanges(pv); err != nil {
			return err
		}
		rep.Title = "preview of stack " + pv.Stack
	} else {
		files, cfgs, title, err := s.resolve()
		if err != nil {
			return err
		}
		sw, err := weighSwitch(deps, files, cfgs)
		if err != nil {
			return fmt.Errorf("scalestack plan diff: %w", err)
		}
		before, after := upgrade.SideOf(cfgs[0].Tier, sw.before), upgrade.SideOf(cfgs[1].Tier, sw.after)
		rep = planDiffReport{Title: fmt.Sprintf("%s (%s, stack %s)", title, cfgs[1].Cloud, files[1].Stack), Diff: sw.diff, Cost: sw.cost, Before: &before, After: &after}
	}
	return writeReport(stdout, *format, rep, func() string { return rep.text(false) }, func() string { return rep.text(true) })
}

func (r planDiffReport) text(markdown bool) string {
	var b strings.Builder
	if markdown {
		b.WriteString(r.Diff.Markdown(r.Title))
	} else {
		b.WriteString(r.Diff.Text(r.Title))
	}
	bullet := "\n"
	if markdown {
		bullet = "\n- "
		b.WriteString("\n**Capacity and cost**\n")
	}
	if r.Before != nil {
		fmt.Fprintf(&b, "%sbefore: %s%safter: %s", bullet, r.Before, bullet, r.After)
	}
	if c := upgrade.CostLine(r.Cost); c != "" {
		fmt.Fprintf(&b, "%scost: %s", bullet, c)
	}
	b.WriteString("\n")
	return b.String()
}

const upgradeSynopsis = `upgrade --to T (--config Pulumi.<stack>.yaml | --cloud C --from A) [--preview preview.json] [--format text|json|markdown]
  scalestack upgrade --preview preview.json [--format text|json|markdown]`

func runUpgrade(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("upgrade", upgradeSynopsis, stderr)
	var to, from, cloud, configPath, previewPath string
	fs.StringVar(&to, "to", "", "the tier to switch to: "+tiers.List())
	fs.StringVar(&from, "from", "", "the tier the stack runs now (default: scalestack:tier in --config)")
	fs.StringVar(&cloud, "cloud", "", "cloud: "+spec.CloudList()+" (overrides scalestack:cloud in --config)")
	fs.StringVar(&configPath, "config", "", "the stack's Pulumi stack file, as it is before the switch")
	fs.StringVar(&previewPath, "preview", "", "a pulumi preview --json of the change to check ('-' for standard input): refused, exit 6, if it replaces or deletes a stateful resource")
	format := fs.String("format", "text", "output format: text, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json", "markdown"); err != nil {
		return err
	}
	var gate *upgrade.Gate
	if previewPath != "" {
		pv, err := readPreview(previewPath)
		if err != nil {
			return err
		}
		d, err := previewChanges(pv)
		if err != nil {
			return err
		}
		gate = &upgrade.Gate{Preview: previewPath, Counts: d.Counts, Refusals: d.Refusals, Warnings: d.Warnings}
	}
	if to == "" {
		if gate == nil || from != "" || cloud != "" || configPath != "" {
			return usagef("scalestack upgrade: want --to T (with --config F, or --cloud C and --from A), or --preview alone")
		}
		if err := writeReport(stdout, *format, gate, gate.Text, gate.Markdown); err != nil {
			return err
		}
		if len(gate.Refusals) > 0 {
			return refused{gate.Refusals}
		}
		return nil
	}
	if configPath == "" && (cloud == "" || from == "") {
		return usagef("scalestack upgrade: want --config F (the stack as it runs), or --cloud C with --from A")
	}
	base := stackFlags{cloud: cloud, tier: from, configPath: configPath}
	head := stackFlags{cloud: cloud, tier: to, configPath: configPath}
	var files [2]config.StackFile
	var cfgs [2]config.Config
	for i, side := range []stackFlags{base, head} {
		var err error
		if files[i], cfgs[i], err = side.resolve(); err != nil {
			return err
		}
	}
	sw, err := weighSwitch(deps, files, cfgs)
	if err != nil {
		return fmt.Errorf("scalestack upgrade: %w", err)
	}
	// What the cloud cannot shrink keeps its size: the head is planned again with it kept, and
	// the runbook sets the same overrides first.
	kept, err := unshrinkable(sw.diff, cfgs[1], &files[1])
	if err != nil {
		return err
	}
	if len(kept) > 0 {
		if cfgs[1], err = config.Parse(files[1].Raw); err != nil {
			return usageError{err}
		}
		if sw, err = weighSwitch(deps, files, cfgs); err != nil {
			return fmt.Errorf("scalestack upgrade: %w", err)
		}
	}
	rb := upgrade.Build(upgrade.Input{Cloud: string(cfgs[1].Cloud), Stack: files[1].Stack, Config: configPath,
		From: cfgs[0].Tier, To: cfgs[1].Tier, Diff: sw.diff, Cost: sw.cost, Before: sw.before, After: sw.after, Kept: kept})
	if gate != nil {
		rb.Preview = gate
		if len(gate.Refusals) > 0 {
			rb.Refused, rb.Steps = true, []upgrade.Step{}
		}
	}
	if err := writeReport(stdout, *format, rb, rb.Text, rb.Markdown); err != nil {
		return err
	}
	if rb.Refused {
		lines := append(append([]string{}, rb.Diff.Refusals...), gateRefusals(gate)...)
		return refused{lines}
	}
	return nil
}

func gateRefusals(g *upgrade.Gate) []string {
	if g == nil {
		return nil
	}
	return g.Refusals
}

// unshrinkable keeps the DigitalOcean database and cache a switch would shrink, which
// DigitalOcean refuses, at their size in the head's overrides. It returns the overrides as
// `pulumi config set --path` keys and values.
func unshrinkable(d upgrade.Diff, cfg config.Config, head *config.StackFile) ([][2]string, error) {
	var kept [][2]string
	shrunk := d.Shrunk()
	byKey := map[string]plan.Resource{}
	for _, r := range d.Head.Resources {
		byKey[r.Key()] = r
	}
	for _, key := range slices.Sorted(maps.Keys(shrunk)) {
		r := byKey[key]
		path := []string{"cache", "size", string(cfg.Cloud)}
		switch {
		case r.Type == types.DODatabaseReplica:
			path = []string{"database", "replicaSize", string(cfg.Cloud)}
		case r.StringAt("engine") == "pg":
			path = []string{"database", "size", string(cfg.Cloud)}
		}
		if slices.ContainsFunc(kept, func(kv [2]string) bool { return kv[0] == config.Key(config.KeyOverrides)+"."+strings.Join(path, ".") }) {
			continue // every replica has the one size
		}
		if err := setOverride(head.Raw, path, shrunk[key]); err != nil {
			return nil, err
		}
		kept = append(kept, [2]string{config.Key(config.KeyOverrides) + "." + strings.Join(path, "."), shrunk[key]})
	}
	return kept, nil
}

// setOverride sets one value in scalestack:overrides, keeping the rest.
func setOverride(raw map[string]string, path []string, value string) error {
	key := config.Key(config.KeyOverrides)
	over := map[string]any{}
	if v := strings.TrimSpace(raw[key]); v != "" {
		if err := json.Unmarshal([]byte(v), &over); err != nil {
			return usagef("scalestack upgrade: config %q: is not a JSON object: %v", key, err)
		}
	}
	cur := over
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = value
	b, err := json.Marshal(over)
	if err != nil {
		return err
	}
	raw[key] = string(b)
	return nil
}
