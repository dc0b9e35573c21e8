package cost

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// Options say where and for what the plan is priced.
type Options struct {
	// Region picks regional prices (AWS). Empty takes the region of the plan's AWS provider.
	Region string
	// Tier names the preset the plan was made from, for the report; empty when not known.
	Tier string
	// Usage is the traffic assumed for usage-based items.
	Usage Usage
	// Edge is a Cloudflare zone the stack configures but does not create (scalestack:domain,
	// with the preset's edge plan): its plan is part of the bill. Zero for none; a plan that
	// holds a zone resource of its own prices that one instead.
	Edge Edge
}

// Edge names a configured Cloudflare zone and its plan (free, pro, business).
type Edge struct {
	Domain string
	Plan   string
}

// StackOptions are the options every command prices a stack with, so that `scalestack cost`
// and the budget rule of `scalestack check` compute one bill: the region, the tier, the usage,
// and the Cloudflare zone of a stack with a domain.
func StackOptions(region, tier string, usage Usage, domain, edgePlan string) Options {
	opts := Options{Region: region, Tier: tier, Usage: usage}
	if domain != "" {
		opts.Edge = Edge{Domain: domain, Plan: edgePlan}
	}
	return opts
}

// Budget is a report's verdict against a monthly budget.
type Budget struct {
	Limit   decimal.Decimal `json:"limit"`
	Ceiling decimal.Decimal `json:"ceiling"`
	Over    bool            `json:"over"`
}

// Judge is the verdict of a ceiling against a limit: over when the ceiling is above it.
func Judge(limit, ceiling decimal.Decimal) *Budget {
	return &Budget{Limit: limit, Ceiling: ceiling, Over: ceiling.GreaterThan(limit)}
}

// RegionError is a plan whose cloud has no prices for its region.
type RegionError struct {
	Cloud, Region string
	// Priced are the regions the table has prices for.
	Priced []string
}

func (e RegionError) Error() string {
	if e.Region == "" {
		return fmt.Sprintf("the %s region is not known (want --region, or a provider with a region in the plan; priced: %s)", strings.ToUpper(e.Cloud), strings.Join(e.Priced, ", "))
	}
	return fmt.Sprintf("no %s prices for region %q (want one of %s)", e.Cloud, e.Region, strings.Join(e.Priced, ", "))
}

// Report is a plan's monthly cost: baseline with every autoscaled pool at its minimum, ceiling
// at its maximum. Resources without a price are listed, never counted as zero.
type Report struct {
	Currency string          `json:"currency"`
	Region   string          `json:"region,omitempty"`
	Tier     string          `json:"tier,omitempty"`
	Baseline decimal.Decimal `json:"baselineMonthly"`
	Ceiling  decimal.Decimal `json:"ceilingMonthly"`
	Lines    []Line          `json:"resources"`
	// Free are resources that cost nothing themselves (a VPC, a role, a Deployment whose pods
	// run on nodes priced above).
	Free     []Ref      `json:"free"`
	Unpriced []Unpriced `json:"unpriced"`
	Usage    Usage      `json:"usage"`
	// Budget is the verdict against the budget, when there is one.
	Budget *Budget `json:"budget,omitempty"`
	// Windows are the stack's launch windows (scalestack:launch): what each costs beyond the
	// monthly totals, which they are not part of.
	Windows []Window `json:"launchWindows,omitempty"`
}

// Window is one launch window's cost: the nodes its held pods need beyond the pools' minimums,
// from the hold's begin (the window's start less the time pods and nodes take) to its end.
type Window struct {
	Start time.Time `json:"start"`
	Begin time.Time `json:"begin"`
	End   time.Time `json:"end"`
	Users int       `json:"users"`
	// ExtraNodes are the nodes the hold adds, by pool.
	ExtraNodes map[string]int `json:"extraNodes"`
	// PerHour and Total are nil when a node of the hold has no price (Unpriced says why).
	PerHour  *decimal.Decimal `json:"perHour,omitempty"`
	Total    *decimal.Decimal `json:"total,omitempty"`
	Unpriced string           `json:"unpriced,omitempty"`
}

// Hours is how long the window holds its pods.
func (w Window) Hours() decimal.Decimal {
	return decimal.NewFromFloat(w.End.Sub(w.Begin).Hours()).Round(2)
}

// Line is one priced resource.
type Line struct {
	Type     string          `json:"type"`
	Name     string          `json:"name"`
	Baseline decimal.Decimal `json:"baselineMonthly"`
	Ceiling  decimal.Decimal `json:"ceilingMonthly"`
	Parts    []Part          `json:"parts"`
}

