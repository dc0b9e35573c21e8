package capacity

import (
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// Stack is what a plan runs, as the models that read the same plan beside Evaluate see it (the
// alerts and dashboards, the launch simulation): the processes with their autoscalers, the node
// pools and the data stores. It is the inventory Evaluate weighs, not a second reading.
type Stack struct {
	Processes []Process `json:"processes"`
	// Pools are the node pools the stack makes; none on the local cloud, whose nodes are the
	// cluster's own.
	Pools []Pool `json:"pools"`
	// SystemPool is the pool the add-ons run on.
	SystemPool string `json:"systemPool,omitempty"`
	// Addons are the Helm charts the stack installs, by chart name.
	Addons []string `json:"addons"`
	// Database is the primary's size, "in-cluster" where it runs in the cluster, empty for none.
	Database string `json:"database,omitempty"`
	// Replicas is the database's read replicas.
	Replicas int `json:"replicas"`
	// DatabaseStatefulSets are an in-cluster database's StatefulSets, primary first.
	DatabaseStatefulSets []string `json:"databaseStatefulSets,omitempty"`
	DatabaseNamespace    string   `json:"databaseNamespace,omitempty"`
	// Cache is whether the stack has a cache; CacheShards its primaries (1 unless the cache is
	// a cluster of shards).
	Cache       bool `json:"cache"`
	CacheShards int  `json:"cacheShards,omitempty"`
}

// Process is a Deployment of the plan (or ingress-nginx's controller) and its autoscaler.
type Process struct {
	// Name is the Deployment's name; Role its process label (api, websocket, worker, pooler)
	// or ingress.
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Role      string `json:"role"`
	Pool      string `json:"pool,omitempty"`
	Min       int    `json:"min"`
	Max       int    `json:"max"`
	// ScaledOn is what its autoscaler reads: cpu, connections, queue, or fixed.
	ScaledOn string `json:"scaledOn"`
	// Autoscaler is the HorizontalPodAutoscaler's name in the cluster (KEDA's for a
	// ScaledObject); empty for a fixed process.
	Autoscaler string `json:"autoscaler,omitempty"`
	// Queue is the Redis list a queue-scaled process drains.
	Queue string `json:"queue,omitempty"`
	// CPUMillicores is one pod's CPU request.
	CPUMillicores float64 `json:"cpuMillicores"`
}

// Pool is a node pool's bounds.
type Pool struct {
	Name string `json:"name"`
	Size string `json:"size"`
	Min  int    `json:"min"`
	Max  int    `json:"max"`
}

// ReadStack reads what a plan runs. Its errors are Evaluate's for the same plan.
func ReadStack(p plan.Plan, cloud spec.Cloud) (Stack, error) {
	inv, err := readInventory(p, cloud)
	if err != nil {
		return Stack{}, err
	}
	s := Stack{SystemPool: inv.systemPool, Addons: append([]string{}, inv.addons...), Pools: []Pool{}, Processes: []Process{}, Cache: inv.cache != nil}
	for _, pr := range inv.processes {
		s.Processes = append(s.Processes, Process{
			Name: pr.name, Namespace: pr.namespace, Role: pr.role, Pool: pr.pool, Min: pr.min, Max: pr.max,
			ScaledOn: pr.scaledOn, Autoscaler: pr.autoscaler, Queue: pr.queue, CPUMillicores: pr.cpu,
		})
	}
	for _, pl := range inv.pools {
		s.Pools = append(s.Pools, Pool{Name: pl.name, Size: pl.size, Min: pl.min, Max: pl.max})
	}
	if inv.cache != nil {
		s.CacheShards = max(inv.cache.shards, 1)
	}
	if inv.db != nil {
		s.Database = inv.db.primary.Slug
		s.Replicas = inv.db.replicas
		s.DatabaseStatefulSets = append([]string(nil), inv.db.statefulSets...)
		s.DatabaseNamespace = inv.db.namespace
	}
	return s, nil
}
