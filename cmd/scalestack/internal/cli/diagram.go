package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
)

// diagram is the platform as a graph, drawn from a plan: nodes grouped by where they run, and
// the paths traffic and data take between them.
type diagram struct {
	groups []group
	nodes  map[string]*node
	order  []string
	edges  [][3]string // from, to, label
}

type group struct{ id, label string }

type node struct {
	id, label, group string
	shape            string // "round" (people, the edge), "db" (data), "box"
}

func (d *diagram) add(id, label, grp, shape string) {
	if d.nodes[id] == nil {
		d.order = append(d.order, id)
		d.nodes[id] = &node{id: id, label: label, group: grp, shape: shape}
	}
}

func (d *diagram) link(from, to, label string) {
	if d.nodes[from] == nil || d.nodes[to] == nil || slices.Contains(d.edges, [3]string{from, to, label}) {
		return
	}
	d.edges = append(d.edges, [3]string{from, to, label})
}

// num is the whole number at a path; 0 where there is none.
func num(r plan.Resource, path string) int {
	n, _ := r.NumberAt(path)
	return int(n)
}

// newDiagram reads the plan's network, edge, load balancers, ingress, processes, node pools,
// database (standby, replicas, pool) and cache.
func newDiagram(p plan.Plan) *diagram {
	d := &diagram{nodes: map[string]*node{}}
	d.add("users", "users", "", "round")
	vpc := ""
	for _, r := range p.Resources {
		switch r.Type {
		case types.DOVpc:
			vpc = "VPC " + r.StringAt("ipRange")
		case types.AWSVPC:
			vpc = "VPC " + r.StringAt("cidrBlock")
		}
	}
	if vpc != "" {
		d.groups = append(d.groups, group{"vpc", vpc})
	}
	d.groups = append(d.groups, group{"k8s", "Kubernetes"})
	inVPC := func() string {
		if vpc == "" {
			return "k8s"
		}
		return "vpc"
	}()

	records := p.OfType(types.CFRecord)
	entry := "users"
	if len(records) > 0 {
		d.add("edge", fmt.Sprintf("Cloudflare: %d proxied records, TLS, WAF, rate limits", len(records)), "", "round")
		d.link("users", "edge", "HTTPS, WSS")
		entry = "edge"
	}

	// Node pools, by the pool label the processes select.
	pools := map[string]string{}
	pool := func(labels map[string]any, label string) {
		name, _ := labels[spec.PoolLabel].(string)
		if name == "" {
			return
		}
		id := "pool_" + name
		pools[name] = id
		d.add(id, label, inVPC, "box")
	}
	for _, r := range p.Resources {
		switch r.Type {
		case types.DOKubernetesCluster:
			pool(r.MapAt("nodePool.labels"), fmt.Sprintf("pool %s: %s x %d-%d", r.StringAt("nodePool.name"), r.StringAt("nodePool.size"), num(r, "nodePool.minNodes"), num(r, "nodePool.maxNodes")))
		case types.DOKubernetesNodePool:
			pool(r.MapAt("labels"), fmt.Sprintf("pool %s: %s x %d-%d", r.StringAt("name"), r.StringAt("size"), num(r, "minNodes"), num(r, "maxNodes")))
		case types.AWSEKSNodeGroup:
			pool(r.MapAt("labels"), fmt.Sprintf("node group %s: %s x %d-%d", r.StringAt("nodeGroupName"), r.StringAt("instanceTypes.0"), num(r, "scalingConfig.minSize"), num(r, "scalingConfig.maxSize")))
		case types.KarpenterNodePool:
			label := "Karpenter NodePool " + r.StringAt("metadata.name")
			if kp, err := spec.ReadKarpenterPool(spec.AWS, r.MapAt("metadata.annotations"), r.MapAt("spec.limits"), r.ListAt("spec.template.spec.requirements")); err == nil {
				label += fmt.Sprintf(": %s x %d-%d", kp.Size, kp.Min, kp.Max)
			}
			pool(r.MapAt("spec.template.metadata.labels"), label)
		}
	}

	// Processes: Deployments, with their autoscalers' range.
	deployments := p.OfType(types.K8sDeployment)
	scale := map[string]string{}
	for _, h := range p.OfType(types.K8sHorizontalPodAutoscaler) {
		scale[h.StringAt("spec.scaleTargetRef.name")] = fmt.Sprintf("%d-%d pods", num(h, "spec.minReplicas"), num(h, "spec.maxReplicas"))
	}
	for _, k := range p.OfType(types.KEDAScaledObject) {
		scale[k.StringAt("spec.scaleTargetRef.name")] = fmt.Sprintf("%d-%d pods, KEDA", num(k, "spec.minReplicaCount"), num(k, "spec.maxReplicaCount"))
	}
	for _, dep := range deployments {
		if dep.MapAt("metadata.labels")[spec.ComponentLabel] == spec.MonitoringComponent {
			continue // the exporters: part of the monitoring, not of the app
		}
		name := dep.StringAt("metadata.name")
		pods := scale[name]
		if pods == "" {
			pods = fmt.Sprintf("%d pods", num(dep, "spec.replicas"))
		}
		id := "deploy_" + name
		d.add(id, name+": "+pods, "k8s", "box")
		if pl, ok := dep.MapAt("spec.template.spec.nodeSelector")[spec.PoolLabel].(string); ok && pools[pl] != "" {
			d.link(id, pools[pl], "runs on")
		}
	}

	// Load balancers and the ingress.
	for _, svc := range p.OfType(types.K8sService) {
		if svc.StringAt("spec.type") != "LoadBalancer" {
			continue
		}
		name := svc.StringAt("metadata.name")
		id := "lb_" + name
		d.add(id, "load balancer: "+name, "", "box")
		d.link(entry, id, "")
		for _, dep := range deployments {
			if plan.SelectorMatches(svc.MapAt("spec.selector"), dep.MapAt("spec.template.metadata.labels")) {
				d.link(id, "deploy_"+dep.StringAt("metadata.name"), "TCP")
			}
		}
		if svc.StringAt("metadata.namespace") == "ingress-nginx" {
			for _, ing := range p.OfType(types.K8sIngress) {
				ingID := "ingress_" + ing.StringAt("metadata.name")
				d.add(ingID, "ingress-nginx: "+ing.StringAt("metadata.name"), "k8s", "box")
				d.link(id, ingID, "")
				if backend := ing.StringAt("spec.rules.0.http.paths.0.backend.service.name"); backend != "" {
					d.link(ingID, "deploy_"+backend, "HTTP")
				}
			}
		}
	}

	// Data: the database with its standby, replicas and pool, and the cache.
	var replicas []string
	for _, r := range p.Resources {
		switch r.Type {
		case types.DODatabaseCluster:
			engine := r.StringAt("engine")
			label := fmt.Sprintf("%s %s, %d nodes", engine, r.StringAt("size"), num(r, "nodeCount"))
			if engine == "pg" {
				d.add("db", "PostgreSQL "+label, inVPC, "db")
			} else {
				d.add("cache", label, inVPC, "db")
			}
		case types.AWSRDSInstance:
			if r.StringAt("replicateSourceDb") == "" {
				standby := ""
				if v, _ := r.Get("multiAz"); v == true {
					standby = ", Multi-AZ standby"
				}
				d.add("db", "PostgreSQL "+r.StringAt("instanceClass")+standby, inVPC, "db")
			} else {
				replicas = append(replicas, r.StringAt("instanceClass"))
			}
		case types.DODatabaseReplica:
			replicas = append(replicas, r.StringAt("size"))
		case types.AWSCacheReplicationGroup:
			d.add("cache", fmt.Sprintf("%s %s, %d shards x %d", r.StringAt("engine"), r.StringAt("nodeType"), num(r, "numNodeGroups"), 1+num(r, "replicasPerNodeGroup")), inVPC, "db")
		case types.K8sStatefulSet:
			name := r.StringAt("metadata.name")
			if strings.Contains(name, "postgres") {
				d.add("db", "PostgreSQL StatefulSet "+name, "k8s", "db")
			} else if strings.Contains(name, "valkey") || strings.Contains(name, "redis") {
				d.add("cache", "cache StatefulSet "+name, "k8s", "db")
			}
		}
	}
	if len(replicas) > 0 {
		d.add("replicas", fmt.Sprintf("%d read replicas %s", len(replicas), replicas[0]), inVPC, "db")
		d.link("db", "replicas", "streams to")
	}
	pooled := "db"
	for _, r := range p.OfType(types.DODatabaseConnectionPool) {
		d.add("pool", fmt.Sprintf("connection pool %s: %d", r.StringAt("name"), num(r, "size")), inVPC, "box")
		d.link("pool", "db", "")
		pooled = "pool"
	}
	if d.nodes["deploy_pgbouncer"] != nil {
		d.link("deploy_pgbouncer", "db", "")
		pooled = "deploy_pgbouncer"
	}
	for _, dep := range deployments {
		if dep.MapAt("metadata.labels")[spec.ComponentLabel] == spec.MonitoringComponent {
			continue // the exporters: part of the monitoring, not of the app
		}
		name := dep.StringAt("metadata.name")
		if name == "pgbouncer" || dep.StringAt("metadata.namespace") != "scalestack" {
			continue
		}
		d.link("deploy_"+name, pooled, "SQL")
		d.link("deploy_"+name, "cache", "")
	}
	return d
}

