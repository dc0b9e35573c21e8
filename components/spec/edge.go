package spec

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// OriginTLSSecret is the name of the Kubernetes TLS Secret with the edge's origin certificate,
// in the ingress controller's namespace (its default certificate) and the app's (the WebSocket
// pods serve TLS with it): made by components/edge, mounted by workloads.
const OriginTLSSecret = "origin-tls"

// Edge is Cloudflare in front of the stack: the plan, what the edge caches and how hard it
// rate-limits. It applies when the stack has a domain and a Cloudflare zone.
type Edge struct {
	// Plan is the zone's Cloudflare plan: free, pro or business. It bounds the rules below.
	Plan string `yaml:"plan"`
	// CachePaths are path prefixes of static content cached at the edge for CacheTTLSeconds.
	CachePaths      []string `yaml:"cachePaths"`
	CacheTTLSeconds int      `yaml:"cacheTTLSeconds" default:"absent"`
	// RateLimit is the per-client limit on the API.
	RateLimit RateLimit `yaml:"rateLimit"`
	// ExpensivePaths get their own, stricter per-client limits.
	ExpensivePaths []PathLimit `yaml:"expensivePaths,omitempty"`
}

// RateLimit is requests a minute per client, with a burst allowance on top.
type RateLimit struct {
	RequestsPerMinute int `yaml:"requestsPerMinute"`
	Burst             int `yaml:"burst"`
}

// PathLimit is a rate limit on one path prefix.
type PathLimit struct {
	Path              string `yaml:"path"`
	RequestsPerMinute int    `yaml:"requestsPerMinute"`
}

// CloudflarePlan is what a plan allows.
type CloudflarePlan struct {
	RateLimitRules  int   `yaml:"rateLimitRules"`
	Periods         []int `yaml:"periods"`
	WAFManagedRules bool  `yaml:"wafManagedRules"`
	CacheRules      int   `yaml:"cacheRules"`
}

//go:embed cloudflare-plans.yaml
var cloudflarePlansYAML []byte

// CloudflarePlans returns the plans and what each allows.
var CloudflarePlans = sync.OnceValues(func() (map[string]CloudflarePlan, error) {
	var doc struct {
		Source string                    `yaml:"source"`
		AsOf   string                    `yaml:"as_of"`
		Plans  map[string]CloudflarePlan `yaml:"plans"`
	}
	if err := yaml.Unmarshal(cloudflarePlansYAML, &doc); err != nil {
		return nil, fmt.Errorf("spec: cloudflare-plans.yaml: %w", err)
	}
	if doc.Source == "" || doc.AsOf == "" || len(doc.Plans) == 0 {
		return nil, errors.New("spec: cloudflare-plans.yaml: source, as_of and plans are required")
	}
	return doc.Plans, nil
})

// Defaults of an Edge.
const (
	DefaultCacheTTLSeconds = 30 * 24 * 3600
	maxRequestsPerMinute   = 100000
)

// DefaultCachePaths are where static content usually lives.
var DefaultCachePaths = []string{"/static/", "/assets/"}

// WithDefaults fills the documented defaults.
func (e Edge) WithDefaults() Edge {
	if e.Plan == "" {
		e.Plan = "free"
	}
	if e.CachePaths == nil {
		e.CachePaths = DefaultCachePaths
	}
	if e.CacheTTLSeconds == 0 {
		e.CacheTTLSeconds = DefaultCacheTTLSeconds
	}
	return e
}

// Period is the longest counting window the plan allows up to a minute: limits are per minute,
// and a shorter window (10 s on the free plan) counts the same rate over less time.
func (e Edge) Period() (int, error) {
	plans, err := CloudflarePlans()
	if err != nil {
		return 0, err
	}
	p, ok := plans[e.Plan]
	if !ok {
		return 0, fmt.Errorf("%q is not a Cloudflare plan (want one of %s)", e.Plan, oneOf(planNames(plans)...))
	}
	best := 0
	for _, s := range p.Periods {
		if s <= 60 && s > best {
			best = s
		}
	}
	return best, nil
}

