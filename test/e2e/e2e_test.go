//go:build e2e

// Package e2e runs the real Pulumi engine and the real Kubernetes provider against a real API
// server on 127.0.0.1 (with kwok's fake nodes), for a stack of the local cloud: up, a tier
// upgrade, bad configuration, a cost diff of a real preview, a manifest the API server refuses,
// and destroy; and a stack on a cluster that runs KEDA and monitoring itself (addons_test.go).
//
//	test/e2e/tools/build.sh && go test -tags e2e ./test/e2e
//
// TestMain starts test/e2e/cluster.sh and stops it after; SCALESTACK_E2E_KEEP=1 keeps the work
// folder (logs, state) for a look after a failure.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/test/e2e/harness"
	"github.com/scalestack/scalestack/workloads"
)

const stackName = "e2e"

var (
	cluster *harness.Cluster
	engine  *harness.Pulumi
	workDir string
	// scalestackBin is the command line, built from this checkout as users build it.
	scalestackBin string
	// toolsBin is build.sh's bin folder (promtool, kubectl).
	toolsBin string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "e2e:", err); return 1 }
	root, err := harness.Root()
	if err != nil {
		return fail(err)
	}
	bin, err := harness.ToolsBin()
	if err != nil {
		return fail(err)
	}
	toolsBin = bin
	if workDir, err = os.MkdirTemp("", "scalestack-e2e-"); err != nil {
		return fail(err)
	}
	scalestackBin = filepath.Join(workDir, "scalestack")
	build := exec.Command("go", "build", "-o", scalestackBin, "./cmd/scalestack")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fail(fmt.Errorf("go build ./cmd/scalestack: %w", err))
	}
	start := time.Now()
	if cluster, err = harness.StartCluster(root, bin, filepath.Join(workDir, "cluster"), 3*time.Minute); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "e2e: cluster ready in %s (%s)\n", time.Since(start).Round(time.Millisecond), workDir)
	if err := cluster.InstallCRDs(context.Background()); err != nil {
		cluster.Stop()
		return fail(fmt.Errorf("install the CRDs: %w", err))
	}
	if engine, err = harness.NewPulumi(context.Background(), root, bin, workDir); err != nil {
		cluster.Stop()
		return fail(err)
	}
	code := m.Run()
	cluster.Stop()
	if code == 0 && os.Getenv("SCALESTACK_E2E_KEEP") == "" {
		_ = os.RemoveAll(workDir)
	} else {
		fmt.Fprintf(os.Stderr, "e2e: logs and state kept in %s\n", workDir)
	}
	return code
}

// planOf runs the program offline under mocks with this configuration: what the API server
// should hold after an up.
func planOf(t *testing.T, cfg map[string]string) plan.Plan {
	t.Helper()
	p, err := stacks.Plan(stackName, cfg, nil)
	require.NoError(t, err)
	return p
}

// logFile is where an operation's progress goes; the test output keeps only failures.
func logFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(workDir, name+".log"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestLocalStack(t *testing.T) {
	ctx := context.Background()
	stack, err := engine.Stack(ctx, stackName, cluster.LocalConfig("1k"))
	require.NoError(t, err)

	steps := []struct {
		name string
		fn   func(*testing.T, auto.Stack)
	}{
		{"up 1k", testUp},
		{"switch to 10k", testSwitch},
		{"bad config fails before touching anything", testBadConfig},
		{"a manifest the API server refuses fails with its message", testRefusedManifest},
		{"destroy leaves nothing", testDestroy},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.fn(t, stack) }) {
			t.Fatalf("%s failed: the later steps need it", s.name)
		}
	}
}

func testUp(t *testing.T, stack auto.Stack) {
	ctx := context.Background()
	start := time.Now()
	res, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "up-1k")))
	require.NoError(t, err, "pulumi up of the 1k stack")
	t.Logf("up 1k: %s, %v", time.Since(start).Round(time.Second), *res.Summary.ResourceChanges)
	checkLive(t, planOf(t, cluster.LocalConfig("1k")))
	// An up leaves nothing to do: a value that is unknown in every preview would show its
	// consumers as changing on every run, and in every cost diff.
	_, err = stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(logFile(t, "preview-after-up")))
	assert.NoError(t, err, "a preview right after the up must have no changes")
}

