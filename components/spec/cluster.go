package spec

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Cluster is a Kubernetes cluster: a small system pool that never changes with the tier, and
// autoscaling app pools sized per tier.
type Cluster struct {
	// Version is the pinned Kubernetes version: a DOKS slug such as 1.33.1-do.0 (list them with
	// `doctl kubernetes options versions`) and an EKS minor version such as 1.33.
	Version PerCloud `yaml:"version"`
	// HA asks for a highly available control plane where the cloud charges for it (DOKS).
	HA bool `yaml:"ha"`
	// SurgeUpgrade brings up replacement nodes before draining old ones during an upgrade.
	SurgeUpgrade bool `yaml:"surgeUpgrade"`
	// Maintenance is the weekly window for the provider's own upgrades and patches.
	Maintenance Maintenance `yaml:"maintenance"`
	// SystemPool runs cluster add-ons. On DOKS it is the cluster's default pool, and resizing the
	// default pool replaces the whole cluster, so it is fixed for every tier.
	SystemPool NodePool `yaml:"systemPool"`
	// AppPools run the application. Each is its own node pool that autoscales within its bounds.
	AppPools []NodePool `yaml:"appPools"`
	// Admins are IAM principals (role or user ARNs) given cluster-admin through EKS access
	// entries (AWS). The identity that runs `pulumi up` is an admin already. DOKS has no IAM:
	// share its kubeconfig instead.
	Admins []string `yaml:"admins,omitempty"`
}

// Maintenance is a weekly window.
type Maintenance struct {
	Day       string `yaml:"day"`
	StartTime string `yaml:"startTime"`
}

// NodePool is a group of identical nodes that the cloud's autoscaler grows and shrinks.
type NodePool struct {
	// Name is the pool's role (system, app, worker). The cloud resource's name also carries the
	// size, so that a new size is a new pool that comes up before the old one is drained.
	Name     string            `yaml:"name"`
	Size     PerCloud          `yaml:"size"`
	MinNodes int               `yaml:"minNodes"`
	MaxNodes int               `yaml:"maxNodes"`
	Labels   map[string]string `yaml:"labels,omitempty"`
	// Spot allows spot capacity where the cloud sells it (AWS), for work that tolerates losing a
	// node at two minutes' notice: queue workers, never the API. The pool then takes any
	// catalogued size with the same vCPUs and memory, so one sold-out type does not stop it.
	// DigitalOcean has no spot nodes, so there the pool is on-demand.
	Spot bool `yaml:"spot,omitempty"`
}

// KarpenterDiscoveryTag marks the private subnets and the cluster's security group that
// Karpenter's EC2NodeClasses select, by the stack's discovery value.
const KarpenterDiscoveryTag = "karpenter.sh/discovery"

// A Karpenter NodePool's annotations for what Karpenter itself does not hold: the preset's
// size, which prices the pool and by which the capacity model sizes a node, and the nodes the
// preset's minimums run on (Karpenter keeps no minimum: the pods' requests decide).
const (
	AnnotationNodeSize = "scalestack.dev/node-size"
	AnnotationMinNodes = "scalestack.dev/min-nodes"
)

// Defaults of a Cluster.
var (
	// The EKS version is one in standard support at the time of writing: a cluster whose
	// version leaves standard support is upgraded by AWS (the clusters opt out of extended
	// support), and the pinned value would then be a refused downgrade. Check the current list
	// with `aws eks describe-cluster-versions`.
	DefaultKubernetesVersion = PerCloud{DigitalOcean: "1.33.1-do.0", AWS: "1.35"}
	// DefaultSystemPool is 1 to 3 nodes of 2 vCPU and 4 GiB: CoreDNS, metrics and the add-ons
	// fit one at the 1K tier (keeping it inside the seed's $20-100 band), and it autoscales to 3
	// as the add-ons grow. Its size never changes: on DOKS that would replace the cluster.
	DefaultSystemPool = NodePool{
		Name:     "system",
		Size:     PerCloud{DigitalOcean: "s-2vcpu-4gb", AWS: "t3.medium"},
		MinNodes: 1,
		MaxNodes: 3,
	}
	DefaultMaintenance = Maintenance{Day: "sunday", StartTime: "04:00"}
)

// Limits of a Cluster.
const (
	// MaxPoolNodes bounds every pool: an autoscaler without a ceiling is a budget without one.
	MaxPoolNodes = 100
	// PoolLabel is the node label that names a node's pool; workloads select pools with it.
	PoolLabel = "scalestack.dev/pool"
)

