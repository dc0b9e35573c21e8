package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestForSeedCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		users     int
		qps       float64
		pool      int
		websocket int
	}{
		{users: 1_000, qps: 8, pool: 1, websocket: 1_000},
		{users: 100_000, qps: 800, pool: 24, websocket: 100_000},
		{users: 1_000_000, qps: 8_000, pool: 240, websocket: 1_000_000},
	}
	for _, tt := range tests {
		l := Default.For(tt.users)
		assert.InDelta(t, tt.qps, l.QueriesPerSec, 1e-9, "users %d", tt.users)
		assert.Equal(t, tt.pool, l.PoolConnections, "users %d", tt.users)
		assert.Equal(t, tt.websocket, l.WebSockets, "users %d", tt.users)
		assert.InDelta(t, l.APICPU/Default.TargetCPU, l.APICPUCapacity, 1e-9)
	}
}
