package capacity

import (
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
)

// Scaler is one process of a plan as its autoscaler meets it: what a user asks of it, what one
// pod carries, its bounds and where its pods go. The simulation of a spike steps these; the
// figures are the capacity model's own, not a second copy.
type Scaler struct {
	Name, Role, Pool string
	// Autoscaler names the process's HorizontalPodAutoscaler in the cluster (KEDA's, for a
	// ScaledObject); empty for none. ScaledOn is what it reads: cpu, connections, queue or fixed.
	Autoscaler, ScaledOn string
	Unit                 string
	Min, Max             int
	// PerUser is the demand one concurrent user makes, in Unit.
	PerUser float64
	// PerPod is what one pod carries at the autoscaler's target (the load at which it adds a
	// pod); Saturated what it carries at its whole CPU request, past which it is short.
	PerPod, Saturated float64
	// CPU and Memory are a pod's requests, millicores and MiB; CPULimit its CPU limit
	// (millicores, 0 for none).
	CPU, Memory, CPULimit float64
	// QueueLength is, for a process scaled on a queue's length, the jobs waiting per pod its
	// autoscaler targets (KEDA's listLength).
	QueueLength float64
	// Gauge is a demand held at once (open sockets), not a rate: what it cannot carry is
	// refused at once, not over time.
	Gauge bool
}

// NodeShape is a pool of nodes: its bounds and what one node offers pods after the cloud's
// reservations and the daemonsets.
type NodeShape struct {
	Name, Size  string
	Min, Max    int
	CPU, Memory float64
	Pods        float64
	// Unsized pools are the local cloud's: nodes the program does not size.
	Unsized bool
	// Karpenter pools are Karpenter NodePools, whose nodes Karpenter launches itself rather
	// than the cloud's node autoscaler or Cluster Autoscaler.
	Karpenter bool
}

// Fixed is a part that does not grow during a spike (a load balancer's nodes, the database, the
// cache, PgBouncer's pool): the users it carries at the ceiling.
type Fixed struct {
	Kind, Name string
	// Users is what it carries; nil where it grows by itself or does not grow with users.
	Users *int64
}

// Dynamics are a plan's processes, pools and fixed parts for a time-stepped simulation.
type Dynamics struct {
	Scalers []Scaler
	Pools   []NodeShape
	Fixed   []Fixed
}

// DynamicsOf reads a plan as Evaluate does and returns what changes under load and what does not.
func DynamicsOf(p plan.Plan, m Model, o Options) (Dynamics, error) {
	rep, err := Evaluate(p, m, o)
	if err != nil {
		return Dynamics{}, err
	}
	inv, err := readInventory(p, o.Cloud)
	if err != nil {
		return Dynamics{}, err
	}
	e := evaluator{m: m, o: o, inv: inv}
	var d Dynamics
	for _, pr := range inv.processes {
		rp, ok := roleParts[pr.role]
		if !ok {
			// A process that carries no user's load (PgBouncer, an exporter) still takes room
			// on its pool's nodes.
			d.Scalers = append(d.Scalers, Scaler{Name: pr.name, Role: pr.role, Pool: pr.pool, ScaledOn: "fixed", Min: pr.min, Max: max(pr.max, pr.min), CPU: pr.cpu, Memory: pr.memory})
			continue
		}
		per := e.perPod(pr)
		if pr.connectionThreshold > 0 {
			per = pr.connectionThreshold
		}
		saturated := e.perPod(pr)
		if target := pr.cpuTarget; pr.role != "websocket" {
			if target <= 0 {
				target = defaultTarget(e, pr)
			}
			saturated = saturated / target
		}
		scaledOn := pr.scaledOn
		if !pr.scales() {
			scaledOn = "fixed"
		}
		d.Scalers = append(d.Scalers, Scaler{Name: pr.name, Role: pr.role, Pool: pr.pool, Autoscaler: pr.autoscaler, ScaledOn: scaledOn,
			Unit: rp.unit, Min: pr.min, Max: pr.max, PerUser: e.demand(pr, 1), PerPod: per, Saturated: saturated, CPU: pr.cpu, CPULimit: pr.cpuLimit, Memory: pr.memory, QueueLength: pr.queueLength, Gauge: pr.role == "websocket"})
	}
	for _, pl := range inv.pools {
		n, sized := e.allocatable(pl)
		d.Pools = append(d.Pools, NodeShape{Name: pl.name, Size: pl.size, Min: pl.min, Max: pl.max, CPU: n.cpu, Memory: n.memory, Pods: n.pods, Unsized: !sized, Karpenter: pl.karpenter})
	}
	processes := map[string]bool{}
	for _, s := range d.Scalers {
		processes[roleParts[s.Role].kind] = true
	}
	for _, part := range rep.Parts {
		if part.Advisory || part.Elastic || processes[part.Kind] || len(part.Kind) > 5 && part.Kind[:5] == "pool/" {
			continue
		}
		d.Fixed = append(d.Fixed, Fixed{Kind: part.Kind, Name: part.Name, Users: part.Ceiling.Users})
	}
	return d, nil
}

// defaultTarget is the CPU target a process's autoscaler uses when the plan sets none.
func defaultTarget(e evaluator, pr process) float64 {
	if pr.role == roleIngress {
		return e.m.Parts.Ingress.DefaultCPUTarget.Value / 100
	}
	return float64(spec.DefaultCPUTarget) / 100
}
