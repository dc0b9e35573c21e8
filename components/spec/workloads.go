package spec

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Workloads is the app on Kubernetes, sized per tier: the API, the WebSocket service and the
// queue workers, the in-cluster PgBouncer where the cloud has no managed pool, and the platform
// add-ons. Images and ports come from the stack's scalestack:app, not from here.
type Workloads struct {
	API       Service `yaml:"api"`
	WebSocket Service `yaml:"websocket"`
	Worker    Service `yaml:"worker"`
	// Ingress is the ingress-nginx controller in front of the API: its pods, their HPA's
	// bounds and target, and the pool they run on (the cluster's system pool by default, or an
	// app pool once the controllers outgrow it). Its Resources and Pool are its own; the
	// WebSocket-only fields do not apply.
	Ingress Service `yaml:"ingress"`
	Pooler  Pooler  `yaml:"pooler"`
	Addons  Addons  `yaml:"addons"`
}

// DefaultTag marks a whole-number field whose default applies only when the key is left out
// (`default:"absent"`): WithDefaults cannot tell an explicit 0 from a missing key, so an
// explicit 0, which no such field accepts, is refused where the YAML or JSON is still at hand
// (stacks/config checks the overrides with it) instead of becoming the default.
const DefaultTag = "default"

// Service is one Deployment and its autoscaling bounds.
type Service struct {
	// MinReplicas and MaxReplicas bound the HPA (the KEDA ScaledObject for the worker).
	MinReplicas int `yaml:"minReplicas"`
	MaxReplicas int `yaml:"maxReplicas"`
	// Resources are each pod's requests and limits.
	Resources Resources `yaml:"resources"`
	// Pool is the node pool the pods run on (a cluster app pool's name; for the ingress also
	// the system pool's).
	Pool string `yaml:"pool"`
	// CPUTarget is the HPA's target: average CPU use as a percentage of the pods' requests
	// (default 60, leaving room for a spike while new pods start).
	CPUTarget int `yaml:"cpuTarget,omitempty" default:"absent"`
	// ConnectionsPerPod is how many WebSockets a pod holds at the HPA's target (websocket only);
	// the pods get it as MAX_CONNECTIONS, to refuse more and let the load balancer go elsewhere.
	ConnectionsPerPod int `yaml:"connectionsPerPod,omitempty" default:"absent"`
	// ConnectionTarget is the percentage of ConnectionsPerPod at which a pod counts as full
	// for scaling (websocket only; default 80): where KEDA and monitoring run, the pods scale
	// on their open connections, adding pods before any refuses a socket.
	ConnectionTarget int `yaml:"connectionTarget,omitempty" default:"absent"`
	// LoadBalancerNodes sizes each WebSocket load balancer (websocket) or the ingress's load
	// balancer (ingress) where the cloud sizes it by nodes
	// (DigitalOcean: 10,000 connections a node, at most 100).
	LoadBalancerNodes int `yaml:"loadBalancerNodes,omitempty" default:"absent"`
	// LoadBalancers is how many load balancers front the WebSocket pods (websocket only;
	// default 1 on every cloud), for more sockets than one carries (DigitalOcean: 100 nodes of
	// 10,000); the edge spreads the WebSocket name over all of them.
	LoadBalancers PerCloudInt `yaml:"loadBalancers,omitempty" default:"absent"`
	// QueueLength is the jobs a worker pod takes before KEDA adds another (worker only).
	QueueLength int `yaml:"queueLength,omitempty" default:"absent"`
}

// Resources are a container's requests and limits, in Kubernetes quantities.
type Resources struct {
	CPU         string `yaml:"cpu"`
	Memory      string `yaml:"memory"`
	CPULimit    string `yaml:"cpuLimit"`
	MemoryLimit string `yaml:"memoryLimit"`
}

