package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/scalestack/scalestack/capacity"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/cost"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// workloadTypes run containers; podSpecPath is where each keeps its pod spec.
var podSpecPath = map[string]string{
	types.K8sDeployment: "spec.template.spec", types.K8sStatefulSet: "spec.template.spec", types.K8sDaemonSet: "spec.template.spec",
	types.K8sJob: "spec.template.spec", types.K8sCronJob: "spec.jobTemplate.spec.template.spec",
}

// longRunning workloads need probes; jobs run to completion and do not.
var longRunning = []string{types.K8sDeployment, types.K8sStatefulSet, types.K8sDaemonSet}

// All returns every rule, in the order they run.
func All() []Rule {
	return []Rule{
		{Name: "stateful-protected", Description: "clusters, databases, replicas, caches and volumes are protected from deletion", Level: Mandatory, Check: statefulProtected},
		{Name: "deletion-safeguards", Description: "databases have deletion protection and keep a final snapshot where the cloud offers them", Level: Mandatory, Check: deletionSafeguards},
		{Name: "data-private", Description: "databases and caches are reachable only from the cluster: private networks, firewalls and security groups", Level: Mandatory, Check: dataPrivate},
		{Name: "data-encrypted", Description: "databases and caches encrypt at rest and in transit where the cloud offers it", Level: Mandatory, Check: dataEncrypted},
		{Name: "cluster-api-restricted", Description: "the Kubernetes API of every cluster admits only scalestack:adminCidrs, not the whole internet", Level: Advisory, Check: clusterAPIRestricted},
		{Name: "autoscaler-bounded", Description: "every autoscaler (node pools, node groups, Karpenter NodePools' limits, HPAs, KEDA) has a maximum within bounds and min <= max", Level: Mandatory, Check: autoscalerBounded},
		{Name: "container-resources", Description: "every container requests and limits CPU and memory", Level: Mandatory, Check: containerResources},
		{Name: "container-probes", Description: "every long-running container has readiness and liveness probes", Level: Mandatory, Check: containerProbes},
		{Name: "container-security", Description: "every container runs as non-root, without privilege escalation, on a read-only root filesystem, with all capabilities dropped", Level: Mandatory, Check: containerSecurity},
		{Name: "image-pinned", Description: "no image uses the latest tag or no tag", Level: Mandatory, Check: imagePinned},
		{Name: "disruption-budget", Description: "every Deployment with more than one replica has a PodDisruptionBudget", Level: Mandatory, Check: disruptionBudget},
		{Name: "min-replicas", Description: "every Deployment runs at least the tier preset's policies.minReplicas", Level: Mandatory, Applies: hasReplicaFloor, Check: minReplicas},
		{Name: "edge-origin-locked", Description: "with an edge, public load balancers admit only Cloudflare's addresses", Level: Mandatory, Applies: (*Stack).edge, Check: originLocked},
		{Name: "edge-proxied", Description: "with an edge, DNS records for the app are proxied through Cloudflare", Level: Mandatory, Applies: (*Stack).edge, Check: edgeProxied},
		{Name: "edge-ssl-strict", Description: "with an edge, Cloudflare verifies the origin's certificate (SSL mode strict)", Level: Mandatory, Applies: (*Stack).edge, Check: edgeSSLStrict},
		{Name: "account-limits", Description: "the ceiling's nodes, node groups, addresses and vCPUs fit the account's limits (scalestack:capacity limits, for an account whose limits were raised)", Level: Advisory, Applies: hasAccountLimits, Check: accountLimits},
		{Name: "budget", Description: "the stack's monthly cost ceiling is within scalestack:budget", Level: Mandatory, Check: budget},
	}
}

// get reads an input by a dotted path of map keys and list indexes (plan.Resource.Get), such as
// rules.0.type; a map key that itself contains a dot cannot be addressed.
func get(r plan.Resource, path string) (any, bool) { return r.Get(path) }

func isTrue(r plan.Resource, path string) bool {
	v, _ := get(r, path)
	b, _ := v.(bool)
	return b
}

func known(v any) bool { return v != plan.Unknown && v != plan.Secret }

