package capacity

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// inventory is what a stack's plan runs, read once: the parts Evaluate weighs.
type inventory struct {
	pools     []pool
	processes []process
	addons    []string // the Helm charts the stack installs
	// systemPool is the pool the add-ons' releases select.
	systemPool string
	lbs        []loadBalancer
	db         *database
	connPool   *connPool
	cache      *cache
	edge       *edgeRules
	eips       int
}

// pool is a node pool.
type pool struct {
	name, size string
	min, max   int
	spot       bool
	info       spec.SizeInfo
	// karpenter pools are Karpenter NodePools: min is the nodes the preset's minimums run on,
	// max the NodePool's limits over a node of the size.
	karpenter bool
}

// process is a Deployment (or ingress-nginx's controller) with its autoscaler's bounds.
type process struct {
	name, role, pool string
	namespace        string
	cpu, memory      float64 // requests, millicores and MiB
	cpuLimit         float64 // millicores; 0 for none
	min, max         int
	// scaledOn is what its autoscaler reads: cpu, connections, queue, or fixed (no autoscaler).
	scaledOn          string
	cpuTarget         float64 // share of the CPU request
	connectionsPerPod float64 // MAX_CONNECTIONS
	// autoscaler is the HorizontalPodAutoscaler that scales it in the cluster (KEDA's for a
	// ScaledObject); empty for none.
	autoscaler string
	// queue is the Redis list a queue-scaled process drains; queueLength the jobs waiting per
	// pod that KEDA's redis scaler targets (its listLength).
	queue       string
	queueLength float64
	// connectionThreshold is the open sockets a pod holds before KEDA adds one.
	connectionThreshold float64
	// poolSize and maxClients are PgBouncer's, per pod.
	poolSize, maxClients float64
}

// loadBalancer is a Service of type LoadBalancer and what it fronts.
type loadBalancer struct {
	name, fronts string // fronts: the process role behind it
	nodes        int    // DigitalOcean's size units; 0 where the cloud sizes it itself
}

type database struct {
	primary spec.SizeInfo
	// statefulSets are an in-cluster database's StatefulSets (the local cloud's), primary first.
	statefulSets      []string
	namespace         string
	standby, replicas int
	replica           spec.SizeInfo
}

type connPool struct{ size float64 }

type cache struct {
	memoryGiB     float64 // a node's
	shards, nodes int
}

type edgeRules struct{ rateLimit, cache int }

// roles of the app's processes, by the process label the workloads set.
const (
	processLabel = spec.ProcessLabel
	poolLabel    = spec.PoolLabel
	roleIngress  = "ingress"
	ingressChart = "ingress-nginx"
)

// wholePaths are the counts the inventory reads, by type: each, where the plan sets it, must
// be a whole number of 0 or more (a malformed count is an error, never a default).
var wholePaths = map[string][]string{
	types.DOKubernetesCluster:        {"nodePool.minNodes", "nodePool.maxNodes", "nodePool.nodeCount"},
	types.DOKubernetesNodePool:       {"minNodes", "maxNodes", "nodeCount"},
	types.AWSEKSNodeGroup:            {"scalingConfig.minSize", "scalingConfig.maxSize"},
	types.DODatabaseConnectionPool:   {"size"},
	types.AWSCacheReplicationGroup:   {"numNodeGroups", "replicasPerNodeGroup"},
	types.DODatabaseCluster:          {"nodeCount"},
	types.K8sStatefulSet:             {"spec.replicas"},
	types.K8sDeployment:              {"spec.replicas"},
	types.K8sHorizontalPodAutoscaler: {"spec.minReplicas", "spec.maxReplicas"},
	types.KEDAScaledObject:           {"spec.minReplicaCount", "spec.maxReplicaCount"},
	types.HelmRelease:                {"values.controller.replicaCount", "values.controller.autoscaling.minReplicas", "values.controller.autoscaling.maxReplicas"},
}

