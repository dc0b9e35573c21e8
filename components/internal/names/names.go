// Package names derives cloud-side names from component names, the same way for every
// component: lowercase, DNS-safe and within the cloud's length limit. A cloud-side name forces
// replacement on several resources, so it never carries the tier or anything else that changes.
package names

import (
	"regexp"
	"strings"
)

var unsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// DNS turns a name into a DNS label of at most max characters.
func DNS(name string, max int) string {
	s := unsafe.ReplaceAllString(strings.ToLower(name), "-")
	s = strings.Trim(s, "-")
	if len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	return s
}
