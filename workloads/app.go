// Package workloads is the Kubernetes side of a stack: the app (API, WebSocket service and
// queue workers), PgBouncer where the cloud has no managed pool, the app's configuration, its
// network policies, and the platform add-ons. It deploys through the cluster's explicit
// Kubernetes provider, never the ambient kubeconfig.
package workloads

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"maps"
	"slices"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
	"github.com/scalestack/scalestack/components/spec"
)

// AppType is the app component's type token.
const AppType = types.WorkloadApp

// Namespace is where the app runs (the pooler's DNS name depends on it).
const Namespace = spec.PoolerNamespace

// Settings that are the same at every tier.
const (
	// The seed case went from 3 to 11 API pods in about 90 seconds: scale up by up to 4 pods or
	// 100% every 30 s with no stabilization, scale down by at most half a minute after 5 quiet
	// minutes.
	scaleUpPods, scaleUpPercent, scaleUpPeriod = 4, 100, 30
	scaleDownPercent, scaleDownPeriod          = 50, 60
	scaleDownWindow                            = 300
	// Shutdown: the load balancer stops sending before the process stops; WebSockets get longer
	// to drain and reconnect elsewhere. A WebSocket pod keeps serving for 30 s after it is told
	// to stop, longer than a load balancer takes to see it gone (DigitalOcean: 3 failed checks
	// 3 s apart; an AWS NLB: 2 or 3 checks 10 s apart), then has 60 s to close its connections.
	preStopSeconds          = 10
	graceSeconds            = 30
	websocketPreStopSeconds = 30
	websocketGraceSeconds   = 90
	processLabel            = spec.ProcessLabel
	appLabel                = "app.kubernetes.io/name"
	partOfLabel             = "app.kubernetes.io/part-of"
	nonRootUID              = 10001
	websocketPortName       = "ws"
	httpPortName            = "http"
	metricsPortName         = "metrics"
	poolerPortName          = "postgres"
	zoneTopologyKey         = "topology.kubernetes.io/zone"
	tlsDir                  = "/etc/scalestack/tls"
	hostnameTopologyKey     = "kubernetes.io/hostname"
)

// Spec is the app and where it runs.
type Spec struct {
	spec.Placement
	Tier      string
	Workloads spec.Workloads
	App       spec.App
	// PoolSize is the database pool's server connections (PgBouncer's default_pool_size).
	PoolSize int
	PoolMode string
	// NetworkCIDR is the private network the managed database and cache live in.
	NetworkCIDR string
	// Edge locks the WebSocket load balancer to Cloudflare's addresses.
	Edge bool
	// Domain is the host the API's Ingress answers for; empty answers any host.
	Domain string
	// SystemPool is the node pool the add-ons and the exporters run on.
	SystemPool string
	// Replicas is the database's read replica endpoints (its ReplicaURLs): each gets its own
	// exporter.
	Replicas int
	// Prescale are the launch windows' minimums (scalestack:launch): KEDA cron triggers on every
	// KEDA-scaled process, and on the API, which KEDA then scales on CPU instead of an HPA.
	Prescale []spec.Prescale
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	return errors.Join(s.Placement.Validate(), s.App.Validate("app."))
}

// Args are the stack's outputs the app connects to.
type Args struct {
	Provider pulumi.ProviderResource
	// Database: the URLs the app uses, and what PgBouncer needs to reach the primary.
	PooledURL, PrimaryURL pulumi.StringInput
	ReplicaURLs           pulumi.StringArrayInput
	DatabaseHost          pulumi.StringInput
	DatabasePort          pulumi.IntInput
	DatabaseUser          pulumi.StringInput
	DatabasePassword      pulumi.StringInput
	DatabaseName          string
	// MonitorUser and MonitorPassword are the database's credentials for its exporters, where
	// the cloud makes a user of their own; nil uses DatabaseUser's.
	MonitorUser, MonitorPassword pulumi.StringInput
	// PoolPort is where the pooled URL connects (DigitalOcean's managed pool has its own port;
	// elsewhere the database's).
	PoolPort pulumi.IntInput
	// Cache: its URL and parts (KEDA reads the host and password), and whether it is a cluster.
	CacheURL         pulumi.StringInput
	CacheHost        pulumi.StringInput
	CachePort        pulumi.IntInput
	CachePassword    pulumi.StringInput
	CacheClusterMode pulumi.BoolInput
	CacheTLS         pulumi.BoolInput
	// DependsOn are add-ons the app's custom resources need first (KEDA's CRDs); none where
	// the cluster runs the add-on itself (workloads.addons.installed).
	DependsOn []pulumi.Resource
	// Monitoring is the monitoring add-on's release, when scalestack installs it: the
	// PodMonitor of a process scaled on its connections needs its CRDs first. Nil when it is
	// off or the cluster's own.
	Monitoring pulumi.Resource
}

