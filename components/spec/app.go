package spec

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// App is the stack's application, from scalestack:app: what each of the three processes runs.
// Sizes come from the tier preset; this says which images, ports and settings.
type App struct {
	API       Container `json:"api"`
	WebSocket Container `json:"websocket"`
	Worker    Container `json:"worker"`
	// Queue is the Redis list the workers read jobs from; KEDA scales them on its length.
	Queue string `json:"queue"`
}

// Container is one process of the app.
type Container struct {
	// Image is the container image, pinned by a version tag or a digest.
	Image string `json:"image"`
	// Command replaces the image's entrypoint when set.
	Command []string `json:"command,omitempty"`
	// Port is where the process serves HTTP (the worker: its health endpoint).
	Port int `json:"port"`
	// HealthPath answers 200 when the process is ready; probes use it.
	HealthPath string `json:"healthPath"`
	// Env is plain settings, set on the process's container beside the stack's ConfigMap;
	// secrets come from the stack's Secret.
	Env map[string]string `json:"env,omitempty"`
	// Reads are the stack's settings (Settings: the app's Secret and ConfigMap) the process
	// reads, each once; empty reads them all. A process given its list sees only those, and
	// rolls only when one of them changes: a WebSocket server that never opens the database
	// keeps its sockets when a tier switch moves DATABASE_URL to a pool of a new size.
	Reads []string `json:"reads,omitempty"`
	// Metrics is where the process serves Prometheus metrics (default: its Port, /metrics).
	// The WebSocket pods serve scalestack_websocket_connections there, which they scale on.
	Metrics Metrics `json:"metrics,omitzero"`
}

// Metrics is a process's Prometheus endpoint.
type Metrics struct {
	Port int    `json:"port,omitempty"`
	Path string `json:"path,omitempty"`
}

// The app's metrics, which the alerts, dashboards and the WebSocket pods' autoscaler read: the
// contract of a process at its metrics port and path.
const (
	// ConnectionsMetric is a gauge each WebSocket pod serves: its open WebSockets.
	ConnectionsMetric = "scalestack_websocket_connections"
	// LatencyMetric is a histogram the API serves of its requests' durations in seconds (the
	// series are <name>_bucket, _sum and _count, with the label le).
	LatencyMetric = "scalestack_http_request_duration_seconds"
)

// ProcessLabel is the label of every pod of the app (and of the exporters) that names its
// process: api, websocket, worker, pgbouncer, or an exporter's job.
const ProcessLabel = "scalestack.dev/process"

// RoleLabel names a database pod's role in the local cloud's PostgreSQL: PrimaryRole or
// ReplicaRole.
const (
	RoleLabel   = "scalestack.dev/role"
	PrimaryRole = "primary"
	ReplicaRole = "replica"
)

// ConfigAnnotationPrefix begins the pod-template annotations, one per setting a process reads
// from the app's Secret and ConfigMap, whose values are digests of the settings' values: a
// changed setting rolls exactly the processes that read it, and the plan diff names it.
const ConfigAnnotationPrefix = "config.scalestack.dev/"

// ComponentLabel marks the exporters' objects (value MonitoringComponent) beside the app's own
// labels: what reads a plan for the app's processes (the diagrams) leaves them out.
const (
	ComponentLabel      = "app.kubernetes.io/component"
	MonitoringComponent = "monitoring"
)

// DefaultMetricsPath is where a process serves its metrics unless scalestack:app says otherwise.
const DefaultMetricsPath = "/metrics"

// PlaceholderImage serves every process until scalestack:app names the real images: an
// unprivileged nginx on port 8080, so that the whole platform comes up healthy on day one.
const PlaceholderImage = "nginxinc/nginx-unprivileged:1.27-alpine"

// DefaultQueue is the workers' Redis list.
const DefaultQueue = "jobs"

// SecretSettings are the app's settings kept in its Secret: URLs with credentials.
var SecretSettings = []string{"DATABASE_URL", "DATABASE_PRIMARY_URL", "DATABASE_REPLICA_URLS", "CACHE_URL", "CACHE_PASSWORD"}

// PlainSettings are the app's settings kept in its ConfigMap. SCALESTACK_TIER is the tier when
// the pod started: a tier switch alone rolls no pod.
var PlainSettings = []string{"SCALESTACK_TIER", "QUEUE", "CACHE_HOST", "CACHE_PORT", "CACHE_CLUSTER_MODE"}

// TierSetting is the setting that names the tier, which rolls nothing when it changes.
const TierSetting = "SCALESTACK_TIER"

// EndpointSettings are the settings that say where a process connects: a change closes the
// connections of the processes that read it.
var EndpointSettings = []string{"DATABASE_URL", "DATABASE_PRIMARY_URL", "DATABASE_REPLICA_URLS", "CACHE_URL", "CACHE_HOST", "CACHE_PORT", "CACHE_PASSWORD"}

