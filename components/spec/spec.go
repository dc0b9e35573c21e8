// Package spec holds the plain-Go Specs of the platform's components: what a cluster, a database,
// a cache and a network are, the same for every cloud. The component packages build resources from
// these; the tier presets, the cost model and the policy rules read them without importing a cloud
// SDK, which is why they live here and not beside each constructor.
package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Cloud is where a stack runs.
type Cloud string

// The clouds a stack can target.
const (
	DigitalOcean Cloud = "digitalocean"
	AWS          Cloud = "aws"
	// Local is any existing Kubernetes cluster given by kubeconfig, with PostgreSQL and Redis
	// run in the cluster instead of managed services.
	Local Cloud = "local"
)

// Clouds lists every cloud in the order they are documented.
var Clouds = []Cloud{DigitalOcean, AWS, Local}

// ParseCloud checks a cloud name.
func ParseCloud(s string) (Cloud, error) {
	c := Cloud(s)
	if !slices.Contains(Clouds, c) {
		return "", fmt.Errorf("%q is not a cloud (want one of %s)", s, CloudList())
	}
	return c, nil
}

// CloudList is the allowed cloud names, for error messages.
func CloudList() string {
	names := make([]string, len(Clouds))
	for i, c := range Clouds {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// PerCloud is a value that differs by cloud, such as a machine size: a DigitalOcean slug and an
// AWS instance class. The tier presets carry both so that one preset serves every cloud.
type PerCloud struct {
	DigitalOcean string `yaml:"digitalocean,omitempty" json:"digitalocean,omitempty"`
	AWS          string `yaml:"aws,omitempty" json:"aws,omitempty"`
}

// For returns the value for one cloud; empty for the local cloud, which has no sizes.
func (p PerCloud) For(c Cloud) string {
	switch c {
	case DigitalOcean:
		return p.DigitalOcean
	case AWS:
		return p.AWS
	default:
		return ""
	}
}

// IsZero reports whether no cloud has a value.
func (p PerCloud) IsZero() bool { return p == PerCloud{} }

// Or returns p, or fallback where p has no value for a cloud.
func (p PerCloud) Or(fallback PerCloud) PerCloud {
	if p.DigitalOcean == "" {
		p.DigitalOcean = fallback.DigitalOcean
	}
	if p.AWS == "" {
		p.AWS = fallback.AWS
	}
	return p
}

// PerCloudInt is a count that may differ by cloud, such as standby nodes: DigitalOcean runs up to
// two, while an AWS Multi-AZ instance has exactly one. A preset writes a plain number for every
// cloud (standby: 1) or an object per cloud (standby: {digitalocean: 2, aws: 1}); an object
// replaces a plain number wholesale, so a cloud it leaves out gets zero.
type PerCloudInt struct {
	DigitalOcean int `yaml:"digitalocean" json:"digitalocean"`
	AWS          int `yaml:"aws" json:"aws"`
}

// Same returns a PerCloudInt with one value for every cloud.
func Same(n int) PerCloudInt { return PerCloudInt{DigitalOcean: n, AWS: n} }

// For returns the count for one cloud; the local cloud follows DigitalOcean's.
func (p PerCloudInt) For(c Cloud) int {
	if c == AWS {
		return p.AWS
	}
	return p.DigitalOcean
}

// UnmarshalYAML reads a plain number (every cloud) or an object of clouds.
func (p *PerCloudInt) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		var n int
		if err := node.Decode(&n); err != nil {
			return fmt.Errorf("line %d: %q is not a whole number (want a number, or an object with keys digitalocean, aws)", node.Line, node.Value)
		}
		*p = Same(n)
		return nil
	}
	type plain PerCloudInt
	var v plain
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a number, or an object with keys digitalocean, aws", node.Line)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k := node.Content[i].Value; k != "digitalocean" && k != "aws" {
			return fmt.Errorf("line %d: %q is not a cloud with counts (want digitalocean, aws)", node.Content[i].Line, k)
		}
	}
	if err := node.Decode(&v); err != nil {
		return err
	}
	*p = PerCloudInt(v)
	return nil
}

// MarshalYAML writes a plain number when every cloud has the same count.
func (p PerCloudInt) MarshalYAML() (any, error) {
	if p.DigitalOcean == p.AWS {
		return p.AWS, nil
	}
	type plain PerCloudInt
	return plain(p), nil
}

// problems collects validation errors, each prefixed with the field path it concerns.
type problems struct {
	prefix string
	errs   []error
}

func (p *problems) addf(field, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s%s: %s", p.prefix, field, fmt.Sprintf(format, args...)))
}

func (p *problems) add(errs ...error) {
	for _, err := range errs {
		if err != nil {
			p.errs = append(p.errs, err)
		}
	}
}

// requireSize checks that a size is set for the cloud and known to the catalog.
func (p *problems) requireSize(field string, size PerCloud, c Cloud, kind SizeKind) {
	if c == Local {
		return
	}
	v := size.For(c)
	if v == "" {
		p.addf(field+"."+string(c), "is empty (want a %s size for %s)", kind, c)
		return
	}
	if _, err := Lookup(c, kind, v); err != nil {
		p.addf(field+"."+string(c), "%v", err)
	}
}

func oneOf(values ...string) string { return strings.Join(values, ", ") }

// Placement is where a component is built and how it is guarded: the same for every component
// of a stack.
type Placement struct {
	Cloud  Cloud
	Region string
	// Protect marks stateful resources protected: the engine refuses to delete them.
	Protect bool
}

// Validate checks that the placement names a cloud and a region.
func (p Placement) Validate() error {
	var errs []error
	if _, err := ParseCloud(string(p.Cloud)); err != nil {
		errs = append(errs, fmt.Errorf("cloud: %w", err))
	}
	if p.Region == "" {
		errs = append(errs, fmt.Errorf("region: is empty (want the cloud's region, for example nyc3)"))
	}
	return errors.Join(errs...)
}
