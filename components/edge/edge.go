// Package edge puts Cloudflare in front of the stack: proxied DNS records for the app and the
// WebSocket service, strict TLS and modern protocol settings, cache rules for static content,
// per-client rate limits on the API, and the managed WAF where the plan includes it. The zone is
// given by id, never looked up, so a preview needs no Cloudflare call.
package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan/types"
)

// Type is the component's type token.
const Type = types.ComponentEdge

// Cloudflare's managed WAF rulesets, by their fixed ids.
const (
	managedRuleset = "efb7b8c949ac4650a09736fc376e9aee" // Cloudflare Managed Ruleset
	owaspRuleset   = "4814384a9e5d4991b9815dcfc25d2f1f" // Cloudflare OWASP Core Ruleset
)

// Rule refs. Cloudflare keeps a rule's id across a ruleset update only for a rule whose ref is
// unchanged; a rule without a ref is a new rule, with a new id, each time the rules change. So
// every rule carries a ref named for what it is for (its path, its managed ruleset), never for its
// position: a tier switch that adds or removes a path's limit leaves the other rules as they were.
// (https://developers.cloudflare.com/terraform/troubleshooting/rule-id-changes: a ref is any
// non-empty string unique in its ruleset; changing a rule's ref makes it a new rule.)
const (
	refPrefix      = "scalestack_"
	refAPILimit    = refPrefix + "ratelimit_api"
	refCacheStatic = refPrefix + "cache_static"
	refCacheAPI    = refPrefix + "cache_api"
)

// pathLimitRef is the ref of a path's rate-limiting rule: the path in letters, digits and
// underscores, for a reader, and a hash of the path itself, so that /api/auth and /api/auth/ (one
// slug) get two refs.
func pathLimitRef(path string) string {
	slug := strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '_'
	}, path), "_")
	sum := sha256.Sum256([]byte(path))
	return refPrefix + "ratelimit_path_" + slug + "_" + hex.EncodeToString(sum[:4])
}

// wafRef is the ref of the rule that executes a managed ruleset, named by the ruleset's id.
func wafRef(rulesetID string) string { return refPrefix + "waf_" + rulesetID }

// Hosts under the domain: the app at the apex and www, the API, and the WebSocket service.
var (
	ingressHosts = []string{"", "www", "api"}
	wsHost       = "ws"
)

// Spec is the edge and the zone it configures.
type Spec struct {
	spec.Edge
	Domain string
	ZoneID string
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	var errs []error
	if s.Domain == "" || s.ZoneID == "" {
		errs = append(errs, errors.New("domain and zone id are both required (set scalestack:domain and scalestack:cloudflareZoneId)"))
	}
	return errors.Join(append(errs, s.Edge.Validate("edge."))...)
}

// Args are the load balancers the records point at, from their Services' status, and the
// cluster the origin certificate goes to.
type Args struct {
	IngressHost   pulumi.StringInput
	WebSocketHost pulumi.StringInput
	// WebSocketHosts are every WebSocket load balancer's address when there are several, the
	// first being WebSocketHost; the WebSocket name gets a record for each (Cloudflare spreads
	// a name's traffic over its records). Empty means WebSocketHost alone.
	WebSocketHosts []pulumi.StringInput
	// Provider is the cluster's Kubernetes provider; TLSNamespaces get the origin certificate.
	Provider      pulumi.ProviderResource
	TLSNamespaces []string
	// DependsOn creates those namespaces (the app's Namespace, the ingress release) and nothing
	// that needs the certificate first.
	DependsOn []pulumi.Resource
}

// Edge is the component.
type Edge struct {
	pulumi.ResourceState

	// Hosts are the names the edge serves.
	Hosts pulumi.StringArrayOutput `pulumi:"hosts"`
}