// App is the component.
type App struct {
	pulumi.ResourceState

	// Namespace is the app's namespace.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// WebSocketHost is the first WebSocket load balancer's address once the cloud assigns it.
	WebSocketHost pulumi.StringOutput `pulumi:"websocketHost"`
	// WebSocketHosts are every WebSocket load balancer's address (workloads.websocket.
	// loadBalancers), the first being WebSocketHost.
	WebSocketHosts pulumi.StringArrayOutput `pulumi:"websocketHosts"`
	// WebSocketHostList is the same, one output per load balancer: how many there are is
	// known when the program runs, so the edge makes a record for each.
	WebSocketHostList []pulumi.StringInput
	// NamespaceObject is the app's Namespace: what another component's objects in it (the
	// edge's TLS Secret, which the WebSocket pods mount) wait for, rather than the whole app.
	NamespaceObject pulumi.Resource
}

// New deploys the app.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*App, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("app %q: %w", name, err)
	}
	if args == nil || args.Provider == nil {
		return nil, fmt.Errorf("app %q: args.Provider is required: the app deploys only through the cluster's explicit provider", name)
	}
	a := &App{}
	if err := ctx.RegisterComponentResource(AppType, name, a, append(opts, pulumi.Providers(args.Provider))...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, s: s, args: args, parent: a}
	if err := b.build(); err != nil {
		return nil, err
	}
	a.Namespace = pulumi.String(Namespace).ToStringOutput()
	a.NamespaceObject = b.ns
	a.WebSocketHosts = b.wsHosts.ToStringArrayOutput()
	for _, h := range b.wsHosts {
		a.WebSocketHostList = append(a.WebSocketHostList, h)
	}
	a.WebSocketHost = pulumi.String("").ToStringOutput()
	if len(b.wsHosts) > 0 {
		a.WebSocketHost = b.wsHosts[0].ToStringOutput()
	}
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{"namespace": a.Namespace, "websocketHost": a.WebSocketHost, "websocketHosts": a.WebSocketHosts})
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	s      Spec
	args   *Args
	parent pulumi.Resource
	ns     pulumi.Resource

	secret, config pulumi.StringOutput
	// digests are the settings' digests by key, the tier's aside.
	digests map[string]pulumi.StringOutput
	wsHosts pulumi.StringArray
}

func (b *builder) opts(more ...pulumi.ResourceOption) []pulumi.ResourceOption {
	out := []pulumi.ResourceOption{pulumi.Parent(b.parent)}
	if b.ns != nil {
		out = append(out, pulumi.DependsOn([]pulumi.Resource{b.ns}))
	}
	return append(out, more...)
}

// vpa is a Deployment's VerticalPodAutoscaler in recommendation mode, where the vpa add-on is
// on: after the add-ons (its CRD comes with the VPA release).
func (b *builder) vpa(resource, deployment string) error {
	if !b.s.Workloads.Addons.VPA {
		return nil
	}
	return kube.VPA(b.ctx, resource, Namespace, "Deployment", deployment, b.opts(pulumi.DependsOn(b.args.DependsOn))...)
}

func labels(process string) pulumi.StringMap {
	return pulumi.StringMap{appLabel: pulumi.String("scalestack-" + process), processLabel: pulumi.String(process), partOfLabel: pulumi.String("scalestack")}
}

func meta(name string, ls pulumi.StringMap) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: pulumi.String(Namespace), Labels: ls}
}

