package workloads

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/signals"
)

// The exporters, pinned. They serve the database's and the cache's series that the alerts and
// dashboards read (signals/metrics.yaml).
const (
	postgresExporterImage  = "quay.io/prometheuscommunity/postgres-exporter:v0.16.0"
	redisExporterImage     = "oliver006/redis_exporter:v1.67.0"
	pgbouncerExporterImage = "prometheuscommunity/pgbouncer-exporter:v0.10.2"
	postgresExporterPort   = 9187
	redisExporterPort      = 9121
	pgbouncerExporterPort  = 9127
	// exporterReplicas: two, like every Deployment from 10K (a drained node keeps the alerts
	// fed); the rules take the larger of the two copies of a series, never their sum.
	exporterReplicas = 2
)

// exporter is one exporter Deployment with its Service and ServiceMonitor: the Service's name is
// the job its series carry.
type exporter struct {
	job, image string
	port       int
	env        corev1.EnvVarArray
	args       []string
}

// exporters runs the database's and the cache's exporters on the system pool, where the
// monitoring add-on is on: postgres-exporter for the primary and each read replica, with the
// database's monitoring credentials, and redis-exporter at the cache, checking the queue's key.
func (b *builder) exporters() error {
	a := b.args
	user, password := a.MonitorUser, a.MonitorPassword
	if user == nil || password == nil {
		user, password = a.DatabaseUser, a.DatabasePassword
	}
	tls := serverTLS(b.s.Cloud)
	dsns := pulumi.StringMap{
		"PRIMARY_URI": pulumi.Sprintf("%s:%d/%s?sslmode=%s", a.DatabaseHost, a.DatabasePort, a.DatabaseName, tls),
		"USER":        user,
		"PASSWORD":    password,
		"CACHE_ADDR": pulumi.All(a.CacheHost, a.CachePort, a.CacheTLS).ApplyT(func(v []any) string {
			scheme := "redis"
			if v[2].(bool) {
				scheme = "rediss"
			}
			return fmt.Sprintf("%s://%s:%d", scheme, v[0], v[1])
		}).(pulumi.StringOutput),
		"CACHE_PASSWORD": a.CachePassword,
	}
	for i := range b.s.Replicas {
		// A replica's address, database and TLS mode: its URL after the credentials, which
		// the exporter takes apart (the monitoring role's, in place of the app's).
		dsns[fmt.Sprintf("REPLICA_%d_URI", i+1)] = a.ReplicaURLs.ToStringArrayOutput().Index(pulumi.Int(i)).ApplyT(func(u string) (string, error) {
			at := strings.LastIndex(u, "@")
			if at < 0 || !strings.Contains(u, "://") {
				return "", fmt.Errorf("read replica %d: its URL names no host after credentials", i+1)
			}
			return u[at+1:], nil
		}).(pulumi.StringOutput)
	}
	secret, err := corev1.NewSecret(b.ctx, b.name+"-exporters", &corev1.SecretArgs{
		Metadata:   meta("exporters", labels("exporters")),
		Type:       pulumi.String("Opaque"),
		StringData: dsns,
	}, b.opts(pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return err
	}
	fromSecret := func(name, key string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(name), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret.Metadata.Name().Elem(), Key: pulumi.String(key)},
		}}
	}
	for i, e := range b.exporterJobs() {
		switch {
		case e.job == signals.PostgresExporterJob:
			e.env = corev1.EnvVarArray{fromSecret("DATA_SOURCE_URI", "PRIMARY_URI"), fromSecret("DATA_SOURCE_USER", "USER"), fromSecret("DATA_SOURCE_PASS", "PASSWORD")}
		case e.job == signals.RedisExporterJob:
			e.env = corev1.EnvVarArray{fromSecret("REDIS_ADDR", "CACHE_ADDR"), fromSecret("REDIS_PASSWORD", "CACHE_PASSWORD"),
				&corev1.EnvVarArgs{Name: pulumi.String("REDIS_EXPORTER_CHECK_SINGLE_KEYS"), Value: pulumi.String("db0=" + b.s.App.Queue)},
				// In cluster mode (ElastiCache) the queue's key lives on one shard: the exporter
				// follows the cluster's redirects to it.
				&corev1.EnvVarArgs{Name: pulumi.String("REDIS_EXPORTER_IS_CLUSTER"), Value: pulumi.Sprintf("%t", b.args.CacheClusterMode)}}
		default: // a read replica's, in order after the primary's
			e.env = corev1.EnvVarArray{fromSecret("DATA_SOURCE_URI", fmt.Sprintf("REPLICA_%d_URI", i)), fromSecret("DATA_SOURCE_USER", "USER"), fromSecret("DATA_SOURCE_PASS", "PASSWORD")}
		}
		if err := b.exporter(e); err != nil {
			return err
		}
	}
	return nil
}