// PerPeriod turns a per-minute rate and burst into requests per counting window.
func PerPeriod(perMinute, burst, period int) int {
	return int(math.Ceil(float64(perMinute+burst) * float64(period) / 60))
}

// Validate reports every problem of the edge, and every feature its plan does not allow.
func (e Edge) Validate(prefix string) error {
	p := problems{prefix: prefix}
	plans, err := CloudflarePlans()
	if err != nil {
		return err
	}
	plan, ok := plans[e.Plan]
	if !ok {
		p.addf("plan", "%q is not a Cloudflare plan (want one of %s)", e.Plan, oneOf(planNames(plans)...))
		return errors.Join(p.errs...)
	}
	for i, path := range e.CachePaths {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, `"\ `) {
			p.addf(fmt.Sprintf("cachePaths.%d", i), "%q is not a path prefix (want one starting with /, such as /static/)", path)
		}
	}
	if len(e.CachePaths) > plan.CacheRules {
		p.addf("cachePaths", "%d paths need %d cache rules, and the %s plan allows %d", len(e.CachePaths), len(e.CachePaths), e.Plan, plan.CacheRules)
	}
	if e.CacheTTLSeconds < 60 {
		p.addf("cacheTTLSeconds", "%d is below 60 (want seconds of edge caching for static paths)", e.CacheTTLSeconds)
	}
	if r := e.RateLimit.RequestsPerMinute; r < 1 || r > maxRequestsPerMinute {
		p.addf("rateLimit.requestsPerMinute", "%d is out of range (want 1 to %d)", r, maxRequestsPerMinute)
	}
	if e.RateLimit.Burst < 0 {
		p.addf("rateLimit.burst", "%d is negative (want 0 or more extra requests a minute)", e.RateLimit.Burst)
	}
	for i, pl := range e.ExpensivePaths {
		if !strings.HasPrefix(pl.Path, "/") || strings.ContainsAny(pl.Path, `"\ `) {
			p.addf(fmt.Sprintf("expensivePaths.%d.path", i), "%q is not a path prefix (want one starting with /)", pl.Path)
		}
		// A path's rule is known by the path (its ref is made from it): one rule a path.
		if j := slices.IndexFunc(e.ExpensivePaths[:i], func(o PathLimit) bool { return o.Path == pl.Path }); j >= 0 {
			p.addf(fmt.Sprintf("expensivePaths.%d.path", i), "%q is already expensivePaths.%d (want each path once)", pl.Path, j)
		}
		if pl.RequestsPerMinute < 1 || pl.RequestsPerMinute > e.RateLimit.RequestsPerMinute {
			p.addf(fmt.Sprintf("expensivePaths.%d.requestsPerMinute", i), "%d is out of range (want 1 to the API's %d: a stricter limit)", pl.RequestsPerMinute, e.RateLimit.RequestsPerMinute)
		}
	}
	if rules := 1 + len(e.ExpensivePaths); rules > plan.RateLimitRules {
		p.addf("expensivePaths", "%d paths and the API's limit need %d rate-limiting rules, and the %s plan allows %d (want at most %d expensive paths, or a larger plan)",
			len(e.ExpensivePaths), rules, e.Plan, plan.RateLimitRules, plan.RateLimitRules-1)
	}
	return errors.Join(p.errs...)
}

// WAF reports whether the plan includes Cloudflare's managed WAF rulesets.
func (e Edge) WAF() bool {
	plans, err := CloudflarePlans()
	return err == nil && plans[e.Plan].WAFManagedRules
}

func planNames(plans map[string]CloudflarePlan) []string {
	out := make([]string, 0, len(plans))
	for n := range plans {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		order := []string{"free", "pro", "business"}
		return slices.Index(order, out[i]) < slices.Index(order, out[j])
	})
	return out
}