func (b *builder) build() error {
	ns, err := corev1.NewNamespace(b.ctx, b.name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(Namespace),
			Labels: pulumi.StringMap{
				partOfLabel: pulumi.String("scalestack"),
				// Pod Security Admission: the restricted profile, enforced.
				"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
				"pod-security.kubernetes.io/audit":   pulumi.String("restricted"),
			},
		},
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.ns = ns // everything else is in the namespace: create it first, delete it last
	if err := b.configuration(); err != nil {
		return err
	}
	inCluster := b.s.Cloud != spec.DigitalOcean
	if inCluster {
		if err := b.pooler(); err != nil {
			return err
		}
	}
	for _, p := range b.processes() {
		if err := b.process(p); err != nil {
			return err
		}
	}
	if b.s.Workloads.Addons.Monitoring {
		if err := b.exporters(); err != nil {
			return err
		}
	}
	return b.networkPolicies(inCluster)
}

// exposure is how a process is reached.
type exposure int

const (
	internalOnly    exposure = iota // nothing routes to it (queue workers)
	viaIngress                      // a ClusterIP Service behind ingress-nginx's Ingress
	ownLoadBalancer                 // its own LoadBalancer Service, TCP passed through
)

// scaler is what scales a process's Deployment.
type scaler int

const (
	cpuScaler   scaler = iota // an HPA on CPU
	queueScaler               // KEDA on the queue's length where the add-on is on; else an HPA
	// connectionScaler is KEDA on the pods' open connections (from Prometheus) and CPU where
	// both KEDA and monitoring are on; else an HPA on CPU.
	connectionScaler
)

// onKEDA reports whether a process with this scaler is scaled by KEDA under these add-ons.
func (s scaler) onKEDA(a spec.Addons) bool {
	switch s {
	case queueScaler:
		return a.KEDA
	case connectionScaler:
		return a.KEDA && a.Monitoring
	default:
		return false
	}
}

// proc is one of the app's processes: its differences are fields here, not branches on its name.
type proc struct {
	name string
	svc  spec.Service
	c    spec.Container
	// portName names the container port and the Service's target port.
	portName string
	stop     shutdown
	exposure exposure
	scaler   scaler
	// connectionCapped processes get MAX_CONNECTIONS, the connections a pod is sized for.
	connectionCapped bool
	// terminatesTLS processes serve TLS themselves with the edge's origin certificate (their
	// load balancer passes TCP through), and are probed over HTTPS, when there is an edge.
	terminatesTLS bool
}

// processes is the app's table of processes.
func (b *builder) processes() []proc {
	return []proc{
		{name: "api", svc: b.s.Workloads.API, c: b.s.App.API, portName: httpPortName,
			stop: shutdown{preStop: preStopSeconds, grace: graceSeconds}, exposure: viaIngress, scaler: cpuScaler},
		{name: "websocket", svc: b.s.Workloads.WebSocket, c: b.s.App.WebSocket, portName: websocketPortName,
			stop: shutdown{preStop: websocketPreStopSeconds, grace: websocketGraceSeconds}, exposure: ownLoadBalancer, scaler: connectionScaler,
			connectionCapped: true, terminatesTLS: true},
		{name: "worker", svc: b.s.Workloads.Worker, c: b.s.App.Worker, portName: httpPortName,
			stop: shutdown{preStop: preStopSeconds, grace: graceSeconds}, exposure: internalOnly, scaler: queueScaler},
	}
}

