package cost

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// Usage is what the estimate assumes where a price depends on traffic. Zero is a real figure
// (no traffic), not "unset": a usage file states every key it changes.
type Usage struct {
	NATDataGB       float64 `yaml:"natDataGB" json:"natDataGB"`
	EgressGB        float64 `yaml:"egressGB" json:"egressGB"`
	LoadBalancerLCU float64 `yaml:"loadBalancerLCU" json:"loadBalancerLCU"`
}

// Band is a monthly cost range in the currency of the prices.
type Band struct {
	Low  string `yaml:"low" json:"low"`
	High string `yaml:"high" json:"high"`
}

type tierData struct {
	Band  Band  `yaml:"band"`
	Usage Usage `yaml:"usage"`
}

//go:embed tiers.yaml
var tiersYAML []byte

var tierTable = sync.OnceValues(func() (map[string]tierData, error) {
	var m map[string]tierData
	dec := yaml.NewDecoder(bytes.NewReader(tiersYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("cost: tiers.yaml: %w", err)
	}
	for tier, d := range m {
		if err := d.Usage.Validate(); err != nil {
			return nil, fmt.Errorf("cost: tiers.yaml: %s: %w", tier, err)
		}
	}
	return m, nil
})

// TierUsage is the usage assumed for a tier.
func TierUsage(tier string) (Usage, error) {
	d, err := tierEntry(tier)
	return d.Usage, err
}

// SeedBand is the seed case's monthly cost band for a tier.
func SeedBand(tier string) (Band, error) {
	d, err := tierEntry(tier)
	return d.Band, err
}

func tierEntry(tier string) (tierData, error) {
	m, err := tierTable()
	if err != nil {
		return tierData{}, err
	}
	d, ok := m[tier]
	if !ok {
		return tierData{}, fmt.Errorf("%q is not a tier with usage assumptions (want one of %s)", tier, strings.Join(sortedKeys(m), ", "))
	}
	return d, nil
}

// Tiers lists the tiers tiers.yaml has assumptions for, in lexical order: the size order of the
// tiers is written once, in stacks/tiers, which this package does not import.
func Tiers() ([]string, error) {
	m, err := tierTable()
	if err != nil {
		return nil, err
	}
	return sortedKeys(m), nil
}

// Upper bounds of a usage figure: far above the largest tier's assumptions (1m: 5,000 GB NAT
// data, 100,000 GB egress, 100 LCU), so that a figure above them is a typo, not a forecast.
const (
	MaxNATDataGB       = 10_000_000 // 10 PB a month
	MaxEgressGB        = 10_000_000 // 10 PB a month
	MaxLoadBalancerLCU = 100_000
)

// Validate reports figures that are negative, not finite or above their bound, each by its key.
func (u Usage) Validate() error {
	var errs []error
	for _, f := range []struct {
		key string
		v   float64
		max float64
	}{{"natDataGB", u.NATDataGB, MaxNATDataGB}, {"egressGB", u.EgressGB, MaxEgressGB}, {"loadBalancerLCU", u.LoadBalancerLCU, MaxLoadBalancerLCU}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			errs = append(errs, fmt.Errorf("usage %q: %g is not a number (want 0 to %g)", f.key, f.v, f.max))
		case f.v < 0:
			errs = append(errs, fmt.Errorf("usage %q: %g is negative (want 0 or more)", f.key, f.v))
		case f.v > f.max:
			errs = append(errs, fmt.Errorf("usage %q: %g is above the bound %g (want 0 to %g)", f.key, f.v, f.max, f.max))
		}
	}
	return errors.Join(errs...)
}

// ReadUsage applies a usage file (YAML, the keys of Usage) onto base: keys it sets replace the
// base's, keys it leaves out keep them. Unknown keys and figures Validate refuses are errors.
func ReadUsage(r io.Reader, base Usage) (Usage, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Usage{}, err
	}
	u := base
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&u); err != nil && !errors.Is(err, io.EOF) {
		return Usage{}, fmt.Errorf("usage file: %w (want keys natDataGB, egressGB, loadBalancerLCU)", err)
	}
	if err := u.Validate(); err != nil {
		return Usage{}, fmt.Errorf("usage file: %w", err)
	}
	return u, nil
}

func dec(f float64) decimal.Decimal { return decimal.NewFromFloat(f) }