// MaxConnectionsSetting is the connections a connection-capped process (the WebSocket server)
// accepts per pod.
const MaxConnectionsSetting = "MAX_CONNECTIONS"

// Settings are every setting a process may read, in order.
func Settings() []string { return slices.Concat(SecretSettings, PlainSettings) }

// ReadsOf are the settings a process reads: its Reads, or every one.
func (c Container) ReadsOf() []string {
	if len(c.Reads) == 0 {
		return Settings()
	}
	return c.Reads
}

// Reserved are the environment variables scalestack sets from the stack's outputs.
var Reserved = append(Settings(), "PORT", "SCALESTACK_PROCESS", "TLS_CERT_FILE", "TLS_KEY_FILE", MaxConnectionsSetting)

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// digest is the one digest form registries and Kubernetes accept for a pin: sha256 and 64
	// lowercase hexadecimal characters (the OCI image spec's registered algorithm).
	digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// WithDefaults fills the placeholder app where scalestack:app leaves a process out.
func (a App) WithDefaults() App {
	fill := func(c Container) Container {
		if c.Image == "" {
			c.Image = PlaceholderImage
			if c.Port == 0 {
				c.Port = 8080
			}
			if c.HealthPath == "" {
				c.HealthPath = "/"
			}
		}
		if c.Port == 0 {
			c.Port = 8080
		}
		if c.HealthPath == "" {
			c.HealthPath = "/healthz"
		}
		if c.Metrics.Port == 0 {
			c.Metrics.Port = c.Port
		}
		if c.Metrics.Path == "" {
			c.Metrics.Path = DefaultMetricsPath
		}
		return c
	}
	a.API, a.WebSocket, a.Worker = fill(a.API), fill(a.WebSocket), fill(a.Worker)
	if a.Queue == "" {
		a.Queue = DefaultQueue
	}
	return a
}

// Validate reports every problem of the app, each naming its field.
func (a App) Validate(prefix string) error {
	p := problems{prefix: prefix}
	for _, c := range []struct {
		field string
		c     Container
	}{{"api", a.API}, {"websocket", a.WebSocket}, {"worker", a.Worker}} {
		if err := PinnedImage(c.c.Image); err != nil {
			p.addf(c.field+".image", "%v", err)
		}
		if c.c.Port < 1 || c.c.Port > 65535 {
			p.addf(c.field+".port", "%d is not a port (want 1 to 65535)", c.c.Port)
		}
		if !strings.HasPrefix(c.c.HealthPath, "/") {
			p.addf(c.field+".healthPath", "%q is not a path (want it to start with /, for example /healthz)", c.c.HealthPath)
		}
		// A metrics port that is the process's own is checked above, once.
		if m := c.c.Metrics.Port; m != c.c.Port && (m < 1 || m > 65535) {
			p.addf(c.field+".metrics.port", "%d is not a port (want 1 to 65535; default the process's port)", c.c.Metrics.Port)
		}
		if !strings.HasPrefix(c.c.Metrics.Path, "/") {
			p.addf(c.field+".metrics.path", "%q is not a path (want it to start with /, for example /metrics)", c.c.Metrics.Path)
		}
		for i, k := range c.c.Reads {
			field := fmt.Sprintf("%s.reads.%d", c.field, i)
			switch {
			case !slices.Contains(Settings(), k):
				p.addf(field, "%q is not one of the stack's settings (want one of %s)", k, oneOf(Settings()...))
			case slices.Index(c.c.Reads, k) < i:
				p.addf(field, "%q is already entry %d (want each setting once)", k, slices.Index(c.c.Reads, k))
			}
		}
		keys := make([]string, 0, len(c.c.Env))
		for k := range c.c.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch {
			case !envName.MatchString(k):
				p.addf(c.field+".env."+k, "is not an environment variable name (want letters, digits and underscores)")
			case slices.Contains(Reserved, k):
				p.addf(c.field+".env."+k, "is set by scalestack from the stack's outputs (want another name; reserved: %s)", oneOf(Reserved...))
			}
		}
	}
	if !envName.MatchString(a.Queue) && !regexp.MustCompile(`^[a-z0-9:_-]+$`).MatchString(a.Queue) {
		p.addf("queue", "%q is not a Redis key name (want lowercase letters, digits, colons, dashes and underscores)", a.Queue)
	}
	return errors.Join(p.errs...)
}

// PinnedImage checks that an image names a version tag or a digest, never latest.
func PinnedImage(image string) error {
	if image == "" {
		return errors.New("is empty (want an image such as ghcr.io/acme/api:1.4.2)")
	}
	if name, d, ok := strings.Cut(image, "@"); ok {
		if name == "" || !digest.MatchString(d) {
			return fmt.Errorf("%q has a malformed digest (want name@sha256: and 64 lowercase hexadecimal characters)", image)
		}
		return nil
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	if !ok || tag == "" || tag == "latest" {
		return fmt.Errorf("%q is not pinned (want a version tag or a digest, never latest)", image)
	}
	return nil
}