// configuration is one Secret with every URL and credential, and one ConfigMap of settings.
func (b *builder) configuration() error {
	a := b.args
	replicas := pulumi.ToSecret(a.ReplicaURLs.ToStringArrayOutput().ApplyT(func(urls []string) string { return strings.Join(urls, ",") })).(pulumi.StringOutput)
	secretValues := map[string]pulumi.StringInput{
		"DATABASE_URL":          a.PooledURL,
		"DATABASE_PRIMARY_URL":  a.PrimaryURL,
		"DATABASE_REPLICA_URLS": replicas,
		"CACHE_URL":             a.CacheURL,
		"CACHE_PASSWORD":        a.CachePassword,
	}
	plainValues := map[string]pulumi.StringInput{
		spec.TierSetting:     pulumi.String(b.s.Tier),
		"QUEUE":              pulumi.String(b.s.App.Queue),
		"CACHE_HOST":         a.CacheHost,
		"CACHE_PORT":         pulumi.Sprintf("%d", a.CachePort),
		"CACHE_CLUSTER_MODE": pulumi.Sprintf("%t", a.CacheClusterMode),
	}
	data, settings := pulumi.StringMap{}, pulumi.StringMap{}
	b.digests = map[string]pulumi.StringOutput{}
	for _, set := range []struct {
		keys   []string
		values map[string]pulumi.StringInput
		into   pulumi.StringMap
	}{{spec.SecretSettings, secretValues, data}, {spec.PlainSettings, plainValues, settings}} {
		for _, k := range set.keys {
			v := set.values[k]
			set.into[k] = v
			if k == spec.TierSetting {
				continue
			}
			// A digest of the value, never the value: it goes in the pod templates of the
			// processes that read it (configAnnotations), so that a change rolls those and no
			// others, and the plan diff says which setting moved.
			b.digests[k] = pulumi.Unsecret(v.ToStringOutput().ApplyT(func(s string) string {
				h := sha256.Sum256([]byte(s))
				return hex.EncodeToString(h[:8])
			})).(pulumi.StringOutput)
		}
	}
	secret, err := corev1.NewSecret(b.ctx, b.name+"-secret", &corev1.SecretArgs{
		Metadata:   meta("app", labels("config")),
		Type:       pulumi.String("Opaque"),
		StringData: data,
	}, b.opts(pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-config", &corev1.ConfigMapArgs{
		Metadata: meta("app", labels("config")),
		Data:     settings,
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.secret, b.config = secret.Metadata.Name().Elem(), cm.Metadata.Name().Elem()
	return nil
}

// envFrom is the whole Secret and ConfigMap, for a process that reads every setting.
func (b *builder) envFrom(c spec.Container) corev1.EnvFromSourceArrayInput {
	if len(c.Reads) > 0 {
		return nil
	}
	return corev1.EnvFromSourceArray{
		&corev1.EnvFromSourceArgs{SecretRef: &corev1.SecretEnvSourceArgs{Name: b.secret}},
		&corev1.EnvFromSourceArgs{ConfigMapRef: &corev1.ConfigMapEnvSourceArgs{Name: b.config}},
	}
}

// settingsEnv is each setting a process with its own reads list reads, from the Secret or the
// ConfigMap: it sees no other.
func (b *builder) settingsEnv(c spec.Container) corev1.EnvVarArray {
	var env corev1.EnvVarArray
	for _, k := range c.Reads {
		from := &corev1.EnvVarSourceArgs{ConfigMapKeyRef: &corev1.ConfigMapKeySelectorArgs{Name: b.config, Key: pulumi.String(k)}}
		if slices.Contains(spec.SecretSettings, k) {
			from = &corev1.EnvVarSourceArgs{SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: b.secret, Key: pulumi.String(k)}}
		}
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), ValueFrom: from})
	}
	return env
}

// configAnnotations are the digests of the settings a process reads, the tier's aside: the pod
// template changes, and its pods roll, when one of those settings does.
func (b *builder) configAnnotations(c spec.Container) pulumi.StringMap {
	out := pulumi.StringMap{}
	for _, k := range c.ReadsOf() {
		if d, ok := b.digests[k]; ok {
			out[spec.ConfigAnnotationPrefix+k] = d
		}
	}
	return out
}

// resources turns a preset's sizes into requests and limits.
func resources(r spec.Resources) *corev1.ResourceRequirementsArgs {
	return kube.Resources(r.CPU, r.Memory, r.CPULimit, r.MemoryLimit)
}

func restricted() *corev1.SecurityContextArgs { return kube.Restricted() }

func podSecurity() *corev1.PodSecurityContextArgs { return kube.PodSecurity(nonRootUID) }

func httpProbe(path string, port int, period, failures int) *corev1.ProbeArgs {
	return &corev1.ProbeArgs{
		HttpGet:          &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.Int(port)},
		PeriodSeconds:    pulumi.Int(period),
		FailureThreshold: pulumi.Int(failures),
		TimeoutSeconds:   pulumi.Int(2),
	}
}

// shutdown is how a process's pods stop: serving on for preStop seconds while load balancers
// take them out, then SIGTERM, and SIGKILL grace seconds after the stop began.
type shutdown struct{ preStop, grace int }

// spread keeps a process's pods on different nodes and zones where it can.
func spread(ls pulumi.StringMap) corev1.TopologySpreadConstraintArray {
	var out corev1.TopologySpreadConstraintArray
	for _, key := range []string{hostnameTopologyKey, zoneTopologyKey} {
		out = append(out, &corev1.TopologySpreadConstraintArgs{
			MaxSkew:           pulumi.Int(1),
			TopologyKey:       pulumi.String(key),
			WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
			LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: ls},
		})
	}
	return out
}