// checkCounts reports the first count of the plan that is not a whole number of 0 or more.
func checkCounts(p plan.Plan) error {
	for _, r := range p.Resources {
		for _, path := range wholePaths[r.Type] {
			v, ok := r.Get(path)
			if !ok || v == nil || v == plan.Unknown {
				continue
			}
			n, isNum := v.(float64)
			if !isNum || n < 0 || n != math.Trunc(n) || n > maxCount {
				return fmt.Errorf("capacity: %s %s: %s: %v is not a whole number of 0 to %d", r.Type, r.Name, path, v, maxCount)
			}
		}
	}
	return nil
}

// maxCount bounds any count a plan sets (nodes, replicas, pool connections).
const maxCount = 1_000_000

func readInventory(p plan.Plan, cloud spec.Cloud) (inventory, error) {
	var inv inventory
	if err := checkCounts(p); err != nil {
		return inv, err
	}
	hpas := map[string]plan.Resource{}
	scaled := map[string]plan.Resource{}
	for _, r := range p.Resources {
		switch r.Type {
		case types.K8sHorizontalPodAutoscaler:
			hpas[r.StringAt("spec.scaleTargetRef.name")] = r
		case types.KEDAScaledObject:
			scaled[r.StringAt("spec.scaleTargetRef.name")] = r
		}
	}
	for _, r := range p.Resources {
		var err error
		switch r.Type {
		case types.DOKubernetesCluster:
			err = inv.addPool(cloud, key(r.MapAt("nodePool.labels"), poolLabel), r.StringAt("nodePool.size"), num(r, "nodePool.minNodes", num(r, "nodePool.nodeCount", 1)), num(r, "nodePool.maxNodes", num(r, "nodePool.nodeCount", 1)), false)
		case types.DOKubernetesNodePool:
			err = inv.addPool(cloud, key(r.MapAt("labels"), poolLabel), r.StringAt("size"), num(r, "minNodes", num(r, "nodeCount", 1)), num(r, "maxNodes", num(r, "nodeCount", 1)), false)
		case types.AWSEKSNodeGroup:
			err = inv.addPool(cloud, key(r.MapAt("labels"), poolLabel), r.StringAt("instanceTypes.0"), num(r, "scalingConfig.minSize", 1), num(r, "scalingConfig.maxSize", 1), r.StringAt("capacityType") == "SPOT")
		case types.KarpenterNodePool:
			err = inv.karpenterPool(cloud, r)
		case types.K8sDeployment:
			var pr process
			if pr, err = deployment(r, hpas, scaled); err == nil {
				inv.processes = append(inv.processes, pr)
			}
		case types.HelmRelease:
			chart := r.StringAt("chart")
			inv.addons = append(inv.addons, chart)
			if chart == ingressChart {
				inv.processes = append(inv.processes, ingressController(r))
			} else if p := selectedPool(r.MapAt("values")); p != "" && inv.systemPool == "" {
				inv.systemPool = p
			}
		case types.K8sService:
			if r.StringAt("spec.type") == "LoadBalancer" {
				inv.lbs = append(inv.lbs, service(r))
			}
		case types.DODatabaseCluster:
			err = inv.doDatabase(r)
		case types.DODatabaseReplica:
			if inv.db == nil {
				return inv, fmt.Errorf("capacity: %s: a replica before its database", r.Name)
			}
			inv.db.replicas++
			inv.db.replica, err = spec.Lookup(cloud, spec.DatabaseSize, r.StringAt("size"))
		case types.DODatabaseConnectionPool:
			inv.connPool = &connPool{size: float64(num(r, "size", 0))}
		case types.AWSRDSInstance:
			err = inv.rds(r)
		case types.AWSCacheReplicationGroup:
			info, lerr := spec.Lookup(cloud, spec.CacheSize, r.StringAt("nodeType"))
			if lerr != nil {
				return inv, fmt.Errorf("capacity: %s: %w", r.Name, lerr)
			}
			shards := num(r, "numNodeGroups", 1)
			inv.cache = &cache{memoryGiB: info.MemoryGiB, shards: shards, nodes: shards * (1 + num(r, "replicasPerNodeGroup", 0))}
		case types.K8sStatefulSet:
			inv.statefulSet(r)
		case types.CFRuleset:
			if inv.edge == nil {
				inv.edge = &edgeRules{}
			}
			switch r.StringAt("phase") {
			case "http_ratelimit":
				inv.edge.rateLimit += len(r.ListAt("rules"))
			case "http_request_cache_settings":
				inv.edge.cache += len(r.ListAt("rules"))
			}
		case types.AWSEip:
			inv.eips++
		}
		if err != nil {
			return inv, fmt.Errorf("capacity: %s: %w", r.Name, err)
		}
	}
	// PgBouncer in the cluster is the pool where the cloud has no managed one.
	for _, pr := range inv.processes {
		if pr.poolSize > 0 && inv.connPool == nil {
			inv.connPool = &connPool{size: pr.poolSize * float64(pr.min)}
		}
	}
	return inv, nil
}

