// Package harness runs the scalestack program for real: the Pulumi CLI and the Kubernetes provider
// built by test/e2e/tools/build.sh, against the cluster test/e2e/cluster.sh starts on 127.0.0.1.
// The end-to-end tests and the demo share it. The program runs in-process as an Automation API
// inline program (this machine's module proxy has no Go language host), so the engine, the
// provider and the API server are real and only the program's process is the caller's.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/scalestack/scalestack/stacks"
)

// KubernetesProviderVersion is the provider plugin build.sh builds; the program's Kubernetes SDK
// asks for the same version.
const KubernetesProviderVersion = "4.25.0"

// modulePath is the repository's module, which Root looks for.
const modulePath = "github.com/scalestack/scalestack"

// Root is the repository's folder: the nearest folder at or above the working directory whose
// go.mod is scalestack's.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("no go.mod of %s at or above the working directory", modulePath)
		}
		dir = up
	}
}

// tools are what build.sh puts in the bin folder and the tests use: commands, and crds/<set>,
// the folders of CustomResourceDefinitions InstallCRDs applies.
var tools = []string{
	"pulumi", "pulumi-resource-kubernetes", "kubectl", "kube-apiserver", "kwok", "promtool",
	filepath.Join("crds", "monitoring"), filepath.Join("crds", "keda"), filepath.Join("crds", "karpenter"), filepath.Join("crds", "vpa"),
}

// ToolsBin is the folder of the built tools: SCALESTACK_TOOLS_BIN, else the bin folder of
// SCALESTACK_TOOLS_CACHE (default ~/.cache/scalestack-tools), as build.sh prints it. It fails
// naming build.sh when a tool is missing.
func ToolsBin() (string, error) {
	bin := os.Getenv("SCALESTACK_TOOLS_BIN")
	if bin == "" {
		cache := os.Getenv("SCALESTACK_TOOLS_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			cache = filepath.Join(home, ".cache", "scalestack-tools")
		}
		bin = filepath.Join(cache, "bin")
	}
	for _, tool := range tools {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			return "", fmt.Errorf("%s: %s is missing: run test/e2e/tools/build.sh (or set SCALESTACK_TOOLS_BIN to the folder it prints)", bin, tool)
		}
	}
	return bin, nil
}

// Promtool is the path of the built promtool in the bin folder, for `promtool check rules`.
func Promtool(bin string) string { return filepath.Join(bin, "promtool") }

// Cluster is a running test/e2e/cluster.sh.
type Cluster struct {
	// Kubeconfig is the path of the admin's kubeconfig.
	Kubeconfig string
	// Dir holds the cluster's keys, data and logs.
	Dir string
	bin string
	cmd *exec.Cmd
	// exited is closed when the script stops; err is then its exit status.
	exited chan struct{}
	err    error
}

// StartCluster starts test/e2e/cluster.sh in dir and waits until it reports ready. The script
// stops by itself if this process goes away.
func StartCluster(root, bin, dir string, timeout time.Duration) (*Cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "cluster.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", filepath.Join(root, "test", "e2e", "cluster.sh"), dir)
	cmd.Env = append(os.Environ(), "SCALESTACK_TOOLS_BIN="+bin, fmt.Sprintf("SCALESTACK_E2E_PARENT=%d", os.Getpid()))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	c := &Cluster{Kubeconfig: filepath.Join(dir, "kubeconfig"), Dir: dir, bin: bin, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		log.Close()
		close(c.exited)
	}()
	deadline := time.After(timeout)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			return c, nil
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("cluster.sh stopped before it was ready (%v):\n%s", c.err, tail(filepath.Join(dir, "cluster.log"), 40))
		case <-deadline:
			c.Stop()
			return nil, fmt.Errorf("cluster.sh was not ready after %s:\n%s", timeout, tail(filepath.Join(dir, "cluster.log"), 40))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops the cluster and everything it started, and waits for that.
func (c *Cluster) Stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// Kubectl runs the built kubectl against the cluster and returns its standard output; an error
// carries its standard error.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// InstallCRDs applies every CustomResourceDefinition of the bin folder's crds/ sets and waits
// until the API server serves each of them. The apply is server-side: the larger definitions
// (the Prometheus operator's) exceed the size limit of client-side apply's annotation.
func (c *Cluster) InstallCRDs(ctx context.Context) error {
	sets, err := os.ReadDir(filepath.Join(c.bin, "crds"))
	if err != nil {
		return fmt.Errorf("%w: run test/e2e/tools/build.sh", err)
	}
	if len(sets) == 0 {
		return fmt.Errorf("%s: no CRD sets: run test/e2e/tools/build.sh", filepath.Join(c.bin, "crds"))
	}
	args := []string{"apply", "--server-side", "-o", "name"}
	for _, set := range sets {
		// kubectl does not walk into a folder given as a symbolic link, which each set is.
		dir, err := filepath.EvalSymlinks(filepath.Join(c.bin, "crds", set.Name()))
		if err != nil {
			return err
		}
		args = append(args, "-f", dir)
	}
	out, err := c.Kubectl(ctx, args...)
	if err != nil {
		return err
	}
	names := strings.Fields(string(out))
	if len(names) == 0 {
		return fmt.Errorf("kubectl %s applied no CRD", strings.Join(args, " "))
	}
	_, err = c.Kubectl(ctx, append([]string{"wait", "--for", "condition=established", "--timeout=60s"}, names...)...)
	return err
}

