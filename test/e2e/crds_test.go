//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// customGroups are the API groups of the CRD sets build.sh makes and TestMain installs: every
// object of theirs that a plan holds must exist as a kind the API server serves, and pass its
// schema.
// Karpenter's EC2NodeClass (karpenter.k8s.aws) is not among them: its CRD's module is not
// served here, and stacks' TestKarpenterOnEKS checks its fields instead.
var customGroups = []string{"monitoring.coreos.com", "keda.sh", "karpenter.sh", "autoscaling.k8s.io"}

// placeholder stands in for a plan's hidden and computed values (plan.Secret, plan.Unknown) in
// the dry run: a string that passes a name's pattern.
const placeholder = "placeholder"

// TestCustomResourcesAgainstRealCRDs sends every custom object of every cloud's and tier's plan
// to the API server, as a dry run, to be checked against the real CRDs: the Prometheus
// operator's, generated from its Go types, KEDA's, Karpenter's NodePool (v1.6.0's CRD) and the
// Vertical Pod Autoscaler's (v1.4.0's). The mocked program tests prove the
// objects' shape as the program means it; this proves the operators would take them.
func TestCustomResourcesAgainstRealCRDs(t *testing.T) {
	ctx := context.Background()
	served := servedKinds(t)
	type batch struct {
		name    string
		objects []map[string]any
	}
	var batches []batch
	namespaces := map[string]bool{}
	for _, cloud := range config.BuiltClouds {
		for _, tier := range tiers.Names {
			raw := map[string]string{config.Key(config.KeyCloud): string(cloud), config.Key(config.KeyTier): tier}
			if cloud == spec.Local {
				raw[config.Key(config.KeyKubeconfig)] = cluster.Kubeconfig
			}
			if tier != tiers.Names[0] {
				// A launch window on every tier with KEDA: its cron triggers and the API's
				// ScaledObject against the real schema too.
				p, err := tiers.Load(tier)
				require.NoError(t, err)
				raw[config.Key(config.KeyLaunch)] = fmt.Sprintf(`[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":%d}]`, p.Users)
			}
			p, err := stacks.Plan(stackName, raw, nil)
			require.NoError(t, err, "the plan of %s %s", cloud, tier)
			b := batch{name: string(cloud) + "-" + tier}
			for _, r := range customResources(p) {
				obj, err := manifest(r)
				require.NoError(t, err)
				b.objects = append(b.objects, obj)
				if ns := namespaceOf(obj); ns != "" {
					namespaces[ns] = true
				}
			}
			batches = append(batches, b)
		}
	}
	createNamespaces(t, namespaces)

	kinds := map[string]int{}
	for _, b := range batches {
		t.Run(b.name, func(t *testing.T) {
			for _, obj := range b.objects {
				key := fmt.Sprintf("%s:%s", obj["apiVersion"], obj["kind"])
				assert.True(t, served[key], "%s %s: the API server serves no such kind: no CRD of build.sh's defines it (served: %v)",
					key, refOf(obj), slices.Sorted(maps.Keys(served)))
				kinds[key]++
			}
			if t.Failed() || len(b.objects) == 0 {
				return
			}
			path := writeStream(t, "crs-"+b.name+".yaml", b.objects)
			// The API server's validation of a create, with unknown fields refused (kubectl's
			// default, strict), and the provider's own path: a server-side apply, whose typed
			// patch is checked against the same schema.
			for _, args := range [][]string{
				{"apply", "--dry-run=server", "-o", "name", "-f", path},
				{"apply", "--server-side", "--dry-run=server", "-o", "name", "-f", path},
			} {
				out, err := cluster.Kubectl(ctx, args...)
				if !assert.NoError(t, err, "the API server refuses objects of the %s plan (%s)", b.name, path) {
					continue
				}
				assert.Len(t, strings.Fields(string(out)), len(b.objects), "objects accepted by kubectl %s:\n%s", strings.Join(args, " "), out)
			}
		})
	}
	t.Logf("custom objects checked against their CRDs, over every cloud and tier: %v", kinds)
	require.NotEmpty(t, kinds, "no plan has a custom object: the test checks nothing")

	var all []map[string]any
	for _, b := range batches {
		all = append(all, b.objects...)
	}
	t.Run("the schema is enforced", func(t *testing.T) { testSchemaEnforced(t, all) })
}

