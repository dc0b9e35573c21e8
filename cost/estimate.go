package cost

import (
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/plan"
)

// Options say where and for what the plan is priced.
type Options struct {
	// Region picks regional prices (AWS). Empty takes the region of the plan's AWS provider.
	Region string
	// Tier names the preset the plan was made from, for the report; empty when not known.
	Tier string
	// Usage is the traffic assumed for usage-based items.
	Usage Usage
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
	// Usage marks a quantity taken from the usage assumptions rather than the plan.
	Usage  bool   `json:"usage,omitempty"`
	Source string `json:"source"`
	AsOf   string `json:"asOf"`
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
	e.index(resources)
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
	if e.clouds["aws"] {
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
		if r.Type == types.AWSNatGateway {
			e.nats++
		}
	}
}

// part prices a quantity (at baseline and ceiling) of one table item.
func (e *estimator) part(cloud, what, item, key string, qty, ceiling decimal.Decimal) (Part, error) {
	return e.scaledPart(cloud, what, item, key, qty, ceiling, one)
}

// scaledPart is part at a fraction of the table's price (a spot discount), rounded once.
func (e *estimator) scaledPart(cloud, what, item, key string, qty, ceiling, factor decimal.Decimal) (Part, error) {
	region := e.region
	if cloud == "aws" && region == "" {
		return Part{}, errors.New("the AWS region is not known (want --region, or an AWS provider with a region in the plan)")
	}
	rate, err := e.prices.Lookup(cloud, region, item, key)
	if err != nil {
		return Part{}, err
	}
	monthly := rate.Monthly().Mul(factor)
	return Part{
		What: what, Size: key, Quantity: qty, CeilingQuantity: ceiling, Unit: rate.Unit, UnitPrice: rate.Price.Mul(factor),
		Baseline: monthly.Mul(qty).Round(2), Ceiling: monthly.Mul(ceiling).Round(2),
		Source: rate.Source, AsOf: rate.AsOf,
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
