package cli

import (
	"fmt"
	"io"

	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/policies"
)

// ExitPolicy is the exit code of `scalestack check` when a mandatory rule is broken.
const ExitPolicy = 4

// policyFailed is a check that ran and found a mandatory violation: it exits 4.
type policyFailed struct{ n int }

func (p policyFailed) Error() string {
	return fmt.Sprintf("scalestack check: %d mandatory violations", p.n)
}

const checkSynopsis = "check --cloud C --tier T [--region R] [--config Pulumi.<stack>.yaml] [--format text|json]"

func runCheck(args []string, stdout, stderr io.Writer, deps Deps) error {
	file, cfg, format, err := stackCommand("check", checkSynopsis, args, stderr)
	if err != nil {
		return err
	}
	opts, err := policies.OptionsFor(cfg.Tier, cfg.Region, cfg.Budget, cfg.Domain, cfg.Preset.Edge.Plan, cfg.Preset.Policies, cfg.Policies)
	if err != nil {
		return usageError{err}
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return fmt.Errorf("scalestack check: %w", err)
	}
	rep := policies.Check(p.Resources, opts)
	if format == "json" {
		b, err := cost.JSON(rep)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(b); err != nil {
			return err
		}
	} else if _, err := io.WriteString(stdout, rep.Text()); err != nil {
		return err
	}
	if rep.Failed() {
		n := 0
		for _, v := range rep.Violations {
			if v.Level == policies.Mandatory {
				n++
			}
		}
		return policyFailed{n}
	}
	return nil
}