// checkLive reads every object of the plan back from the API server and compares it with the
// plan; Deployments and StatefulSets must be rolled out with every replica Ready.
func checkLive(t *testing.T, p plan.Plan) {
	t.Helper()
	ctx := context.Background()
	kinds := map[string]int{}
	hpaMin := map[string]float64{}
	for _, r := range p.Resources {
		if r.Type == types.K8sHorizontalPodAutoscaler {
			spec := r.Inputs["spec"].(map[string]any)
			target := spec["scaleTargetRef"].(map[string]any)
			ns, _ := objectRef(r)
			hpaMin[ns+"/"+fmt.Sprint(target["name"])] = spec["minReplicas"].(float64)
		}
	}
	for _, r := range p.Resources {
		if !isObject(r) {
			continue
		}
		ns, name := objectRef(r)
		min, scaled := hpaMin[ns+"/"+name]
		live, found, err := getObject(ctx, r)
		if found && (r.Type == types.K8sDeployment || r.Type == types.K8sStatefulSet) {
			// The autoscaler owns a scaled Deployment's count (the program ignores it after
			// creation): after a switch, its controller raises the count to the new minimum on
			// its next pass, then the new pods become Ready.
			live, err = waitRolledOut(ctx, r, min, scaled)
		}
		require.NoError(t, err)
		if !assert.True(t, found, "%s %s/%s: in the plan, not in the API server", r.Type, ns, name) {
			continue
		}
		kinds[kubectlKind(r.Type)]++
		for _, d := range differences(r, live) {
			t.Errorf("%s %s/%s: %s", r.Type, ns, name, d)
		}
		switch r.Type {
		case types.K8sDeployment, types.K8sStatefulSet:
			replicas, ready, rolledOut := rollout(live)
			assert.Equal(t, replicas, ready, "%s %s/%s: replicas Ready", r.Type, ns, name)
			assert.True(t, rolledOut, "%s %s/%s: rolled out", r.Type, ns, name)
			if scaled {
				assert.Equal(t, min, replicas, "%s %s/%s: the HPA's minimum", r.Type, ns, name)
			}
		}
	}
	t.Logf("read back from the API server: %v", kinds)
	for _, kind := range []string{"Deployment.v1.apps", "StatefulSet.v1.apps", "HorizontalPodAutoscaler.v2.autoscaling", "PodDisruptionBudget.v1.policy", "NetworkPolicy.v1.networking.k8s.io", "Secret", "Service"} {
		assert.Positive(t, kinds[kind], "the plan has no %s to check", kind)
	}
}

// rollout reads a Deployment's or StatefulSet's replica count, its Ready replicas, and whether
// its controller has seen its latest spec.
func rollout(live map[string]any) (replicas, ready float64, rolledOut bool) {
	spec, _ := live["spec"].(map[string]any)
	status, _ := live["status"].(map[string]any)
	meta, _ := live["metadata"].(map[string]any)
	replicas, _ = spec["replicas"].(float64)
	ready, _ = status["readyReplicas"].(float64)
	return replicas, ready, meta["generation"] == status["observedGeneration"]
}

// waitRolledOut polls the object until it is rolled out with every replica Ready (and, when an
// HPA scales it, at least at the HPA's minimum), for up to two minutes, and returns it as last
// read; the caller's assertions say what was still missing.
func waitRolledOut(ctx context.Context, r plan.Resource, min float64, scaled bool) (map[string]any, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		live, _, err := getObject(ctx, r)
		if err != nil {
			return nil, err
		}
		replicas, ready, rolledOut := rollout(live)
		if (rolledOut && replicas == ready && (!scaled || replicas >= min)) || time.Now().After(deadline) {
			return live, nil
		}
		time.Sleep(time.Second)
	}
}

