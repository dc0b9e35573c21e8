// Command demo brings up a local stack for a newcomer, the way the end-to-end tests do: a
// Kubernetes API server on 127.0.0.1 with kwok's fake nodes, then the real `pulumi up` of the
// scalestack program (cloud local) against it. It prints how to reach the cluster and the stack,
// and keeps both until Ctrl-C. `make demo` builds the tools first.
//
//	go run ./test/e2e/demo [--tier 1k] [--dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/test/e2e/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	tier := flag.String("tier", "1k", "the tier to bring up: "+strings.Join(tiers.Names, ", "))
	dir := flag.String("dir", filepath.Join(os.TempDir(), "scalestack-demo"), "where the cluster, the state and the logs go (emptied first)")
	flag.Parse()
	root, err := harness.Root()
	if err != nil {
		return err
	}
	bin, err := harness.ToolsBin()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	fmt.Printf("Starting etcd, kube-apiserver, controller-manager, scheduler and kwok on 127.0.0.1 (%s)...\n", *dir)
	cluster, err := harness.StartCluster(root, bin, filepath.Join(*dir, "cluster"), 3*time.Minute)
	if err != nil {
		return err
	}
	defer cluster.Stop()
	fmt.Printf("Cluster ready in %s.\n", time.Since(start).Round(time.Second))

	p, err := harness.NewPulumi(ctx, root, bin, *dir)
	if err != nil {
		return err
	}
	stack, err := p.Stack(ctx, "demo", cluster.LocalConfig(*tier))
	if err != nil {
		return err
	}
	fmt.Printf("pulumi up of a local %s stack (progress in %s)...\n", *tier, filepath.Join(*dir, "up.log"))
	log, err := os.Create(filepath.Join(*dir, "up.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	start = time.Now()
	res, err := stack.Up(ctx, optup.ProgressStreams(log))
	if err != nil {
		return err
	}
	fmt.Printf("Up in %s: %v\n\n", time.Since(start).Round(time.Second), *res.Summary.ResourceChanges)

	var env []string
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	fmt.Printf(`The cluster (its pods run on kwok's fake nodes, so nothing serves traffic):
  export KUBECONFIG=%s PATH=%s:$PATH
  kubectl get deployments,statefulsets,hpa,pdb,networkpolicies,services -A

The stack (the demo's program runs inside this process, so use it for reading):
  env %s pulumi stack --stack demo --cwd %s

Cluster logs: %s
Press Ctrl-C to stop the cluster; the folder stays until the next demo.
`, cluster.Kubeconfig, bin, strings.Join(env, " "), filepath.Join(*dir, "work"), cluster.Dir)
	<-ctx.Done()
	fmt.Println("\nStopping the cluster.")
	return nil
}