// exporterJobs are the exporters a stack with monitoring runs: the primary's, one a read
// replica, and the cache's.
func (b *builder) exporterJobs() []exporter {
	if !b.s.Workloads.Addons.Monitoring {
		return nil
	}
	list := []exporter{{job: signals.PostgresExporterJob, image: postgresExporterImage, port: postgresExporterPort}}
	for i := range b.s.Replicas {
		list = append(list, exporter{job: fmt.Sprintf("%s-%d", signals.ReplicaExporterJob, i+1), image: postgresExporterImage, port: postgresExporterPort})
	}
	return append(list, exporter{job: signals.RedisExporterJob, image: redisExporterImage, port: redisExporterPort})
}

// exporterResources are an exporter's requests and limits: a scrape every 15 s of one endpoint.
var exporterResources = struct{ cpu, memory, cpuLimit, memoryLimit string }{"50m", "64Mi", "200m", "128Mi"}

func (b *builder) exporter(e exporter) error {
	ls := labels(e.job)
	ls[spec.ComponentLabel] = pulumi.String(spec.MonitoringComponent)
	container := &corev1.ContainerArgs{
		Name:            pulumi.String("exporter"),
		Image:           pulumi.String(e.image),
		ImagePullPolicy: pulumi.String("IfNotPresent"),
		Args:            pulumi.ToStringArray(e.args),
		Ports:           corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(metricsPortName), ContainerPort: pulumi.Int(e.port)}},
		Env:             e.env,
		Resources:       kube.Resources(exporterResources.cpu, exporterResources.memory, exporterResources.cpuLimit, exporterResources.memoryLimit),
		SecurityContext: restricted(),
		// Both exporters answer / with their landing page without reading their target, so a
		// database that is down shows as pg_up 0, not as a restarting exporter.
		StartupProbe:   httpProbe("/", e.port, 2, 30),
		ReadinessProbe: httpProbe("/", e.port, 10, 3),
		LivenessProbe:  httpProbe("/", e.port, 20, 3),
	}
	if len(e.args) == 0 {
		container.Args = nil
	}
	if err := b.fixedDeployment(e.job, e.job, ls, exporterReplicas, &corev1.PodSpecArgs{
		Containers:                    corev1.ContainerArray{container},
		SecurityContext:               podSecurity(),
		AutomountServiceAccountToken:  pulumi.Bool(false),
		TerminationGracePeriodSeconds: pulumi.Int(graceSeconds),
		NodeSelector:                  nodeSelector(b.s.Cloud, b.s.SystemPool),
		TopologySpreadConstraints:     spread(ls),
	}); err != nil {
		return err
	}
	if err := b.clusterIP(e.job, e.job, ls, ls, metricsPortName, e.port); err != nil {
		return err
	}
	return b.serviceMonitor(e.job, ls)
}

// serviceMonitor has Prometheus scrape a Service's metrics port; the Service's name is the
// series' job.
func (b *builder) serviceMonitor(name string, ls pulumi.StringMap) error {
	_, err := apiextensions.NewCustomResource(b.ctx, b.name+"-"+name+"-metrics", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("ServiceMonitor"),
		Metadata:   meta(name, ls),
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"selector":          pulumi.Map{"matchLabels": ls},
			"namespaceSelector": pulumi.Map{"matchNames": pulumi.StringArray{pulumi.String(Namespace)}},
			"endpoints": pulumi.Array{pulumi.Map{
				"port": pulumi.String(metricsPortName), "path": pulumi.String("/metrics"), "interval": pulumi.String("15s"),
			}},
		}},
	}, b.opts(pulumi.DependsOn(b.monitoringDeps()))...)
	return err
}

