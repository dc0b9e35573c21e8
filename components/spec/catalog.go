package spec

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// SizeKind is what a size is for: each cloud names node, database and cache sizes differently.
type SizeKind string

// The kinds of sizes in the catalog.
const (
	NodeSize     SizeKind = "node"
	DatabaseSize SizeKind = "database"
	CacheSize    SizeKind = "cache"
)

// SizeInfo is what the catalog knows of one size. Prices live in the cost package, not here.
type SizeInfo struct {
	Slug      string  `yaml:"slug"`
	VCPUs     float64 `yaml:"vcpus"`
	MemoryGiB float64 `yaml:"memoryGiB"`
	// Connections is a PostgreSQL size's connection limit for clients (the plan's total less the
	// connections the provider reserves for itself). Zero for other kinds.
	Connections int `yaml:"connections,omitempty"`
	// Family groups AWS instance types that can stand in for each other (general, compute,
	// burstable): a spot pool takes every catalogued type of its size's family with the same
	// vCPUs and memory.
	Family string `yaml:"family,omitempty"`
}

type catalogSection struct {
	Source string     `yaml:"source"`
	AsOf   string     `yaml:"as_of"`
	Sizes  []SizeInfo `yaml:"sizes"`
}

//go:embed catalog.yaml
var catalogYAML []byte

var catalog = sync.OnceValues(func() (map[Cloud]map[SizeKind]catalogSection, error) {
	var c map[Cloud]map[SizeKind]catalogSection
	dec := yaml.NewDecoder(strings.NewReader(string(catalogYAML)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("spec: catalog.yaml: %w", err)
	}
	return c, nil
})

// Lookup finds a size in the catalog, or says which sizes are known.
func Lookup(c Cloud, kind SizeKind, slug string) (SizeInfo, error) {
	cat, err := catalog()
	if err != nil {
		return SizeInfo{}, err
	}
	section := cat[c][kind]
	for _, s := range section.Sizes {
		if s.Slug == slug {
			return s, nil
		}
	}
	return SizeInfo{}, fmt.Errorf("%q is not a %s %s size (want one of %s)", slug, c, kind, strings.Join(Sizes(c, kind), ", "))
}

// Sizes lists the known slugs of one kind on one cloud, in catalog order.
func Sizes(c Cloud, kind SizeKind) []string {
	cat, err := catalog()
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range cat[c][kind].Sizes {
		out = append(out, s.Slug)
	}
	return out
}

// Interchangeable lists the catalogued sizes of the same kind and family with the same vCPUs and
// memory as slug, slug first: the instance types a spot pool may run on.
func Interchangeable(c Cloud, kind SizeKind, slug string) ([]string, error) {
	info, err := Lookup(c, kind, slug)
	if err != nil {
		return nil, err
	}
	out := []string{slug}
	cat, _ := catalog()
	for _, s := range cat[c][kind].Sizes {
		if s.Slug != slug && s.Family == info.Family && s.VCPUs == info.VCPUs && s.MemoryGiB == info.MemoryGiB {
			out = append(out, s.Slug)
		}
	}
	return out, nil
}

// CatalogSource returns where a catalog section's figures come from and when they were read.
func CatalogSource(c Cloud, kind SizeKind) (source, asOf string, err error) {
	cat, err := catalog()
	if err != nil {
		return "", "", err
	}
	section, ok := cat[c][kind]
	if !ok {
		return "", "", fmt.Errorf("spec: catalog has no %s %s sizes", c, kind)
	}
	return section.Source, section.AsOf, nil
}

// CatalogErr reports a catalog that does not parse or lacks a source; tests call it so that a bad
// edit of catalog.yaml fails the build of every stack, not only the sizes it touches.
func CatalogErr() error {
	cat, err := catalog()
	if err != nil {
		return err
	}
	for c, kinds := range cat {
		for k, s := range kinds {
			if s.Source == "" || s.AsOf == "" {
				return fmt.Errorf("spec: catalog.yaml: %s %s: source and as_of are required", c, k)
			}
			seen := map[string]bool{}
			for _, size := range s.Sizes {
				if seen[size.Slug] {
					return fmt.Errorf("spec: catalog.yaml: %s %s: %q listed twice", c, k, size.Slug)
				}
				seen[size.Slug] = true
				if size.VCPUs <= 0 || size.MemoryGiB <= 0 {
					return fmt.Errorf("spec: catalog.yaml: %s %s %q: vcpus and memoryGiB must be positive", c, k, size.Slug)
				}
				if k == DatabaseSize && size.Connections <= 0 {
					return fmt.Errorf("spec: catalog.yaml: %s %s %q: connections must be positive", c, k, size.Slug)
				}
			}
		}
	}
	return nil
}