// podTemplate is a process's pods: restricted, probed, sized, spread, on its node pool, with
// the app's Secret and ConfigMap as its environment and a writable /tmp.
func (b *builder) podTemplate(p proc) *corev1.PodTemplateSpecArgs {
	process, svc, c, stop := p.name, p.svc, p.c, p.stop
	ls := labels(process)
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("PORT"), Value: pulumi.String(fmt.Sprint(c.Port))},
		&corev1.EnvVarArgs{Name: pulumi.String("SCALESTACK_PROCESS"), Value: pulumi.String(process)},
	}
	if p.connectionCapped {
		// What the preset sizes a pod for: past it the pod refuses new connections, and the
		// load balancer's next try lands on another pod.
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(spec.MaxConnectionsSetting), Value: pulumi.String(fmt.Sprint(svc.ConnectionsPerPod))})
	}
	env = append(env, b.settingsEnv(c)...)
	for _, k := range sortedKeys(c.Env) {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: pulumi.String(c.Env[k])})
	}
	container := &corev1.ContainerArgs{
		Name:            pulumi.String(process),
		Image:           pulumi.String(c.Image),
		ImagePullPolicy: pulumi.String("IfNotPresent"),
		Ports:           containerPorts(p),
		Env:             env,
		EnvFrom:         b.envFrom(c),
		Resources:       resources(svc.Resources),
		SecurityContext: restricted(),
		StartupProbe:    httpProbe(c.HealthPath, c.Port, 2, 30),
		ReadinessProbe:  httpProbe(c.HealthPath, c.Port, 5, 3),
		LivenessProbe:   httpProbe(c.HealthPath, c.Port, 10, 3),
		Lifecycle: &corev1.LifecycleArgs{PreStop: &corev1.LifecycleHandlerArgs{
			Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(stop.preStop)},
		}},
		VolumeMounts: corev1.VolumeMountArray{&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")}},
	}
	if len(c.Command) > 0 {
		container.Command = pulumi.ToStringArray(c.Command)
	}
	volumes := corev1.VolumeArray{&corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}}}
	if p.terminatesTLS && b.s.Edge {
		for _, probe := range []*corev1.ProbeArgs{container.StartupProbe.(*corev1.ProbeArgs), container.ReadinessProbe.(*corev1.ProbeArgs), container.LivenessProbe.(*corev1.ProbeArgs)} {
			probe.HttpGet.(*corev1.HTTPGetActionArgs).Scheme = pulumi.String("HTTPS")
		}
		// The WebSocket load balancer passes TCP through, so the pods serve TLS themselves
		// with the edge's origin certificate, for Cloudflare's strict TLS.
		volumes = append(volumes, &corev1.VolumeArgs{Name: pulumi.String("tls"), Secret: &corev1.SecretVolumeSourceArgs{
			SecretName: pulumi.String(spec.OriginTLSSecret), Optional: pulumi.Bool(false),
		}})
		container.VolumeMounts = append(container.VolumeMounts.(corev1.VolumeMountArray),
			&corev1.VolumeMountArgs{Name: pulumi.String("tls"), MountPath: pulumi.String(tlsDir), ReadOnly: pulumi.Bool(true)})
		container.Env = append(container.Env.(corev1.EnvVarArray),
			&corev1.EnvVarArgs{Name: pulumi.String("TLS_CERT_FILE"), Value: pulumi.String(tlsDir + "/tls.crt")},
			&corev1.EnvVarArgs{Name: pulumi.String("TLS_KEY_FILE"), Value: pulumi.String(tlsDir + "/tls.key")})
	}
	return &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Labels:      ls,
			Annotations: b.configAnnotations(c),
		},
		Spec: &corev1.PodSpecArgs{
			Containers:                    corev1.ContainerArray{container},
			SecurityContext:               podSecurity(),
			AutomountServiceAccountToken:  pulumi.Bool(false),
			TerminationGracePeriodSeconds: pulumi.Int(stop.grace),
			NodeSelector:                  nodeSelector(b.s.Cloud, svc.Pool),
			TopologySpreadConstraints:     spread(ls),
			Volumes:                       volumes,
		},
	}
}

