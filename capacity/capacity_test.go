package capacity

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// goldenPlan is the stacks package's golden plan of a cloud and tier: what the program
// registers, so that these tests weigh the real presets without linking a cloud SDK.
func goldenPlan(t testing.TB, cloud spec.Cloud, tier string) plan.Plan {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "stacks", "testdata", "plan-"+string(cloud)+"-"+tier+".json"))
	require.NoError(t, err)
	var p plan.Plan
	require.NoError(t, json.Unmarshal(b, &p))
	return p
}

// tierUsers are each tier's users and its baseline's (the previous tier's), as stacks/tiers
// has them; TestGoldenCapacityReports in stacks weighs the same plans with the presets' own.
var tierUsers = map[string][2]int{"1k": {1000, 1000}, "10k": {10000, 1000}, "100k": {100000, 10000}, "1m": {1000000, 100000}}

var sized = []spec.Cloud{spec.DigitalOcean, spec.AWS}

func model(t testing.TB) Model {
	t.Helper()
	m, err := Default()
	require.NoError(t, err)
	return m
}

func evaluate(t testing.TB, p plan.Plan, m Model, cloud spec.Cloud, tier string) Report {
	t.Helper()
	rep, err := Evaluate(p, m, Options{Cloud: cloud, Tier: tier, Users: tierUsers[tier][0], BaselineUsers: tierUsers[tier][1]})
	require.NoError(t, err)
	return rep
}

func part(t testing.TB, r Report, kind string) Part {
	t.Helper()
	for _, p := range r.Parts {
		if p.Kind == kind {
			return p
		}
	}
	require.Failf(t, "no such part", "%s in %s %s", kind, r.Cloud, r.Tier)
	return Part{}
}

func TestShippedModelHasASourceForEveryFigure(t *testing.T) {
	t.Parallel()
	m := model(t)
	n := 0
	walkFigures(reflect.ValueOf(m), "", func(path string, f Figure, _ bool) {
		n++
		assert.NotEmpty(t, f.Unit, path)
		if f.Assumption {
			assert.Contains(t, strings.ToLower(f.Source), "assumption", "%s: an assumption says why", path)
		}
	})
	assert.Greater(t, n, 25)
	for cloud, limits := range m.Limits {
		for name, l := range limits {
			assert.NotEmpty(t, l.Raise, "limits.%s.%s says how to raise it", cloud, name)
		}
	}
}

// The seed check: at 100K users the model reproduces seed 000's 800 queries/s and its 11 API
// pods at 60% CPU (with the 100k preset's pods), within 10%.
func TestSeedCase(t *testing.T) {
	t.Parallel()
	for _, cloud := range sized {
		rep := evaluate(t, goldenPlan(t, cloud, "100k"), model(t), cloud, "100k")
		assert.InEpsilon(t, 800, rep.Load.QueriesPerSec, 0.1, cloud)
		assert.InEpsilon(t, 11, part(t, rep, "api").Pods, 0.1, cloud)
		assert.Equal(t, 100000.0, rep.Load.WebSockets, "one WebSocket a user")
	}
}

// Every preset carries at its ceiling 1.5x its tier's users in every part, and at its baseline
// 1.5x the previous tier's; every pool holds its pods at both.
func TestPresetsCarryTheirTier(t *testing.T) {
	t.Parallel()
	m := model(t)
	for _, cloud := range sized {
		for tier, users := range tierUsers {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				t.Parallel()
				rep := evaluate(t, goldenPlan(t, cloud, tier), m, cloud, tier)
				require.True(t, rep.Carries, "%s", rep.Text())
				for _, p := range rep.Parts {
					if p.Advisory || p.Elastic {
						continue
					}
					if p.Ceiling.Users != nil {
						assert.GreaterOrEqual(t, float64(*p.Ceiling.Users), 1.5*float64(users[0]), "%s at the ceiling", p.Name)
					}
					if p.Baseline.Users != nil {
						assert.GreaterOrEqual(t, float64(*p.Baseline.Users), 1.5*float64(users[1]), "%s at the baseline", p.Name)
					}
					assert.False(t, p.Ceiling.Short || p.Baseline.Short, p.Name)
				}
				for _, f := range rep.Fits {
					assert.True(t, f.Fits, "%+v", f)
				}
				kinds := map[string]bool{}
				for _, p := range rep.Parts {
					kinds[p.Kind] = true
				}
				for _, k := range []string{"api", "websocket", "worker", "ingress", "websocket-load-balancer", "ingress-load-balancer", "database-cpu", "connection-pool", "database-connections", "cache-memory", "pool/app", "pool/system"} {
					assert.True(t, kinds[k], "%s is weighed", k)
				}
				if tier == "100k" || tier == "1m" {
					assert.True(t, kinds["database-replicas"], "the read replicas are weighed")
					assert.True(t, kinds["pool/worker"], "the worker pool is weighed")
				}
				require.NotEmpty(t, rep.Fits, "schedulability is checked")
			})
		}
	}
}

