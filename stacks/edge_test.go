package stacks_test

import (
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/policies"
	"github.com/scalestack/scalestack/stacks"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
)

const (
	zoneID     = "023e105f4ecef8ad9ca31a8372d0c353"
	cfRecord   = types.CFRecord
	cfSettings = types.CFZoneSettingsOverride
	cfRuleset  = types.CFRuleset
)

func edgePlan(t *testing.T, cloud spec.Cloud, tier string, extra ...string) plan.Plan {
	t.Helper()
	return planFor(t, cloud, tier, append([]string{"scalestack:domain", "example.com", "scalestack:cloudflareZoneId", zoneID}, extra...)...)
}

func limits(p plan.Plan) plan.Resource {
	r, _ := rulesetByPhase(p, "http_ratelimit")
	return r
}

func rulesetByPhase(p plan.Plan, phase string) (plan.Resource, bool) {
	for _, r := range p.OfType(cfRuleset) {
		if r.Inputs["phase"] == phase {
			return r, true
		}
	}
	return plan.Resource{}, false
}

// Golden plans of a stack with an edge, on each cloud with a cloud bill.
func TestGoldenEdgePlans(t *testing.T) {
	for _, cloud := range []spec.Cloud{spec.DigitalOcean, spec.AWS} {
		b, err := edgePlan(t, cloud, "100k").JSON()
		require.NoError(t, err)
		golden(t, fmt.Sprintf("plan-%s-100k-edge.json", cloud), b)
	}
}

// With a domain, Cloudflare is in front on every cloud and tier: proxied records for the app and the
// WebSocket service, strict TLS and modern settings, cache rules, the tier's rate limits within its
// plan, the managed WAF where the plan has it, and every public load balancer locked to the edge.
func TestEdgeFollowsThePreset(t *testing.T) {
	for _, cloud := range builtClouds {
		for _, tier := range tiers.Names {
			t.Run(string(cloud)+"-"+tier, func(t *testing.T) {
				p := edgePlan(t, cloud, tier)
				e := preset(t, tier).Edge
				var names []any
				for _, r := range p.OfType(cfRecord) {
					assert.Equal(t, true, r.Inputs["proxied"], r.Name)
					assert.Equal(t, zoneID, r.Inputs["zoneId"])
					names = append(names, r.Inputs["name"])
				}
				want := []any{"example.com", "www.example.com", "api.example.com"}
				for range preset(t, tier).Workloads.WebSocket.LoadBalancers.For(cloud) {
					want = append(want, "ws.example.com") // a record for each WebSocket load balancer
				}
				assert.ElementsMatch(t, want, names)

				settings := p.OfType(cfSettings)
				require.Len(t, settings, 1)
				for k, want := range map[string]string{"ssl": "strict", "minTlsVersion": "1.2", "alwaysUseHttps": "on", "http3": "on", "brotli": "on", "websockets": "on"} {
					assert.Equal(t, want, must(settings[0].Get("settings."+k)), k)
				}

				cache, ok := rulesetByPhase(p, "http_request_cache_settings")
				require.True(t, ok)
				assert.Contains(t, must(cache.Get("rules.0.expression")), `starts_with(http.request.uri.path, "/static/")`)
				assert.Equal(t, "bypass_by_default", must(cache.Get("rules.1.actionParameters.edgeTtl.mode")), "the API caches only what it says")
				if e.Plan == "free" {
					assert.NotContains(t, must(limits(p).Get("rules.0.expression")), "http.host", "free plan rules match on the path only")
				}

				limits, ok := rulesetByPhase(p, "http_ratelimit")
				require.True(t, ok)
				rules, _ := limits.Inputs["rules"].([]any)
				require.Len(t, rules, 1+len(e.ExpensivePaths))
				period, err := e.Period()
				require.NoError(t, err)
				last := fmt.Sprintf("rules.%d.ratelimit.", len(rules)-1)
				assert.Equal(t, float64(period), must(limits.Get(last+"period")))
				assert.Equal(t, float64(spec.PerPeriod(e.RateLimit.RequestsPerMinute, e.RateLimit.Burst, period)), must(limits.Get(last+"requestsPerPeriod")))
				assert.Equal(t, "block", must(limits.Get("rules.0.action")))

				_, waf := rulesetByPhase(p, "http_request_firewall_managed")
				assert.Equal(t, e.WAF(), waf, "the managed WAF where the plan includes it")

				for _, r := range p.OfType(k8sService) {
					if must(r.Get("spec.type")) != "LoadBalancer" {
						continue
					}
					ranges, _ := r.Get("spec.loadBalancerSourceRanges")
					list, _ := ranges.([]any)
					require.NotEmpty(t, list, "%s is locked to the edge", r.Name)
					for _, c := range list {
						assert.True(t, spec.InCloudflare(c.(string)), "%s admits %v", r.Name, c)
					}
				}

				// Strict TLS holds: an Origin CA certificate for the domain, as a TLS Secret where
				// traffic arrives, used by the ingress controller and the WebSocket pods.
				certs := p.OfType(types.CFOriginCaCertificate)
				require.Len(t, certs, 1)
				assert.Equal(t, []any{"example.com", "*.example.com"}, certs[0].Inputs["hostnames"])
				var tlsNamespaces []any
				for _, r := range p.OfType(types.K8sSecret) {
					if r.Inputs["type"] == "kubernetes.io/tls" {
						tlsNamespaces = append(tlsNamespaces, must(r.Get("metadata.namespace")))
					}
				}
				assert.ElementsMatch(t, []any{"ingress-nginx", "scalestack"}, tlsNamespaces)
				ws, _ := byMetaName(p, k8sDeployment, "websocket")
				assert.Equal(t, "/etc/scalestack/tls", must(ws.Get("spec.template.spec.containers.0.volumeMounts.1.mountPath")))

				preset, err := tiers.Load(tier)
				require.NoError(t, err)
				opts, err := policies.OptionsFor(tier, config.DefaultRegions[cloud], 0, "example.com", preset.Edge.Plan, preset.Policies, nil)
				require.NoError(t, err)
				rep := policies.Check(p.Resources, opts)
				assert.False(t, rep.Failed(), "%s", rep.Text())
			})
		}
	}
}