// process is one of the app's Deployments with its Service, autoscaler and disruption budget.
func (b *builder) process(p proc) error {
	process, svc, c, portName := p.name, p.svc, p.c, p.portName
	ls := labels(process)
	dep, err := appsv1.NewDeployment(b.ctx, b.name+"-"+process, &appsv1.DeploymentArgs{
		Metadata: meta(process, ls),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(svc.MinReplicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: ls},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				// A new pod is ready before an old one goes.
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{MaxSurge: pulumi.String("25%"), MaxUnavailable: pulumi.Int(0)},
			},
			Template: b.podTemplate(p),
		},
	}, b.opts(
		// The autoscaler owns the replica count once the Deployment exists.
		pulumi.IgnoreChanges([]string{"spec.replicas"}),
	)...)
	if err != nil {
		return err
	}
	if err := b.vpa(b.name+"-"+process, process); err != nil {
		return err
	}
	if _, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-"+process, &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta(process, ls),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			// One pod at a time: a drain never takes a process down, and a single pod can
			// still be moved.
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: ls},
		},
	}, b.opts()...); err != nil {
		return err
	}
	switch p.exposure {
	case viaIngress:
		if err := b.service(process, "ClusterIP", c.Port, portName, nil); err != nil {
			return err
		}
		if err := b.ingress(process, portName); err != nil {
			return err
		}
	case ownLoadBalancer:
		if err := b.loadBalancerService(p); err != nil {
			return err
		}
	}
	if b.s.Workloads.Addons.Monitoring {
		if err := b.podMonitor(p); err != nil {
			return err
		}
	}
	switch {
	case p.scaler == cpuScaler && len(b.s.Prescale) > 0 && b.s.Workloads.Addons.KEDA:
		return b.cpuScaledObject(p, dep)
	case !p.scaler.onKEDA(b.s.Workloads.Addons):
		return b.hpa(p, dep)
	case p.scaler == connectionScaler:
		return b.connectionScaledObject(p, dep)
	default:
		return b.scaledObject(p, dep)
	}
}

func (b *builder) service(process, typ string, port int, portName string, annotations pulumi.StringMap) error {
	m := meta(process, labels(process))
	m.Annotations = annotations
	_, err := corev1.NewService(b.ctx, b.name+"-"+process, &corev1.ServiceArgs{
		Metadata: m,
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String(typ),
			Selector: labels(process),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name: pulumi.String(portName), Port: pulumi.Int(port), TargetPort: pulumi.String(portName), Protocol: pulumi.String("TCP"),
			}},
		},
	}, b.opts()...)
	return err
}

// ingress routes the domain's HTTP traffic through ingress-nginx to the API.
func (b *builder) ingress(process, portName string) error {
	if !b.s.Workloads.Addons.Ingress {
		return nil
	}
	rule := &networkingv1.IngressRuleArgs{Http: &networkingv1.HTTPIngressRuleValueArgs{
		Paths: networkingv1.HTTPIngressPathArray{&networkingv1.HTTPIngressPathArgs{
			Path:     pulumi.String("/"),
			PathType: pulumi.String("Prefix"),
			Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
				Name: pulumi.String(process),
				Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String(portName)},
			}},
		}},
	}}
	rules := networkingv1.IngressRuleArray{rule}
	if b.s.Domain != "" {
		// The hosts the edge sends here: the apex, www and api.
		rules = nil
		for _, h := range []string{b.s.Domain, "www." + b.s.Domain, "api." + b.s.Domain} {
			rules = append(rules, &networkingv1.IngressRuleArgs{Host: pulumi.String(h), Http: rule.Http})
		}
	}
	_, err := networkingv1.NewIngress(b.ctx, b.name+"-"+process, &networkingv1.IngressArgs{
		Metadata: meta(process, labels(process)),
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String("nginx"),
			Rules:            rules,
		},
	}, b.opts()...)
	return err
}

// hpaOwnershipAnnotation lets KEDA's admission webhook accept a ScaledObject while an HPA of
// ours still targets the same Deployment: on a switch to KEDA (a tier with monitoring, or a
// launch window for the API) the engine creates the ScaledObject before it deletes the HPA
// (https://keda.sh/docs/2.17/operate/admission-webhooks/).
const hpaOwnershipAnnotation = "validations.keda.sh/hpa-ownership"

