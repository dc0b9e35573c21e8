package spec

import (
	"errors"
	"net/netip"
	"slices"
)

// Network is the private network every other component lives in.
type Network struct {
	// CIDR is the VPC's address range. It cannot change once the VPC exists (the VPC would be
	// replaced), so it is the same for every tier and belongs to the stack, not the preset.
	CIDR string `yaml:"cidr"`
	// Zones is how many availability zones the network spans where the cloud has zones (AWS).
	Zones int `yaml:"zones"`
	// NATGateways is "single" (one shared gateway) or "per-zone" (one a zone, no cross-zone
	// dependency), where the cloud routes private subnets through NAT (AWS).
	NATGateways string `yaml:"natGateways"`
}

// Defaults of a Network.
const (
	DefaultCIDR   = "10.20.0.0/16"
	DefaultZones  = 3
	NATSingle     = "single"
	NATPerZone    = "per-zone"
	maxZones      = 6
	minVPCBits    = 16 // DigitalOcean allows /16 to /28; AWS /16 to /28.
	maxVPCBits    = 24 // smaller ranges leave no room for subnets per zone
	defaultNATMod = NATSingle
)

// WithDefaults fills the documented defaults.
func (n Network) WithDefaults() Network {
	if n.CIDR == "" {
		n.CIDR = DefaultCIDR
	}
	if n.Zones == 0 {
		n.Zones = DefaultZones
	}
	if n.NATGateways == "" {
		n.NATGateways = defaultNATMod
	}
	return n
}

// Validate reports every problem of the network, each naming its field.
func (n Network) Validate(prefix string) error {
	p := problems{prefix: prefix}
	prefixLen, err := netip.ParsePrefix(n.CIDR)
	switch {
	case err != nil:
		p.addf("cidr", "%q is not a CIDR range (want for example %s)", n.CIDR, DefaultCIDR)
	case !prefixLen.Addr().Is4() || !prefixLen.Addr().IsPrivate():
		p.addf("cidr", "%q is not a private IPv4 range (want one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)", n.CIDR)
	case prefixLen.Bits() < minVPCBits || prefixLen.Bits() > maxVPCBits:
		p.addf("cidr", "%q has a /%d prefix (want /%d to /%d)", n.CIDR, prefixLen.Bits(), minVPCBits, maxVPCBits)
	case prefixLen.Masked() != prefixLen:
		p.addf("cidr", "%q has host bits set (want %s)", n.CIDR, prefixLen.Masked())
	}
	if n.Zones < 2 || n.Zones > maxZones {
		p.addf("zones", "%d is out of range (want 2 to %d)", n.Zones, maxZones)
	}
	if !slices.Contains([]string{NATSingle, NATPerZone}, n.NATGateways) {
		p.addf("natGateways", "%q is not a NAT layout (want one of %s)", n.NATGateways, oneOf(NATSingle, NATPerZone))
	}
	return errors.Join(p.errs...)
}
