package workloads

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/signals"
)

// PgBouncer, run where the cloud has no managed pool.
const (
	poolerImage = "edoburu/pgbouncer:v1.24.1-p1"
	poolerUID   = 70 // the image's postgres user
)

// serverTLS is how PgBouncer connects to the database: TLS to a managed database; plain text to
// the local cloud's in-cluster PostgreSQL, which only its network policies reach.
func serverTLS(cloud spec.Cloud) string {
	if cloud == spec.Local {
		return "disable"
	}
	return "require"
}

// loadBalancerService is the WebSocket Deployment's own load balancers: long-lived
// connections do not go through the ingress (the seed case nearly failed at 100K connections
// through it). Traffic stays on the node that received it, so a draining pod's connections are
// its own. Where one load balancer cannot carry the preset's sockets there are several
// (workloads.websocket.loadBalancers), all in front of the same pods: the first keeps the name
// it always had (so an existing stack replaces nothing), the others are <process>-2, -3...
func (b *builder) loadBalancerService(p proc) error {
	ws := p.svc
	annotations := map[string]string{}
	if b.s.Cloud == spec.DigitalOcean {
		annotations["service.beta.kubernetes.io/do-loadbalancer-protocol"] = "tcp"
		// Idle WebSockets stay open for 10 minutes, DigitalOcean's longest.
		annotations["service.beta.kubernetes.io/do-loadbalancer-http-idle-timeout-seconds"] = "600"
	}
	for i := 1; i <= max(1, ws.LoadBalancers.For(b.s.Cloud)); i++ {
		name := p.name
		if i > 1 {
			name = fmt.Sprintf("%s-%d", p.name, i)
		}
		lb, err := LoadBalancer(b.ctx, b.name+"-"+name, LoadBalancerArgs{
			Cloud: b.s.Cloud, Namespace: Namespace, Name: name, Selector: labels(p.name), Labels: labels(p.name),
			Ports: map[string]int{p.portName: 443}, Edge: b.s.Edge, Annotations: annotations,
			Nodes: ws.LoadBalancerNodes,
		}, b.opts()...)
		if err != nil {
			return err
		}
		b.wsHosts = append(b.wsHosts, lb.Host)
	}
	return nil
}

// connectionScaledObject scales a process on its pods' open connections, read from
// Prometheus, and on CPU, through KEDA: a pod counts as full at connectionTarget percent of
// connectionsPerPod, before it refuses sockets past MAX_CONNECTIONS. KEDA's HPA takes the
// larger of the two and the same behaviour as the app's HPAs. Field names of KEDA 2.17
// (https://keda.sh/docs/2.17/scalers/prometheus/, /scalers/cpu/, /concepts/scaling-deployments/).
func (b *builder) connectionScaledObject(p proc, dep *appsv1.Deployment) error {
	svc := p.svc
	triggers := pulumi.Array{
		pulumi.Map{
			"type":       pulumi.String("prometheus"),
			"metricType": pulumi.String("AverageValue"),
			"metadata": pulumi.Map{
				"serverAddress": pulumi.String(PrometheusAddress),
				"query":         pulumi.String(fmt.Sprintf(`sum(%s{namespace=%q})`, ConnectionsMetric, Namespace)),
				"threshold":     pulumi.String(fmt.Sprint(svc.ConnectionThreshold())),
			},
		},
		pulumi.Map{
			"type":       pulumi.String("cpu"),
			"metricType": pulumi.String("Utilization"),
			"metadata":   pulumi.Map{"value": pulumi.String(fmt.Sprint(svc.CPUTarget))},
		},
	}
	advanced := pulumi.Map{"horizontalPodAutoscalerConfig": pulumi.Map{"behavior": scalingBehavior()}}
	return b.newScaledObject(p, dep, triggers, advanced, b.args.DependsOn)
}

// cpuScaledObject scales a process on CPU through KEDA, as its HPA would (the same target and
// behaviour), so that launch windows can raise its minimum with cron triggers.
func (b *builder) cpuScaledObject(p proc, dep *appsv1.Deployment) error {
	triggers := pulumi.Array{pulumi.Map{
		"type":       pulumi.String("cpu"),
		"metricType": pulumi.String("Utilization"),
		"metadata":   pulumi.Map{"value": pulumi.String(fmt.Sprint(p.svc.CPUTarget))},
	}}
	advanced := pulumi.Map{"horizontalPodAutoscalerConfig": pulumi.Map{"behavior": scalingBehavior()}}
	return b.newScaledObject(p, dep, triggers, advanced, b.args.DependsOn)
}