func (b *builder) hpa(p proc, dep *appsv1.Deployment) error {
	process, svc := p.name, p.svc
	m := meta(process, labels(process))
	// Every HPA: the API's too, which a launch window moves to KEDA.
	m.Annotations = pulumi.StringMap{hpaOwnershipAnnotation: pulumi.String("false")}
	_, err := autoscalingv2.NewHorizontalPodAutoscaler(b.ctx, b.name+"-"+process, &autoscalingv2.HorizontalPodAutoscalerArgs{
		Metadata: m,
		Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
			ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
				ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String("Deployment"), Name: dep.Metadata.Name().Elem(),
			},
			MinReplicas: pulumi.Int(svc.MinReplicas),
			MaxReplicas: pulumi.Int(svc.MaxReplicas),
			Metrics: autoscalingv2.MetricSpecArray{&autoscalingv2.MetricSpecArgs{
				Type: pulumi.String("Resource"),
				Resource: &autoscalingv2.ResourceMetricSourceArgs{
					Name:   pulumi.String("cpu"),
					Target: &autoscalingv2.MetricTargetArgs{Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(svc.CPUTarget)},
				},
			}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehaviorArgs{
				ScaleUp: &autoscalingv2.HPAScalingRulesArgs{
					StabilizationWindowSeconds: pulumi.Int(0),
					SelectPolicy:               pulumi.String("Max"),
					Policies: autoscalingv2.HPAScalingPolicyArray{
						&autoscalingv2.HPAScalingPolicyArgs{Type: pulumi.String("Pods"), Value: pulumi.Int(scaleUpPods), PeriodSeconds: pulumi.Int(scaleUpPeriod)},
						&autoscalingv2.HPAScalingPolicyArgs{Type: pulumi.String("Percent"), Value: pulumi.Int(scaleUpPercent), PeriodSeconds: pulumi.Int(scaleUpPeriod)},
					},
				},
				ScaleDown: &autoscalingv2.HPAScalingRulesArgs{
					StabilizationWindowSeconds: pulumi.Int(scaleDownWindow),
					Policies: autoscalingv2.HPAScalingPolicyArray{
						&autoscalingv2.HPAScalingPolicyArgs{Type: pulumi.String("Percent"), Value: pulumi.Int(scaleDownPercent), PeriodSeconds: pulumi.Int(scaleDownPeriod)},
					},
				},
			},
		},
	}, b.opts()...)
	return err
}

// containerPorts are a process's named ports: where it serves, and its metrics when they are
// on a port of their own.
func containerPorts(p proc) corev1.ContainerPortArray {
	ports := corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String(p.portName), ContainerPort: pulumi.Int(p.c.Port)}}
	if p.c.Metrics.Port != 0 && p.c.Metrics.Port != p.c.Port {
		ports = append(ports, &corev1.ContainerPortArgs{Name: pulumi.String(metricsPortName), ContainerPort: pulumi.Int(p.c.Metrics.Port)})
	}
	return ports
}

// metricsPort is the name of the container port a process serves its metrics on.
func metricsPort(p proc) string {
	if p.c.Metrics.Port != 0 && p.c.Metrics.Port != p.c.Port {
		return metricsPortName
	}
	return p.portName
}

// scalingBehavior is the HPAs' behaviour (above) as values, for an HPA made by a chart or by
// KEDA: the same policies from the same constants.
func scalingBehavior() pulumi.Map {
	policy := func(typ string, value, period int) pulumi.Map {
		return pulumi.Map{"type": pulumi.String(typ), "value": pulumi.Int(value), "periodSeconds": pulumi.Int(period)}
	}
	return pulumi.Map{
		"scaleUp": pulumi.Map{
			"stabilizationWindowSeconds": pulumi.Int(0),
			"selectPolicy":               pulumi.String("Max"),
			"policies":                   pulumi.Array{policy("Pods", scaleUpPods, scaleUpPeriod), policy("Percent", scaleUpPercent, scaleUpPeriod)},
		},
		"scaleDown": pulumi.Map{
			"stabilizationWindowSeconds": pulumi.Int(scaleDownWindow),
			"policies":                   pulumi.Array{policy("Percent", scaleDownPercent, scaleDownPeriod)},
		},
	}
}

// nodeSelector places pods on a node pool; an existing (local) cluster's nodes carry no pool
// label, so there pods go anywhere.
func nodeSelector(cloud spec.Cloud, pool string) pulumi.StringMap {
	if cloud == spec.Local {
		return nil
	}
	return pulumi.StringMap{spec.PoolLabel: pulumi.String(pool)}
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