// mutate changes the inputs of the plan's resources of a type whose name ends with suffix.
func mutate(p plan.Plan, typ, suffix string, fn func(in map[string]any)) plan.Plan {
	b, _ := json.Marshal(p)
	var out plan.Plan
	_ = json.Unmarshal(b, &out)
	for i, r := range out.Resources {
		if r.Type == typ && strings.HasSuffix(r.Name, suffix) {
			fn(out.Resources[i].Inputs)
		}
	}
	return out
}

func at(in map[string]any, path ...string) map[string]any {
	for _, k := range path {
		in = in[k].(map[string]any)
	}
	return in
}

// Each of the problems the capacity issue found breaks one part, and the report names it and
// its shortfall.
func TestOnePartShort(t *testing.T) {
	t.Parallel()
	m := model(t)
	do100k := goldenPlan(t, spec.DigitalOcean, "100k")
	tests := []struct {
		name, kind string
		plan       plan.Plan
		tier       string
		level      int
		want       string
	}{
		{name: "API maximum 3 at 100K", kind: "api", tier: "100k", level: ceiling,
			plan: mutate(do100k, types.K8sHorizontalPodAutoscaler, "-api", func(in map[string]any) { at(in, "spec")["maxReplicas"] = 3.0 }),
			want: "API pods at the ceiling: carries 27,692 users"},
		{name: "WebSocket pods scaled on CPU, 3 pods of 10K sockets", kind: "websocket", tier: "100k", level: ceiling,
			plan: mutate(do100k, types.KEDAScaledObject, "-websocket", func(in map[string]any) {
				spec := at(in, "spec")
				spec["triggers"] = []any{map[string]any{"type": "cpu", "metadata": map[string]any{"value": "60"}}}
			}),
			want: "WebSocket pods at the ceiling: carries 30,000 users (30,000 sockets)"},
		{name: "a WebSocket load balancer of one node", kind: "websocket-load-balancer", tier: "100k", level: baseline,
			plan: mutate(do100k, types.K8sService, "-app-websocket", func(in map[string]any) {
				at(in, "metadata", "annotations")["service.beta.kubernetes.io/do-loadbalancer-size-unit"] = "1"
			}),
			want: "WebSocket load balancer at the baseline: carries 10,000 users (10,000 sockets)"},
		{name: "ingress-nginx at two fixed replicas", kind: "ingress", tier: "1m", level: ceiling,
			plan: mutate(goldenPlan(t, spec.DigitalOcean, "1m"), types.HelmRelease, "-ingress-nginx", func(in map[string]any) {
				delete(at(in, "values", "controller"), "autoscaling")
				at(in, "values", "controller")["replicaCount"] = 2.0
			}),
			want: "ingress-nginx at the ceiling: carries"},
		{name: "an app pool too small for its pods at their maximum", kind: "pool/app", tier: "100k", level: ceiling,
			plan: mutate(do100k, types.DOKubernetesNodePool, "-app-s-4vcpu-8gb", func(in map[string]any) { in["maxNodes"] = 4.0 }),
			want: "nodes: app at the ceiling: carries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := evaluate(t, tt.plan, m, spec.DigitalOcean, tt.tier)
			assert.False(t, rep.Carries)
			p := part(t, rep, tt.kind)
			l := []Level{p.Baseline, p.Ceiling}[tt.level]
			assert.True(t, l.Short, "%s", rep.Text())
			assert.Contains(t, strings.Join(rep.Shortfalls, "\n"), tt.want)
			assert.Contains(t, strings.Join(rep.Shortfalls, "\n"), p.Fix, "the shortfall says what to change")
		})
	}
}