// uids maps kind/namespace/name to the object's uid, for the kinds a tier switch must keep.
func uids(t *testing.T) map[string]string {
	t.Helper()
	out, err := cluster.Kubectl(context.Background(), "get", "statefulsets,persistentvolumeclaims,secrets,namespaces,configmaps,deployments", "-A",
		"-o", `jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.metadata.uid}{"\n"}{end}`)
	require.NoError(t, err)
	m := map[string]string{}
	for _, line := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

// unsafe are the operations that lose data or stop the app when they hit a kept kind.
var unsafe = []string{"replace", "create-replacement", "delete-replaced", "delete"}

// kept are the kinds a tier switch must change in place: the data (StatefulSets, their claims,
// the Secrets holding generated passwords, the namespaces holding all of them), the ConfigMaps
// the pods read, and the Deployments, whose replacement deletes the running app first.
var kept = []string{
	types.K8sStatefulSet, types.K8sPersistentVolumeClaim, types.K8sSecret,
	types.K8sNamespace, types.K8sConfigMap, types.K8sDeployment,
}

func testSwitch(t *testing.T, stack auto.Stack) {
	ctx := context.Background()
	require.NoError(t, engine.Configure(ctx, stackName, map[string]string{"scalestack:tier": "10k"}))
	before := uids(t)

	// The real preview: no replace or delete of anything kept.
	events := make(chan events.EngineEvent)
	var ops []string
	var bad []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			if e.ResourcePreEvent == nil {
				continue
			}
			md := e.ResourcePreEvent.Metadata
			ops = append(ops, string(md.Op)+" "+md.Type)
			if slices.Contains(unsafe, string(md.Op)) && slices.Contains(kept, md.Type) {
				bad = append(bad, fmt.Sprintf("%s %s", md.Op, md.URN))
			}
		}
	}()
	pre, err := stack.Preview(ctx, optpreview.EventStreams(events), optpreview.ProgressStreams(logFile(t, "preview-10k")))
	<-done
	require.NoError(t, err, "pulumi preview of the switch to 10k")
	t.Logf("preview 1k -> 10k: %v", pre.ChangeSummary)
	assert.Empty(t, bad, "the switch to 10k replaces or deletes what it must change in place")
	assert.NotEmpty(t, ops)

	t.Run("cost diff of the real preview --json", func(t *testing.T) { testCostDiff(t, pre.ChangeSummary) })

	res, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "up-10k")))
	require.NoError(t, err, "pulumi up of the switch to 10k")
	t.Logf("up 10k: %v", *res.Summary.ResourceChanges)
	after := uids(t)
	for k, uid := range before {
		if strings.HasPrefix(k, "PersistentVolumeClaim/") || strings.Contains(k, "/scalestack") {
			assert.Equal(t, uid, after[k], "%s was replaced or deleted by the switch to 10k", k)
		}
	}
	checkLive(t, planOf(t, cluster.LocalConfig("10k")))
}

// testCostDiff feeds the real `pulumi preview --json` of the pending switch to `scalestack cost
// diff --preview`.
func testCostDiff(t *testing.T, summary map[apitype.OpType]int) {
	ctx := context.Background()
	out, err := engine.PreviewJSON(ctx, stackName)
	require.NoError(t, err, "pulumi preview --json")
	path := filepath.Join(workDir, "preview.json")
	require.NoError(t, os.WriteFile(path, out, 0o644))

	pv, err := cost.ReadPreview(bytes.NewReader(out))
	require.NoError(t, err, "the real preview --json must parse")
	assert.Equal(t, "10k", pv.Config["scalestack:tier"])
	for op, n := range summary {
		if op != "same" {
			assert.Equal(t, n, pv.Steps[string(op)], "%s steps in the JSON preview and the engine's summary", op)
		}
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(scalestackBin, "cost", "diff", "--preview", path, "--format", "json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "scalestack cost diff --preview: %s", stderr.String())
	var report cost.DiffReport
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &report), stdout.String())
	t.Logf("cost diff of the real preview: base %s, head %s a month; steps %v", report.Base.Baseline, report.Head.Baseline, pv.Steps)
}

