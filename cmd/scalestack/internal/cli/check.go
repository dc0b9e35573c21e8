package cli

import (
	"fmt"
	"io"

	"github.com/scalestack/scalestack/cost"
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
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return fmt.Errorf("scalestack check: %w", err)
	}
	rep, err := checkOf(p, cfg)
	if err != nil {
		return usageError{err}
	}
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
		return policyFailed{rep.Mandatory()}
	}
	return nil
}