// The 1m DigitalOcean preset needs more Droplets than a new account has: an advisory that
// names the limit, the need and how to raise it, until the stack says the limit was raised.
func TestAccountLimits(t *testing.T) {
	t.Parallel()
	m := model(t)
	p := goldenPlan(t, spec.DigitalOcean, "1m")
	rep := evaluate(t, p, m, spec.DigitalOcean, "1m")
	droplets := part(t, rep, "account/droplets")
	assert.True(t, droplets.Advisory)
	assert.True(t, droplets.Ceiling.Short)
	assert.Equal(t, 25.0, droplets.Ceiling.Capacity)
	assert.Greater(t, droplets.Demand, 25.0)
	assert.True(t, rep.Carries, "an account limit is advice, not the preset's shortfall")
	require.Len(t, rep.Advisories, 1)
	assert.Contains(t, rep.Advisories[0], "Droplet limit")

	uses, err := AccountLimits(p, m, spec.DigitalOcean)
	require.NoError(t, err)
	require.Len(t, uses, 1)
	assert.True(t, uses[0].Over)
	assert.Contains(t, uses[0].Fix, `"droplets": `)

	raised, err := m.Override(map[string]any{"limits": map[string]any{"digitalocean": map[string]any{"droplets": 100.0}}}, "test")
	require.NoError(t, err)
	uses, err = AccountLimits(p, raised, spec.DigitalOcean)
	require.NoError(t, err)
	assert.False(t, uses[0].Over)
	assert.Contains(t, uses[0].Source, OverrideSource)
	assert.Equal(t, 25.0, m.Limits["digitalocean"]["droplets"].Value, "an override leaves the default alone")

	aws := evaluate(t, goldenPlan(t, spec.AWS, "1m"), m, spec.AWS, "1m")
	var over []string
	for _, u := range aws.Parts {
		if u.Advisory && u.Ceiling.Short {
			over = append(over, u.Kind)
		}
	}
	assert.Contains(t, over, "account/onDemandVCPUs")
	assert.Contains(t, strings.Join(aws.Advisories, "\n"), "--quota-code L-1216C47A --desired-value ")
}