func TestNoEdgeWithoutADomain(t *testing.T) {
	p := planFor(t, spec.DigitalOcean, "100k")
	for _, r := range p.Resources {
		assert.False(t, strings.HasPrefix(r.Type, "cloudflare:"), r.Type)
	}
	_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "1k", "scalestack:domain": "example.com"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stacks: config "scalestack:cloudflareZoneId": is not set, and scalestack:domain is "example.com"`)
}

// A rule the plan does not allow is an error at validation, naming the key and the plan.
func TestEdgePlanLimits(t *testing.T) {
	for _, tc := range []struct{ overrides, want string }{
		{`{"edge":{"plan":"free","expensivePaths":[{"path":"/api/auth/","requestsPerMinute":10}]}}`,
			"edge.expensivePaths: 1 paths and the API's limit need 2 rate-limiting rules, and the free plan allows 1 (want at most 0 expensive paths, or a larger plan)"},
		{`{"edge":{"plan":"business","expensivePaths":[{"path":"/api/auth/","requestsPerMinute":10},{"path":"/api/auth/","requestsPerMinute":5}]}}`,
			`edge.expensivePaths.1.path: "/api/auth/" is already expensivePaths.0 (want each path once)`},
		{`{"edge":{"plan":"enterprise"}}`, `edge.plan: "enterprise" is not a Cloudflare plan (want one of free, pro, business)`},
		{`{"edge":{"rateLimit":{"requestsPerMinute":0}}}`, "edge.rateLimit.requestsPerMinute: 0 is out of range"},
		{`{"edge":{"cachePaths":["static"]}}`, `edge.cachePaths.0: "static" is not a path prefix`},
		{`{"workloads":{"addons":{"ingress":false}}}`, "needs the ingress add-on"},
	} {
		_, err := stacks.Plan("prod", map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "1k",
			"scalestack:domain": "example.com", "scalestack:cloudflareZoneId": zoneID, "scalestack:overrides": tc.overrides}, nil)
		require.Error(t, err, tc.overrides)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// Every rule of every edge ruleset carries a ref, unique in its ruleset and named for what the
// rule is for, so that Cloudflare keeps the rule's id when a tier switch adds, removes or changes
// other rules. The same rule (a path's limit, the API's limit, a cache rule, a managed ruleset)
// has the same ref on every tier, wherever it sits in the list.
func TestEdgeRuleRefsAreStableAcrossTiers(t *testing.T) {
	// What a rule is for, as the plan shows it: the path or "API" before the description's colon
	// for a rate limit, the description of a cache rule, the managed ruleset a WAF rule runs.
	identity := map[string]func(rule map[string]any) string{
		"http_ratelimit": func(r map[string]any) string {
			d, _ := r["description"].(string)
			return strings.SplitN(d, ": ", 2)[0]
		},
		"http_request_cache_settings": func(r map[string]any) string { return fmt.Sprint(r["description"]) },
		"http_request_firewall_managed": func(r map[string]any) string {
			ap, _ := r["actionParameters"].(map[string]any)
			return fmt.Sprint(ap["id"])
		},
	}
	refs := map[string]map[string]string{} // phase -> identity -> ref
	apiIndex := map[int]bool{}             // where the API's limit sits, per tier
	for _, tier := range tiers.Names {
		p := edgePlan(t, spec.DigitalOcean, tier)
		for phase, id := range identity {
			rs, ok := rulesetByPhase(p, phase)
			if !ok {
				continue
			}
			rules, _ := rs.Inputs["rules"].([]any)
			require.NotEmpty(t, rules, "%s %s", tier, phase)
			seen := map[string]bool{}
			for i, raw := range rules {
				rule, _ := raw.(map[string]any)
				ref, _ := rule["ref"].(string)
				who := id(rule)
				require.NotEmpty(t, ref, "%s %s rule %d (%s) has a ref", tier, phase, i, who)
				assert.False(t, seen[ref], "%s %s: ref %q is unique in its ruleset", tier, phase, ref)
				seen[ref] = true
				if refs[phase] == nil {
					refs[phase] = map[string]string{}
				}
				if prev, ok := refs[phase][who]; ok {
					assert.Equal(t, prev, ref, "%s %s: %s keeps its ref", tier, phase, who)
				}
				refs[phase][who] = ref
				if phase == "http_ratelimit" && who == "API" {
					apiIndex[i] = true
				}
			}
		}
	}
	// The check can fail: the API's limit moves in the list between tiers, so a ref taken from
	// the position would differ; and two rules for different things never share a ref.
	assert.Greater(t, len(apiIndex), 1, "the API's limit sits at different positions across tiers")
	require.Len(t, refs["http_ratelimit"], 4, "/api/auth/, /api/search, /api/upload and the API")
	for phase, byWho := range refs {
		owner := map[string]string{}
		for who, ref := range byWho {
			if o, ok := owner[ref]; ok {
				t.Errorf("%s: %s and %s share the ref %q", phase, o, who, ref)
			}
			owner[ref] = who
		}
	}
}