// Part is one priced quantity of a resource: its nodes, its storage, its data.
type Part struct {
	What string `json:"what"`
	// Size is the size priced (a slug, an instance type); empty for unsized items.
	Size string `json:"size,omitempty"`
	// Quantity is at baseline; CeilingQuantity where autoscaling takes it higher.
	Quantity        decimal.Decimal `json:"quantity"`
	CeilingQuantity decimal.Decimal `json:"ceilingQuantity"`
	Unit            string          `json:"unit"`
	UnitPrice       decimal.Decimal `json:"unitPrice"`
	Baseline        decimal.Decimal `json:"baselineMonthly"`
	Ceiling         decimal.Decimal `json:"ceilingMonthly"`
	// Usage marks a quantity taken from the usage assumptions rather than the plan; UsageKey
	// names the assumption (a key of Usage).
	Usage    bool   `json:"usage,omitempty"`
	UsageKey string `json:"usageKey,omitempty"`
	Source   string `json:"source"`
	AsOf     string `json:"asOf"`
	// Note is the price table's note on the figure (an estimate, medium confidence).
	Note string `json:"note,omitempty"`
	// Caveat is the price table's word that the price is not a list price: estimate or
	// third-party; empty for a list price.
	Caveat string `json:"caveat,omitempty"`
}

// Ref names a resource.
type Ref struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Unpriced is a resource the estimate could not price, and why.
type Unpriced struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// unpricedError is a resource that has no price, as opposed to a bad input (an unknown size).
type unpricedError struct{ reason string }

func (e unpricedError) Error() string { return e.reason }

func unpriced(format string, args ...any) error {
	return unpricedError{reason: fmt.Sprintf(format, args...)}
}

// Estimate prices every custom resource of a plan. Component resources and providers are
// groupings, not bills, and are left out. An unknown size is an error (it would be refused by
// the cloud too); a resource type without a price is listed as unpriced.
func Estimate(resources []plan.Resource, prices Prices, opts Options) (Report, error) {
	if err := opts.Usage.Validate(); err != nil {
		return Report{}, err
	}
	e := &estimator{prices: prices, opts: opts, byName: map[string]plan.Resource{}}
	if opts.Edge.Domain != "" && !slices.ContainsFunc(resources, func(r plan.Resource) bool { return r.Custom && r.Type == types.CFZone }) {
		resources = append(slices.Clip(resources), plan.Resource{Type: types.CFZone, Name: opts.Edge.Domain, Custom: true,
			Inputs: map[string]any{"plan": opts.Edge.Plan}})
	}
	e.index(resources)
	if err := e.checkRegion(); err != nil {
		return Report{}, err
	}
	rep := Report{Currency: "USD", Region: e.region, Tier: opts.Tier, Usage: opts.Usage,
		Lines: []Line{}, Free: []Ref{}, Unpriced: []Unpriced{}}
	var errs []error
	for _, r := range resources {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		parts, err := e.price(r)
		var up unpricedError
		switch {
		case errors.As(err, &up):
			rep.Unpriced = append(rep.Unpriced, Unpriced{Type: r.Type, Name: r.Name, Reason: up.reason})
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %s: %w", r.Type, r.Name, err))
		case len(parts) == 0:
			rep.Free = append(rep.Free, Ref{Type: r.Type, Name: r.Name})
		default:
			rep.Lines = append(rep.Lines, newLine(r.Type, r.Name, parts))
		}
	}
	if e.egress {
		parts, err := e.awsEgress()
		if err != nil {
			errs = append(errs, err)
		} else {
			rep.Lines = append(rep.Lines, newLine("usage", "internet egress", parts))
		}
	}
	if len(errs) > 0 {
		return Report{}, errors.Join(errs...)
	}
	for _, l := range rep.Lines {
		rep.Baseline = rep.Baseline.Add(l.Baseline)
		rep.Ceiling = rep.Ceiling.Add(l.Ceiling)
	}
	return rep, nil
}

func newLine(typ, name string, parts []Part) Line {
	l := Line{Type: typ, Name: name, Parts: parts}
	for _, p := range parts {
		l.Baseline = l.Baseline.Add(p.Baseline)
		l.Ceiling = l.Ceiling.Add(p.Ceiling)
	}
	return l
}

type estimator struct {
	prices Prices
	opts   Options
	region string
	clouds map[string]bool
	// byName finds a resource by type and a name-like input (an RDS identifier).
	byName map[string]plan.Resource
	nats   int
	// publicZones counts the public subnets (tagged for internet-facing load balancers): an
	// internet-facing NLB holds one public IPv4 address in each.
	publicZones int
	// egress says the plan holds what sends data to the internet (a cluster, a load balancer):
	// the egress assumption belongs to it and is priced only with it.
	egress bool
}