// cronTriggers are a process's launch windows as KEDA cron triggers: from each window's begin to
// its end, at least the pods the window's users need (https://keda.sh/docs/2.17/scalers/cron/).
func (b *builder) cronTriggers(process string) []any {
	var out []any
	for _, w := range b.s.Prescale {
		n, ok := w.Pods[process]
		if !ok {
			continue
		}
		out = append(out, map[string]any{"type": "cron", "metadata": map[string]any{
			"timezone": "Etc/UTC", "start": spec.CronAt(w.Begin), "end": spec.CronAt(w.End), "desiredReplicas": fmt.Sprint(n),
		}})
	}
	return out
}

// newScaledObject is a process's KEDA ScaledObject: its bounds from the preset, KEDA's polling
// and the HPAs' scale-down window, and the triggers that scale it, with its launch windows'.
func (b *builder) newScaledObject(p proc, dep *appsv1.Deployment, triggers pulumi.Input, advanced pulumi.Map, dependsOn []pulumi.Resource) error {
	if crons := b.cronTriggers(p.name); len(crons) > 0 {
		triggers = pulumi.All(triggers).ApplyT(func(v []any) []any {
			var list []any
			switch t := v[0].(type) {
			case []any:
				list = t
			case []map[string]any:
				for _, m := range t {
					list = append(list, m)
				}
			}
			return append(slices.Clone(list), crons...)
		})
	}
	spec := pulumi.Map{
		"scaleTargetRef":  pulumi.Map{"name": dep.Metadata.Name().Elem()},
		"minReplicaCount": pulumi.Int(p.svc.MinReplicas),
		"maxReplicaCount": pulumi.Int(p.svc.MaxReplicas),
		"pollingInterval": pulumi.Int(15),
		"cooldownPeriod":  pulumi.Int(scaleDownWindow),
		"triggers":        triggers,
	}
	if advanced != nil {
		spec["advanced"] = advanced
	}
	_, err := apiextensions.NewCustomResource(b.ctx, b.name+"-"+p.name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("keda.sh/v1alpha1"),
		Kind:        pulumi.String("ScaledObject"),
		Metadata:    meta(p.name, labels(p.name)),
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, b.opts(pulumi.DependsOn(dependsOn))...)
	return err
}

// ConnectionsMetric is the gauge each WebSocket pod serves: its open WebSockets.
const ConnectionsMetric = spec.ConnectionsMetric

// podMonitor has Prometheus scrape a process's pods on their metrics port and path: over
// HTTPS where the pods serve TLS themselves (the edge's origin certificate, whose name is not
// the pod's), plain HTTP otherwise.
func (b *builder) podMonitor(p proc) error {
	endpoint := pulumi.Map{
		"port":     pulumi.String(metricsPort(p)),
		"path":     pulumi.String(p.c.Metrics.Path),
		"scheme":   pulumi.String("http"),
		"interval": pulumi.String("15s"),
	}
	if p.terminatesTLS && b.s.Edge {
		endpoint["scheme"] = pulumi.String("https")
		endpoint["tlsConfig"] = pulumi.Map{"insecureSkipVerify": pulumi.Bool(true)}
	}
	_, err := apiextensions.NewCustomResource(b.ctx, b.name+"-"+p.name+"-metrics", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("PodMonitor"),
		Metadata:   meta(p.name, labels(p.name)),
		OtherFields: kubernetes.UntypedArgs{
			"spec": pulumi.Map{
				"selector":            pulumi.Map{"matchLabels": labels(p.name)},
				"namespaceSelector":   pulumi.Map{"matchNames": pulumi.StringArray{pulumi.String(Namespace)}},
				"podMetricsEndpoints": pulumi.Array{endpoint},
				// The series carry the process (scalestack_dev_process), which the rules select.
				"podTargetLabels": pulumi.StringArray{pulumi.String(processLabel)},
			},
		},
	}, b.opts(pulumi.DependsOn(b.monitoringDeps()))...)
	return err
}