// New configures the zone.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*Edge, error) {
	s.Edge = s.Edge.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("edge %q: %w", name, err)
	}
	if args == nil || args.IngressHost == nil || args.WebSocketHost == nil || args.Provider == nil {
		return nil, fmt.Errorf("edge %q: args.IngressHost, args.WebSocketHost and args.Provider are required", name)
	}
	e := &Edge{}
	if err := ctx.RegisterComponentResource(Type, name, e, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(e)
	zone := pulumi.String(s.ZoneID)
	fqdn := func(h string) string {
		if h == "" {
			return s.Domain
		}
		return h + "." + s.Domain
	}
	var hosts pulumi.StringArray
	// record is one proxied record of a host; the nth (n > 1) record of the same host is named
	// <label>-n, so the first keeps the name it always had.
	record := func(host string, n int, target pulumi.StringInput) error {
		label := host
		if label == "" {
			label = "apex"
		}
		if n > 1 {
			label = fmt.Sprintf("%s-%d", label, n)
		}
		_, err := cloudflare.NewRecord(ctx, name+"-"+label, &cloudflare.RecordArgs{
			ZoneId:  zone,
			Name:    pulumi.String(fqdn(host)),
			Type:    target.ToStringOutput().ApplyT(recordType).(pulumi.StringOutput),
			Content: target,
			Proxied: pulumi.Bool(true),
			Ttl:     pulumi.Int(1), // automatic: proxied records ignore it
			Comment: pulumi.String("scalestack: " + name),
		}, parent)
		if n == 1 {
			hosts = append(hosts, pulumi.String(fqdn(host)))
		}
		return err
	}
	for _, h := range ingressHosts {
		if err := record(h, 1, args.IngressHost); err != nil {
			return nil, err
		}
	}
	// Several load balancers are addresses (DigitalOcean's): several A records of one name.
	// A name (an AWS NLB's) is one CNAME, which admits no other record beside it, and one NLB
	// scales by itself.
	wsTargets := args.WebSocketHosts
	if len(wsTargets) == 0 {
		wsTargets = []pulumi.StringInput{args.WebSocketHost}
	}
	for i, target := range wsTargets {
		if err := record(wsHost, i+1, target); err != nil {
			return nil, err
		}
	}

	if _, err := cloudflare.NewZoneSettingsOverride(ctx, name+"-settings", &cloudflare.ZoneSettingsOverrideArgs{
		ZoneId: zone,
		Settings: &cloudflare.ZoneSettingsOverrideSettingsArgs{
			Ssl:            pulumi.String("strict"), // Full (strict): Cloudflare checks the origin's certificate
			MinTlsVersion:  pulumi.String("1.2"),
			Tls13:          pulumi.String("on"),
			AlwaysUseHttps: pulumi.String("on"),
			Http3:          pulumi.String("on"),
			Brotli:         pulumi.String("on"),
			Websockets:     pulumi.String("on"),
		},
	}, parent); err != nil {
		return nil, err
	}

	api := fmt.Sprintf(`http.host eq "%s"`, fqdn("api"))
	var static []string
	for _, p := range s.CachePaths {
		static = append(static, fmt.Sprintf(`starts_with(http.request.uri.path, "%s")`, p))
	}
	if _, err := cloudflare.NewRuleset(ctx, name+"-cache", &cloudflare.RulesetArgs{
		ZoneId: zone, Name: pulumi.String("scalestack cache"), Kind: pulumi.String("zone"),
		Phase:       pulumi.String("http_request_cache_settings"),
		Description: pulumi.String("static paths at the edge; the API only as its own cache headers allow"),
		Rules: cloudflare.RulesetRuleArray{
			&cloudflare.RulesetRuleArgs{
				Ref:         pulumi.String(refCacheStatic),
				Description: pulumi.String("static content"),
				Expression:  pulumi.String("(" + strings.Join(static, " or ") + ")"),
				Action:      pulumi.String("set_cache_settings"),
				ActionParameters: &cloudflare.RulesetRuleActionParametersArgs{
					Cache:      pulumi.Bool(true),
					EdgeTtl:    &cloudflare.RulesetRuleActionParametersEdgeTtlArgs{Mode: pulumi.String("override_origin"), Default: pulumi.Int(s.CacheTTLSeconds)},
					BrowserTtl: &cloudflare.RulesetRuleActionParametersBrowserTtlArgs{Mode: pulumi.String("respect_origin")},
				},
				Enabled: pulumi.Bool(true),
			},
			&cloudflare.RulesetRuleArgs{
				Ref:         pulumi.String(refCacheAPI),
				Description: pulumi.String("API: cached only when the response says so"),
				Expression:  pulumi.String("(" + api + ")"),
				Action:      pulumi.String("set_cache_settings"),
				ActionParameters: &cloudflare.RulesetRuleActionParametersArgs{
					Cache: pulumi.Bool(true),
					// Without Cache-Control nothing is cached: per-user JSON never reaches
					// another user.
					EdgeTtl: &cloudflare.RulesetRuleActionParametersEdgeTtlArgs{Mode: pulumi.String("bypass_by_default")},
				},
				Enabled: pulumi.Bool(true),
			},
		},
	}, parent); err != nil {
		return nil, err
	}

	period, err := s.Period()
	if err != nil {
		return nil, fmt.Errorf("edge %q: %w", name, err)
	}
	limit := func(ref, desc, expr string, perMinute, burst int) *cloudflare.RulesetRuleArgs {
		return &cloudflare.RulesetRuleArgs{
			Ref:         pulumi.String(ref),
			Description: pulumi.String(desc),
			Expression:  pulumi.String("(" + expr + ")"),
			Action:      pulumi.String("block"), // a rate-limited block answers 429
			Ratelimit: &cloudflare.RulesetRuleRatelimitArgs{
				Characteristics:   pulumi.ToStringArray([]string{"cf.colo.id", "ip.src"}),
				Period:            pulumi.Int(period),
				RequestsPerPeriod: pulumi.Int(spec.PerPeriod(perMinute, burst, period)),
				MitigationTimeout: pulumi.Int(period),
			},
			Enabled: pulumi.Bool(true),
		}
	}
	// The free plan's rate-limiting rules may match on the path only: there the API's rule
	// counts every path that is not static content, on every host.
	apiMatch := api
	if s.Plan == "free" {
		var notStatic []string
		for _, p := range s.CachePaths {
			notStatic = append(notStatic, fmt.Sprintf(`not starts_with(http.request.uri.path, "%s")`, p))
		}
		apiMatch = strings.Join(notStatic, " and ")
	}
	var rules cloudflare.RulesetRuleArray
	for _, p := range s.ExpensivePaths {
		rules = append(rules, limit(pathLimitRef(p.Path), fmt.Sprintf("%s: %d a minute per client", p.Path, p.RequestsPerMinute),
			fmt.Sprintf(`%s and starts_with(http.request.uri.path, "%s")`, api, p.Path), p.RequestsPerMinute, 0))
	}
	rules = append(rules, limit(refAPILimit, fmt.Sprintf("API: %d a minute per client, %d more in a burst", s.RateLimit.RequestsPerMinute, s.RateLimit.Burst),
		apiMatch, s.RateLimit.RequestsPerMinute, s.RateLimit.Burst))
	if _, err := cloudflare.NewRuleset(ctx, name+"-ratelimit", &cloudflare.RulesetArgs{
		ZoneId: zone, Name: pulumi.String("scalestack rate limits"), Kind: pulumi.String("zone"),
		Phase: pulumi.String("http_ratelimit"), Rules: rules,
	}, parent); err != nil {
		return nil, err
	}

	if s.WAF() {
		execute := func(id, desc string) *cloudflare.RulesetRuleArgs {
			return &cloudflare.RulesetRuleArgs{
				Ref:              pulumi.String(wafRef(id)),
				Description:      pulumi.String(desc),
				Expression:       pulumi.String("true"),
				Action:           pulumi.String("execute"),
				ActionParameters: &cloudflare.RulesetRuleActionParametersArgs{Id: pulumi.String(id)},
				Enabled:          pulumi.Bool(true),
			}
		}
		if _, err := cloudflare.NewRuleset(ctx, name+"-waf", &cloudflare.RulesetArgs{
			ZoneId: zone, Name: pulumi.String("scalestack managed WAF"), Kind: pulumi.String("zone"),
			Phase: pulumi.String("http_request_firewall_managed"),
			Rules: cloudflare.RulesetRuleArray{
				execute(managedRuleset, "Cloudflare Managed Ruleset"),
				execute(owaspRuleset, "Cloudflare OWASP Core Ruleset"),
			},
		}, parent); err != nil {
			return nil, err
		}
	}
	if err := originCertificate(ctx, name, s.Domain, args.TLSNamespaces, args.Provider, e, args.DependsOn); err != nil {
		return nil, err
	}
	e.Hosts = hosts.ToStringArrayOutput()
	return e, ctx.RegisterResourceOutputs(e, pulumi.Map{"hosts": e.Hosts})
}

// recordType is A or AAAA for an address and CNAME for a name (AWS load balancers have names).
func recordType(target string) string {
	if a, err := netip.ParseAddr(target); err == nil {
		if a.Is6() {
			return "AAAA"
		}
		return "A"
	}
	return "CNAME"
}
