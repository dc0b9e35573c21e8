package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/scalestack/scalestack/rightsize"
)

const rightsizeSynopsis = `rightsize --kubeconfig F (--cloud C --tier T | --config F) [--format text|json]`

// runRightsize reads the cluster's VerticalPodAutoscalers (GET only) and weighs them against
// the requests of the stack's plan.
func runRightsize(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("rightsize", rightsizeSynopsis, stderr)
	var sf stackFlags
	sf.register(fs)
	kubeconfig := fs.String("kubeconfig", "", "the cluster's kubeconfig (read-only: the command only GETs VerticalPodAutoscalers)")
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json"); err != nil {
		return err
	}
	if *kubeconfig == "" {
		return usagef("scalestack rightsize: want --kubeconfig FILE (the cluster to read the recommendations from)")
	}
	file, cfg, err := sf.resolve()
	if err != nil {
		return err
	}
	if !cfg.Preset.Workloads.Addons.VPA {
		return usagef("scalestack rightsize: the stack's workloads.addons.vpa is false: it makes no VerticalPodAutoscaler (want vpa: true in scalestack:overrides, then pulumi up)")
	}
	ctx := context.Background()
	client, err := rightsize.Load(ctx, *kubeconfig)
	if err != nil {
		if errors.As(err, new(rightsize.ConfigError)) {
			return usagef("scalestack rightsize: --kubeconfig %v", err)
		}
		return fmt.Errorf("scalestack rightsize: --kubeconfig %w", err)
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return fmt.Errorf("scalestack rightsize: %w", err)
	}
	rep, err := rightsize.Compare(ctx, client, rightsize.Planned(p))
	if err != nil {
		return fmt.Errorf("scalestack rightsize: %w", err)
	}
	return writeReport(stdout, *format, rep, rep.Text, rep.Text)
}