var (
	doVersion  = regexp.MustCompile(`^1\.\d{2}\.\d+-do\.\d+$`)
	eksVersion = regexp.MustCompile(`^1\.\d{2}$`)
	poolName   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	iamARN     = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$`)
	clockTime  = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	days       = []string{"any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// WithDefaults fills the documented defaults.
func (c Cluster) WithDefaults() Cluster {
	c.Version = c.Version.Or(DefaultKubernetesVersion)
	c.Maintenance = c.Maintenance.WithDefaults()
	if c.SystemPool.Name == "" {
		c.SystemPool.Name = DefaultSystemPool.Name
	}
	c.SystemPool.Size = c.SystemPool.Size.Or(DefaultSystemPool.Size)
	if c.SystemPool.MinNodes == 0 {
		c.SystemPool.MinNodes = DefaultSystemPool.MinNodes
	}
	if c.SystemPool.MaxNodes == 0 {
		c.SystemPool.MaxNodes = DefaultSystemPool.MaxNodes
	}
	return c
}

// Validate reports every problem of the cluster for one cloud, each naming its field.
func (c Cluster) Validate(prefix string, cloud Cloud) error {
	p := problems{prefix: prefix}
	switch cloud {
	case DigitalOcean:
		if !doVersion.MatchString(c.Version.DigitalOcean) {
			p.addf("version.digitalocean", "%q is not a DOKS version slug (want the form 1.33.1-do.0)", c.Version.DigitalOcean)
		}
	case AWS:
		if !eksVersion.MatchString(c.Version.AWS) {
			p.addf("version.aws", "%q is not an EKS version (want the form 1.33)", c.Version.AWS)
		}
		if c.Maintenance.Day == "any" {
			p.addf("maintenance.day", "%q is not a day AWS can schedule (want one of %s)", c.Maintenance.Day, oneOf(days[1:]...))
		}
	}
	for i, arn := range c.Admins {
		switch {
		case cloud != AWS:
			p.addf(fmt.Sprintf("admins.%d", i), "%q: %s has no IAM access entries (want admins only on aws; share the kubeconfig instead)", arn, cloud)
		case !iamARN.MatchString(arn):
			p.addf(fmt.Sprintf("admins.%d", i), "%q is not an IAM role or user ARN (want arn:aws:iam::123456789012:role/name)", arn)
		}
	}
	if !slices.Contains(days, c.Maintenance.Day) {
		p.addf("maintenance.day", "%q is not a day (want one of %s)", c.Maintenance.Day, oneOf(days...))
	}
	if !clockTime.MatchString(c.Maintenance.StartTime) {
		p.addf("maintenance.startTime", "%q is not a time of day (want HH:MM in UTC, for example 04:00)", c.Maintenance.StartTime)
	}
	p.add(c.SystemPool.Validate(p.prefix+"systemPool.", cloud))
	if len(c.AppPools) == 0 {
		p.addf("appPools", "is empty (want at least one app pool)")
	}
	names := map[string]bool{c.SystemPool.Name: true}
	for i, pool := range c.AppPools {
		field := fmt.Sprintf("appPools.%d", i)
		p.add(pool.Validate(p.prefix+field+".", cloud))
		if names[pool.Name] {
			p.addf(field+".name", "%q is used by another pool (want unique pool names)", pool.Name)
		}
		names[pool.Name] = true
	}
	return errors.Join(p.errs...)
}

// Validate reports every problem of the pool, each naming its field.
func (n NodePool) Validate(prefix string, cloud Cloud) error {
	p := problems{prefix: prefix}
	if !poolName.MatchString(n.Name) {
		p.addf("name", "%q is not a pool name (want 1 to 20 lowercase letters, digits and dashes, starting with a letter)", n.Name)
	}
	p.requireSize("size", n.Size, cloud, NodeSize)
	if n.MinNodes < 1 {
		p.addf("minNodes", "%d is below 1 (want at least 1 node, so the pool keeps capacity for pods)", n.MinNodes)
	}
	if n.MaxNodes < n.MinNodes {
		p.addf("maxNodes", "%d is below minNodes %d (want minNodes <= maxNodes)", n.MaxNodes, n.MinNodes)
	}
	if n.MaxNodes > MaxPoolNodes {
		p.addf("maxNodes", "%d is above the bound %d (want at most %d)", n.MaxNodes, MaxPoolNodes, MaxPoolNodes)
	}
	if _, ok := n.Labels[PoolLabel]; ok {
		p.addf("labels", "%q is set by scalestack from the pool name (want it left out)", PoolLabel)
	}
	return errors.Join(p.errs...)
}

// NodeLabels returns the pool's labels with its pool label added.
func (n NodePool) NodeLabels() map[string]string {
	out := map[string]string{PoolLabel: n.Name}
	for k, v := range n.Labels {
		out[k] = v
	}
	return out
}

// WithDefaults fills the default day and start time where they are not set.
func (m Maintenance) WithDefaults() Maintenance {
	if m.Day == "" {
		m.Day = DefaultMaintenance.Day
	}
	if m.StartTime == "" {
		m.StartTime = DefaultMaintenance.StartTime
	}
	return m
}

// ValidateFor reports a window the cloud cannot schedule (AWS needs a weekday; the others take
// what Cluster.Validate accepts).
func (m Maintenance) ValidateFor(cloud Cloud) error {
	if cloud != AWS {
		return nil
	}
	_, _, err := m.AWSWindows()
	return err
}

// AWSWindows spells the window as RDS and ElastiCache want it: a one-hour weekly maintenance
// window (ddd:hh:mm-ddd:hh:mm) and a daily one-hour backup window (hh:mm-hh:mm) that ends an
// hour before maintenance starts, so the two never overlap. The day must be a weekday name.
func (m Maintenance) AWSWindows() (maintenance, backup string, err error) {
	day := slices.Index(days[1:], m.Day)
	if day < 0 {
		return "", "", fmt.Errorf("maintenance.day: %q is not a day AWS can schedule (want one of %s)", m.Day, oneOf(days[1:]...))
	}
	var hh, mm int
	if !clockTime.MatchString(m.StartTime) {
		return "", "", fmt.Errorf("maintenance.startTime: %q is not a time of day (want HH:MM in UTC, for example 04:00)", m.StartTime)
	}
	fmt.Sscanf(m.StartTime, "%d:%d", &hh, &mm)
	const week, hour = 7 * 24 * 60, 60
	at := func(minutes int, withDay bool) string {
		minutes = ((minutes % week) + week) % week
		s := fmt.Sprintf("%02d:%02d", minutes/hour%24, minutes%hour)
		if withDay {
			s = awsDays[minutes/(24*hour)] + ":" + s
		}
		return s
	}
	start := day*24*hour + hh*hour + mm
	return at(start, true) + "-" + at(start+hour, true), at(start-2*hour, false) + "-" + at(start-hour, false), nil
}

// awsDays are the weekdays as AWS abbreviates them, Monday first like days[1:].
var awsDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