// egressOrigins are the AWS resource types whose presence prices the egress assumption.
var egressOrigins = []string{types.AWSEKS, types.AWSEKSNodeGroup, types.AWSLB}

// checkRegion makes an AWS plan's unknown or unpriced region one error, not one per resource.
func (e *estimator) checkRegion() error {
	if !e.clouds["aws"] {
		return nil
	}
	t, ok := e.prices["aws"]
	if !ok {
		return nil // Lookup names the missing table
	}
	if _, ok := t.Regions[e.region]; ok && e.region != "" {
		return nil
	}
	if _, ok := t.Regions["*"]; ok && e.region != "" {
		return nil
	}
	return RegionError{Cloud: "aws", Region: e.region, Priced: sortedKeys(t.Regions)}
}

func (e *estimator) index(resources []plan.Resource) {
	e.region = e.opts.Region
	e.clouds = map[string]bool{}
	for _, r := range resources {
		if r.Type == types.ProviderAWS && e.region == "" {
			if region, ok := r.Inputs["region"].(string); ok && region != plan.Unknown {
				e.region = region
			}
		}
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		cloud, _, _ := strings.Cut(r.Type, ":")
		e.clouds[cloud] = true
		if id, ok := r.Inputs["identifier"].(string); ok {
			e.byName[r.Type+"::"+id] = r
		}
		if r.Type == types.KarpenterEC2NodeClass {
			e.byName[r.Type+"::"+r.StringAt("metadata.name")] = r
		}
		switch {
		case r.Type == types.AWSNatGateway:
			e.nats++
		case r.Type == types.AWSSubnet && publicSubnet(r):
			e.publicZones++
		case slices.Contains(egressOrigins, r.Type):
			e.egress = true
		}
	}
	if e.clouds["aws"] {
		for _, r := range resources {
			if r.Custom && r.Type == types.K8sService && isLoadBalancerService(r) {
				e.egress = true
			}
		}
	}
}

// elbRoleTag marks the subnets internet-facing load balancers go in.
const elbRoleTag = "kubernetes.io/role/elb"

func publicSubnet(r plan.Resource) bool {
	tags, _ := r.Inputs["tags"].(map[string]any)
	v, _ := tags[elbRoleTag].(string)
	return v == "1" || flag(r, "mapPublicIpOnLaunch")
}

func isLoadBalancerService(r plan.Resource) bool {
	t, _ := r.Get("spec.type")
	return t == "LoadBalancer"
}

// part prices a quantity (at baseline and ceiling) of one table item.
func (e *estimator) part(cloud, what, item, key string, qty, ceiling decimal.Decimal) (Part, error) {
	return e.scaledPart(cloud, what, item, key, qty, ceiling, one)
}

// scaledPart is part at a fraction of the table's price (a spot discount), rounded once.
func (e *estimator) scaledPart(cloud, what, item, key string, qty, ceiling, factor decimal.Decimal) (Part, error) {
	region := e.region
	if cloud == "aws" && region == "" {
		return Part{}, RegionError{Cloud: "aws", Priced: sortedKeys(e.prices["aws"].Regions)}
	}
	rate, err := e.prices.Lookup(cloud, region, item, key)
	if err != nil {
		return Part{}, err
	}
	monthly := rate.Monthly().Mul(factor)
	return Part{
		What: what, Size: key, Quantity: qty, CeilingQuantity: ceiling, Unit: rate.Unit, UnitPrice: rate.Price.Mul(factor),
		Baseline: monthly.Mul(qty).Round(2), Ceiling: monthly.Mul(ceiling).Round(2),
		Source: rate.Source, AsOf: rate.AsOf, Note: rate.Note, Caveat: rate.Caveat,
	}, nil
}

// fixed is a part whose quantity autoscaling does not change.
func (e *estimator) fixed(cloud, what, item, key string, qty decimal.Decimal) (Part, error) {
	return e.part(cloud, what, item, key, qty, qty)
}

func (e *estimator) price(r plan.Resource) ([]Part, error) {
	if f, ok := pricers[r.Type]; ok {
		return f(e, r)
	}
	cloud, _, _ := strings.Cut(r.Type, ":")
	if t, ok := e.prices[cloud]; ok && slices.Contains(t.Free, r.Type) {
		return nil, nil
	}
	if cloud == "kubernetes" {
		// Kubernetes objects run on the nodes priced above, except a Service of type
		// LoadBalancer, priced by its own pricer.
		return nil, nil
	}
	return nil, unpriced("no price for this resource type")
}
