package spec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPinnedImage(t *testing.T) {
	t.Parallel()
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		image string
		want  string // "" for pinned
	}{
		{"ghcr.io/acme/api:1.4.2", ""},
		{"ghcr.io/acme/api@sha256:" + hex64, ""},
		{"ghcr.io/acme/api:1.4.2@sha256:" + hex64, ""},
		{"localhost:5000/api:2", ""},
		{"ghcr.io/acme/api@sha256:abc", "has a malformed digest (want name@sha256: and 64 lowercase hexadecimal characters)"},
		{"ghcr.io/acme/api@sha256:" + strings.ToUpper(hex64), "has a malformed digest"},
		{"ghcr.io/acme/api@sha256:" + hex64 + "0", "has a malformed digest"},
		{"ghcr.io/acme/api@sha512:" + hex64 + hex64, "has a malformed digest"},
		{"@sha256:" + hex64, "has a malformed digest"},
		{"ghcr.io/acme/api", "is not pinned"},
		{"ghcr.io/acme/api:latest", "is not pinned"},
		{"localhost:5000/api", "is not pinned"},
		{"", "is empty"},
	}
	for _, tt := range tests {
		err := PinnedImage(tt.image)
		if tt.want == "" {
			assert.NoError(t, err, tt.image)
		} else {
			assert.ErrorContains(t, err, tt.want, tt.image)
		}
	}
}

func TestAdminCIDRs(t *testing.T) {
	t.Parallel()
	assert.NoError(t, AdminCIDRs(nil).Validate("adminCidrs."))
	assert.NoError(t, AdminCIDRs{"203.0.113.0/24", "198.51.100.7/32", "0.0.0.0/0"}.Validate("adminCidrs."))
	err := AdminCIDRs{"203.0.113.7", "10.0.0.5/24", "2001:DB8::/48", "fe80::1%eth0/64", "x", "203.0.113.0/24", "203.0.113.0/24"}.Validate("adminCidrs.")
	for _, want := range []string{
		`adminCidrs.0: "203.0.113.7" is an address, not a CIDR (want 203.0.113.7/32 for that one address)`,
		`adminCidrs.1: "10.0.0.5/24" has host bits set (want 10.0.0.0/24)`,
		`adminCidrs.2: "2001:DB8::/48" is an IPv6 range (want IPv4 ranges: EKS and DOKS restrict their API by IPv4 only)`,
		`adminCidrs.3: "fe80::1%eth0/64" is not a CIDR`,
		`adminCidrs.4: "x" is not a CIDR (want an IPv4 range such as 203.0.113.0/24)`,
		`adminCidrs.6: "203.0.113.0/24" is already entry 5 (want each range once)`,
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 6)
	assert.ErrorContains(t, AdminCIDRs{"::/0"}.Validate("adminCidrs."), "is an IPv6 range")
}
