package cost

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// pricers price the resource types that cost money, by type token. Each reads the plan's
// inputs; a value the plan cannot know (a secret, a computed value) makes the resource
// unpriced, and a size missing from the price table is an error.
var pricers = map[string]func(*estimator, plan.Resource) ([]Part, error){
	types.DOKubernetesCluster:      doKubernetesCluster,
	types.DOKubernetesNodePool:     doNodePool,
	types.DODatabaseCluster:        doDatabaseCluster,
	types.DODatabaseReplica:        doDatabaseReplica,
	types.DOLoadBalancer:           doLoadBalancer,
	types.DOVolume:                 doVolume,
	types.AWSEKS:                   awsEKS,
	types.AWSEKSNodeGroup:          awsNodeGroup,
	types.KarpenterNodePool:        karpenterNodePool,
	types.AWSRDSInstance:           awsRDS,
	types.AWSCacheReplicationGroup: awsElastiCache,
	types.AWSNatGateway:            awsNAT,
	types.AWSEip:                   awsEIP,
	types.AWSMetricAlarm:           awsAlarm,
	types.AWSLB:                    awsLoadBalancer,
	types.AWSEBSVolume:             awsVolume,
	types.CFZone:                   cloudflareZone,
	types.K8sService:               kubernetesService,
}

var one = decimal.NewFromInt(1)

// str reads a string input that pricing depends on.
func str(r plan.Resource, path string) (string, error) {
	v, ok := r.Get(path)
	if !ok {
		return "", unpriced("%s is not set", path)
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return "", fmt.Errorf("%s: %v is not a string", path, v)
	case s == plan.Secret || s == plan.Unknown:
		return "", unpriced("%s is not known until the resource exists", path)
	}
	return s, nil
}

// count reads a whole, non-negative number input; missing gives def.
func count(r plan.Resource, path string, def int64) (decimal.Decimal, error) {
	v, ok := r.Get(path)
	if !ok || v == nil {
		return decimal.NewFromInt(def), nil
	}
	switch n := v.(type) {
	case float64:
		if n < 0 || n != float64(int64(n)) {
			return decimal.Decimal{}, fmt.Errorf("%s: %v is not a whole number of 0 or more", path, n)
		}
		return decimal.NewFromInt(int64(n)), nil
	case string:
		if n == plan.Secret || n == plan.Unknown {
			return decimal.Decimal{}, unpriced("%s is not known until the resource exists", path)
		}
	}
	return decimal.Decimal{}, fmt.Errorf("%s: %v is not a number", path, v)
}

func flag(r plan.Resource, path string) bool {
	v, _ := r.Get(path)
	b, _ := v.(bool)
	return b
}

// nodes reads a pool's bounds: min and max when it autoscales, else its fixed count.
func nodes(r plan.Resource, prefix, autoscale, minKey, maxKey, countKey string) (lo, hi decimal.Decimal, err error) {
	if autoscale == "" || flag(r, prefix+autoscale) {
		if lo, err = count(r, prefix+minKey, 1); err != nil {
			return
		}
		if hi, err = count(r, prefix+maxKey, lo.IntPart()); err != nil {
			return
		}
		if hi.LessThan(lo) {
			hi = lo
		}
		return lo, hi, nil
	}
	lo, err = count(r, prefix+countKey, 1)
	return lo, lo, err
}

