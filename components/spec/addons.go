package spec

import (
	"errors"
	"slices"
	"strconv"
)

// Addons switch the platform add-ons on and off, and say which of those on the cluster runs
// already.
type Addons struct {
	Ingress       bool `yaml:"ingress"`
	MetricsServer bool `yaml:"metricsServer"`
	KEDA          bool `yaml:"keda"`
	Monitoring    bool `yaml:"monitoring"`
	// ClusterAutoscaler is Cluster Autoscaler on EKS, which grows and shrinks the node groups
	// within their bounds; DOKS autoscales its pools itself, and the local cloud's cluster is
	// not ours to resize.
	ClusterAutoscaler bool `yaml:"clusterAutoscaler"`
	// Karpenter is the node autoscaler on EKS in Cluster Autoscaler's place: one NodePool and
	// EC2NodeClass per app pool, launching instances of the pool's size as pods need them and
	// consolidating them after, with the controller on the system node group, which stays a
	// managed node group. Like clusterAutoscaler it is EKS's alone (DOKS autoscales its pools
	// itself), and the two are never on together: they would resize the same nodes.
	Karpenter bool `yaml:"karpenter"`
	// VPA is the Vertical Pod Autoscaler in recommendation mode (updateMode Off): a
	// VerticalPodAutoscaler for every Deployment and StatefulSet scalestack makes, which
	// changes no pod; scalestack rightsize reads its recommendations against the preset's
	// requests. Its recommender reads pods' use from metrics-server.
	VPA bool `yaml:"vpa"`
	// Installed are the add-ons, among those switched on, that the cluster runs already (an
	// existing cluster's, or a managed cluster's own install), by their keys above: metricsServer,
	// keda, monitoring. scalestack makes what depends on them (KEDA's ScaledObjects and
	// TriggerAuthentication; the PodMonitors, ServiceMonitors, exporters, PrometheusRule and
	// dashboards) but no Helm release of its own, and its capacity model counts none of their
	// pods. The cluster's install must provide what the release would have:
	//   - keda: KEDA's CRDs (keda.sh/v1alpha1) and its operator.
	//   - monitoring: the Prometheus operator's CRDs, and a Prometheus in the namespace
	//     monitoring (MonitoringNamespace: the app's NetworkPolicies admit scrapes from there,
	//     and the rules, dashboards and Alertmanager Secret go there) that selects every
	//     ServiceMonitor, PodMonitor and PrometheusRule of every namespace (kube-prometheus-stack:
	//     serviceMonitorSelectorNilUsesHelmValues, podMonitorSelectorNilUsesHelmValues and
	//     ruleSelectorNilUsesHelmValues false) and answers at
	//     kube-prometheus-stack-prometheus.monitoring:9090 (the release named
	//     kube-prometheus-stack), where KEDA reads the WebSocket pods' connections; its Grafana
	//     loads the ConfigMaps labelled grafana_dashboard, and its Alertmanager reads
	//     scalestack:alerts' receivers only if configured to use the Secret
	//     scalestack-alertmanager.
	// ingress cannot be listed: scalestack's ingress load balancer and edge settings come with
	// its own release (the table below says why); nor clusterAutoscaler, which, switched off,
	// leaves the node groups to whatever the cluster runs.
	Installed []string `yaml:"installed,omitempty"`
}

// The add-ons' keys: the YAML names of Addons' switches, which Installed lists.
const (
	AddonIngress           = "ingress"
	AddonMetricsServer     = "metricsServer"
	AddonKEDA              = "keda"
	AddonMonitoring        = "monitoring"
	AddonClusterAutoscaler = "clusterAutoscaler"
	AddonKarpenter         = "karpenter"
	AddonVPA               = "vpa"
)

// addon is one add-on's switch; notInstallable says why the cluster's own install cannot stand
// in for it, empty where it can, and instead what to set.
type addon struct {
	key                     string
	on                      bool
	notInstallable, instead string
}

func (a Addons) table() []addon {
	return []addon{
		// The program makes its own LoadBalancer Service (ingress-nginx-controller in
		// ingress-nginx, selecting the chart's labels for a release named ingress-nginx), which
		// collides with a cluster's install that keeps the chart's Service, or selects nothing
		// under another release name; and the edge's settings (forwarded headers trusted from
		// Cloudflare's ranges only, the origin certificate as the default) are values of its own
		// release, without which a client could claim any address.
		{AddonIngress, a.Ingress, "scalestack's ingress load balancer and edge settings come with its own release", "ingress: false to route with a controller of your own"},
		{AddonMetricsServer, a.MetricsServer, "", ""},
		{AddonKEDA, a.KEDA, "", ""},
		{AddonMonitoring, a.Monitoring, "", ""},
		{AddonClusterAutoscaler, a.ClusterAutoscaler, "scalestack makes nothing that depends on it", "clusterAutoscaler: false to leave the nodes to the cluster's own"},
		// The NodePools and EC2NodeClasses name the controller's IAM, node role and
		// interruption queue, which come with scalestack's own release.
		{AddonKarpenter, a.Karpenter, "scalestack's NodePools, node role and interruption queue come with its own release", "karpenter: false to leave the nodes to the cluster's own"},
		{AddonVPA, a.VPA, "", ""},
	}
}

// InstallableAddons are the keys workloads.addons.installed accepts, in order.
func InstallableAddons() []string {
	var keys []string
	for _, x := range (Addons{}).table() {
		if x.notInstallable == "" {
			keys = append(keys, x.key)
		}
	}
	return keys
}

// On reports whether the add-on with this key is switched on (by scalestack's release or the
// cluster's own install).
func (a Addons) On(key string) bool {
	for _, x := range a.table() {
		if x.key == key {
			return x.on
		}
	}
	return false
}

// IsInstalled reports whether the cluster runs the add-on itself (Installed lists it).
func (a Addons) IsInstalled(key string) bool { return slices.Contains(a.Installed, key) }

// Release reports whether scalestack installs the add-on's Helm release: it is on and the
// cluster does not run it already.
func (a Addons) Release(key string) bool { return a.On(key) && !a.IsInstalled(key) }

// Validate checks Installed (each entry an add-on the cluster may run, listed once, and on)
// and the switches that exclude or need each other.
func (a Addons) Validate(prefix string) error {
	p := problems{prefix: prefix}
	allowed := oneOf(InstallableAddons()...)
	table := a.table()
	for i, key := range a.Installed {
		field := "installed." + strconv.Itoa(i)
		j := slices.IndexFunc(table, func(x addon) bool { return x.key == key })
		switch {
		case j < 0:
			p.addf(field, "%q is not an add-on (want one of %s)", key, allowed)
		case table[j].notInstallable != "":
			p.addf(field, "%q cannot be left to the cluster: %s (want one of %s; or %s)", key, table[j].notInstallable, allowed, table[j].instead)
		case slices.Index(a.Installed, key) < i:
			p.addf(field, "%q is already entry %d (want each add-on once)", key, slices.Index(a.Installed, key))
		case !table[j].on:
			p.addf(field, "%q is installed but %s%s is false (want %s: true, or %q left out of installed)", key, prefix, key, key, key)
		}
	}
	if a.Karpenter && a.ClusterAutoscaler {
		p.addf(AddonKarpenter, "true with clusterAutoscaler: true: both would resize the same nodes (want one of them false)")
	}
	if a.VPA && !a.MetricsServer {
		p.addf(AddonVPA, "true with metricsServer: false: the recommender reads pods' use from metrics-server (want metricsServer: true, or vpa: false)")
	}
	return errors.Join(p.errs...)
}