func violation(r plan.Resource, property, format string, args ...any) Violation {
	return Violation{Type: r.Type, Name: r.Name, Property: property, Message: fmt.Sprintf(format, args...)}
}

func statefulProtected(s *Stack) []Violation {
	var out []Violation
	for _, r := range s.OfType(types.Stateful...) {
		if !r.Protect {
			out = append(out, violation(r, "", "is not protected (want the protect option; scalestack:protect is true by default)"))
		}
	}
	return out
}

func deletionSafeguards(s *Stack) []Violation {
	var out []Violation
	for _, r := range s.OfType(types.AWSRDSInstance) {
		if !isTrue(r, "deletionProtection") {
			out = append(out, violation(r, "deletionProtection", "is not true (want deletion protection on every RDS instance)"))
		}
		if _, replica := r.Inputs["replicateSourceDb"]; replica {
			continue // replicas cannot take final snapshots; the primary's count
		}
		if isTrue(r, "skipFinalSnapshot") || r.StringAt("finalSnapshotIdentifier") == "" {
			out = append(out, violation(r, "skipFinalSnapshot", "skips the final snapshot (want skipFinalSnapshot false and a finalSnapshotIdentifier)"))
		}
	}
	for _, r := range s.OfType(types.AWSCacheReplicationGroup) {
		if n, ok := r.NumberAt("snapshotRetentionLimit"); !ok || n < 1 {
			out = append(out, violation(r, "snapshotRetentionLimit", "keeps no snapshots (want at least 1 day)"))
		}
	}
	return out
}

// dependsOn reports whether a resource depends on another: the engine's dependencies (those its
// inputs come from and its dependsOn option) name it. A firewall or security group rule takes
// the ID of what it guards as an input, so this holds before the IDs are known and after,
// in the recording mock and in the engine alike.
func dependsOn(r, on plan.Resource) bool { return slices.Contains(r.Dependencies, on.Name) }

// openCIDRs are sources that mean the whole internet.
var openCIDRs = []string{"0.0.0.0/0", "::/0"}

func dataPrivate(s *Stack) []Violation {
	var out []Violation
	for _, db := range s.OfType(types.DODatabaseCluster, types.DODatabaseReplica) {
		if v, ok := get(db, "privateNetworkUuid"); !ok || v == "" {
			out = append(out, violation(db, "privateNetworkUuid", "is not on a private network (want the stack's VPC)"))
		}
	}
	for _, db := range s.OfType(types.DODatabaseCluster) {
		guarded := false
		for _, fw := range s.OfType(types.DODatabaseFirewall) {
			if !dependsOn(fw, db) { // its clusterId is the database's ID
				continue
			}
			guarded = true
			for i, rule := range fw.ListAt("rules") {
				m, _ := rule.(map[string]any)
				if m["type"] == "ip_addr" && slices.Contains(openCIDRs, fmt.Sprint(m["value"])) {
					out = append(out, violation(fw, fmt.Sprintf("rules.%d", i), "admits %v, the whole internet (want the cluster: type k8s)", m["value"]))
				}
			}
		}
		if !guarded {
			out = append(out, violation(db, "", "has no database firewall (want one that admits only the cluster)"))
		}
	}
	for _, db := range s.OfType(types.AWSRDSInstance) {
		if isTrue(db, "publiclyAccessible") {
			out = append(out, violation(db, "publiclyAccessible", "is true (want false: reachable only inside the VPC)"))
		}
		if len(db.ListAt("vpcSecurityGroupIds")) == 0 {
			out = append(out, violation(db, "vpcSecurityGroupIds", "is empty (want a security group that admits only the cluster's nodes)"))
		}
	}
	for _, kv := range s.OfType(types.AWSCacheReplicationGroup) {
		if len(kv.ListAt("securityGroupIds")) == 0 {
			out = append(out, violation(kv, "securityGroupIds", "is empty (want a security group that admits only the cluster's nodes)"))
		}
		if kv.StringAt("subnetGroupName") == "" {
			out = append(out, violation(kv, "subnetGroupName", "is empty (want the private subnets)"))
		}
	}
	// Security groups of the stack's databases and caches admit no address range that is the
	// whole internet. A data group is one a database or cache depends on (its IDs are among
	// their vpcSecurityGroupIds or securityGroupIds); a rule guards a data group when its
	// securityGroupId is one of those IDs, or, while IDs are unknown, when it depends on it.
	data := s.OfType(types.AWSRDSInstance, types.AWSCacheReplicationGroup)
	var dataGroups []plan.Resource
	for _, sg := range s.OfType(types.AWSSecurityGroup) {
		if slices.ContainsFunc(data, func(d plan.Resource) bool { return dependsOn(d, sg) }) {
			dataGroups = append(dataGroups, sg)
		}
	}
	dataGroupIDs := map[any]bool{}
	for _, d := range data {
		for _, id := range append(d.ListAt("vpcSecurityGroupIds"), d.ListAt("securityGroupIds")...) {
			if known(id) {
				dataGroupIDs[id] = true
			}
		}
	}
	for _, r := range s.OfType(types.AWSSecurityGroupIngressRule) {
		ref, _ := get(r, "securityGroupId")
		if !dataGroupIDs[ref] && !slices.ContainsFunc(dataGroups, func(sg plan.Resource) bool { return dependsOn(r, sg) }) {
			continue
		}
		for _, k := range []string{"cidrIpv4", "cidrIpv6"} {
			if slices.Contains(openCIDRs, r.StringAt(k)) {
				out = append(out, violation(r, k, "admits %s, the whole internet, to a database or cache (want the cluster's security group)", r.StringAt(k)))
			}
		}
	}
	for _, sg := range dataGroups {
		for i, in := range sg.ListAt("ingress") {
			m, _ := in.(map[string]any)
			for _, k := range []string{"cidrBlocks", "ipv6CidrBlocks"} {
				blocks, _ := m[k].([]any)
				for _, b := range blocks {
					if slices.Contains(openCIDRs, fmt.Sprint(b)) {
						out = append(out, violation(sg, fmt.Sprintf("ingress.%d.%s", i, k), "admits %v, the whole internet, to a database or cache", b))
					}
				}
			}
		}
	}
	return out
}