// monitoringDeps are what an object of the Prometheus operator's kinds waits for: the
// monitoring add-on's release, which installs their CRDs.
func (b *builder) monitoringDeps() []pulumi.Resource {
	if b.args.Monitoring == nil {
		return nil
	}
	return []pulumi.Resource{b.args.Monitoring}
}

// pgbouncerExporter is the sidecar that serves a PgBouncer pod's pools (clients waiting, servers
// busy) from its admin console, as the pool's own user (STATS_USERS).
func pgbouncerExporter(secretName pulumi.StringInput) *corev1.ContainerArgs {
	return &corev1.ContainerArgs{
		Name:            pulumi.String(signals.PgBouncerExporterJob),
		Image:           pulumi.String(pgbouncerExporterImage),
		ImagePullPolicy: pulumi.String("IfNotPresent"),
		Args: pulumi.StringArray{
			pulumi.String(fmt.Sprintf("--web.listen-address=:%d", pgbouncerExporterPort)),
			pulumi.String("--pgBouncer.connectionString=$(PGBOUNCER_URI)"),
		},
		Env: corev1.EnvVarArray{&corev1.EnvVarArgs{Name: pulumi.String("PGBOUNCER_URI"), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secretName, Key: pulumi.String("STATS_URI")},
		}}},
		Ports:           corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(metricsPortName), ContainerPort: pulumi.Int(pgbouncerExporterPort)}},
		Resources:       kube.Resources(exporterResources.cpu, exporterResources.memory, exporterResources.cpuLimit, exporterResources.memoryLimit),
		SecurityContext: restricted(),
		ReadinessProbe:  httpProbe("/", pgbouncerExporterPort, 10, 3),
		LivenessProbe:   httpProbe("/", pgbouncerExporterPort, 20, 3),
	}
}

// statsURI is the admin console PgBouncer's exporter reads, on the pod's own loopback.
func statsURI(user, password pulumi.StringInput, port int) pulumi.StringOutput {
	return pulumi.All(user, password).ApplyT(func(v []any) string {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(v[0].(string), v[1].(string)), Host: fmt.Sprintf("127.0.0.1:%d", port), Path: "/pgbouncer", RawQuery: "sslmode=disable"}
		return u.String()
	}).(pulumi.StringOutput)
}

// fixedDeployment is a Deployment of a fixed number of pods that rolls one new pod in before an
// old one goes, with a PodDisruptionBudget of one pod down at a time. resource names the
// objects in the stack, name in the cluster.
func (b *builder) fixedDeployment(resource, name string, ls pulumi.StringMap, replicas int, pod *corev1.PodSpecArgs) error {
	if _, err := appsv1.NewDeployment(b.ctx, b.name+"-"+resource, &appsv1.DeploymentArgs{
		Metadata: meta(name, ls),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: ls},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type:          pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{MaxSurge: pulumi.Int(1), MaxUnavailable: pulumi.Int(0)},
			},
			Template: &corev1.PodTemplateSpecArgs{Metadata: &metav1.ObjectMetaArgs{Labels: ls}, Spec: pod},
		},
	}, b.opts()...); err != nil {
		return err
	}
	if err := b.vpa(b.name+"-"+resource, name); err != nil {
		return err
	}
	_, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-"+resource, &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta(name, ls),
		Spec:     &policyv1.PodDisruptionBudgetSpecArgs{MaxUnavailable: pulumi.Int(1), Selector: &metav1.LabelSelectorArgs{MatchLabels: ls}},
	}, b.opts()...)
	return err
}

// clusterIP is a ClusterIP Service named name (labelled ls) in front of the pods selected, on
// one named port.
func (b *builder) clusterIP(resource, name string, ls, selector pulumi.StringMap, portName string, port int) error {
	_, err := corev1.NewService(b.ctx, b.name+"-"+resource, &corev1.ServiceArgs{
		Metadata: meta(name, ls),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: selector,
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String(portName), Port: pulumi.Int(port), TargetPort: pulumi.String(portName), Protocol: pulumi.String("TCP"),
			}},
		},
	}, b.opts()...)
	return err
}
