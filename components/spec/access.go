package spec

import (
	"errors"
	"fmt"
	"net/netip"
)

// AdminCIDRs are the address ranges allowed to reach a cluster's Kubernetes API (office, VPN,
// CI runners), from scalestack:adminCidrs: EKS's publicAccessCidrs and DOKS's control-plane
// firewall. None leaves the API open to every address, as it was before the key existed, so
// that nobody is locked out; 0.0.0.0/0 says the same explicitly. Both clouds take IPv4 ranges
// only: EKS refuses IPv6 ranges on the public endpoint of an IPv4 cluster (this stack's), and
// DOKS's firewall lists IPv4 addresses.
type AdminCIDRs []string

// Validate reports every range that is not an IPv4 CIDR in its canonical form (no host bits
// set), and every range given twice; prefix names where the list came from.
func (a AdminCIDRs) Validate(prefix string) error {
	p := problems{prefix: prefix}
	seen := map[netip.Prefix]int{}
	for i, s := range a {
		field := fmt.Sprint(i)
		pfx, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			if addr, aerr := netip.ParseAddr(s); aerr == nil && addr.Zone() == "" {
				p.addf(field, "%q is an address, not a CIDR (want %s/%d for that one address)", s, addr, addr.BitLen())
			} else {
				p.addf(field, "%q is not a CIDR (want an IPv4 range such as 203.0.113.0/24)", s)
			}
			continue
		case !pfx.Addr().Is4():
			p.addf(field, "%q is an IPv6 range (want IPv4 ranges: EKS and DOKS restrict their API by IPv4 only)", s)
			continue
		case pfx.Masked() != pfx:
			p.addf(field, "%q has host bits set (want %s)", s, pfx.Masked())
			continue
		case pfx.String() != s:
			p.addf(field, "%q is not in canonical form (want %s)", s, pfx)
			continue
		}
		if j, dup := seen[pfx]; dup {
			p.addf(field, "%q is already entry %d (want each range once)", s, j)
			continue
		}
		seen[pfx] = i
	}
	return errors.Join(p.errs...)
}