// scaledObject scales a queue process on the length of its Redis queue, through KEDA.
func (b *builder) scaledObject(p proc, dep *appsv1.Deployment) error {
	svc := p.svc
	authName := p.name + "-cache"
	auth, err := apiextensions.NewCustomResource(b.ctx, b.name+"-"+p.name+"-auth", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("keda.sh/v1alpha1"),
		Kind:       pulumi.String("TriggerAuthentication"),
		Metadata:   meta(authName, labels(p.name)),
		OtherFields: kubernetes.UntypedArgs{
			"spec": pulumi.Map{"secretTargetRef": pulumi.Array{pulumi.Map{
				"parameter": pulumi.String("password"), "name": b.secret, "key": pulumi.String("CACHE_PASSWORD"),
			}}},
		},
	}, b.opts(pulumi.DependsOn(b.args.DependsOn))...)
	if err != nil {
		return err
	}
	address := pulumi.Sprintf("%s:%d", b.args.CacheHost, b.args.CachePort)
	trigger := pulumi.All(b.args.CacheClusterMode, b.args.CacheTLS).ApplyT(func(v []any) map[string]any {
		t := map[string]any{"type": "redis", "metadata": map[string]any{
			"listName": b.s.App.Queue, "listLength": fmt.Sprint(svc.QueueLength), "enableTLS": fmt.Sprint(v[1].(bool)),
		}}
		if v[0].(bool) {
			t["type"] = "redis-cluster"
		}
		return t
	})
	triggers := pulumi.All(trigger, address).ApplyT(func(v []any) []any {
		t := v[0].(map[string]any)
		md := t["metadata"].(map[string]any)
		key := "address"
		if t["type"] == "redis-cluster" {
			key = "addresses"
		}
		md[key] = v[1].(string)
		t["authenticationRef"] = map[string]any{"name": authName}
		return []any{t}
	})
	return b.newScaledObject(p, dep, triggers, nil, append([]pulumi.Resource{auth}, b.args.DependsOn...))
}