func doKubernetesCluster(e *estimator, r plan.Resource) ([]Part, error) {
	var parts []Part
	if flag(r, "ha") {
		p, err := e.fixed("digitalocean", "HA control plane", "kubernetesHA", "", one)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	size, err := str(r, "nodePool.size")
	if err != nil {
		return nil, err
	}
	lo, hi, err := nodes(r, "nodePool.", "autoScale", "minNodes", "maxNodes", "nodeCount")
	if err != nil {
		return nil, err
	}
	p, err := e.part("digitalocean", "default pool nodes", "node", size, lo, hi)
	return append(parts, p), err
}

func doNodePool(e *estimator, r plan.Resource) ([]Part, error) {
	size, err := str(r, "size")
	if err != nil {
		return nil, err
	}
	lo, hi, err := nodes(r, "", "autoScale", "minNodes", "maxNodes", "nodeCount")
	if err != nil {
		return nil, err
	}
	p, err := e.part("digitalocean", "nodes", "node", size, lo, hi)
	return []Part{p}, err
}

// doEngines maps a DigitalOcean database engine to its price item.
var doEngines = map[string]string{"pg": "postgres", "valkey": "valkey", "redis": "valkey", "mysql": "mysql"}

func doDatabaseCluster(e *estimator, r plan.Resource) ([]Part, error) {
	engine, err := str(r, "engine")
	if err != nil {
		return nil, err
	}
	item, ok := doEngines[engine]
	if !ok {
		return nil, unpriced("engine %q has no price", engine)
	}
	size, err := str(r, "size")
	if err != nil {
		return nil, err
	}
	n, err := count(r, "nodeCount", 1)
	if err != nil {
		return nil, err
	}
	primary, err := e.fixed("digitalocean", engine+" primary", item, size, one)
	if err != nil {
		return nil, err
	}
	parts := []Part{primary}
	if standby := n.Sub(one); standby.IsPositive() {
		p, err := e.fixed("digitalocean", engine+" standby nodes", item+"Standby", size, standby)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func doDatabaseReplica(e *estimator, r plan.Resource) ([]Part, error) {
	size, err := str(r, "size")
	if err != nil {
		return nil, err
	}
	p, err := e.fixed("digitalocean", "read-only node", "postgres", size, one)
	return []Part{p}, err
}

func doLoadBalancer(e *estimator, r plan.Resource) ([]Part, error) {
	n, err := count(r, "sizeUnit", 1)
	if err != nil {
		return nil, err
	}
	p, err := e.fixed("digitalocean", "load balancer nodes", "loadBalancerNode", "", n)
	return []Part{p}, err
}

func doVolume(e *estimator, r plan.Resource) ([]Part, error) {
	gib, err := count(r, "size", 0)
	if err != nil {
		return nil, err
	}
	p, err := e.fixed("digitalocean", "block storage, GiB", "volumeGiB", "", gib)
	return []Part{p}, err
}

func awsEKS(e *estimator, _ plan.Resource) ([]Part, error) {
	p, err := e.fixed("aws", "EKS control plane", "eksCluster", "", one)
	return []Part{p}, err
}

func awsNodeGroup(e *estimator, r plan.Resource) ([]Part, error) {
	typ, err := str(r, "instanceTypes.0")
	if err != nil {
		return nil, err
	}
	lo, hi, err := nodes(r, "scalingConfig.", "", "minSize", "maxSize", "")
	if err != nil {
		return nil, err
	}
	what, keep := "nodes", one
	if capacity, _ := r.Get("capacityType"); capacity == "SPOT" {
		discount, err := e.prices.Lookup("aws", e.region, "spotDiscount", "")
		if err != nil {
			return nil, err
		}
		keep = one.Sub(discount.Price)
		what = "spot nodes (on-demand less " + discount.Price.Shift(2).String() + "%)"
	}
	node, err := e.scaledPart("aws", what, "ec2", typ, lo, hi, keep)
	if err != nil {
		return nil, err
	}
	gb, err := count(r, "diskSize", 20)
	if err != nil {
		return nil, err
	}
	disk, err := e.part("aws", "node disks, gp3 GB", "ebsGp3", "", gb.Mul(lo), gb.Mul(hi))
	return []Part{node, disk}, err
}

// karpenterNodePool prices a Karpenter NodePool as its managed node group would be priced: the
// nodes the preset's minimums run on at baseline, and at the ceiling the most nodes of the
// preset's size its limits hold, at that size's price (Karpenter may launch another type of the
// same vCPUs and memory for a spot pool; the price is the preset size's); the root volumes from
// its EC2NodeClass.
func karpenterNodePool(e *estimator, r plan.Resource) ([]Part, error) {
	kp, err := spec.ReadKarpenterPool(spec.AWS, r.MapAt("metadata.annotations"), r.MapAt("spec.limits"), r.ListAt("spec.template.spec.requirements"))
	if err != nil {
		return nil, err
	}
	lo, hi := decimal.NewFromInt(int64(kp.Min)), decimal.NewFromInt(int64(kp.Max))
	what, keep := "nodes (Karpenter; the ceiling is its limits at the preset's size)", one
	if kp.Spot {
		discount, err := e.prices.Lookup("aws", e.region, "spotDiscount", "")
		if err != nil {
			return nil, err
		}
		keep = one.Sub(discount.Price)
		what = "spot nodes (Karpenter; on-demand less " + discount.Price.Shift(2).String() + "%; the ceiling is its limits at the preset's size)"
	}
	node, err := e.scaledPart("aws", what, "ec2", kp.Size, lo, hi, keep)
	if err != nil {
		return nil, err
	}
	class, ok := e.byName[types.KarpenterEC2NodeClass+"::"+r.StringAt("spec.template.spec.nodeClassRef.name")]
	if !ok {
		return nil, fmt.Errorf("no EC2NodeClass %q for its nodes' volumes", r.StringAt("spec.template.spec.nodeClassRef.name"))
	}
	size, _ := class.Get("spec.blockDeviceMappings.0.ebs.volumeSize")
	gib := spec.MiB(fmt.Sprint(size)) / 1024
	if gib <= 0 {
		return nil, fmt.Errorf("EC2NodeClass %s: spec.blockDeviceMappings.0.ebs.volumeSize %v is not a size (want the form 50Gi)", class.StringAt("metadata.name"), size)
	}
	gb := decimal.NewFromFloat(gib)
	disk, err := e.part("aws", "node disks, gp3 GB", "ebsGp3", "", gb.Mul(lo), gb.Mul(hi))
	return []Part{node, disk}, err
}

func awsRDS(e *estimator, r plan.Resource) ([]Part, error) {
	class, err := str(r, "instanceClass")
	if err != nil {
		return nil, err
	}
	copies, what := one, "PostgreSQL"
	if flag(r, "multiAz") {
		copies, what = decimal.NewFromInt(2), "PostgreSQL Multi-AZ (primary and standby)"
	}
	storage, maxStorage, err := rdsStorage(r)
	if err != nil {
		return nil, err
	}
	if source, ok := r.Inputs["replicateSourceDb"].(string); ok {
		what = "PostgreSQL read replica"
		// A replica's disk is as large as its source's, and grows as its source's does.
		if src, ok := e.byName[r.Type+"::"+source]; ok {
			if storage, maxStorage, err = rdsStorage(src); err != nil {
				return nil, err
			}
		}
	}
	engine, _ := r.Inputs["engine"].(string)
	if engine != "" && engine != "postgres" {
		return nil, unpriced("engine %q has no price (want postgres)", engine)
	}
	instance, err := e.fixed("aws", what, "rdsPostgres", class, copies)
	if err != nil {
		return nil, err
	}
	disk, err := e.part("aws", "storage, gp3 GB", "rdsGp3", "", storage.Mul(copies), maxStorage.Mul(copies))
	return []Part{instance, disk}, err
}

// rdsStorage is an instance's storage at baseline (allocatedStorage) and ceiling: storage
// autoscaling (maxAllocatedStorage) lets it grow to that bound without a change to the stack.
func rdsStorage(r plan.Resource) (lo, hi decimal.Decimal, err error) {
	if lo, err = count(r, "allocatedStorage", 0); err != nil {
		return
	}
	if hi, err = count(r, "maxAllocatedStorage", 0); err != nil {
		return
	}
	if hi.LessThan(lo) {
		hi = lo // 0 or unset: storage autoscaling is off
	}
	return lo, hi, nil
}

func awsElastiCache(e *estimator, r plan.Resource) ([]Part, error) {
	typ, err := str(r, "nodeType")
	if err != nil {
		return nil, err
	}
	engine, _ := r.Inputs["engine"].(string)
	item := map[string]string{"valkey": "elasticacheValkey", "redis": "elasticacheRedis", "": "elasticacheRedis"}[engine]
	if item == "" {
		return nil, unpriced("engine %q has no price (want valkey or redis)", engine)
	}
	n, err := count(r, "numCacheClusters", 0)
	if err != nil {
		return nil, err
	}
	if _, sharded := r.Inputs["numNodeGroups"]; sharded {
		shards, err := count(r, "numNodeGroups", 1)
		if err != nil {
			return nil, err
		}
		replicas, err := count(r, "replicasPerNodeGroup", 0)
		if err != nil {
			return nil, err
		}
		n = shards.Mul(replicas.Add(one))
	}
	if n.IsZero() {
		n = one
	}
	p, err := e.fixed("aws", engine+" nodes", item, typ, n)
	return []Part{p}, err
}

func awsNAT(e *estimator, _ plan.Resource) ([]Part, error) {
	hours, err := e.fixed("aws", "NAT gateway", "natGateway", "", one)
	if err != nil {
		return nil, err
	}
	share := dec(e.opts.Usage.NATDataGB).Div(decimal.NewFromInt(int64(max(e.nats, 1)))).Round(2)
	data, err := e.fixed("aws", "NAT data processed, GB (usage)", "natData", "", share)
	data.Usage, data.UsageKey = true, "natDataGB"
	return []Part{hours, data}, err
}

func awsAlarm(e *estimator, _ plan.Resource) ([]Part, error) {
	p, err := e.fixed("aws", "CloudWatch alarm", "cloudwatchAlarm", "", one)
	return []Part{p}, err
}

func awsEIP(e *estimator, _ plan.Resource) ([]Part, error) {
	p, err := e.fixed("aws", "public IPv4 address", "publicIPv4", "", one)
	return []Part{p}, err
}

func awsLoadBalancer(e *estimator, r plan.Resource) ([]Part, error) {
	parts, err := awsLBParts(e, r)
	if err != nil || flag(r, "internal") {
		return parts, err
	}
	kind, _ := r.Inputs["loadBalancerType"].(string)
	if kind != "network" {
		return parts, nil // an ALB's addresses are AWS-owned and not billed as public IPv4
	}
	zones := int64(e.publicZones)
	if subnets, ok := r.Inputs["subnets"].([]any); ok {
		zones = int64(len(subnets))
	}
	return withPublicIPv4(e, parts, zones)
}

// withPublicIPv4 adds the public IPv4 addresses of an internet-facing NLB: one a zone.
func withPublicIPv4(e *estimator, parts []Part, zones int64) ([]Part, error) {
	if zones == 0 {
		return parts, nil
	}
	ip, err := e.fixed("aws", "public IPv4 addresses (one a zone)", "publicIPv4", "", decimal.NewFromInt(zones))
	return append(parts, ip), err
}

func awsLBParts(e *estimator, r plan.Resource) ([]Part, error) {
	kind, _ := r.Inputs["loadBalancerType"].(string)
	prefix := map[string]string{"network": "nlb", "application": "alb", "": "alb"}[kind]
	if prefix == "" {
		return nil, unpriced("load balancer type %q has no price (want network or application)", kind)
	}
	hours, err := e.fixed("aws", prefix+" hours", prefix, "", one)
	if err != nil {
		return nil, err
	}
	lcu, err := e.fixed("aws", prefix+" capacity units (usage)", prefix+"CapacityUnit", "", dec(e.opts.Usage.LoadBalancerLCU))
	lcu.Usage, lcu.UsageKey = true, "loadBalancerLCU"
	return []Part{hours, lcu}, err
}

func awsVolume(e *estimator, r plan.Resource) ([]Part, error) {
	gb, err := count(r, "size", 0)
	if err != nil {
		return nil, err
	}
	if t, _ := r.Inputs["type"].(string); t != "" && t != "gp3" {
		return nil, unpriced("volume type %q has no price (want gp3)", t)
	}
	p, err := e.fixed("aws", "EBS gp3, GB", "ebsGp3", "", gb)
	return []Part{p}, err
}

func (e *estimator) awsEgress() ([]Part, error) {
	p, err := e.fixed("aws", "data out to the internet, GB (usage)", "dataTransferOut", "", dec(e.opts.Usage.EgressGB))
	p.Usage, p.UsageKey = true, "egressGB"
	return []Part{p}, err
}

func cloudflareZone(e *estimator, r plan.Resource) ([]Part, error) {
	planName := "free"
	if v, ok := r.Inputs["plan"].(string); ok {
		planName = v
	}
	p, err := e.fixed("cloudflare", "Cloudflare "+planName+" plan", "plan", planName, one)
	return []Part{p}, err
}

// kubernetesService prices a Service of type LoadBalancer as the cloud's load balancer; every
// other Service is free.
func kubernetesService(e *estimator, r plan.Resource) ([]Part, error) {
	if !isLoadBalancerService(r) {
		return nil, nil
	}
	annotations := map[string]any{}
	if v, ok := r.Get("metadata.annotations"); ok {
		annotations, _ = v.(map[string]any)
	}
	switch {
	case e.clouds["aws"]:
		// The aws-load-balancer-type annotation makes it a Network Load Balancer; internet-facing
		// unless the scheme or the internal annotation says otherwise.
		parts, err := awsLBParts(e, plan.Resource{Inputs: map[string]any{"loadBalancerType": "network"}})
		scheme, _ := annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"].(string)
		internal, _ := annotations["service.beta.kubernetes.io/aws-load-balancer-internal"].(string)
		if err != nil || scheme == "internal" || internal == "true" {
			return parts, err
		}
		return withPublicIPv4(e, parts, int64(e.publicZones))
	case e.clouds["digitalocean"]:
		units := int64(1)
		if s, ok := annotations["service.beta.kubernetes.io/do-loadbalancer-size-unit"].(string); ok {
			if _, err := fmt.Sscanf(s, "%d", &units); err != nil || units < 1 {
				return nil, fmt.Errorf("annotation do-loadbalancer-size-unit: %q is not a whole number of 1 or more", s)
			}
		}
		return doLoadBalancer(e, plan.Resource{Inputs: map[string]any{"sizeUnit": float64(units)}})
	}
	return nil, unpriced("a LoadBalancer on an existing cluster: it costs what that cluster's load balancers cost, which the plan does not say")
}
