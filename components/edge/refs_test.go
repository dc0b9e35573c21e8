package edge

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A path's ref is the same for the same path, different for different paths (even two that make
// the same slug), and of letters, digits and underscores only.
func TestPathLimitRef(t *testing.T) {
	t.Parallel()
	word := regexp.MustCompile(`^[a-z0-9_]+$`)
	paths := []string{"/api/auth/", "/api/auth", "/API/Auth/", "/api/search", "/api/upload", "/"}
	seen := map[string]string{}
	for _, p := range paths {
		ref := pathLimitRef(p)
		assert.Equal(t, ref, pathLimitRef(p), "stable for %s", p)
		assert.Regexp(t, word, ref)
		if other, ok := seen[ref]; ok {
			t.Errorf("%s and %s share the ref %s", other, p, ref)
		}
		seen[ref] = p
		assert.NotEqual(t, refAPILimit, ref)
	}
	assert.Contains(t, pathLimitRef("/api/auth/"), "api_auth", "readable")
}
