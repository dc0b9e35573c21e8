package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/scalestack/scalestack/simulate"
)

const simulateSynopsis = `simulate --cloud C --tier T (--ramp "FROM->TO in DURATION" | --traffic FILE) [--config F] [--assumptions F] [--prescale] [--format text|json|svg]`

func runSimulate(args []string, stdout, stderr io.Writer, deps Deps) error {
	fs := newFlagSet("simulate", simulateSynopsis, stderr)
	var sf stackFlags
	sf.register(fs)
	rampFlag := fs.String("ramp", "", `concurrent users from FROM to TO over DURATION, for example "20000->100000 in 2h"`)
	traffic := fs.String("traffic", "", "a traffic file: YAML of points: [{second: 0, users: 20000}, ...]")
	format := fs.String("format", "text", "output format: text, json or svg (users, pods Ready and nodes over time)")
	assumptions := fs.String("assumptions", "", "a YAML file replacing simulate/assumptions.yaml's figures key by key (for example imagePullSeconds: 30, nodeProvisionSeconds: {aws: 90})")
	prescale := fs.Bool("prescale", false, "also simulate the curve with a launch window that holds the peak's pods and nodes from the start, and price the window")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat("format", *format, "text", "json", "svg"); err != nil {
		return err
	}
	if (*rampFlag == "") == (*traffic == "") {
		return usagef("scalestack simulate: want exactly one of --ramp or --traffic")
	}
	var curve simulate.Curve
	var err error
	if *rampFlag != "" {
		if curve, err = simulate.ParseRamp(*rampFlag); err != nil {
			return usagef("scalestack simulate: flag --%v", err)
		}
	} else {
		b, err := os.ReadFile(*traffic)
		if err != nil {
			return usagef("scalestack simulate: --traffic: %v", err)
		}
		if curve, err = simulate.ParseTraffic(*traffic, b); err != nil {
			return usagef("scalestack simulate: --traffic %v", err)
		}
	}
	a, err := simulate.Default()
	if err != nil {
		return err
	}
	if *assumptions != "" {
		b, err := os.ReadFile(*assumptions)
		if err != nil {
			return usagef("scalestack simulate: --assumptions: %v", err)
		}
		if a, err = a.Override(*assumptions, b); err != nil {
			return usagef("scalestack simulate: --assumptions %v", err)
		}
	}
	file, cfg, err := sf.resolve()
	if err != nil {
		return err
	}
	p, err := deps.Plan(file.Stack, file.Raw, file.Secrets)
	if err != nil {
		return fmt.Errorf("scalestack simulate: %w", err)
	}
	res, err := simulate.Run(p, cfg.Capacity, a, simulate.Options{Cloud: cfg.Cloud, Tier: cfg.Tier, Curve: curve})
	if err != nil {
		return fmt.Errorf("scalestack simulate: %w", err)
	}
	if !*prescale {
		if *format == "svg" {
			_, err := io.WriteString(stdout, res.SVG())
			return err
		}
		return writeReport(stdout, *format, res, res.Text, res.Text)
	}
	with, err := simulate.Run(p, cfg.Capacity, a, simulate.Options{Cloud: cfg.Cloud, Tier: cfg.Tier, Curve: curve, Prescaled: true})
	if err != nil {
		return fmt.Errorf("scalestack simulate: %w", err)
	}
	cmp := simulate.Comparison{Without: res, With: with}
	if bill, err := billOf(p, cfg, nil); err == nil {
		cmp.PriceWindow(bill)
	} else {
		cmp.Unpriceable(err.Error())
	}
	if *format == "svg" {
		_, err := io.WriteString(stdout, with.SVG())
		return err
	}
	return writeReport(stdout, *format, cmp, cmp.Text, cmp.Text)
}
