// Command scalestack is what users and CI run: the offline plan of a stack, and (as they land)
// its cost, cost diff and policy check.
package main

import (
	"os"

	"github.com/scalestack/scalestack/cmd/scalestack/internal/cli"
	"github.com/scalestack/scalestack/stacks"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, cli.Deps{Plan: stacks.Plan, Project: stacks.ProjectName}))
}
