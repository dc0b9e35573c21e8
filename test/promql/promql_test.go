// Package promql holds the rules and dashboards of every preset to Prometheus's own PromQL
// parser. It is a module of its own so that Prometheus's dependencies never enter the
// program's build: `make test` runs it beside go test ./...
package promql

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/signals"
	"github.com/scalestack/scalestack/stacks/tiers"
)

// promql is Prometheus's parser with its default options: the functions a Prometheus server
// accepts, none experimental.
var promql = parser.NewParser(parser.Options{})

// every preset's signals, from the stacks package's golden plans.
func everySet(t *testing.T) map[string]signals.Set {
	t.Helper()
	m, err := capacity.Default()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]signals.Set{}
	for _, cloud := range []spec.Cloud{spec.DigitalOcean, spec.AWS, spec.Local} {
		for _, tier := range tiers.Names {
			b, err := os.ReadFile(filepath.Join("..", "..", "stacks", "testdata", "plan-"+string(cloud)+"-"+tier+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var p plan.Plan
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			pre, err := tiers.Load(tier)
			if err != nil {
				t.Fatal(err)
			}
			base, err := tiers.BaselineUsers(tier, pre.Users)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := signals.ForPlan(p, m, signals.Options{Cloud: cloud, Tier: tier, Next: tiers.Next(tier), SLOMilliseconds: signals.DefaultSLOMilliseconds, Namespace: "scalestack"}, pre.Users, base)
			if err != nil {
				t.Fatalf("%s %s: %v", cloud, tier, err)
			}
			out[string(cloud)+"-"+tier] = s
		}
	}
	return out
}

// TestExpressionsParseAndNameOnlyProducedMetrics parses every expression of every preset's
// rules and dashboards with Prometheus's parser, and requires every metric it names to be one
// the stack produces (signals/metrics.yaml and the app's contract); and every listed metric to
// be read somewhere, so the list holds no dead entry.
func TestExpressionsParseAndNameOnlyProducedMetrics(t *testing.T) {
	produced, err := signals.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for name, s := range everySet(t) {
		for _, expr := range s.Expressions() {
			e, err := promql.ParseExpr(expr)
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", name, expr, err)
				continue
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				if vs.Name == "" {
					t.Errorf("%s: %q selects series by labels alone", name, expr)
				}
				if !slices.Contains(produced, vs.Name) {
					t.Errorf("%s: %q reads %s, which no part of the stack produces (want one of %v)", name, expr, vs.Name, produced)
				}
				read[vs.Name] = true
				return nil
			})
		}
		for _, r := range s.Rules() {
			if _, err := model.ParseDuration(r.For); err != nil {
				t.Errorf("%s: %s: for %q: %v", name, r.Alert, r.For, err)
			}
			if e, err := promql.ParseExpr(r.Expr); err == nil && e.Type() != parser.ValueTypeVector {
				t.Errorf("%s: %s: %q is a %s, not an instant vector", name, r.Alert, r.Expr, e.Type())
			}
		}
	}
	for _, m := range produced {
		if !read[m] {
			t.Errorf("%s is listed as produced but no rule or panel reads it", m)
		}
	}
}