// An override changes what the model computes, and says where each figure came from.
func TestOverride(t *testing.T) {
	t.Parallel()
	m := model(t)
	p := goldenPlan(t, spec.DigitalOcean, "100k")
	base := evaluate(t, p, m, spec.DigitalOcean, "100k")
	heavier, err := m.Override(map[string]any{"demand": map[string]any{"requestsPerUser": 0.1}, "parts": map[string]any{"database": map[string]any{"queriesPerVCPU": 3000.0}}}, "scalestack:capacity")
	require.NoError(t, err)
	assert.Equal(t, OverrideSource+" (scalestack:capacity)", heavier.Demand.RequestsPerUser.Source)
	rep := evaluate(t, p, heavier, spec.DigitalOcean, "100k")
	assert.InDelta(t, 2*base.Load.RequestsPerSec, rep.Load.RequestsPerSec, 1e-6)
	assert.Less(t, *part(t, rep, "api").Ceiling.Users, *part(t, base, "api").Ceiling.Users)
	assert.Greater(t, part(t, rep, "database-cpu").Ceiling.Capacity, part(t, base, "database-cpu").Ceiling.Capacity)
	assert.Empty(t, base.Overrides)
	assert.Equal(t, []string{"demand.requestsPerUser = 0.1 (stack override (scalestack:capacity))", "parts.database.queriesPerVCPU = 3000 (stack override (scalestack:capacity))"}, rep.Overrides)
	assert.Contains(t, rep.Text(), "overridden: demand.requestsPerUser = 0.1")

	// Every query a write: the replicas serve nothing, and no part divides by zero.
	writes, err := m.Override(map[string]any{"demand": map[string]any{"writeShare": 1.0}}, "test")
	require.NoError(t, err)
	for _, p := range evaluate(t, p, writes, spec.DigitalOcean, "100k").Parts {
		assert.NotEqual(t, "database-replicas", p.Kind)
	}

	// A load balancer carries no more than the cloud's most nodes, whatever the plan asks.
	fewer, err := m.Override(map[string]any{"parts": map[string]any{"loadBalancers": map[string]any{"digitalocean": map[string]any{"maxNodes": 5.0}}}}, "test")
	require.NoError(t, err)
	assert.Equal(t, 50000.0, part(t, evaluate(t, p, fewer, spec.DigitalOcean, "100k"), "websocket-load-balancer").Ceiling.Capacity)

	for _, tt := range []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"demand": map[string]any{"requestsPerUser": "lots"}}, `"demand.requestsPerUser": the string "lots" is not a number`},
		{map[string]any{"demand": map[string]any{"requestsPerUser": 0.0}}, "demand.requestsPerUser: 0 is not a positive number"},
		{map[string]any{"demand": map[string]any{"writeShare": 2.0}}, "demand.writeShare: 2 is a share above 1"},
		{map[string]any{"demand": map[string]any{"users": 1.0}}, `"demand.users" is not a figure (want one of requestsPerUser,`},
		{map[string]any{"parts": map[string]any{"loadBalancers": map[string]any{"gcp": 1.0}}}, `"parts.loadBalancers.gcp" is not a key (want one of aws, digitalocean, local)`},
		{map[string]any{"parts": map[string]any{"loadBalancers": map[string]any{"aws": map[string]any{"maxNodes": 3.0}}}}, `"parts.loadBalancers.aws.maxNodes": is not a figure of this cloud`},
		{map[string]any{"limits": map[string]any{"digitalocean": map[string]any{"droplets": -1.0}}}, `"limits.digitalocean.droplets": -1 is not a whole number of 0 or more`},
		{map[string]any{"limits": map[string]any{"aws": map[string]any{"droplets": 1.0}}}, `"limits.aws.droplets" is not a key (want one of elasticIPs,`},
		{map[string]any{"seeds": 1.0}, `"seeds" is not a key (want one of demand, headroom, parts, limits)`},
	} {
		_, err := m.Override(tt.over, "test")
		require.Error(t, err, "%v", tt.over)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func TestParseOverride(t *testing.T) {
	t.Parallel()
	over, err := ParseOverride([]byte("demand:\n  requestsPerUser: 1\nlimits:\n  digitalocean: {droplets: 60}\n"))
	require.NoError(t, err)
	m, err := model(t).Override(over, "--model f.yaml")
	require.NoError(t, err)
	assert.Equal(t, 1.0, m.Demand.RequestsPerUser.Value)
	assert.Equal(t, 60.0, m.Limits["digitalocean"]["droplets"].Value)
	for _, bad := range []string{"[1, 2]", "a: [", "- x"} {
		_, err := ParseOverride([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestUsersOutOfRange(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -5, 2_000_000_000} {
		_, err := Evaluate(goldenPlan(t, spec.AWS, "1k"), model(t), Options{Cloud: spec.AWS, Tier: "1k", Users: n})
		assert.ErrorContains(t, err, "users: ", "%d", n)
	}
}

// noNaN fails on a NaN or an infinity anywhere in a report's JSON (which would not encode).
func noNaN(t testing.TB, r Report) {
	t.Helper()
	b, err := r.JSON()
	require.NoError(t, err)
	require.NotContains(t, r.Text(), "NaN")
	require.NotContains(t, r.Markdown(), "Inf")
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
}

// Fuzz the users and the model's figures: never a panic, a NaN or an infinity; bad input is an
// error naming the key.
func FuzzCapacity(f *testing.F) {
	f.Add(100000, 0.05, 0.008, 1.0, 25.0, []byte(`{"parts":{"cache":{"aws":{"usableMemoryShare":0.5}}}}`))
	f.Add(1, 1e-9, 1e9, 0.0, 0.0, []byte(`{"demand":{"requestsPerUser":"x"}}`))
	f.Add(999999999, 1e300, 1e-300, 1e9, 1e9, []byte(`[]`))
	f.Add(-1, -1.0, math.Inf(1), math.NaN(), -0.5, []byte(`{"limits":{"digitalocean":{}}}`))
	m, err := Default()
	require.NoError(f, err)
	plans := map[spec.Cloud]plan.Plan{spec.DigitalOcean: goldenPlan(f, spec.DigitalOcean, "100k"), spec.AWS: goldenPlan(f, spec.AWS, "1m")}
	f.Fuzz(func(t *testing.T, users int, rpu, qpu, sockets, droplets float64, extra []byte) {
		over := map[string]any{
			"demand": map[string]any{"requestsPerUser": rpu, "queriesPerUser": qpu, "webSocketsPerUser": sockets},
			"limits": map[string]any{"digitalocean": map[string]any{"droplets": droplets}},
		}
		if more, err := ParseOverride(extra); err == nil {
			for k, v := range more {
				over[k] = v
			}
		}
		mm, err := m.Override(over, "fuzz")
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		for cloud, p := range plans {
			rep, err := Evaluate(p, mm, Options{Cloud: cloud, Tier: "x", Users: users, BaselineUsers: users})
			if err != nil {
				require.Contains(t, err.Error(), "users")
				continue
			}
			noNaN(t, rep)
		}
	})
}

// BenchmarkEvaluate weighs the 8 shipped presets' plans (DigitalOcean and AWS, every tier).
func BenchmarkEvaluate(b *testing.B) {
	m := model(b)
	var plans []plan.Plan
	var opts []Options
	for _, cloud := range sized {
		for tier, users := range tierUsers {
			plans = append(plans, goldenPlan(b, cloud, tier))
			opts = append(opts, Options{Cloud: cloud, Tier: tier, Users: users[0], BaselineUsers: users[1]})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range plans {
			if _, err := Evaluate(plans[i], m, opts[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The cost floor: every preset within 1.25 times the cheapest sizes that carry the same, but
// for AWS 100K, whose floor is burstable sizes (the README says why), and never a floor above
// the preset it is the floor of.
func TestCostFloor(t *testing.T) {
	t.Parallel()
	prices, err := cost.Default()
	require.NoError(t, err)
	m := model(t)
	regions := map[spec.Cloud]string{spec.DigitalOcean: "nyc3", spec.AWS: "us-east-1"}
	for _, cloud := range sized {
		for tier, users := range tierUsers {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				t.Parallel()
				usage, err := cost.TierUsage(tier)
				require.NoError(t, err)
				price := func(rs []plan.Resource) (decimal.Decimal, error) {
					rep, err := cost.Estimate(rs, prices, cost.StackOptions(regions[cloud], tier, usage, "", ""))
					if err == nil && len(rep.Unpriced) > 0 {
						return decimal.Decimal{}, errors.New("not priced")
					}
					return rep.Baseline, err
				}
				f, err := CostFloor(goldenPlan(t, cloud, tier), m, Options{Cloud: cloud, Tier: tier, Users: users[0], BaselineUsers: users[1]}, price)
				require.NoError(t, err)
				assert.True(t, f.Monthly.IsPositive())
				assert.True(t, f.Monthly.LessThanOrEqual(f.PresetMonthly), "%s is above %s", f.Monthly, f.PresetMonthly)
				limit := 1.25
				if cloud == spec.AWS && tier == "100k" {
					limit = 1.5
				}
				assert.LessOrEqual(t, f.Ratio, limit, "%+v", f.Choices)
				assert.NotEmpty(t, f.Choices)
			})
		}
	}
}

// With an edge, its rules are weighed against the Cloudflare plan's, and a plan with fewer
// rate-limiting rules than the stack writes is short.
func TestEdgeRules(t *testing.T) {
	t.Parallel()
	m := model(t)
	p := goldenPlan(t, spec.DigitalOcean, "100k-edge")
	opts := Options{Cloud: spec.DigitalOcean, Tier: "100k", Users: 100000, BaselineUsers: 10000, EdgePlan: "pro"}
	rep, err := Evaluate(p, m, opts)
	require.NoError(t, err)
	rules := part(t, rep, "edge-rate-limit-rules")
	assert.Equal(t, 2.0, rules.Demand)
	assert.False(t, rules.Ceiling.Short)
	assert.True(t, rep.Carries, "%s", rep.Text())

	opts.EdgePlan = "free"
	rep, err = Evaluate(p, m, opts)
	require.NoError(t, err)
	assert.True(t, part(t, rep, "edge-rate-limit-rules").Ceiling.Short)
	assert.Contains(t, strings.Join(rep.Shortfalls, "\n"), "edge rate-limit rules at the ceiling: needs 2 rules, has 1")
}

// A malformed count in a plan is an error naming the resource and the path, never a default.
func TestMalformedCounts(t *testing.T) {
	t.Parallel()
	m := model(t)
	base := goldenPlan(t, spec.DigitalOcean, "100k")
	for _, v := range []any{-1.0, 2.5, "three", 1e9} {
		p := mutate(base, types.K8sHorizontalPodAutoscaler, "-api", func(in map[string]any) { at(in, "spec")["maxReplicas"] = v })
		_, err := Evaluate(p, m, Options{Cloud: spec.DigitalOcean, Tier: "100k", Users: 100000, BaselineUsers: 10000})
		require.Error(t, err, "%v", v)
		assert.Contains(t, err.Error(), "scalestack-prod-app-api: spec.maxReplicas:")
	}
}
