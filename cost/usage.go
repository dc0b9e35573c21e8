package cost

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sort"
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
		return tierData{}, fmt.Errorf("%q is not a tier with usage assumptions (want one of %s)", tier, strings.Join(sortedTiers(m), ", "))
	}
	return d, nil
}

func sortedTiers(m map[string]tierData) []string {
	out := sortedKeys(m)
	// By size, as the tiers are documented: 1k, 10k, 100k, 1m.
	sort.SliceStable(out, func(i, j int) bool { return tierRank(out[i]) < tierRank(out[j]) })
	return out
}

func tierRank(t string) int {
	n := len(t)
	if strings.HasSuffix(t, "m") {
		n += 10
	}
	return n
}

// Validate reports negative figures, each by its key.
func (u Usage) Validate() error {
	var errs []error
	for _, f := range []struct {
		key string
		v   float64
	}{{"natDataGB", u.NATDataGB}, {"egressGB", u.EgressGB}, {"loadBalancerLCU", u.LoadBalancerLCU}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("usage %q: %g is negative (want 0 or more)", f.key, f.v))
		}
	}
	return errors.Join(errs...)
}

// ReadUsage applies a usage file (YAML, the keys of Usage) onto base: keys it sets replace the
// base's, keys it leaves out keep them. Unknown keys and negative figures are errors.
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
