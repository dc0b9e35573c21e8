// Package cost prices a plan: monthly estimates per stack and the difference a change makes.
// Prices are data (prices/*.yaml, each entry with its source and as-of date), money is decimal,
// and Estimate and Diff are pure: no I/O, no clock, no logging. It reads the plan model, never a
// cloud SDK, so it builds and tests in seconds.
package cost

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/components/spec"
)

// HoursPerMonth is the month every hourly price is multiplied by: 730 hours (365 days x 24 / 12),
// as AWS's own calculator uses. DigitalOcean caps a month at 672 hours, so its prices are given
// monthly and not multiplied.
var HoursPerMonth = decimal.NewFromInt(730)

// Units a price can be given in.
const (
	PerMonth    = "month"     // a resource-month (node, cluster, database)
	PerHour     = "hour"      // a resource-hour, times HoursPerMonth
	PerGBMonth  = "GB-month"  // storage, per GB (GiB on DigitalOcean) and month
	PerGB       = "GB"        // data, per GB moved
	PerUnitHour = "unit-hour" // capacity units (load balancer LCUs), per unit and hour
	Fraction    = "fraction"  // a discount: 0.6 takes 60% off
)

var units = []string{PerMonth, PerHour, PerGBMonth, PerGB, PerUnitHour, Fraction}

// Caveats a price table entry may carry; none for the provider's own list price.
const (
	CaveatEstimate   = "estimate"
	CaveatThirdParty = "third-party"
)

var caveats = []string{CaveatEstimate, CaveatThirdParty}

// Item is one price, or one price per size, with where it was read.
type Item struct {
	Unit   string `yaml:"unit"`
	Source string `yaml:"source"`
	AsOf   string `yaml:"as_of"`
	// Price is the one price of the item; Prices is a price per size (slug, instance type).
	Price  string            `yaml:"price,omitempty"`
	Prices map[string]string `yaml:"prices,omitempty"`
	// Note is what the reader of a report should know about the figure.
	Note string `yaml:"note,omitempty"`
	// Caveat says the price is not the provider's own list price: "estimate" (derived or
	// assumed) or "third-party" (a third party's listing); empty for a list price.
	Caveat string `yaml:"caveat,omitempty"`
	// Catalog names the kind of size the keys are (node, database, cache): a size the
	// catalog knows but this table does not price is unpriced, not an error.
	Catalog string `yaml:"catalog,omitempty"`
}

// Table is one cloud's prices: items by name, per region ("*" for every region).
type Table struct {
	Cloud    string                     `yaml:"cloud"`
	Currency string                     `yaml:"currency"`
	Regions  map[string]map[string]Item `yaml:"regions"`
	// Free are resource types that cost nothing themselves (a VPC, an IAM role).
	Free []string `yaml:"free"`
}

// Prices are the price tables of every cloud, by cloud name.
type Prices map[string]Table

//go:embed prices/*.yaml
var priceFiles embed.FS

// Default returns the price tables shipped with scalestack, checked.
var Default = sync.OnceValues(func() (Prices, error) {
	entries, err := priceFiles.ReadDir("prices")
	if err != nil {
		return nil, err
	}
	p := Prices{}
	for _, e := range entries {
		raw, err := priceFiles.ReadFile("prices/" + e.Name())
		if err != nil {
			return nil, err
		}
		t, err := ParseTable(raw)
		if err != nil {
			return nil, fmt.Errorf("cost: prices/%s: %w", e.Name(), err)
		}
		p[t.Cloud] = t
	}
	return p, nil
})

// ParseTable reads one price table strictly and checks every entry: a unit from the list, a
// source, an as-of date, and prices that are non-negative decimals.
func ParseTable(raw []byte) (Table, error) {
	var t Table
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return Table{}, err
	}
	var errs []error
	if t.Cloud == "" || t.Currency == "" || len(t.Regions) == 0 {
		errs = append(errs, errors.New("cloud, currency and regions are required"))
	}
	for region, items := range t.Regions {
		for name, it := range items {
			where := region + "." + name
			if !slices.Contains(units, it.Unit) {
				errs = append(errs, fmt.Errorf("%s: unit %q (want one of %s)", where, it.Unit, strings.Join(units, ", ")))
			}
			if it.Caveat != "" && !slices.Contains(caveats, it.Caveat) {
				errs = append(errs, fmt.Errorf("%s: caveat %q (want one of %s, or none for a list price)", where, it.Caveat, strings.Join(caveats, ", ")))
			}
			if it.Source == "" || it.AsOf == "" {
				errs = append(errs, fmt.Errorf("%s: source and as_of are required", where))
			}
			if (it.Price == "") == (len(it.Prices) == 0) {
				errs = append(errs, fmt.Errorf("%s: want either price or prices", where))
			}
			check := func(key, v string) {
				d, err := decimal.NewFromString(v)
				if err != nil || d.IsNegative() {
					errs = append(errs, fmt.Errorf("%s%s: %q is not a price (want a non-negative decimal such as \"0.0416\")", where, key, v))
				}
			}
			if it.Price != "" {
				check("", it.Price)
			}
			for k, v := range it.Prices {
				check("."+k, v)
			}
		}
	}
	return t, errors.Join(errs...)
}

// Rate is a resolved price: per unit, as given, and per month where the unit is time-based.
type Rate struct {
	Item   string
	Key    string
	Unit   string
	Price  decimal.Decimal
	Source string
	AsOf   string
	Note   string
	Caveat string
}

// Monthly converts a rate per hour into a rate per month; other units are returned as they are.
func (r Rate) Monthly() decimal.Decimal {
	if r.Unit == PerHour || r.Unit == PerUnitHour {
		return r.Price.Mul(HoursPerMonth)
	}
	return r.Price
}

// Lookup finds an item's price in a region (or the cloud's "*" region), and for sized items the
// price of one size. An unknown size is an error that lists the known ones.
func (p Prices) Lookup(cloud, region, item, key string) (Rate, error) {
	t, ok := p[cloud]
	if !ok {
		return Rate{}, fmt.Errorf("no price table for cloud %q (want one of %s)", cloud, strings.Join(sortedKeys(p), ", "))
	}
	items, ok := t.Regions[region]
	if !ok {
		items, ok = t.Regions["*"]
	}
	if !ok {
		return Rate{}, fmt.Errorf("no %s prices for region %q (want one of %s)", cloud, region, strings.Join(sortedKeys(t.Regions), ", "))
	}
	it, ok := items[item]
	if !ok {
		return Rate{}, fmt.Errorf("no %s price for %q in %s", cloud, item, region)
	}
	r := Rate{Item: item, Key: key, Unit: it.Unit, Source: it.Source, AsOf: it.AsOf, Note: it.Note, Caveat: it.Caveat}
	v := it.Price
	if len(it.Prices) > 0 {
		var ok bool
		if v, ok = it.Prices[key]; !ok {
			if _, err := spec.Lookup(spec.Cloud(cloud), spec.SizeKind(it.Catalog), key); it.Catalog != "" && err == nil {
				return Rate{}, unpriced("%s %s size %q has no price in the table yet", cloud, item, key)
			}
			return Rate{}, fmt.Errorf("%q is not a priced %s %s size (want one of %s)", key, cloud, item, strings.Join(sortedKeys(it.Prices), ", "))
		}
	}
	price, err := decimal.NewFromString(v)
	if err != nil {
		return Rate{}, fmt.Errorf("%s %s %s: %w", cloud, item, key, err)
	}
	r.Price = price
	return r, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