// addonsOff turns the Helm add-ons off: their charts come from the internet, which neither the
// tests nor the demo reach. Their values are covered by the mocked program tests. The cluster
// runs metrics-server itself, and has the VPA's CRD: the VerticalPodAutoscalers are made against
// it, as with a cluster's own VPA (installed), with no release.
const addonsOff = `{"workloads":{"addons":{"ingress":false,"metricsServer":true,"keda":false,"monitoring":false,"vpa":true,"installed":["metricsServer","vpa"]}}}`

// LocalConfig is the configuration of a local-cloud stack at a tier on the cluster: unprotected
// (destroy is part of the tests, and the demo is thrown away) and without the Helm add-ons.
func (c *Cluster) LocalConfig(tier string) map[string]string {
	return map[string]string{
		"scalestack:cloud":      "local",
		"scalestack:tier":       tier,
		"scalestack:kubeconfig": c.Kubeconfig,
		"scalestack:protect":    "false",
		"scalestack:overrides":  addonsOff,
	}
}

// Pulumi is a workspace whose state, secrets and plugins all live in one folder: a file backend,
// a passphrase, and the Kubernetes plugin installed from the built binary. Nothing is fetched.
type Pulumi struct {
	Workspace auto.Workspace
	// Env is what every pulumi command of this workspace runs with.
	Env map[string]string
	dir string
	bin string
}

// NewPulumi makes the workspace in dir, with the project read from the repository's Pulumi.yaml
// and stacks.Program as its inline program.
func NewPulumi(ctx context.Context, root, bin, dir string) (*Pulumi, error) {
	home, state, work, cli := filepath.Join(dir, "pulumi-home"), filepath.Join(dir, "state"), filepath.Join(dir, "work"), filepath.Join(dir, "pulumi", "bin")
	for _, d := range []string{home, state, work, cli} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// The Automation API runs <root>/bin/pulumi.
	link := filepath.Join(cli, "pulumi")
	_ = os.Remove(link)
	if err := os.Symlink(filepath.Join(bin, "pulumi"), link); err != nil {
		return nil, err
	}
	env := map[string]string{
		"PULUMI_HOME":              home,
		"PULUMI_BACKEND_URL":       "file://" + state,
		"PULUMI_CONFIG_PASSPHRASE": "scalestack-e2e",
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// Every plugin is installed below; the engine must never try to download one.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	install := exec.CommandContext(ctx, link, "plugin", "install", "resource", "kubernetes", KubernetesProviderVersion,
		"--file", filepath.Join(bin, "pulumi-resource-kubernetes"))
	install.Env = os.Environ()
	for k, v := range env {
		install.Env = append(install.Env, k+"="+v)
	}
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pulumi plugin install resource kubernetes %s: %w: %s", KubernetesProviderVersion, err, out)
	}
	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(cli), SkipVersionCheck: true})
	if err != nil {
		return nil, err
	}
	ws, err := auto.NewLocalWorkspace(ctx,
		auto.Program(stacks.Program), auto.Project(*project), auto.WorkDir(work),
		auto.PulumiHome(home), auto.EnvVars(env), auto.Pulumi(cmd))
	if err != nil {
		return nil, err
	}
	return &Pulumi{Workspace: ws, Env: env, dir: dir, bin: bin}, nil
}

// Stack creates the stack if it is new and sets its configuration: keys are full
// ("scalestack:tier"), and a value that is a JSON object is set as an object, as
// Pulumi.<stack>.yaml would hold it. Keys not in values are left as they are.
func (p *Pulumi) Stack(ctx context.Context, name string, values map[string]string) (auto.Stack, error) {
	st, err := auto.UpsertStack(ctx, name, p.Workspace)
	if err != nil {
		return st, err
	}
	return st, p.Configure(ctx, name, values)
}

// Configure sets the stack's configuration as Stack does.
func (p *Pulumi) Configure(ctx context.Context, name string, values map[string]string) error {
	settings, err := p.Workspace.StackSettings(ctx, name)
	if err != nil {
		return err
	}
	if settings.Config == nil {
		settings.Config = config.Map{}
	}
	for k, v := range values {
		key, err := config.ParseKey(k)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(strings.TrimSpace(v), "{"):
			settings.Config[key] = config.NewObjectValue(v)
		case v == "true" || v == "false":
			settings.Config[key] = config.NewTypedValue(v, config.TypeBool)
		default:
			settings.Config[key] = config.NewValue(v)
		}
	}
	return p.Workspace.SaveStackSettings(ctx, name, settings)
}

// CLI runs the pulumi command line in the workspace's folder, with its state, secrets and
// plugins: the commands that need no program (pulumi state ...) as a user types them.
func (p *Pulumi) CLI(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "pulumi"), append([]string{"--non-interactive"}, args...)...)
	cmd.Dir = p.Workspace.WorkDir()
	cmd.Env = os.Environ()
	for k, v := range p.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("pulumi %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// PreviewJSON is the output of the real `pulumi preview --json` of the stack as configured now.
func (p *Pulumi) PreviewJSON(ctx context.Context, name string) ([]byte, error) {
	st, err := auto.SelectStack(ctx, name, jsonWorkspace{p.Workspace})
	if err != nil {
		return nil, err
	}
	res, err := st.Preview(ctx)
	if err != nil {
		return nil, err
	}
	return []byte(res.StdOut), nil
}

// jsonWorkspace adds --json to every command of its stacks: the Automation API's preview has no
// option for it, and the CLI's own preview cannot run an inline program.
type jsonWorkspace struct{ auto.Workspace }

func (jsonWorkspace) SerializeArgsForOp(context.Context, string) ([]string, error) {
	return []string{"--json"}, nil
}

// tail is the last n lines of a file, for an error message.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
