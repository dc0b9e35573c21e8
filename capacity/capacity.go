// Package capacity is the load model: how many requests, database queries, connections and
// WebSockets a number of concurrent users makes. The tier presets are checked against it, so
// every size in stacks/tiers has a reason that a test can recompute.
//
// The rates come from the seed case that took 100,000 concurrent users on launch day: with the
// edge caching static content and Redis caching shared data, the database served about 800
// queries per second (0.008 a user), and 11 API pods at 60% CPU carried the rest.
package capacity

import "math"

// Model holds the per-user rates. Its zero value is not useful: start from Default.
type Model struct {
	// RequestsPerUser is API requests per second per concurrent user that reach the origin
	// (after the edge cache).
	RequestsPerUser float64
	// CPUSecondsPerRequest is the API's CPU time per request.
	CPUSecondsPerRequest float64
	// QueriesPerUser is database queries per second per concurrent user (after the cache).
	QueriesPerUser float64
	// QuerySeconds is the mean time a query holds a server connection.
	QuerySeconds float64
	// PoolHeadroom multiplies the mean busy connections to absorb bursts.
	PoolHeadroom float64
	// TargetCPU is the HPA's CPU target: capacity must carry the load at this utilisation.
	TargetCPU float64
	// WebSocketsPerUser is open WebSocket connections per concurrent user.
	WebSocketsPerUser float64
}

// Default is the model the shipped presets are sized with.
var Default = Model{
	RequestsPerUser:      0.05,  // one origin request every 20 s per user
	CPUSecondsPerRequest: 0.002, // 2 ms of CPU per request
	QueriesPerUser:       0.008, // 800 queries/s at 100K users (seed case)
	QuerySeconds:         0.010, // 10 ms per query with indexes in place
	PoolHeadroom:         3,
	TargetCPU:            0.60, // the seed's HPA target
	WebSocketsPerUser:    1,    // one persistent connection per user (seed case)
}

// Load is what a number of users asks of the platform.
type Load struct {
	Users           int
	RequestsPerSec  float64
	APICPU          float64 // vCPUs busy serving the API
	APICPUCapacity  float64 // vCPUs needed so that the busy share stays at TargetCPU
	QueriesPerSec   float64
	PoolConnections int // server connections the pool needs, with headroom
	WebSockets      int
}

// For computes the load of a number of concurrent users.
func (m Model) For(users int) Load {
	u := float64(users)
	rps := u * m.RequestsPerUser
	cpu := rps * m.CPUSecondsPerRequest
	qps := u * m.QueriesPerUser
	return Load{
		Users:           users,
		RequestsPerSec:  rps,
		APICPU:          cpu,
		APICPUCapacity:  cpu / m.TargetCPU,
		QueriesPerSec:   qps,
		PoolConnections: int(math.Ceil(qps * m.QuerySeconds * m.PoolHeadroom)),
		WebSockets:      int(math.Ceil(u * m.WebSocketsPerUser)),
	}
}