func dataEncrypted(s *Stack) []Violation {
	var out []Violation
	for _, db := range s.OfType(types.AWSRDSInstance) {
		if _, replica := db.Inputs["replicateSourceDb"]; !replica && !isTrue(db, "storageEncrypted") {
			out = append(out, violation(db, "storageEncrypted", "is not true (want encrypted storage)"))
		}
		if db.StringAt("parameterGroupName") == "" {
			out = append(out, violation(db, "parameterGroupName", "is the default group, which accepts unencrypted connections (want a group with rds.force_ssl = 1)"))
		}
	}
	for _, pg := range s.OfType(types.AWSRDSParameterGroup) {
		if !strings.HasPrefix(pg.StringAt("family"), "postgres") {
			continue
		}
		forced := false
		for _, p := range pg.ListAt("parameters") {
			m, _ := p.(map[string]any)
			forced = forced || (m["name"] == "rds.force_ssl" && fmt.Sprint(m["value"]) == "1")
		}
		if !forced {
			out = append(out, violation(pg, "parameters", "does not set rds.force_ssl = 1 (want TLS required for every connection)"))
		}
	}
	for _, kv := range s.OfType(types.AWSCacheReplicationGroup) {
		for _, k := range []string{"atRestEncryptionEnabled", "transitEncryptionEnabled"} {
			if !isTrue(kv, k) {
				out = append(out, violation(kv, k, "is not true (want encryption at rest and in transit)"))
			}
		}
	}
	for _, v := range s.OfType(types.AWSEBSVolume) {
		if !isTrue(v, "encrypted") {
			out = append(out, violation(v, "encrypted", "is not true (want an encrypted volume)"))
		}
	}
	return out
}

// openToInternet describes why a list of allowed sources is no restriction to chosen ranges:
// it is empty (whenEmpty says what that means for the resource) or holds 0.0.0.0/0 or ::/0.
// It returns "" for a list of chosen ranges, and for values not known until deployment.
func openToInternet(cidrs []any, whenEmpty string) string {
	if len(cidrs) == 0 {
		return whenEmpty
	}
	for _, c := range cidrs {
		if slices.Contains(openCIDRs, fmt.Sprint(c)) {
			return fmt.Sprintf("admits %v (the whole internet)", c)
		}
	}
	return ""
}

