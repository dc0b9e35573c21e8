package spec

import (
	_ "embed"
	"fmt"
	"net/netip"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed cloudflare-ips.yaml
var cloudflareYAML []byte

// CloudflareRanges returns Cloudflare's published edge address ranges, parsed.
var CloudflareRanges = sync.OnceValues(func() ([]netip.Prefix, error) {
	var doc struct {
		Source string   `yaml:"source"`
		AsOf   string   `yaml:"as_of"`
		Ranges []string `yaml:"ranges"`
	}
	if err := yaml.Unmarshal(cloudflareYAML, &doc); err != nil {
		return nil, fmt.Errorf("spec: cloudflare-ips.yaml: %w", err)
	}
	if doc.Source == "" || doc.AsOf == "" || len(doc.Ranges) == 0 {
		return nil, fmt.Errorf("spec: cloudflare-ips.yaml: source, as_of and ranges are required")
	}
	out := make([]netip.Prefix, 0, len(doc.Ranges))
	for _, r := range doc.Ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("spec: cloudflare-ips.yaml: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
})

// InCloudflare reports whether a CIDR range lies wholly inside one of Cloudflare's ranges.
func InCloudflare(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	ranges, err := CloudflareRanges()
	if err != nil {
		return false
	}
	for _, r := range ranges {
		if r.Bits() <= p.Bits() && r.Contains(p.Masked().Addr()) {
			return true
		}
	}
	return false
}