// testSchemaEnforced breaks one field of a plan's object the way a bad change to workloads/
// would, and requires the API server to refuse it with its validation message: the accepted
// objects above were checked, not waved through.
func testSchemaEnforced(t *testing.T, objects []map[string]any) {
	ctx := context.Background()
	cases := []struct {
		name   string
		kind   string
		mutate func(spec map[string]any)
		want   string
	}{
		{
			name:   "a ScaledObject's maxReplicaCount as a string",
			kind:   "ScaledObject",
			mutate: func(spec map[string]any) { spec["maxReplicaCount"] = "twelve" },
			want:   `spec.maxReplicaCount: Invalid value: "string": spec.maxReplicaCount in body must be of type integer: "string"`,
		},
		{
			name: "a NodePool's disruption budget that is not a count or a share of nodes",
			kind: "NodePool",
			mutate: func(spec map[string]any) {
				spec["disruption"].(map[string]any)["budgets"].([]any)[0].(map[string]any)["nodes"] = "ten percent"
			},
			want: `spec.disruption.budgets[0].nodes in body should match`,
		},
		{
			name:   "a VerticalPodAutoscaler's update mode that is not one of the VPA's",
			kind:   "VerticalPodAutoscaler",
			mutate: func(spec map[string]any) { spec["updatePolicy"].(map[string]any)["updateMode"] = "Sometimes" },
			want:   `spec.updatePolicy.updateMode: Unsupported value: "Sometimes"`,
		},
		{
			name:   "a PodMonitor's spec with a field the CRD does not declare",
			kind:   "PodMonitor",
			mutate: func(spec map[string]any) { spec["scrapeEvery"] = "30s" },
			want:   `strict decoding error: unknown field "spec.scrapeEvery"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := slices.IndexFunc(objects, func(o map[string]any) bool { return o["kind"] == c.kind })
			require.NotEqual(t, -1, i, "the plan has no %s to break", c.kind)
			obj := deepCopy(t, objects[i])
			c.mutate(obj["spec"].(map[string]any))
			path := writeStream(t, "crs-refused-"+c.kind+".yaml", []map[string]any{obj})
			_, err := cluster.Kubectl(ctx, "apply", "--dry-run=server", "-f", path)
			require.Error(t, err, "the API server accepts %s", c.name)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// customResources are the plan's objects of the customGroups' kinds.
func customResources(p plan.Plan) []plan.Resource {
	var out []plan.Resource
	for _, r := range p.Resources {
		if slices.ContainsFunc(customGroups, func(g string) bool { return strings.HasPrefix(r.Type, "kubernetes:"+g+"/") }) {
			out = append(out, r)
		}
	}
	return out
}

// manifest is the object a resource's inputs make, as the provider sends it: apiVersion and kind
// from the type token (kubernetes:keda.sh/v1alpha1:ScaledObject), and every input as a top-level
// field, with placeholders for hidden and computed values.
func manifest(r plan.Resource) (map[string]any, error) {
	parts := strings.Split(strings.TrimPrefix(r.Type, "kubernetes:"), ":")
	if len(parts) != 2 {
		return nil, fmt.Errorf("%s %s: not a kubernetes:<group>/<version>:<kind> type", r.Type, r.Name)
	}
	obj := fill(r.Inputs).(map[string]any)
	for k, want := range map[string]string{"apiVersion": parts[0], "kind": parts[1]} {
		if got, ok := obj[k]; ok && got != want {
			return nil, fmt.Errorf("%s %s: %s is %v, its type says %s", r.Type, r.Name, k, got, want)
		}
		obj[k] = want
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	if _, named := meta["name"]; !named {
		// The provider names an object without a name after its resource, plus a suffix.
		meta["name"] = r.Name
	}
	return obj, nil
}

// fill copies plan inputs, swapping plan.Secret and plan.Unknown for the placeholder.
func fill(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = fill(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fill(e)
		}
		return out
	case string:
		if v == plan.Secret || v == plan.Unknown {
			return placeholder
		}
	}
	return v
}

func namespaceOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	return ns
}

func refOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%s/%s", meta["namespace"], meta["name"])
}

// servedKinds are the group/version:Kind keys of every version the cluster's CRDs serve.
func servedKinds(t *testing.T) map[string]bool {
	t.Helper()
	out, err := cluster.Kubectl(context.Background(), "get", "customresourcedefinitions", "-o", "json")
	require.NoError(t, err)
	var list struct {
		Items []struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
				} `json:"versions"`
			} `json:"spec"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(out, &list))
	served := map[string]bool{}
	for _, crd := range list.Items {
		for _, v := range crd.Spec.Versions {
			if v.Served {
				served[crd.Spec.Group+"/"+v.Name+":"+crd.Spec.Names.Kind] = true
			}
		}
	}
	require.NotEmpty(t, served, "the cluster has no CRDs: TestMain installs them")
	return served
}

// createNamespaces creates those of the namespaces that do not exist yet, for the dry runs, and
// deletes them when the test ends, waiting until they are gone: the stack's own up creates them
// later and must find none.
func createNamespaces(t *testing.T, names map[string]bool) {
	t.Helper()
	ctx := context.Background()
	var created []string
	for _, ns := range slices.Sorted(maps.Keys(names)) {
		out, err := cluster.Kubectl(ctx, "get", "namespace", ns, "--ignore-not-found", "-o", "name")
		require.NoError(t, err)
		if strings.TrimSpace(string(out)) != "" {
			continue
		}
		_, err = cluster.Kubectl(ctx, "create", "namespace", ns)
		require.NoError(t, err)
		created = append(created, ns)
	}
	t.Cleanup(func() {
		if len(created) == 0 {
			return
		}
		_, err := cluster.Kubectl(ctx, append([]string{"delete", "namespace", "--wait", "--timeout=60s"}, created...)...)
		assert.NoError(t, err, "delete the namespaces the dry runs needed")
	})
}

// writeStream writes objects as a stream of documents in the work folder (kept after a failure)
// and returns its path. A stream, not a List: kubectl checks a List's items itself against the
// OpenAPI document, and only the API server's own messages are the ones the provider shows.
func writeStream(t *testing.T, name string, objects []map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, obj := range objects {
		doc, err := json.Marshal(obj)
		require.NoError(t, err)
		b.WriteString("---\n")
		b.Write(doc)
		b.WriteString("\n")
	}
	path := filepath.Join(workDir, name)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func deepCopy(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