// pooler is PgBouncer in transaction mode in front of the primary, where the cloud has no
// managed pool. Its replicas share the preset's pool size; it takes the app's connections at
// the Service the database component's pooled URL names.
func (b *builder) pooler() error {
	w := b.s.Workloads.Pooler
	ls := labels(spec.PoolerProcess)
	secret, err := corev1.NewSecret(b.ctx, b.name+"-pgbouncer", &corev1.SecretArgs{
		Metadata:   meta("pgbouncer", ls),
		Type:       pulumi.String("Opaque"),
		StringData: pgbouncerSecret(b.args.DatabaseUser, b.args.DatabasePassword, b.s.Workloads.Addons.Monitoring),
	}, b.opts(pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return err
	}
	pool := fmt.Sprint(w.ServerConnections(b.s.PoolSize))
	container := &corev1.ContainerArgs{
		Name:  pulumi.String("pgbouncer"),
		Image: pulumi.String(poolerImage),
		Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(poolerPortName), ContainerPort: pulumi.Int(spec.PoolerPort)}},
		Env: corev1.EnvVarArray{
			&corev1.EnvVarArgs{Name: pulumi.String("DB_HOST"), Value: b.args.DatabaseHost},
			&corev1.EnvVarArgs{Name: pulumi.String("DB_PORT"), Value: pulumi.Sprintf("%d", b.args.DatabasePort)},
			&corev1.EnvVarArgs{Name: pulumi.String("DB_USER"), Value: b.args.DatabaseUser},
			&corev1.EnvVarArgs{Name: pulumi.String("DB_NAME"), Value: pulumi.String(b.args.DatabaseName)},
			&corev1.EnvVarArgs{Name: pulumi.String("DB_PASSWORD"), ValueFrom: &corev1.EnvVarSourceArgs{
				SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret.Metadata.Name().Elem(), Key: pulumi.String("DB_PASSWORD")},
			}},
			&corev1.EnvVarArgs{Name: pulumi.String("LISTEN_PORT"), Value: pulumi.String(fmt.Sprint(spec.PoolerPort))},
			&corev1.EnvVarArgs{Name: pulumi.String("POOL_MODE"), Value: pulumi.String(b.s.PoolMode)},
			&corev1.EnvVarArgs{Name: pulumi.String("DEFAULT_POOL_SIZE"), Value: pulumi.String(pool)},
			&corev1.EnvVarArgs{Name: pulumi.String("MAX_DB_CONNECTIONS"), Value: pulumi.String(pool)},
			&corev1.EnvVarArgs{Name: pulumi.String("MAX_CLIENT_CONN"), Value: pulumi.String(fmt.Sprint(w.MaxClientConnections))},
			&corev1.EnvVarArgs{Name: pulumi.String("AUTH_TYPE"), Value: pulumi.String("scram-sha-256")},
			&corev1.EnvVarArgs{Name: pulumi.String("SERVER_TLS_SSLMODE"), Value: pulumi.String(serverTLS(b.s.Cloud))},
		},
		Resources:       resources(w.Resources),
		SecurityContext: restricted(),
		StartupProbe:    &corev1.ProbeArgs{TcpSocket: &corev1.TCPSocketActionArgs{Port: pulumi.Int(spec.PoolerPort)}, PeriodSeconds: pulumi.Int(2), FailureThreshold: pulumi.Int(30)},
		ReadinessProbe:  &corev1.ProbeArgs{TcpSocket: &corev1.TCPSocketActionArgs{Port: pulumi.Int(spec.PoolerPort)}, PeriodSeconds: pulumi.Int(5)},
		LivenessProbe:   &corev1.ProbeArgs{TcpSocket: &corev1.TCPSocketActionArgs{Port: pulumi.Int(spec.PoolerPort)}, PeriodSeconds: pulumi.Int(10)},
		Lifecycle: &corev1.LifecycleArgs{PreStop: &corev1.LifecycleHandlerArgs{
			Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(preStopSeconds)},
		}},
		VolumeMounts: corev1.VolumeMountArray{
			&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
			&corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String("/etc/pgbouncer")},
		},
	}
	containers := corev1.ContainerArray{container}
	if b.s.Workloads.Addons.Monitoring {
		// The pool's own user reads its statistics (SHOW POOLS) for the exporter beside it.
		container.Env = append(container.Env.(corev1.EnvVarArray), &corev1.EnvVarArgs{Name: pulumi.String("STATS_USERS"), Value: b.args.DatabaseUser})
		containers = append(containers, pgbouncerExporter(secret.Metadata.Name().Elem()))
	}
	sec := podSecurity()
	sec.RunAsUser, sec.RunAsGroup, sec.FsGroup = pulumi.Int(poolerUID), pulumi.Int(poolerUID), pulumi.Int(poolerUID)
	if err := b.fixedDeployment("pgbouncer", spec.PoolerService, ls, w.Replicas, &corev1.PodSpecArgs{
		Containers:                    containers,
		SecurityContext:               sec,
		AutomountServiceAccountToken:  pulumi.Bool(false),
		TerminationGracePeriodSeconds: pulumi.Int(graceSeconds),
		NodeSelector:                  nodeSelector(b.s.Cloud, b.s.Workloads.API.Pool),
		TopologySpreadConstraints:     spread(ls),
		Volumes: corev1.VolumeArray{
			&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
			&corev1.VolumeArgs{Name: pulumi.String("config"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
		},
	}); err != nil {
		return err
	}
	if err := b.clusterIP("pgbouncer", spec.PoolerService, ls, ls, poolerPortName, spec.PoolerPort); err != nil || !b.s.Workloads.Addons.Monitoring {
		return err
	}
	// The exporters' Service, whose name is their series' job.
	job := signals.PgBouncerExporterJob
	if err := b.clusterIP(job, job, labels(job), ls, metricsPortName, pgbouncerExporterPort); err != nil {
		return err
	}
	return b.serviceMonitor(job, labels(job))
}

// pgbouncerSecret is PgBouncer's Secret: the database's password, and with monitoring the
// admin console's address for the exporter beside it.
func pgbouncerSecret(user, password pulumi.StringInput, monitoring bool) pulumi.StringMap {
	data := pulumi.StringMap{"DB_PASSWORD": password}
	if monitoring {
		data["STATS_URI"] = statsURI(user, password, spec.PoolerPort)
	}
	return data
}

// networkPolicies deny everything in the namespace, then allow what the app needs: DNS; the
// ingress controller to the API; the load balancer to the WebSocket pods; the app to the
// database, cache and pooler; the pooler to the database.
func (b *builder) networkPolicies(inCluster bool) error {
	np := func(name string, sel pulumi.StringMap, types []string, ingress networkingv1.NetworkPolicyIngressRuleArray, egress networkingv1.NetworkPolicyEgressRuleArray) error {
		_, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-"+name, &networkingv1.NetworkPolicyArgs{
			Metadata: meta(name, labels("network")),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: sel},
				PolicyTypes: pulumi.ToStringArray(types),
				Ingress:     ingress,
				Egress:      egress,
			},
		}, b.opts()...)
		return err
	}
	port := func(p pulumi.Input) networkingv1.NetworkPolicyPortArray {
		return networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{Port: p, Protocol: pulumi.String("TCP")}}
	}
	nsPeer := func(ns string) *networkingv1.NetworkPolicyPeerArgs {
		return &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: &metav1.LabelSelectorArgs{
			MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(ns)},
		}}
	}
	vpc := &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(b.s.NetworkCIDR)}}
	if err := np("default-deny", pulumi.StringMap{}, []string{"Ingress", "Egress"}, nil, nil); err != nil {
		return err
	}
	dns := networkingv1.NetworkPolicyPortArray{
		&networkingv1.NetworkPolicyPortArgs{Port: pulumi.Int(53), Protocol: pulumi.String("UDP")},
		&networkingv1.NetworkPolicyPortArgs{Port: pulumi.Int(53), Protocol: pulumi.String("TCP")},
	}
	if err := np("allow-dns", pulumi.StringMap{}, []string{"Egress"}, nil, networkingv1.NetworkPolicyEgressRuleArray{
		&networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{nsPeer("kube-system")}, Ports: dns},
	}); err != nil {
		return err
	}
	// A process's own load balancer keeps the client's address on AWS (externalTrafficPolicy
	// Local): admit Cloudflare's ranges there with an edge. DigitalOcean's load balancer is a
	// proxy whose firewall does the lock, and pods see its private address: admit the VPC. Any
	// address without an edge.
	var from networkingv1.NetworkPolicyPeerArray
	switch {
	case b.s.Edge && b.s.Cloud == spec.DigitalOcean:
		from = networkingv1.NetworkPolicyPeerArray{vpc}
	case b.s.Edge:
		ranges, err := spec.CloudflareRanges()
		if err != nil {
			return err
		}
		for _, r := range ranges {
			from = append(from, &networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(r.String())}})
		}
	default:
		from = networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0")}}}
	}
	monitored := func(name string, metricsPort int) error {
		if !b.s.Workloads.Addons.Monitoring {
			return nil
		}
		return np("allow-monitoring-to-"+name, labels(name), []string{"Ingress"}, networkingv1.NetworkPolicyIngressRuleArray{
			&networkingv1.NetworkPolicyIngressRuleArgs{From: networkingv1.NetworkPolicyPeerArray{nsPeer(MonitoringNamespace)}, Ports: port(pulumi.Int(metricsPort))},
		}, nil)
	}
	for _, e := range b.exporterJobs() {
		if err := monitored(e.job, e.port); err != nil {
			return err
		}
	}
	if inCluster {
		if err := monitored("pgbouncer", pgbouncerExporterPort); err != nil {
			return err
		}
	}
	for _, p := range b.processes() {
		// Prometheus scrapes every process's metrics (the WebSocket pods are scaled on theirs).
		if err := monitored(p.name, p.c.Metrics.Port); err != nil {
			return err
		}
		switch p.exposure {
		case viaIngress:
			if err := np("allow-ingress-to-"+p.name, labels(p.name), []string{"Ingress"}, networkingv1.NetworkPolicyIngressRuleArray{
				&networkingv1.NetworkPolicyIngressRuleArgs{From: networkingv1.NetworkPolicyPeerArray{nsPeer(IngressNamespace)}, Ports: port(pulumi.Int(p.c.Port))},
			}, nil); err != nil {
				return err
			}
		case ownLoadBalancer:
			if err := np("allow-lb-to-"+p.name, labels(p.name), []string{"Ingress"}, networkingv1.NetworkPolicyIngressRuleArray{
				&networkingv1.NetworkPolicyIngressRuleArgs{From: from, Ports: port(pulumi.Int(p.c.Port))},
			}, nil); err != nil {
				return err
			}
		}
	}
	// The app reaches the database and the cache on the private network, and the pooler in the
	// namespace where it runs there.
	data := networkingv1.NetworkPolicyPeerArray{vpc}
	if b.s.Cloud == spec.Local {
		// The local cloud's database and cache run in their own namespaces of this cluster.
		data = networkingv1.NetworkPolicyPeerArray{nsPeer("scalestack-postgres"), nsPeer("scalestack-valkey")}
	}
	appEgress := networkingv1.NetworkPolicyEgressRuleArray{
		&networkingv1.NetworkPolicyEgressRuleArgs{To: data, Ports: append(append(port(b.args.DatabasePort), port(b.args.CachePort)...), port(b.args.PoolPort)...)},
	}
	if inCluster {
		appEgress = append(appEgress, &networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{MatchLabels: labels("pgbouncer")}}},
			Ports: port(pulumi.Int(spec.PoolerPort)),
		})
	}
	app := pulumi.StringMap{partOfLabel: pulumi.String("scalestack")}
	if err := np("allow-app-to-data", app, []string{"Egress"}, nil, appEgress); err != nil {
		return err
	}
	if !inCluster {
		return nil
	}
	return np("allow-pooler", labels("pgbouncer"), []string{"Ingress", "Egress"},
		networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
			From:  networkingv1.NetworkPolicyPeerArray{&networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{MatchLabels: app}}},
			Ports: port(pulumi.Int(spec.PoolerPort)),
		}},
		networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
			To: data, Ports: port(b.args.DatabasePort),
		}})
}