// adminCidrsHint is what every cluster-api-restricted message asks for.
const adminCidrsHint = "set scalestack:adminCidrs to the addresses that administer the cluster"

func clusterAPIRestricted(s *Stack) []Violation {
	var out []Violation
	for _, r := range s.OfType(types.AWSEKS) {
		// endpointPublicAccess is true when unset: that is EKS's default.
		if v, ok := get(r, "vpcConfig.endpointPublicAccess"); ok && (v == false || !known(v)) {
			continue
		}
		cidrs, _ := get(r, "vpcConfig.publicAccessCidrs")
		if !known(cidrs) {
			continue
		}
		l, _ := cidrs.([]any)
		if why := openToInternet(l, "is empty, so the public endpoint admits 0.0.0.0/0"); why != "" {
			out = append(out, violation(r, "vpcConfig.publicAccessCidrs", "%s to the Kubernetes API (want only the administrators' ranges: %s, or endpointPublicAccess false)", why, adminCidrsHint))
		}
	}
	for _, r := range s.OfType(types.DOKubernetesCluster) {
		if v, _ := get(r, "controlPlaneFirewall.enabled"); v != true {
			if known(v) {
				out = append(out, violation(r, "controlPlaneFirewall.enabled", "is not true, so the Kubernetes API admits the whole internet (want the control plane firewall on: %s)", adminCidrsHint))
			}
			continue
		}
		addrs, _ := get(r, "controlPlaneFirewall.allowedAddresses")
		if !known(addrs) {
			continue
		}
		l, _ := addrs.([]any)
		if why := openToInternet(l, "is empty, so no administrators' range is admitted"); why != "" {
			out = append(out, violation(r, "controlPlaneFirewall.allowedAddresses", "%s to the Kubernetes API (want only the administrators' ranges: %s)", why, adminCidrsHint))
		}
	}
	return out
}

// bounded checks one autoscaler's minimum and maximum.
func bounded(r plan.Resource, minPath, maxPath string, ceiling float64, what string) []Violation {
	hi, ok := r.NumberAt(maxPath)
	if !ok {
		return []Violation{violation(r, maxPath, "is not set (want a maximum %s: an autoscaler without one is a budget without one)", what)}
	}
	var out []Violation
	if hi > ceiling {
		out = append(out, violation(r, maxPath, "is %g (want at most %g %s)", hi, ceiling, what))
	}
	if lo, ok := r.NumberAt(minPath); ok && lo > hi {
		out = append(out, violation(r, minPath, "is %g, above the maximum %g (want min <= max)", lo, hi))
	}
	return out
}

// nodePoolBounded checks a Karpenter NodePool's limits, its only bound: CPU and memory both set
// (without them Karpenter launches nodes without end), and, for one of scalestack's (its
// annotations name its size), no more nodes of that size than a pool may have.
func nodePoolBounded(r plan.Resource) []Violation {
	var out []Violation
	limits := r.MapAt("spec.limits")
	for _, k := range []string{"cpu", "memory"} {
		if v, ok := limits[k]; !ok || v == nil || v == "" {
			out = append(out, violation(r, "spec.limits."+k, "is not set (want the pool's maximum nodes' %s: a NodePool without limits is a budget without one)", k))
		}
	}
	if size, _ := r.MapAt("metadata.annotations")[spec.AnnotationNodeSize].(string); len(out) > 0 || size == "" {
		return out
	}
	kp, err := spec.ReadKarpenterPool(spec.AWS, r.MapAt("metadata.annotations"), limits, r.ListAt("spec.template.spec.requirements"))
	switch {
	case err != nil:
		out = append(out, violation(r, "spec.limits", "%v", err))
	case kp.Max > spec.MaxPoolNodes:
		out = append(out, violation(r, "spec.limits.cpu", "holds %d nodes of %s (want at most %d nodes)", kp.Max, kp.Size, spec.MaxPoolNodes))
	}
	return out
}