func (inv *inventory) addPool(cloud spec.Cloud, name, size string, lo, hi int, spot bool) error {
	info, err := spec.Lookup(cloud, spec.NodeSize, size)
	if err != nil {
		return err
	}
	inv.pools = append(inv.pools, pool{name: name, size: size, min: lo, max: max(hi, lo), spot: spot, info: info})
	return nil
}

// karpenterPool reads a Karpenter NodePool as a pool: its size and minimum from scalestack's
// annotations, its maximum the most nodes of that size within its CPU and memory limits.
func (inv *inventory) karpenterPool(cloud spec.Cloud, r plan.Resource) error {
	kp, err := spec.ReadKarpenterPool(cloud, r.MapAt("metadata.annotations"), r.MapAt("spec.limits"), r.ListAt("spec.template.spec.requirements"))
	if err != nil {
		return fmt.Errorf("capacity: NodePool %s: %w", r.Name, err)
	}
	inv.pools = append(inv.pools, pool{name: key(r.MapAt("spec.template.metadata.labels"), poolLabel), size: kp.Size, min: kp.Min, max: kp.Max, spot: kp.Spot, info: kp.Info, karpenter: true})
	return nil
}

func (inv *inventory) doDatabase(r plan.Resource) error {
	size := r.StringAt("size")
	switch r.StringAt("engine") {
	case "pg":
		info, err := spec.Lookup(spec.DigitalOcean, spec.DatabaseSize, size)
		if err != nil {
			return err
		}
		if inv.db == nil {
			inv.db = &database{}
		}
		inv.db.primary, inv.db.standby = info, num(r, "nodeCount", 1)-1
		if inv.db.replicas == 0 {
			inv.db.replica = info
		}
	case "valkey", "redis":
		info, err := spec.Lookup(spec.DigitalOcean, spec.CacheSize, size)
		if err != nil {
			return err
		}
		inv.cache = &cache{memoryGiB: info.MemoryGiB, shards: 1, nodes: num(r, "nodeCount", 1)}
	}
	return nil
}

func (inv *inventory) rds(r plan.Resource) error {
	info, err := spec.Lookup(spec.AWS, spec.DatabaseSize, r.StringAt("instanceClass"))
	if err != nil {
		return err
	}
	if inv.db == nil {
		inv.db = &database{}
	}
	if v, _ := r.Get("replicateSourceDb"); v != nil {
		inv.db.replicas++
		inv.db.replica = info
		return nil
	}
	inv.db.primary = info
	if v, _ := r.Get("multiAz"); v == true {
		inv.db.standby = 1
	}
	if inv.db.replicas == 0 {
		inv.db.replica = info
	}
	return nil
}

