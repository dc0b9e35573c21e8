//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// checkedTypes are the Kubernetes kinds the program registers that the API server must hold as
// the plan says; the provider is not an object.
func isObject(r plan.Resource) bool {
	return r.Custom && strings.HasPrefix(r.Type, "kubernetes:") && !strings.HasPrefix(r.Type, "kubernetes:helm.sh/")
}

// kubectlKind turns a type token (kubernetes:apps/v1:Deployment) into what kubectl resolves
// unambiguously (Deployment.v1.apps; core kinds by name alone).
func kubectlKind(typ string) string {
	parts := strings.Split(strings.TrimPrefix(typ, "kubernetes:"), ":")
	group, version, _ := strings.Cut(parts[0], "/")
	if group == "core" {
		return parts[1]
	}
	return parts[1] + "." + version + "." + group
}

// objectRef is the namespace and name a resource's metadata gives.
func objectRef(r plan.Resource) (namespace, name string) {
	meta, _ := r.Inputs["metadata"].(map[string]any)
	namespace, _ = meta["namespace"].(string)
	name, _ = meta["name"].(string)
	return namespace, name
}

// getObject reads one object from the API server; found is false when it does not exist.
func getObject(ctx context.Context, r plan.Resource) (obj map[string]any, found bool, err error) {
	ns, name := objectRef(r)
	args := []string{"get", kubectlKind(r.Type), name, "-o", "json", "--ignore-not-found"}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	out, err := cluster.Kubectl(ctx, args...)
	if err != nil {
		return nil, false, err
	}
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, false, nil
	}
	if err := json.Unmarshal(out, &obj); err != nil {
		return nil, false, fmt.Errorf("%s %s/%s: %w", r.Type, ns, name, err)
	}
	return obj, true, nil
}

// deployTime is whether a path's value comes from what only a real deployment makes: the pod
// templates' settings digests are digests of the database and cache URLs, which hold the
// passwords generated on the first up and the endpoints the cloud gives (the offline plan has
// placeholders). Their presence is checked, not their value.
func deployTime(path string) bool {
	return strings.HasPrefix(path, "spec.template.metadata.annotations."+spec.ConfigAnnotationPrefix)
}

// differences lists where the live object differs from what the plan registered: every value
// the plan sets must be live as set. What the API server adds (defaults, status, its own
// labels) is not a difference, and a Secret's stringData is compared with its data.
func differences(r plan.Resource, live map[string]any) []string {
	var out []string
	for k, want := range r.Inputs {
		switch k {
		case "apiVersion", "kind":
			continue
		case "stringData":
			data, _ := live["data"].(map[string]any)
			keys, ok := want.(map[string]any)
			if !ok { // the whole map is secret: its keys are hidden too
				if len(data) == 0 {
					out = append(out, "data: the plan sets secret data, live has none")
				}
				continue
			}
			for key, v := range keys {
				enc, ok := data[key].(string)
				if !ok {
					out = append(out, fmt.Sprintf("data.%s: in the plan, not live", key))
					continue
				}
				dec, err := base64.StdEncoding.DecodeString(enc)
				if s, _ := v.(string); err != nil || (s != plan.Secret && s != plan.Unknown && s != string(dec)) {
					out = append(out, fmt.Sprintf("data.%s: plan %q, live %q", key, s, dec))
				}
			}
			continue
		}
		subset(k, want, live[k], &out)
	}
	return out
}

func subset(path string, want, got any, out *[]string) {
	differ := func() { *out = append(*out, fmt.Sprintf("%s: plan %s, live %s", path, show(want), show(got))) }
	if deployTime(path) {
		if s, ok := got.(string); !ok || s == "" {
			differ()
		}
		return
	}
	switch w := want.(type) {
	case nil:
	case string:
		if w == plan.Secret || w == plan.Unknown || (w == "" && got == nil) {
			return
		}
		if g, ok := got.(string); ok && g == w {
			return
		}
		if !sameQuantity(want, got) {
			differ()
		}
	case float64:
		if w == 0 && got == nil {
			return
		}
		if !sameQuantity(want, got) {
			differ()
		}
	case bool:
		if g, ok := got.(bool); (ok && g == w) || (!w && got == nil) {
			return
		}
		differ()
	case map[string]any:
		g, _ := got.(map[string]any)
		if len(w) > 0 && g == nil {
			differ()
			return
		}
		for k, v := range w {
			subset(path+"."+k, v, g[k], out)
		}
	case []any:
		g, _ := got.([]any)
		if len(g) != len(w) {
			differ()
			return
		}
		for i := range w {
			subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	default:
		differ()
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

var quantityRE = regexp.MustCompile(`^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)

var quantityScale = map[string]*big.Rat{
	"": big.NewRat(1, 1), "m": big.NewRat(1, 1000),
	"k": big.NewRat(1e3, 1), "M": big.NewRat(1e6, 1), "G": big.NewRat(1e9, 1), "T": big.NewRat(1e12, 1),
	"Ki": big.NewRat(1<<10, 1), "Mi": big.NewRat(1<<20, 1), "Gi": big.NewRat(1<<30, 1), "Ti": big.NewRat(1<<40, 1),
}

// sameQuantity is true when both are the same number or Kubernetes quantity written two ways:
// the API server writes 0.5 back as 500m and 1024Mi as 1Gi.
func sameQuantity(a, b any) bool {
	x, okA := quantity(a)
	y, okB := quantity(b)
	return okA && okB && x.Cmp(y) == 0
}

func quantity(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case float64:
		return new(big.Rat).SetFloat64(x), true
	case string:
		m := quantityRE.FindStringSubmatch(x)
		if m == nil {
			return nil, false
		}
		r, ok := new(big.Rat).SetString(m[1])
		if !ok {
			return nil, false
		}
		return r.Mul(r, quantityScale[m[2]]), true
	}
	return nil, false
}