// Pooler is the PgBouncer Deployment in front of the database where the cloud has no managed
// pool (AWS, local). Together its replicas hold the database preset's pool size.
type Pooler struct {
	Replicas int `yaml:"replicas" default:"absent"`
	// MaxClientConnections is how many app connections each PgBouncer accepts.
	MaxClientConnections int       `yaml:"maxClientConnections" default:"absent"`
	Resources            Resources `yaml:"resources"`
}

// ServerConnections is each replica's share of a pool of poolSize server connections: the pool
// is the budget for all of them, which the database's connection limit was checked against, so
// the shares never add up to more (and each replica has at least one).
func (p Pooler) ServerConnections(poolSize int) int {
	if p.Replicas < 1 {
		return poolSize
	}
	return max(poolSize/p.Replicas, 1)
}

// Defaults of Workloads.
var (
	DefaultResources = Resources{CPU: "250m", Memory: "256Mi", CPULimit: "1", MemoryLimit: "512Mi"}
	// DefaultPoolerResources: PgBouncer is single-threaded and small.
	DefaultPoolerResources = Resources{CPU: "100m", Memory: "64Mi", CPULimit: "1", MemoryLimit: "256Mi"}
	// DefaultIngressResources: the 1K preset's controller; what it carries is the capacity
	// model's (capacity/parts.yaml, ingress.requestsPerVCPU), `scalestack capacity` says.
	DefaultIngressResources = Resources{CPU: "100m", Memory: "128Mi", CPULimit: "500m", MemoryLimit: "256Mi"}
)

// Limits and defaults of Workloads.
const (
	DefaultConnectionsPerPod = 10000
	DefaultCPUTarget         = 60
	maxCPUTarget             = 100
	DefaultConnectionTarget  = 80
	maxConnectionTarget      = 100
	defaultLoadBalancers     = 1
	maxLoadBalancers         = 10
	// minIngressReplicas: one controller is a single point of failure for all HTTP.
	minIngressReplicas        = 2
	DefaultQueueLength        = 20
	DefaultMaxClientConns     = 1000
	MaxReplicas               = 500
	doConnectionsPerLBNode    = 10000
	maxLoadBalancerNodes      = 100
	defaultLoadBalancerNodes  = 1
	defaultPoolerReplicas     = 2
	minPoolerReplicasForSpike = 1
)

var (
	cpuQuantity    = regexp.MustCompile(`^(\d+m|\d+(\.\d+)?)$`)
	memoryQuantity = regexp.MustCompile(`^\d+(Ki|Mi|Gi)$`)
)

// WithDefaults fills the documented defaults; systemPool is the cluster's system pool's name,
// where the ingress controllers run unless workloads.ingress.pool names an app pool, and pools
// are its app pools.
func (w Workloads) WithDefaults(systemPool string, pools []NodePool) Workloads {
	fill := func(s Service, pool string) Service {
		if s.Resources == (Resources{}) {
			s.Resources = DefaultResources
		}
		if s.Pool == "" {
			s.Pool = pool
		}
		if s.CPUTarget == 0 {
			s.CPUTarget = DefaultCPUTarget
		}
		return s
	}
	app := "app"
	if len(pools) > 0 {
		app = pools[0].Name
	}
	// A process runs on the first app pool unless its pool names another: which pool the
	// workers get is preset data (workloads.worker.pool), never a pool's name in code.
	w.API = fill(w.API, app)
	w.WebSocket = fill(w.WebSocket, app)
	w.Worker = fill(w.Worker, app)
	if w.Ingress.Resources == (Resources{}) {
		w.Ingress.Resources = DefaultIngressResources
	}
	w.Ingress = fill(w.Ingress, systemPool)
	if w.WebSocket.ConnectionTarget == 0 {
		w.WebSocket.ConnectionTarget = DefaultConnectionTarget
	}
	if w.WebSocket.LoadBalancers == (PerCloudInt{}) {
		w.WebSocket.LoadBalancers = Same(defaultLoadBalancers)
	}
	if w.WebSocket.ConnectionsPerPod == 0 {
		w.WebSocket.ConnectionsPerPod = DefaultConnectionsPerPod
	}
	if w.Ingress.LoadBalancerNodes == 0 {
		w.Ingress.LoadBalancerNodes = defaultLoadBalancerNodes
	}
	if w.WebSocket.LoadBalancerNodes == 0 {
		w.WebSocket.LoadBalancerNodes = defaultLoadBalancerNodes
	}
	if w.Worker.QueueLength == 0 {
		w.Worker.QueueLength = DefaultQueueLength
	}
	if w.Pooler.Replicas == 0 {
		w.Pooler.Replicas = defaultPoolerReplicas
	}
	if w.Pooler.MaxClientConnections == 0 {
		w.Pooler.MaxClientConnections = DefaultMaxClientConns
	}
	if w.Pooler.Resources == (Resources{}) {
		w.Pooler.Resources = DefaultPoolerResources
	}
	return w
}