// statefulSet reads the local cloud's in-cluster PostgreSQL and Valkey: their CPU requests,
// PostgreSQL's max_connections and Valkey's --maxmemory, as the plan runs them.
func (inv *inventory) statefulSet(r plan.Resource) {
	c := "spec.template.spec.containers.0."
	cpu := float64(spec.MilliCPU(r.StringAt(c+"resources.requests.cpu"))) / 1000
	n := num(r, "spec.replicas", 1)
	var words []string
	for _, path := range []string{c + "command", c + "args"} {
		for _, w := range r.ListAt(path) {
			if s, ok := w.(string); ok {
				words = append(words, strings.Fields(s)...)
			}
		}
	}
	setting := func(prefix string) string {
		for i, w := range words {
			if v, ok := strings.CutPrefix(w, prefix); ok {
				if v == "" && i+1 < len(words) {
					return words[i+1]
				}
				return v
			}
		}
		return ""
	}
	switch {
	case strings.HasSuffix(r.Name, "-db-primary"), strings.HasSuffix(r.Name, "-db-replica"):
		conns, _ := strconv.Atoi(setting("max_connections="))
		info := spec.SizeInfo{Slug: "in-cluster", VCPUs: cpu, Connections: conns}
		if inv.db == nil {
			inv.db = &database{}
		}
		inv.db.namespace = r.StringAt("metadata.namespace")
		if strings.HasSuffix(r.Name, "-db-primary") {
			inv.db.statefulSets = append([]string{r.StringAt("metadata.name")}, inv.db.statefulSets...)
			inv.db.primary = info
			if inv.db.replicas == 0 {
				inv.db.replica = info
			}
		} else {
			inv.db.statefulSets = append(inv.db.statefulSets, r.StringAt("metadata.name"))
			inv.db.replicas += n
			inv.db.replica = info
		}
	case strings.HasSuffix(r.Name, "-cache-valkey"):
		mem := spec.MiB(strings.Replace(strings.ToLower(setting("--maxmemory")), "mb", "Mi", 1)) / 1024
		inv.cache = &cache{memoryGiB: mem, shards: 1, nodes: n}
	}
}

// deployment reads one of the app's Deployments and the autoscaler that targets it.
func deployment(r plan.Resource, hpas, scaled map[string]plan.Resource) (process, error) {
	c := "spec.template.spec.containers.0."
	name := r.StringAt("metadata.name")
	pr := process{
		name:      name,
		namespace: r.StringAt("metadata.namespace"),
		role:      key(r.MapAt("metadata.labels"), processLabel),
		pool:      key(r.MapAt("spec.template.spec.nodeSelector"), poolLabel),
		cpu:       float64(spec.MilliCPU(r.StringAt(c + "resources.requests.cpu"))),
		cpuLimit:  float64(spec.MilliCPU(r.StringAt(c + "resources.limits.cpu"))),
		memory:    spec.MiB(r.StringAt(c + "resources.requests.memory")),
		scaledOn:  "fixed",
	}
	pr.min = num(r, "spec.replicas", 1)
	pr.max = pr.min
	for _, e := range r.ListAt(c + "env") {
		env, _ := e.(map[string]any)
		v, _ := env["value"].(string)
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch env["name"] {
		case "MAX_CONNECTIONS":
			pr.connectionsPerPod = n
		case "DEFAULT_POOL_SIZE":
			pr.poolSize = n
		case "MAX_CLIENT_CONN":
			pr.maxClients = n
		}
	}
	if h, ok := hpas[name]; ok {
		pr.min, pr.max = num(h, "spec.minReplicas", 1), num(h, "spec.maxReplicas", 1)
		pr.autoscaler = h.StringAt("metadata.name")
		for _, m := range h.ListAt("spec.metrics") {
			mm, _ := m.(map[string]any)
			res, _ := mm["resource"].(map[string]any)
			if res["name"] == "cpu" {
				t, _ := res["target"].(map[string]any)
				if u, ok := t["averageUtilization"].(float64); ok {
					pr.scaledOn, pr.cpuTarget = "cpu", u/100
				}
			}
		}
	}
	if s, ok := scaled[name]; ok {
		// KEDA's defaults: minReplicaCount 0, maxReplicaCount 100.
		pr.min, pr.max = num(s, "spec.minReplicaCount", 0), num(s, "spec.maxReplicaCount", 100)
		// KEDA names the HPA it makes keda-hpa-<ScaledObject> unless the object names one.
		pr.autoscaler = s.StringAt("spec.advanced.horizontalPodAutoscalerConfig.name")
		if pr.autoscaler == "" {
			pr.autoscaler = "keda-hpa-" + s.StringAt("metadata.name")
		}
		for _, t := range s.ListAt("spec.triggers") {
			tm, _ := t.(map[string]any)
			meta, _ := tm["metadata"].(map[string]any)
			switch tm["type"] {
			case "redis", "redis-cluster":
				pr.scaledOn = "queue"
				pr.queue, _ = meta["listName"].(string)
				// KEDA's redis scaler: listLength defaults to 5.
				pr.queueLength = 5
				if v, ok := meta["listLength"]; ok {
					n, err := strconv.ParseFloat(fmt.Sprint(v), 64)
					if err != nil || !(n > 0) || math.IsInf(n, 0) {
						return process{}, fmt.Errorf("ScaledObject %s: triggers: listLength %q is not a positive number of jobs", s.StringAt("metadata.name"), fmt.Sprint(v))
					}
					pr.queueLength = n
				}
			case "prometheus":
				if q, _ := meta["query"].(string); strings.Contains(q, "websocket_connections") {
					pr.scaledOn = "connections"
					pr.connectionThreshold, _ = strconv.ParseFloat(fmt.Sprint(meta["threshold"]), 64)
				}
			case "cpu":
				if v, err := strconv.ParseFloat(fmt.Sprint(meta["value"]), 64); err == nil && pr.scaledOn == "fixed" {
					pr.scaledOn, pr.cpuTarget = "cpu", v/100
				} else if err == nil {
					pr.cpuTarget = v / 100
				}
			}
		}
	}
	if pr.max < pr.min {
		pr.max = pr.min
	}
	return pr, nil
}