func mermaidID(id string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(id) }

// Mermaid renders the diagram as a mermaid flowchart (GitHub renders it in markdown).
func (d *diagram) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	shape := func(n *node) string {
		label := strings.ReplaceAll(n.label, `"`, "'")
		switch n.shape {
		case "round":
			return fmt.Sprintf(`%s(["%s"])`, mermaidID(n.id), label)
		case "db":
			return fmt.Sprintf(`%s[("%s")]`, mermaidID(n.id), label)
		}
		return fmt.Sprintf(`%s["%s"]`, mermaidID(n.id), label)
	}
	members := func(g string) []*node {
		var out []*node
		for _, id := range d.order {
			if n := d.nodes[id]; n.group == g {
				out = append(out, n)
			}
		}
		return out
	}
	for _, n := range members("") {
		fmt.Fprintf(&b, "  %s\n", shape(n))
	}
	var sub func(g group, indent string)
	sub = func(g group, indent string) {
		fmt.Fprintf(&b, "%ssubgraph %s[\"%s\"]\n", indent, g.id, g.label)
		for _, n := range members(g.id) {
			fmt.Fprintf(&b, "%s  %s\n", indent, shape(n))
		}
		if g.id == "vpc" {
			for _, inner := range d.groups {
				if inner.id == "k8s" {
					sub(inner, indent+"  ")
				}
			}
		}
		fmt.Fprintf(&b, "%send\n", indent)
	}
	hasVPC := slices.ContainsFunc(d.groups, func(g group) bool { return g.id == "vpc" })
	for _, g := range d.groups {
		if g.id == "k8s" && hasVPC {
			continue // drawn inside the VPC
		}
		sub(g, "  ")
	}
	for _, e := range d.edges {
		if e[2] != "" {
			fmt.Fprintf(&b, "  %s -->|%s| %s\n", mermaidID(e[0]), e[2], mermaidID(e[1]))
		} else {
			fmt.Fprintf(&b, "  %s --> %s\n", mermaidID(e[0]), mermaidID(e[1]))
		}
	}
	return b.String()
}

// Dot renders the diagram for Graphviz.
func (d *diagram) Dot() string {
	var b strings.Builder
	b.WriteString("digraph scalestack {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n")
	shape := map[string]string{"round": "ellipse", "db": "cylinder", "box": "box"}
	nodeLine := func(n *node, indent string) {
		fmt.Fprintf(&b, "%s%q [label=%q, shape=%s];\n", indent, n.id, n.label, shape[n.shape])
	}
	for _, id := range d.order {
		if n := d.nodes[id]; n.group == "" {
			nodeLine(n, "  ")
		}
	}
	for _, g := range d.groups {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", g.id, g.label)
		for _, id := range d.order {
			if n := d.nodes[id]; n.group == g.id {
				nodeLine(n, "    ")
			}
		}
		b.WriteString("  }\n")
	}
	for _, e := range d.edges {
		if e[2] != "" {
			fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", e[0], e[1], e[2])
		} else {
			fmt.Fprintf(&b, "  %q -> %q;\n", e[0], e[1])
		}
	}
	b.WriteString("}\n")
	return b.String()
}