// Validate reports every problem of the workloads, each naming its field; pools are the
// cluster's app pools, which the app's services must run on, and systemPool the system pool's
// name, which the ingress controllers may run on too.
func (w Workloads) Validate(prefix, systemPool string, pools []NodePool) error {
	p := problems{prefix: prefix}
	var names []string
	for _, pool := range pools {
		names = append(names, pool.Name)
	}
	ingressPools := append([]string{systemPool}, names...)
	for _, s := range []struct {
		field string
		svc   Service
		// minReplicas is the fewest pods the process may run; pools are where it may run.
		minReplicas int
		minWhy      string
		pools       []string
		poolsWhat   string
	}{
		{"api", w.API, 1, "want at least 1 pod", names, "an app pool"},
		{"websocket", w.WebSocket, 1, "want at least 1 pod", names, "an app pool"},
		{"worker", w.Worker, 1, "want at least 1 pod", names, "an app pool"},
		{"ingress", w.Ingress, minIngressReplicas, "want at least 2: a single controller is a single point of failure for all HTTP", ingressPools, "the system pool or an app pool"},
	} {
		if s.svc.MinReplicas < s.minReplicas {
			p.addf(s.field+".minReplicas", "%d is below %d (%s)", s.svc.MinReplicas, s.minReplicas, s.minWhy)
		}
		if s.svc.MaxReplicas < s.svc.MinReplicas {
			p.addf(s.field+".maxReplicas", "%d is below minReplicas %d (want minReplicas <= maxReplicas)", s.svc.MaxReplicas, s.svc.MinReplicas)
		}
		if s.svc.MaxReplicas > MaxReplicas {
			p.addf(s.field+".maxReplicas", "%d is above the bound %d (want at most %d)", s.svc.MaxReplicas, MaxReplicas, MaxReplicas)
		}
		if s.svc.CPUTarget < 1 || s.svc.CPUTarget > maxCPUTarget {
			p.addf(s.field+".cpuTarget", "%d is out of range (want 1 to %d percent of the CPU request)", s.svc.CPUTarget, maxCPUTarget)
		}
		if !slices.Contains(s.pools, s.svc.Pool) {
			p.addf(s.field+".pool", "%q is not %s of the cluster (want one of %s)", s.svc.Pool, s.poolsWhat, oneOf(s.pools...))
		}
		p.add(s.svc.Resources.Validate(p.prefix + s.field + ".resources."))
	}
	if w.WebSocket.ConnectionsPerPod < 1 {
		p.addf("websocket.connectionsPerPod", "%d is below 1", w.WebSocket.ConnectionsPerPod)
	}
	if n := w.WebSocket.ConnectionTarget; n < 1 || n > maxConnectionTarget {
		p.addf("websocket.connectionTarget", "%d is out of range (want 1 to %d percent of connectionsPerPod)", n, maxConnectionTarget)
	}
	if n := w.WebSocket.LoadBalancerNodes; n < 1 || n > maxLoadBalancerNodes {
		p.addf("websocket.loadBalancerNodes", "%d is out of range (want 1 to %d)", n, maxLoadBalancerNodes)
	}
	if n := w.Ingress.LoadBalancerNodes; n < 1 || n > maxLoadBalancerNodes {
		p.addf("ingress.loadBalancerNodes", "%d is out of range (want 1 to %d)", n, maxLoadBalancerNodes)
	}
	for _, c := range []struct {
		cloud Cloud
		n     int
	}{{DigitalOcean, w.WebSocket.LoadBalancers.DigitalOcean}, {AWS, w.WebSocket.LoadBalancers.AWS}} {
		if c.n < 1 || c.n > maxLoadBalancers {
			p.addf("websocket.loadBalancers."+string(c.cloud), "%d is out of range (want 1 to %d load balancers)", c.n, maxLoadBalancers)
		}
	}
	if w.Worker.QueueLength < 1 {
		p.addf("worker.queueLength", "%d is below 1 (want the jobs a pod takes before another is added)", w.Worker.QueueLength)
	}
	if w.Pooler.Replicas < minPoolerReplicasForSpike {
		p.addf("pooler.replicas", "%d is below 1", w.Pooler.Replicas)
	}
	if w.Pooler.MaxClientConnections < 1 {
		p.addf("pooler.maxClientConnections", "%d is below 1", w.Pooler.MaxClientConnections)
	}
	p.add(w.Pooler.Resources.Validate(p.prefix + "pooler.resources."))
	p.add(w.Addons.Validate(p.prefix + "addons."))
	return errors.Join(p.errs...)
}