// ingressController reads ingress-nginx's controller from its Helm values.
func ingressController(r plan.Resource) process {
	v := "values.controller."
	pr := process{name: "ingress-nginx-controller", namespace: r.StringAt("namespace"), role: roleIngress, pool: key(r.MapAt(v+"nodeSelector"), poolLabel), scaledOn: "fixed"}
	pr.cpu = float64(spec.MilliCPU(r.StringAt(v + "resources.requests.cpu")))
	pr.memory = spec.MiB(r.StringAt(v + "resources.requests.memory"))
	pr.min = num(r, v+"replicaCount", 1)
	pr.max = pr.min
	if on, _ := r.Get(v + "autoscaling.enabled"); on == true {
		// The chart's defaults: minReplicas 1, maxReplicas 11.
		pr.min, pr.max = num(r, v+"autoscaling.minReplicas", 1), num(r, v+"autoscaling.maxReplicas", 11)
		pr.scaledOn = "cpu"
		// The chart names its HPA after the controller's Deployment.
		pr.autoscaler = pr.name
		if t, ok := r.NumberAt(v + "autoscaling.targetCPUUtilizationPercentage"); ok {
			pr.cpuTarget = t / 100
		}
	}
	return pr
}

func service(r plan.Resource) loadBalancer {
	lb := loadBalancer{name: r.StringAt("metadata.name")}
	sel := r.MapAt("spec.selector")
	if role, ok := sel[processLabel].(string); ok {
		lb.fronts = role
	} else if sel["app.kubernetes.io/name"] == ingressChart {
		lb.fronts = roleIngress
	}
	if n, err := strconv.Atoi(key(r.MapAt("metadata.annotations"), "service.beta.kubernetes.io/do-loadbalancer-size-unit")); err == nil {
		lb.nodes = n
	}
	return lb
}

// key reads a string under a key that has dots (a label or an annotation), which a plan path
// cannot spell.
func key(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// num reads a count that checkCounts has checked, or def, the API's own default, where the plan
// leaves it out.
func num(r plan.Resource, path string, def int) int {
	n, ok := r.NumberAt(path)
	if !ok {
		return def
	}
	return int(n)
}

// selectedPool finds the pool a Helm release's values select with a nodeSelector, anywhere in
// the values (charts nest them: prometheus.prometheusSpec.nodeSelector).
func selectedPool(values map[string]any) string {
	for _, k := range slices.Sorted(mapKeys(values)) {
		v, _ := values[k].(map[string]any)
		if k == "nodeSelector" {
			if p := key(v, poolLabel); p != "" {
				return p
			}
		}
		if p := selectedPool(v); p != "" {
			return p
		}
	}
	return ""
}