// maxReplicas bounds HPAs and KEDA: far above what a tier's nodes can hold.
const maxReplicas = 500

func autoscalerBounded(s *Stack) []Violation {
	var out []Violation
	for _, r := range s.OfType(types.DOKubernetesCluster) {
		if isTrue(r, "nodePool.autoScale") {
			out = append(out, bounded(r, "nodePool.minNodes", "nodePool.maxNodes", spec.MaxPoolNodes, "nodes")...)
		}
	}
	for _, r := range s.OfType(types.DOKubernetesNodePool) {
		if isTrue(r, "autoScale") {
			out = append(out, bounded(r, "minNodes", "maxNodes", spec.MaxPoolNodes, "nodes")...)
		}
	}
	for _, r := range s.OfType(types.AWSEKSNodeGroup) {
		out = append(out, bounded(r, "scalingConfig.minSize", "scalingConfig.maxSize", spec.MaxPoolNodes, "nodes")...)
	}
	for _, r := range s.OfType(types.KarpenterNodePool) {
		out = append(out, nodePoolBounded(r)...)
	}
	for _, r := range s.OfType(types.K8sHorizontalPodAutoscaler) {
		out = append(out, bounded(r, "spec.minReplicas", "spec.maxReplicas", maxReplicas, "replicas")...)
	}
	for _, r := range s.OfType(types.KEDAScaledObject) {
		out = append(out, bounded(r, "spec.minReplicaCount", "spec.maxReplicaCount", maxReplicas, "replicas")...)
	}
	return out
}

// containers calls f for every container (init containers too) of every workload.
func containers(s *Stack, types []string, f func(r plan.Resource, path string, c map[string]any)) {
	for _, r := range s.OfType(types...) {
		podPath := podSpecPath[r.Type]
		for _, kind := range []string{"initContainers", "containers"} {
			for i, c := range r.ListAt(podPath + "." + kind) {
				m, _ := c.(map[string]any)
				f(r, fmt.Sprintf("%s.%s.%d", podPath, kind, i), m)
			}
		}
	}
}