// Validate checks the quantities and that requests do not exceed limits.
func (r Resources) Validate(prefix string) error {
	p := problems{prefix: prefix}
	for _, q := range []struct{ field, v string }{{"cpu", r.CPU}, {"cpuLimit", r.CPULimit}} {
		if !cpuQuantity.MatchString(q.v) {
			p.addf(q.field, "%q is not a CPU quantity (want for example 250m or 1)", q.v)
		}
	}
	for _, q := range []struct{ field, v string }{{"memory", r.Memory}, {"memoryLimit", r.MemoryLimit}} {
		if !memoryQuantity.MatchString(q.v) {
			p.addf(q.field, "%q is not a memory quantity (want for example 256Mi or 1Gi)", q.v)
		}
	}
	if len(p.errs) == 0 {
		if MilliCPU(r.CPU) > MilliCPU(r.CPULimit) {
			p.addf("cpu", "%s is above the limit %s (want cpu <= cpuLimit)", r.CPU, r.CPULimit)
		}
		if MiB(r.Memory) > MiB(r.MemoryLimit) {
			p.addf("memory", "%s is above the limit %s (want memory <= memoryLimit)", r.Memory, r.MemoryLimit)
		}
	}
	return errors.Join(p.errs...)
}

// MilliCPU reads a CPU quantity (250m, 1, 1.5) as millicores; 0 when it does not parse.
func MilliCPU(q string) int {
	if m, ok := strings.CutSuffix(q, "m"); ok {
		n, _ := strconv.Atoi(m)
		return n
	}
	f, _ := strconv.ParseFloat(q, 64)
	return int(f * 1000)
}

// MiB reads a memory quantity (256Mi, 1Gi, 512Ki) as MiB; 0 when it does not parse.
func MiB(q string) float64 {
	for suffix, scale := range map[string]float64{"Ki": 1.0 / 1024, "Mi": 1, "Gi": 1024} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			f, _ := strconv.ParseFloat(n, 64)
			return f * scale
		}
	}
	return 0
}

// ConnectionThreshold is the open connections a WebSocket pod holds at its scaling target:
// connectionTarget percent of connectionsPerPod, at least 1.
func (s Service) ConnectionThreshold() int {
	return max(1, s.ConnectionsPerPod*s.ConnectionTarget/100)
}

// DOLoadBalancerNodes is the smallest DigitalOcean load balancer for a number of connections.
func DOLoadBalancerNodes(connections int) int {
	return max(1, (connections+doConnectionsPerLBNode-1)/doConnectionsPerLBNode)
}
