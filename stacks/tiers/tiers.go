// Package tiers holds the tier presets: the platform sized for 1K, 10K, 100K and 1M concurrent
// users, as YAML data embedded in the binary. A tier is data, never a branch in code: upgrading
// is switching scalestack:tier, and the program reads sizes from here.
package tiers

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/components/spec"
)

// Preset is one tier: the Specs of every component.
type Preset struct {
	Tier     string        `yaml:"tier"`
	Users    int           `yaml:"users"`
	Network  spec.Network  `yaml:"network"`
	Cluster  spec.Cluster  `yaml:"cluster"`
	Database spec.Database `yaml:"database"`
	Cache    spec.Cache    `yaml:"cache"`
	// Workloads size the app on Kubernetes and switch the platform add-ons.
	Workloads spec.Workloads `yaml:"workloads"`
	// Edge is Cloudflare in front, when the stack has a domain.
	Edge spec.Edge `yaml:"edge"`
	// Policies are the tier's guardrail thresholds (the minimum replicas of a Deployment).
	Policies spec.Policies `yaml:"policies"`
}

// Names lists the tiers from smallest to largest.
var Names = []string{"1k", "10k", "100k", "1m"}

//go:embed *.yaml
var files embed.FS

// List is the allowed tier names, for error messages.
func List() string { return strings.Join(Names, ", ") }

// Load returns a tier's preset with every default filled in.
func Load(name string) (Preset, error) {
	known := false
	for _, n := range Names {
		known = known || n == name
	}
	if !known {
		return Preset{}, fmt.Errorf("%q is not a tier (want one of %s)", name, List())
	}
	raw, err := Raw(name)
	if err != nil {
		return Preset{}, err
	}
	p, err := Decode(raw)
	if err != nil {
		return Preset{}, fmt.Errorf("tiers: %s.yaml: %w", name, err)
	}
	if p.Tier != name {
		return Preset{}, fmt.Errorf("tiers: %s.yaml: tier %q does not match the file name", name, p.Tier)
	}
	return p, nil
}

// Raw returns a tier's preset file as written, before defaults: overrides are merged onto it, so
// that a default derived from another field (a replica's size from the primary's) follows the
// override.
func Raw(name string) ([]byte, error) {
	raw, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%q is not a tier (want one of %s)", name, List())
	}
	return raw, nil
}

// Decode parses a preset strictly (an unknown key is an error) and fills its defaults.
func Decode(raw []byte) (Preset, error) {
	var p Preset
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Preset{}, err
	}
	return p.WithDefaults(), nil
}

// WithDefaults fills every component's documented defaults.
func (p Preset) WithDefaults() Preset {
	p.Network = p.Network.WithDefaults()
	p.Cluster = p.Cluster.WithDefaults()
	p.Database = p.Database.WithDefaults()
	p.Cache = p.Cache.WithDefaults()
	p.Workloads = p.Workloads.WithDefaults(p.Cluster.SystemPool.Name, p.Cluster.AppPools)
	p.Edge = p.Edge.WithDefaults()
	return p
}

// Validate reports every problem of the preset for one cloud, each naming its field's path
// (cluster.appPools.0.maxNodes); the caller says where the values came from (a tier file or
// the stack's overrides).
func (p Preset) Validate(cloud spec.Cloud) error {
	var errs []error
	if p.Users < 1 {
		errs = append(errs, fmt.Errorf("users: %d is below 1 (want the concurrent users the tier is sized for)", p.Users))
	}
	errs = append(errs,
		p.Network.Validate("network."),
		p.Cluster.Validate("cluster.", cloud),
		p.Database.Validate("database.", cloud),
		p.Cache.Validate("cache.", cloud),
		p.Workloads.Validate("workloads.", p.Cluster.SystemPool.Name, p.Cluster.AppPools),
		p.Edge.Validate("edge."),
	)
	return errors.Join(errs...)
}

// BaselineUsers is what a tier's stack at rest must hold (before headroom): the previous tier's
// users, or the smallest tier's own, own.
func BaselineUsers(name string, own int) (int, error) {
	i := slices.Index(Names, name)
	if i < 0 {
		return 0, fmt.Errorf("%q is not a tier (want one of %s)", name, List())
	}
	if i == 0 {
		return own, nil
	}
	prev, err := Load(Names[i-1])
	if err != nil {
		return 0, err
	}
	return prev.Users, nil
}

// Next is the tier above name, empty for the largest (or a name that is no tier).
func Next(name string) string {
	i := slices.Index(Names, name)
	if i < 0 || i+1 == len(Names) {
		return ""
	}
	return Names[i+1]
}
