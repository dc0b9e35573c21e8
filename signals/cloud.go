package signals

import (
	"fmt"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
)

// Signals a cloud's own alerting reads (DigitalOcean's monitoring, CloudWatch).
const (
	SignalDatabaseCPU         = "database-cpu"         // percent of the primary's CPU
	SignalDatabaseMemory      = "database-memory"      // percent of the primary's memory (DigitalOcean)
	SignalDatabaseConnections = "database-connections" // connections to the primary (AWS)
	SignalReplicaLag          = "replica-lag"          // seconds a replica is behind (AWS)
	SignalCacheMemory         = "cache-memory"         // percent of the cache's memory
	SignalCacheEvictions      = "cache-evictions"      // keys evicted in a minute (AWS)
	SignalNodeCPU             = "node-cpu"             // percent of a node's CPU (DigitalOcean)
	SignalNodeMemory          = "node-memory"          // percent of a node's memory (DigitalOcean)
)

// Alarm is one alert of the cloud's own alerting: what the Prometheus rules say where the stack
// has Prometheus, for the parts the cloud measures and Prometheus cannot (the database's CPU on
// a managed database), or for every part it measures where the stack has no monitoring.
type Alarm struct {
	// Name is the alarm's own, unique in the stack (database-cpu, replica-2-lag...).
	Name   string `json:"name"`
	Signal string `json:"signal"`
	// Replica is the read replica (1, 2...) a replica-lag alarm watches; 0 otherwise.
	Replica   int     `json:"replica,omitempty"`
	Threshold float64 `json:"threshold"`
	Minutes   int     `json:"minutes"`
	Summary   string  `json:"summary"`
}

// CloudAlarms are the stack's alarms in its cloud's own alerting, with the same thresholds as
// its rules: the database's CPU always (Prometheus does not see a managed database's CPU), and
// without monitoring, every part the cloud measures. None on the local cloud, whose cluster is
// not the cloud's.
func CloudAlarms(st capacity.Stack, r capacity.Report, m capacity.Model, t Thresholds, o Options) []Alarm {
	if o.Cloud == spec.Local || st.Database == "" && !st.Cache {
		return nil
	}
	near := t.Near.Value
	target := m.Parts.Database.CPUTarget.Value
	tail := fmt.Sprintf(" (%s preset)", o.Tier)
	if o.Next != "" {
		tail = fmt.Sprintf(" (%s preset; the next is %s: pulumi config set scalestack:tier %s)", o.Tier, o.Next, o.Next)
	}
	var out []Alarm
	add := func(name, signal string, threshold float64, minutes capacity.Figure, summary string) {
		out = append(out, Alarm{Name: name, Signal: signal, Threshold: threshold, Minutes: int(minutes.Value), Summary: summary + tail})
	}
	if st.Database != "" {
		add("database-cpu", SignalDatabaseCPU, target*100, t.DatabaseFor,
			fmt.Sprintf("database primary above %s CPU (the capacity model's target) for %s", percent(target), prose(t.DatabaseFor)))
	}
	if Monitoring(st, o) {
		return out
	}
	switch o.Cloud {
	case spec.DigitalOcean:
		if st.Database != "" {
			add("database-memory", SignalDatabaseMemory, near*100, t.DatabaseFor,
				fmt.Sprintf("database primary above %s memory for %s", percent(near), prose(t.DatabaseFor)))
		}
		if len(st.Pools) > 0 {
			add("node-cpu", SignalNodeCPU, near*100, t.AutoscalerFor, fmt.Sprintf("a node above %s CPU for %s", percent(near), prose(t.AutoscalerFor)))
			add("node-memory", SignalNodeMemory, near*100, t.AutoscalerFor, fmt.Sprintf("a node above %s memory for %s", percent(near), prose(t.AutoscalerFor)))
		}
	case spec.AWS:
		for _, p := range r.Parts {
			if p.Kind == "database-connections" && p.Ceiling.Capacity > 0 {
				add("database-connections", SignalDatabaseConnections, near*p.Ceiling.Capacity, t.ConnectionsFor,
					fmt.Sprintf("database connections above %s of the %s %s allows for %s", percent(near), capacity.Count(p.Ceiling.Capacity), st.Database, prose(t.ConnectionsFor)))
			}
		}
		for i := range st.Replicas {
			out = append(out, Alarm{Name: fmt.Sprintf("replica-%d-lag", i+1), Signal: SignalReplicaLag, Replica: i + 1, Threshold: t.LagSeconds.Value, Minutes: int(t.LagFor.Value),
				Summary: fmt.Sprintf("read replica %d more than %s s behind the primary for %s", i+1, num(t.LagSeconds.Value), prose(t.LagFor)) + tail})
		}
		if st.Cache {
			add("cache-evictions", SignalCacheEvictions, 0, t.CacheFor, fmt.Sprintf("the cache evicting keys for %s", prose(t.CacheFor)))
		}
	}
	if st.Cache {
		add("cache-memory", SignalCacheMemory, near*100, t.CacheFor, fmt.Sprintf("cache memory above %s for %s", percent(near), prose(t.CacheFor)))
	}
	return out
}