// snapshot is what a failed operation must leave as it was: the stack's resources with their
// outputs, and the generation of every object of ours in the API server.
func snapshot(t *testing.T, stack auto.Stack) (state string, generations string) {
	t.Helper()
	ctx := context.Background()
	dep, err := stack.Export(ctx)
	require.NoError(t, err)
	var doc struct {
		Resources []struct {
			URN     string         `json:"urn"`
			ID      string         `json:"id"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(dep.Deployment, &doc))
	b, err := json.Marshal(doc.Resources)
	require.NoError(t, err)
	var objects []string
	for _, o := range ours(t) {
		objects = append(objects, o.ref+" "+o.digest)
	}
	require.NotEmpty(t, objects, "no objects of ours in the API server")
	return string(b), strings.Join(objects, "\n")
}

// object is one object in the API server: kind/namespace/name, and a digest of everything but
// what the cluster's controllers write (status, resourceVersion, managedFields), so that it
// changes only when the object is written to.
type object struct{ ref, digest string }

// ours lists every object in the API server, of every kind it can list, that the Kubernetes
// provider wrote: its server-side-apply field manager is pulumi-kubernetes-<suffix>.
func ours(t *testing.T) []object {
	t.Helper()
	ctx := context.Background()
	out, err := cluster.Kubectl(ctx, "api-resources", "--verbs=list", "-o", "name")
	require.NoError(t, err)
	kinds := strings.Join(strings.Fields(string(out)), ",")
	out, err = cluster.Kubectl(ctx, "get", kinds, "-A", "-o", "json", "--show-managed-fields")
	require.NoError(t, err)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, json.Unmarshal(out, &list))
	var objects []object
	for _, it := range list.Items {
		meta, _ := it["metadata"].(map[string]any)
		managers, _ := meta["managedFields"].([]any)
		if !slices.ContainsFunc(managers, func(m any) bool {
			manager, _ := m.(map[string]any)["manager"].(string)
			return strings.HasPrefix(manager, "pulumi-kubernetes")
		}) {
			continue
		}
		delete(it, "status")
		delete(meta, "resourceVersion")
		delete(meta, "managedFields")
		b, err := json.Marshal(it)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		objects = append(objects, object{ref: fmt.Sprintf("%s/%s/%s", it["kind"], meta["namespace"], meta["name"]), digest: hex.EncodeToString(sum[:8])})
	}
	slices.SortFunc(objects, func(a, b object) int { return strings.Compare(a.ref, b.ref) })
	return objects
}

func testBadConfig(t *testing.T, stack auto.Stack) {
	ctx := context.Background()
	state, live := snapshot(t, stack)
	require.NotEmpty(t, live)
	cases := []struct {
		name   string
		config map[string]string
		want   []string
	}{
		{"unknown tier", map[string]string{"scalestack:tier": "2k"}, []string{`"scalestack:tier"`, `"2k"`, "1k, 10k, 100k, 1m"}},
		{"unknown override", map[string]string{"scalestack:overrides": `{"databse":{"replicas":3}}`}, []string{"scalestack:overrides", "databse"}},
		{"override of the wrong type", map[string]string{"scalestack:overrides": `{"database":{"replicas":"many"}}`}, []string{"scalestack:overrides", "replicas"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, engine.Configure(ctx, stackName, c.config))
			_, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "bad-"+strings.ReplaceAll(c.name, " ", "-"))))
			require.Error(t, err, "pulumi up with a bad config must fail")
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			require.NoError(t, engine.Configure(ctx, stackName, cluster.LocalConfig("10k")))
			gotState, gotLive := snapshot(t, stack)
			assert.Equal(t, state, gotState, "a failed up changed the stack's state")
			assert.Equal(t, live, gotLive, "a failed up changed objects in the API server")
		})
	}
	// And the stack still has no changes to make.
	_, err := stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(logFile(t, "preview-after-bad")))
	assert.NoError(t, err, "after the failed ups the 10k stack must preview with no changes")
}

// brokenHPA is the program with the API's HPA broken the way a bad change to workloads/ would
// break it: a minimum above the maximum, which only the API server's validation refuses.
func brokenHPA(ctx *pulumi.Context) error {
	err := ctx.RegisterResourceTransform(func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		spec, ok := a.Props["spec"].(pulumi.Map)
		if a.Type != types.K8sHorizontalPodAutoscaler || !strings.HasSuffix(a.Name, "-api") || !ok {
			return nil
		}
		spec["minReplicas"], spec["maxReplicas"] = pulumi.Int(12), pulumi.Int(4)
		return &pulumi.ResourceTransformResult{Props: a.Props, Opts: a.Opts}
	})
	if err != nil {
		return err
	}
	return stacks.Program(ctx)
}

// testRefusedManifest runs the real up of a manifest the API server refuses: it must fail with
// the API server's own message and leave the live object as it was.
func testRefusedManifest(t *testing.T, stack auto.Stack) {
	ctx := context.Background()
	// hpa is the live HPA's bounds and its generation, which any write of its spec changes (its
	// resourceVersion also moves when the HPA controller writes its status, as it does while the
	// Deployment's pods settle after the switch).
	hpa := func() (bounds, version string) {
		out, err := cluster.Kubectl(ctx, "get", "hpa", "api", "-n", workloads.Namespace,
			"-o", "jsonpath={.spec.minReplicas}-{.spec.maxReplicas} {.metadata.generation}")
		require.NoError(t, err)
		bounds, version, _ = strings.Cut(string(out), " ")
		return bounds, version
	}
	bounds, version := hpa()
	engine.Workspace.SetProgram(brokenHPA)
	defer engine.Workspace.SetProgram(stacks.Program)
	_, err := stack.Up(ctx, optup.ProgressStreams(logFile(t, "up-refused")))
	require.Error(t, err, "an up with an HPA whose minimum is above its maximum must fail")
	// The API server's validation message, as the provider passes it on.
	assert.Contains(t, err.Error(), "spec.maxReplicas: Invalid value: 4: must be greater than or equal to `minReplicas`")
	gotBounds, gotVersion := hpa()
	assert.Equal(t, bounds+" "+version, gotBounds+" "+gotVersion, "the refused HPA changed in the API server")

	// The provider keeps the refused inputs as the HPA's pending state; the fixed program's up
	// puts it back, after which nothing is left to do.
	engine.Workspace.SetProgram(stacks.Program)
	_, err = stack.Up(ctx, optup.ProgressStreams(logFile(t, "up-after-refused")))
	require.NoError(t, err, "the up of the fixed program after the refused one")
	gotBounds, _ = hpa()
	assert.Equal(t, bounds, gotBounds, "the HPA's bounds after the fixed up")
	_, err = stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(logFile(t, "preview-after-refused")))
	assert.NoError(t, err, "after the fixed up the 10k stack must preview with no changes")
}

func testDestroy(t *testing.T, stack auto.Stack) {
	ctx := context.Background()
	p := planOf(t, cluster.LocalConfig("10k"))
	_, err := stack.Destroy(ctx, optdestroy.ProgressStreams(logFile(t, "destroy")))
	require.NoError(t, err, "pulumi destroy")
	checkDestroyed(t, p)
}

// checkDestroyed checks that a destroy left no object of the plan, no object that the provider
// wrote, and no volume of our claims.
func checkDestroyed(t *testing.T, p plan.Plan) {
	t.Helper()
	ctx := context.Background()
	for _, r := range p.Resources {
		if !isObject(r) {
			continue
		}
		_, found, err := getObject(ctx, r)
		require.NoError(t, err)
		ns, name := objectRef(r)
		assert.False(t, found, "%s %s/%s is still there after destroy", r.Type, ns, name)
	}
	// Nothing the engine wrote, in any kind the API server lists (a namespace being deleted
	// goes once its contents are gone).
	var left []object
	for range 60 {
		if left = ours(t); len(left) == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	assert.Empty(t, left, "objects of ours after destroy")
	// The claims went with their namespaces; their volumes are released and deleted.
	var volumes string
	for range 60 {
		out, err := cluster.Kubectl(ctx, "get", "persistentvolumes", "-o", `jsonpath={range .items[*]}{.spec.claimRef.namespace}/{.spec.claimRef.name} {end}`)
		require.NoError(t, err)
		if volumes = strings.TrimSpace(string(out)); volumes == "" {
			break
		}
		time.Sleep(time.Second)
	}
	assert.Empty(t, volumes, "volumes of our claims after destroy")
}