func workloadTypes() []string {
	out := make([]string, 0, len(podSpecPath))
	for t := range podSpecPath {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func containerResources(s *Stack) []Violation {
	var out []Violation
	containers(s, workloadTypes(), func(r plan.Resource, path string, c map[string]any) {
		var missing []string
		for _, k := range []string{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} {
			parts := strings.Split(k, ".")
			if _, ok := lookup(c, "resources", parts[0], parts[1]); !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			out = append(out, violation(r, path+".resources", "container %v has no %s (want requests and limits of CPU and memory)", c["name"], strings.Join(missing, ", ")))
		}
	})
	return out
}

func containerProbes(s *Stack) []Violation {
	var out []Violation
	containers(s, longRunning, func(r plan.Resource, path string, c map[string]any) {
		if strings.Contains(path, "initContainers") {
			return
		}
		for _, p := range []string{"readinessProbe", "livenessProbe"} {
			if _, ok := c[p]; !ok {
				out = append(out, violation(r, path+"."+p, "container %v has no %s", c["name"], p))
			}
		}
	})
	return out
}

func containerSecurity(s *Stack) []Violation {
	var out []Violation
	containers(s, workloadTypes(), func(r plan.Resource, path string, c map[string]any) {
		podPath := podSpecPath[r.Type]
		pod, _ := get(r, podPath+".securityContext")
		podSC, _ := pod.(map[string]any)
		sc, _ := c["securityContext"].(map[string]any)
		either := func(k string) any {
			if v, ok := sc[k]; ok {
				return v
			}
			return podSC[k]
		}
		var bad []string
		if either("runAsNonRoot") != true {
			bad = append(bad, "runAsNonRoot is not true")
		}
		if sc["allowPrivilegeEscalation"] != false {
			bad = append(bad, "allowPrivilegeEscalation is not false")
		}
		if sc["readOnlyRootFilesystem"] != true {
			bad = append(bad, "readOnlyRootFilesystem is not true")
		}
		drop, _ := lookup(sc, "capabilities", "drop")
		if l, _ := drop.([]any); !slices.Contains(l, any("ALL")) {
			bad = append(bad, "capabilities.drop does not list ALL")
		}
		if sc["privileged"] == true {
			bad = append(bad, "privileged is true")
		}
		if len(bad) > 0 {
			out = append(out, violation(r, path+".securityContext", "container %v: %s", c["name"], strings.Join(bad, "; ")))
		}
	})
	return out
}

func imagePinned(s *Stack) []Violation {
	var out []Violation
	containers(s, workloadTypes(), func(r plan.Resource, path string, c map[string]any) {
		image, _ := c["image"].(string)
		if !known(image) {
			return
		}
		if err := spec.PinnedImage(image); err != nil {
			out = append(out, violation(r, path+".image", "%v", err))
		}
	})
	return out
}

// replicasOf is a Deployment's lowest replica count: its HPA's minimum when one targets it.
func replicasOf(s *Stack, d plan.Resource) float64 {
	n, ok := d.NumberAt("spec.replicas")
	if !ok {
		n = 1
	}
	name := d.StringAt("metadata.name")
	for _, h := range s.OfType(types.K8sHorizontalPodAutoscaler) {
		if h.StringAt("spec.scaleTargetRef.kind") == "Deployment" && name != "" && h.StringAt("spec.scaleTargetRef.name") == name {
			if lo, ok := h.NumberAt("spec.minReplicas"); ok {
				return lo
			}
			return 1
		}
	}
	for _, k := range s.OfType(types.KEDAScaledObject) {
		if name != "" && k.StringAt("spec.scaleTargetRef.name") == name {
			if lo, ok := k.NumberAt("spec.minReplicaCount"); ok {
				return lo
			}
			return 0
		}
	}
	return n
}

func disruptionBudget(s *Stack) []Violation {
	var out []Violation
	for _, d := range s.OfType(types.K8sDeployment) {
		if replicasOf(s, d) < 2 {
			continue
		}
		labels, _ := get(d, "spec.template.metadata.labels")
		covered := false
		for _, pdb := range s.OfType(types.K8sPodDisruptionBudget) {
			sel, _ := get(pdb, "spec.selector.matchLabels")
			covered = covered || plan.SelectorMatches(sel, labels)
		}
		if !covered {
			out = append(out, violation(d, "", "runs %g replicas without a PodDisruptionBudget (want one whose selector matches its pods)", replicasOf(s, d)))
		}
	}
	return out
}

// hasReplicaFloor reports whether the stack's tier sets a minimum of replicas (the preset's
// policies.minReplicas, passed in Options.MinReplicas).
func hasReplicaFloor(s *Stack) bool { return s.MinReplicas > 0 }

func minReplicas(s *Stack) []Violation {
	var out []Violation
	floor := float64(s.MinReplicas)
	for _, d := range s.OfType(types.K8sDeployment) {
		if n := replicasOf(s, d); n < floor {
			out = append(out, violation(d, "spec.replicas", "runs as few as %g replicas at tier %s (want at least %d, the preset's policies.minReplicas, so a node drain keeps it serving)", n, s.Tier, s.MinReplicas))
		}
	}
	return out
}

// edge reports whether the stack has a Cloudflare edge: a domain is configured, or the plan
// holds Cloudflare's resources.
func (s *Stack) edge() bool {
	return s.Edge || len(s.OfType(types.CFZone, types.CFZoneSettingsOverride, types.CFRecord)) > 0
}

func originLocked(s *Stack) []Violation {
	var out []Violation
	inCloudflare := func(cidrs []any) (bool, string) {
		if len(cidrs) == 0 {
			return false, "admits every address"
		}
		for _, c := range cidrs {
			cs := strings.TrimPrefix(fmt.Sprint(c), "cidr:")
			if !spec.InCloudflare(cs) {
				return false, fmt.Sprintf("admits %s, which is not a Cloudflare range", cs)
			}
		}
		return true, ""
	}
	for _, svc := range s.OfType(types.K8sService) {
		if svc.StringAt("spec.type") != "LoadBalancer" {
			continue
		}
		if ok, why := inCloudflare(svc.ListAt("spec.loadBalancerSourceRanges")); !ok {
			out = append(out, violation(svc, "spec.loadBalancerSourceRanges", "%s (want only Cloudflare's ranges: the edge is configured)", why))
		}
	}
	for _, lb := range s.OfType(types.DOLoadBalancer) {
		if ok, why := inCloudflare(lb.ListAt("firewall.allows")); !ok {
			out = append(out, violation(lb, "firewall.allows", "%s (want only Cloudflare's ranges: the edge is configured)", why))
		}
	}
	for _, lb := range s.OfType(types.AWSLB) {
		if !isTrue(lb, "internal") && len(lb.ListAt("securityGroups")) == 0 {
			out = append(out, violation(lb, "securityGroups", "is an internet-facing load balancer without security groups (want one that admits only Cloudflare's ranges)"))
		}
	}
	return out
}

func edgeProxied(s *Stack) []Violation {
	var out []Violation
	for _, r := range s.OfType(types.CFRecord) {
		switch r.StringAt("type") {
		case "A", "AAAA", "CNAME", plan.Unknown: // a type that follows a load balancer's address
			if !isTrue(r, "proxied") {
				out = append(out, violation(r, "proxied", "%s record %q is not proxied (want proxied: true, so traffic goes through the edge)", r.StringAt("type"), r.StringAt("name")))
			}
		}
	}
	return out
}

func edgeSSLStrict(s *Stack) []Violation {
	settings := s.OfType(types.CFZoneSettingsOverride)
	if len(settings) == 0 {
		return []Violation{{Message: "the edge has no zone settings resource, so the zone keeps its own SSL mode (want a ZoneSettingsOverride with settings.ssl strict)"}}
	}
	var out []Violation
	for _, r := range settings {
		if mode := r.StringAt("settings.ssl"); mode != "strict" {
			out = append(out, violation(r, "settings.ssl", "is %q (want strict: Cloudflare checks the origin's certificate)", mode))
		}
	}
	return out
}

func budget(s *Stack) []Violation {
	if s.Budget <= 0 {
		return nil
	}
	prices := s.Prices
	if prices == nil {
		var err error
		if prices, err = cost.Default(); err != nil {
			return []Violation{{Message: "prices could not be read: " + err.Error()}}
		}
	}
	rep, err := cost.Estimate(s.Resources, prices, cost.StackOptions(s.Region, s.Tier, s.Usage, s.Domain, s.EdgePlan))
	if err != nil {
		return []Violation{{Message: "the stack could not be priced: " + err.Error()}}
	}
	limit := decimal.NewFromInt(int64(s.Budget))
	if rep.Ceiling.GreaterThan(limit) {
		return []Violation{{Property: "scalestack:budget", Message: fmt.Sprintf("the monthly ceiling %s is above the budget %s (baseline %s)", cost.Money(rep.Ceiling), cost.Money(limit), cost.Money(rep.Baseline))}}
	}
	return nil
}

// hasAccountLimits: the cloud has account limits in the load model (the local cloud has none).
func hasAccountLimits(s *Stack) bool {
	return s.Capacity != nil && len(s.Capacity.Limits[string(s.Cloud)]) > 0
}

// accountLimits names each limit the plan's ceiling would pass, the need and how to raise it:
// an autoscaler that meets a Droplet limit or a vCPU quota stalls in the middle of the spike.
func accountLimits(s *Stack) []Violation {
	uses, err := capacity.AccountLimits(plan.Plan{Resources: s.Resources}, *s.Capacity, s.Cloud)
	if err != nil {
		return []Violation{{Message: err.Error()}}
	}
	// The limits are the account's, not one resource's: they are reported on the cluster.
	at := plan.Resource{Type: types.ComponentCluster}
	for _, r := range s.Resources {
		if r.Type == types.ComponentCluster {
			at = r
			break
		}
	}
	var out []Violation
	for _, u := range uses {
		if !u.Over {
			continue
		}
		assumed := ""
		if u.Assumption {
			assumed = ", an assumed starting value"
		}
		out = append(out, violation(at, "limits."+string(s.Cloud)+"."+u.Key, "the ceiling needs %.0f %s, the account allows %.0f (%s%s): %s", u.Need, u.Unit, u.Limit, u.Source, assumed, u.Fix))
	}
	return out
}
