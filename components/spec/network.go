package spec

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Network is the private network every other component lives in.
type Network struct {
	// CIDR is the VPC's address range. It cannot change once the VPC exists (the VPC would be
	// replaced), so it is the same for every tier and belongs to the stack, not the preset.
	CIDR string `yaml:"cidr"`
	// Zones is how many availability zones the network spans where the cloud has zones (AWS).
	Zones int `yaml:"zones" default:"absent"`
	// NATGateways is "single" (one shared gateway) or "per-zone" (one a zone, no cross-zone
	// dependency), where the cloud routes private subnets through NAT (AWS).
	NATGateways string `yaml:"natGateways"`
	// AvailabilityZones names the zones (AWS), as many as Zones. Empty derives them from the
	// region (us-east-1a, us-east-1b, ...), skipping letters a region does not have, so that
	// `pulumi preview` needs no account to look them up. Name them when an account lacks one.
	AvailabilityZones []string `yaml:"availabilityZones,omitempty"`
}

// zoneLetters are the zone letters of regions whose zones are not a, b, c, ... in order (every
// account sees these; other gaps are per account and need AvailabilityZones).
var zoneLetters = map[string]string{
	"ap-northeast-1": "acd",
	"us-west-1":      "bc",
}

// ZoneNames returns the network's zones in a region: the named ones, or derived from the region.
func (n Network) ZoneNames(region string) []string {
	if len(n.AvailabilityZones) > 0 {
		return n.AvailabilityZones
	}
	letters, ok := zoneLetters[region]
	if !ok {
		letters = "abcdef"
	}
	var out []string
	for i := 0; i < n.Zones && i < len(letters); i++ {
		out = append(out, region+letters[i:i+1])
	}
	return out
}

// Subnet layout: the VPC is cut into 8 equal slots. Zone i's private subnet is slot i (nodes,
// pods with the AWS VPC CNI, databases); the last slot is cut into 8 public subnets, zone i's
// is the i-th (load balancers and NAT gateways only). A zone's ranges depend only on its index,
// so adding a zone adds subnets and moves none.
const (
	privateSlotBits = 3
	publicSlotBits  = 6
	// MaxAWSVPCBits keeps public subnets at /26 or larger; AWS's smallest subnet is /28.
	MaxAWSVPCBits = 20
)

// SubnetCIDRs returns zone i's private and public ranges.
func (n Network) SubnetCIDRs(i int) (private, public string, err error) {
	vpc, err := netip.ParsePrefix(n.CIDR)
	if err != nil {
		return "", "", fmt.Errorf("cidr: %q is not a CIDR range (want for example %s)", n.CIDR, DefaultCIDR)
	}
	if i < 0 || i >= maxZones {
		return "", "", fmt.Errorf("zone %d is out of range (want 0 to %d)", i, maxZones-1)
	}
	pub := 1<<privateSlotBits - 1
	return nthSubnet(vpc, privateSlotBits, i).String(),
		nthSubnet(nthSubnet(vpc, privateSlotBits, pub), publicSlotBits-privateSlotBits, i).String(), nil
}

// nthSubnet is the i-th subnet of parent that is extra bits longer.
func nthSubnet(parent netip.Prefix, extra, i int) netip.Prefix {
	bits := parent.Bits() + extra
	base := parent.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(i) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

// ValidateZones checks the zones against a region, for clouds with zones.
func (n Network) ValidateZones(prefix, region string) error {
	p := problems{prefix: prefix}
	if vpc, err := netip.ParsePrefix(n.CIDR); err == nil && vpc.Bits() > MaxAWSVPCBits {
		p.addf("cidr", "%q has a /%d prefix (want /%d to /%d on aws: each zone needs a private subnet for nodes and pods, and public subnets of /26)", n.CIDR, vpc.Bits(), minVPCBits, MaxAWSVPCBits)
	}
	zones := n.ZoneNames(region)
	if len(zones) != n.Zones {
		if len(n.AvailabilityZones) > 0 {
			p.addf("availabilityZones", "names %d zones and zones is %d (want as many names as zones)", len(zones), n.Zones)
		} else {
			p.addf("zones", "%d is more than the zones %s has for every account (want at most %d, or name them in availabilityZones)", n.Zones, region, len(zones))
		}
	}
	seen := map[string]bool{}
	for i, z := range n.AvailabilityZones {
		if !strings.HasPrefix(z, region) || len(z) != len(region)+1 || z[len(z)-1] < 'a' || z[len(z)-1] > 'z' {
			p.addf(fmt.Sprintf("availabilityZones.%d", i), "%q is not a zone of %s (want %sa, %sb, ...)", z, region, region, region)
		}
		if seen[z] {
			p.addf(fmt.Sprintf("availabilityZones.%d", i), "%q is listed twice (want distinct zones)", z)
		}
		seen[z] = true
	}
	return errors.Join(p.errs...)
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
