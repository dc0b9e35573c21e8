package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/stacks/tiers"
)

func raw(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		raw   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "100k"),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "nyc3", c.Region)
				assert.True(t, c.Protect)
				assert.Equal(t, 2, c.Preset.Database.Replicas)
				assert.Equal(t, spec.DefaultCIDR, c.Preset.Network.CIDR)
			},
		},
		{
			name: "aws with per-cloud counts",
			raw: raw("scalestack:cloud", "aws", "scalestack:tier", "1m", "scalestack:region", "eu-west-1",
				"scalestack:overrides", `{"cache":{"shards":{"digitalocean":1,"aws":6}},"database":{"standby":1,"backupDays":30},"network":{"availabilityZones":["eu-west-1a","eu-west-1b","eu-west-1c"]}}`),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, spec.AWS, c.Cloud)
				assert.Equal(t, "eu-west-1", c.Region)
				assert.Equal(t, spec.PerCloudInt{DigitalOcean: 1, AWS: 6}, c.Preset.Cache.Shards)
				assert.Equal(t, spec.Same(1), c.Preset.Database.Standby, "a plain number is every cloud's")
				assert.Equal(t, 30, c.Preset.Database.BackupDays)
				assert.Equal(t, "db.m7g.2xlarge", c.Preset.Database.Size.AWS)
			},
		},
		{
			name: "the app's processes",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:app", `{"api":{"image":"ghcr.io/acme/api:1.4.2","port":3000,"healthPath":"/healthz","env":{"LOG_LEVEL":"info"}},"queue":"jobs:high"}`),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "ghcr.io/acme/api:1.4.2", c.App.API.Image)
				assert.Equal(t, 3000, c.App.API.Port)
				assert.Equal(t, spec.PlaceholderImage, c.App.Worker.Image, "a process left out runs the placeholder")
				assert.Equal(t, "jobs:high", c.App.Queue)
			},
		},
		{
			name: "aws default region",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:budget", "400"),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, 400, c.Budget)
				assert.Nil(t, c.Policies)
				assert.Equal(t, "us-east-1", c.Region)
				assert.Equal(t, 7, c.Preset.Database.BackupDays)
			},
		},
		{
			name: "admin ranges, and aws:region repeating scalestack:region",
			raw: raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:region", "ap-southeast-7", "aws:region", "ap-southeast-7",
				"scalestack:adminCidrs", `["203.0.113.0/24","198.51.100.7/32","0.0.0.0/0"]`),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "ap-southeast-7", c.Region, "an opt-in region is on the list")
				assert.Equal(t, spec.AdminCIDRs{"203.0.113.0/24", "198.51.100.7/32", "0.0.0.0/0"}, c.AdminCIDRs, "0.0.0.0/0 is allowed when written")
			},
		},
		{
			name: "no admin ranges: Pulumi.yaml's default leaves the API open",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:adminCidrs", "[]"),
			check: func(t *testing.T, c Config) {
				assert.Nil(t, c.AdminCIDRs)
			},
		},
		{
			name: "aws:region is not checked on another cloud",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "aws:region", "eu-west-1"),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "nyc3", c.Region)
			},
		},
		{
			name: "overrides that leave defaulted keys out get the defaults",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:overrides", `{"workloads":{"websocket":{"minReplicas":2},"pooler":{"resources":{"cpu":"100m","memory":"64Mi","cpuLimit":"1","memoryLimit":"256Mi"}}}}`),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, spec.DefaultConnectionsPerPod, c.Preset.Workloads.WebSocket.ConnectionsPerPod)
				assert.Equal(t, 1, c.Preset.Workloads.WebSocket.LoadBalancerNodes)
			},
		},
		{
			name: "provider keys are left alone",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "digitalocean:token", "[secret]"),
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "1k", c.Tier)
			},
		},
		{
			name: "overrides merge key by key",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "100k", "scalestack:protect", "false",
				"scalestack:overrides", `{"database":{"replicas":3,"size":{"digitalocean":"db-s-4vcpu-8gb"}}}`),
			check: func(t *testing.T, c Config) {
				assert.False(t, c.Protect)
				assert.Equal(t, 3, c.Preset.Database.Replicas)
				assert.Equal(t, 1, c.Preset.Database.Standby.DigitalOcean, "untouched keys keep the preset")
				assert.Equal(t, "db-s-4vcpu-8gb", c.Preset.Database.ReplicaSize.DigitalOcean, "replica size follows the overridden primary")
			},
		},
		{
			name: "a list replaces the preset's list",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:overrides", `{"cluster":{"appPools":[{"name":"web","size":{"digitalocean":"c-4"},"minNodes":2,"maxNodes":4}]}}`),
			check: func(t *testing.T, c Config) {
				require.Len(t, c.Preset.Cluster.AppPools, 1)
				assert.Equal(t, "web", c.Preset.Cluster.AppPools[0].Name)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tt.raw)
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  map[string]string
		want []string // every line must appear in the error
	}{
		{
			name: "nothing set",
			raw:  raw(),
			want: []string{
				`stacks: config "scalestack:cloud": is not set (want one of digitalocean, aws, local)`,
				`stacks: config "scalestack:tier": is not set (want one of 1k, 10k, 100k, 1m)`,
			},
		},
		{
			name: "every problem at once",
			raw: raw("scalestack:cloud", "gcp", "scalestack:tier", "50k", "scalestack:protect", "yes",
				"scalestack:domain", "Not A Domain", "scalestack:teir", "1k", "scalestack:budget", "-5",
				"scalestack:policies", `{"budgets": "advisory", "budget": "warn"}`),
			want: []string{
				`stacks: config "scalestack:policies": "budget": warn is not a level (want one of advisory, mandatory, disabled)`,
				`stacks: config "scalestack:policies": "budgets" is not a rule (want one of stateful-protected,`,
				`stacks: config "scalestack:budget": "-5" is not a whole number of dollars (want 0 for none, or a monthly ceiling such as 500)`,
				`stacks: config "scalestack:cloudflareZoneId": is not set, and scalestack:domain is "Not A Domain"`,
				`stacks: config "scalestack:teir": not a scalestack key (want one of cloud, tier, region, domain, protect, overrides, budget, policies, app, kubeconfig, cloudflareZoneId, adminCidrs, capacity, slo, alerts, launch); did you mean "tier"?`,
				`stacks: config "scalestack:cloud": "gcp" is not a cloud (want one of digitalocean, aws, local)`,
				`stacks: config "scalestack:tier": "50k" is not a tier (want one of 1k, 10k, 100k, 1m)`,
				`stacks: config "scalestack:protect": "yes" is not a boolean (want true or false)`,
				`stacks: config "scalestack:domain": "Not A Domain" is not a domain name`,
			},
		},
		{
			name: "bad region",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:region", "us-east-1"),
			want: []string{`stacks: config "scalestack:region": "us-east-1" is not a DigitalOcean region with Kubernetes and databases (want one of ams3,`},
		},
		{
			name: "overrides not an object",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:overrides", `[1,2]`),
			want: []string{`stacks: config "scalestack:overrides": is a list (want an object`},
		},
		{
			name: "overrides malformed",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:overrides", `{"database":`),
			want: []string{`stacks: config "scalestack:overrides": is not a JSON or YAML object`},
		},
		{
			name: "unknown and mistyped override keys",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:overrides", `{"database":{"replicaz":2,"standby":"one","pool":{"size":2.5}},"tier":"1m","cluster":{"ha":1}}`),
			want: []string{
				`stacks: config "scalestack:overrides": "database.replicaz" is not a key (want one of backupDays, dbName, pool, replicaSize, replicas, size, standby, storageGiB, user, version)`,
				`stacks: config "scalestack:overrides": "database.standby": is the string "one" (want a whole number for every cloud, or an object with keys aws, digitalocean)`,
				`stacks: config "scalestack:overrides": "database.pool.size": is 2.5 (want a whole number)`,
				`stacks: config "scalestack:overrides": "tier" cannot be overridden (set scalestack:tier instead)`,
				`stacks: config "scalestack:overrides": "cluster.ha": is 1 (want true or false)`,
			},
		},
		{
			name: "overrides that break the preset",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:overrides", `{"database":{"standby":1,"pool":{"size":100}},"cache":{"size":{"digitalocean":"db-s-9vcpu"}},"cluster":{"appPools":[{"name":"app","size":{"digitalocean":"s-4vcpu-8gb"},"minNodes":4,"maxNodes":2}]}}`),
			want: []string{
				`stacks: tier 1k with scalestack:overrides: database.standby.digitalocean: 1 standby nodes need a plan with at least 2 GiB of memory, and "db-s-1vcpu-1gb" has 1 (want 0, or a larger size)`,
				`stacks: tier 1k with scalestack:overrides: database.pool.size: 100 is above 8, the most "db-s-1vcpu-1gb" allows`,
				`stacks: tier 1k with scalestack:overrides: cache.size.digitalocean: "db-s-9vcpu" is not a digitalocean cache size (want one of db-s-1vcpu-1gb,`,
				`stacks: tier 1k with scalestack:overrides: cluster.appPools.0.maxNodes: 2 is below minNodes 4 (want minNodes <= maxNodes)`,
			},
		},
		{
			name: "aws limits",
			raw: raw("scalestack:cloud", "aws", "scalestack:tier", "10k",
				"scalestack:overrides", `{"database":{"standby":2,"backupDays":40},"cluster":{"maintenance":{"day":"any"},"admins":["root"]},"cache":{"shards":{"aws":17}}}`),
			want: []string{
				`cluster.maintenance.day: "any" is not a day AWS can schedule (want one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)`,
				`cluster.admins.0: "root" is not an IAM role or user ARN`,
				`database.standby.aws: 2 is out of range (want 0, or 1 for a Multi-AZ instance: AWS keeps one standby)`,
				`database.backupDays: 40 is out of range (want 1 to 35 days)`,
				`cache.shards.aws: 17 is out of range (want 1 to 16)`,
			},
		},
		{
			name: "per-cloud counts are numbers or objects of clouds",
			raw: raw("scalestack:cloud", "aws", "scalestack:tier", "10k",
				"scalestack:overrides", `{"database":{"standby":{"gcp":1}},"cache":{"standby":[1]}}`),
			want: []string{
				`"cache.standby": is a list (want a whole number for every cloud, or an object with keys aws, digitalocean)`,
				`"database.standby.gcp" is not a key (want one of aws, digitalocean)`,
			},
		},
		{
			name: "a bad app",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:app", `{"api":{"image":"acme/api:latest","port":70000,"healthPath":"healthz","env":{"DATABASE_URL":"x","1BAD":"y"}}}`),
			want: []string{
				`stacks: config "scalestack:app": api.image: "acme/api:latest" is not pinned (want a version tag or a digest, never latest)`,
				`stacks: config "scalestack:app": api.port: 70000 is not a port (want 1 to 65535)`,
				`stacks: config "scalestack:app": api.healthPath: "healthz" is not a path`,
				`stacks: config "scalestack:app": api.env.1BAD: is not an environment variable name`,
				`stacks: config "scalestack:app": api.env.DATABASE_URL: is set by scalestack from the stack's outputs`,
			},
		},
		{
			name: "launch windows that say when, how long and how many",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "100k",
				"scalestack:launch", `[{"start":"Christmas","duration":"2d","users":0},{"start":"2026-12-24T18:00:00Z","duration":"30s"}]`),
			want: []string{
				`stacks: config "scalestack:launch": 0.start: "Christmas" is not a time (want RFC 3339, for example 2026-12-24T18:00:00Z)`,
				`stacks: config "scalestack:launch": 0.duration: "2d" is not a duration from 1m0s to 168h0m0s`,
				`stacks: config "scalestack:launch": 0.users: 0 (want the concurrent users expected, 1 to 1000000000)`,
				`stacks: config "scalestack:launch": 1.duration: "30s" is not a duration`,
				`stacks: config "scalestack:launch": 1.users: missing`,
			},
		},
		{
			name: "a launch window without KEDA",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "10k", "scalestack:launch", `[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":5000}]`,
				"scalestack:overrides", `{"workloads":{"addons":{"keda":false}}}`),
			want: []string{`stacks: config "scalestack:launch": needs KEDA to raise the minimums for a window, and workloads.addons.keda is off (want it on)`},
		},
		{
			name: "an app that reads what the stack does not set",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:app", `{"websocket":{"reads":["CACHE_URL","REDIS_URL","CACHE_URL"]}}`),
			want: []string{
				`stacks: config "scalestack:app": websocket.reads.1: "REDIS_URL" is not one of the stack's settings (want one of DATABASE_URL, DATABASE_PRIMARY_URL, DATABASE_REPLICA_URLS, CACHE_URL, CACHE_PASSWORD, SCALESTACK_TIER, QUEUE, CACHE_HOST, CACHE_PORT, CACHE_CLUSTER_MODE)`,
				`stacks: config "scalestack:app": websocket.reads.2: "CACHE_URL" is already entry 0 (want each setting once)`,
			},
		},
		{
			name: "an app with an unknown key",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:app", `{"api":{"imag":"x"}}`),
			want: []string{`stacks: config "scalestack:app": is not an app object (want keys api, websocket, worker and queue; each process with image, command, port, healthPath, env, metrics, reads): json: unknown field "imag"`},
		},
		{
			name: "DigitalOcean has no cache shards",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1m",
				"scalestack:overrides", `{"cache":{"shards":3,"engine":"redis"}}`),
			want: []string{
				`cache.shards.digitalocean: 3 needs cluster mode, which DigitalOcean's managed Valkey does not have (want 1 on digitalocean)`,
				`cache.engine: "redis" is no longer offered for new DigitalOcean clusters (want valkey)`,
			},
		},
		{
			name: "a tier in the wrong case",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "100K"),
			want: []string{`stacks: config "scalestack:tier": "100K" is not a tier (want one of 1k, 10k, 100k, 1m); did you mean "100k"?`},
		},
		{
			name: "an aws region that does not exist",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:region", "us-east-9"),
			want: []string{`stacks: config "scalestack:region": "us-east-9" is not an AWS region (want one of us-east-1, us-east-2,`},
		},
		{
			name: "a near aws region",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:region", "eu-wset-1"),
			want: []string{`; did you mean "eu-west-1"?`},
		},
		{
			name: "aws:region alone",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "aws:region", "eu-west-1"),
			want: []string{`stacks: config "aws:region": "eu-west-1" is set without scalestack:region, the region scalestack builds in (want scalestack:region: eu-west-1, and aws:region removed or the same: scalestack ignores aws:region)`},
		},
		{
			name: "aws:region differs",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:region", "us-east-1", "aws:region", "eu-west-1"),
			want: []string{`stacks: config "aws:region": "eu-west-1" differs from scalestack:region "us-east-1", the region scalestack builds in (want one region: remove aws:region or set it to us-east-1; scalestack ignores aws:region)`},
		},
		{
			name: "capacity overrides name the figure and the allowed keys",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:capacity", `{"demand":{"requestsPerUser":"lots","cpuSeconds":1,"writeShare":2},"limits":{"digitalocean":{"droplets":1.5}},"parts":{"addons":1},"seeds":{}}`),
			want: []string{
				`stacks: config "scalestack:capacity": "demand.cpuSeconds" is not a figure (want one of requestsPerUser, cpuSecondsPerRequest, queriesPerUser, writeShare, querySeconds, poolHeadroom, clientConnectionsPerPod, webSocketsPerUser, reconnectsPerUser, cacheKiBPerUser, cacheSharedMiB, jobsPerUser, cpuSecondsPerJob)`,
				`stacks: config "scalestack:capacity": "demand.requestsPerUser": the string "lots" is not a number`,
				`stacks: config "scalestack:capacity": "limits.digitalocean.droplets": 1.5 is not a whole number of 0 or more`,
				`stacks: config "scalestack:capacity": "parts.addons" is not a figure (want one of ingress, loadBalancers, database, cache, nodes)`,
				`stacks: config "scalestack:capacity": "seeds" is not a key (want one of demand, headroom, parts, limits)`,
			},
		},
		{
			name: "slo and alerts name the field and what is allowed",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:slo", "0.2s",
				"scalestack:alerts", `{"slack":"http://hooks.example","pagerduty":"short","email":"not an address","smtp":{"smarthost":"smtp","from":"x","username":"u"}}`),
			want: []string{
				`stacks: config "scalestack:slo": "0.2s" is not a latency in whole milliseconds (want 1 to 60000; default 200, seed 001's p99)`,
				`stacks: config "scalestack:alerts": slack: is not an https URL (want the incoming webhook's URL, https://hooks.slack.com/services/...)`,
				`stacks: config "scalestack:alerts": pagerduty: is not an Events API v2 routing key (want the 32 letters and digits of the service's integration key)`,
				`stacks: config "scalestack:alerts": email: "not an address" is not an e-mail address`,
				`stacks: config "scalestack:alerts": smtp.smarthost: "smtp" is not host:port (want for example smtp.example.com:587)`,
				`stacks: config "scalestack:alerts": smtp.from: "x" is not an e-mail address`,
				`stacks: config "scalestack:alerts": smtp.username: and smtp.password go together`,
			},
		},
		{
			name: "alerts is an object of known receivers",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:alerts", `{"sms":"+15550100"}`),
			want: []string{`stacks: config "scalestack:alerts": is not an alerts object (want an object of slack, slackChannel, pagerduty, email and smtp, for example {"slack": "https://hooks.slack.com/services/...", "slackChannel": "#alerts"}; set it with pulumi config set --secret): json: unknown field "sms"`},
		},
		{
			name: "alerts is one object",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:alerts", `{"email":"a@example.com"} {"email":"b@example.com"}`),
			want: []string{`stacks: config "scalestack:alerts": has more after its object (want an object of slack, slackChannel, pagerduty, email and smtp, for example {"slack": "https://hooks.slack.com/services/...", "slackChannel": "#alerts"}; set it with pulumi config set --secret)`},
		},
		{
			name: "alerts is not null",
			raw:  raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k", "scalestack:alerts", `null`),
			want: []string{`stacks: config "scalestack:alerts": is null (want an object of slack, slackChannel, pagerduty, email and smtp, for example {"slack": "https://hooks.slack.com/services/...", "slackChannel": "#alerts"}; set it with pulumi config set --secret)`},
		},
		{
			name: "explicit zeros are not defaults",
			raw: raw("scalestack:cloud", "digitalocean", "scalestack:tier", "1k",
				"scalestack:overrides", `{"workloads":{"websocket":{"loadBalancerNodes":0,"connectionsPerPod":0,"cpuTarget":0,"connectionTarget":0,"loadBalancers":0},"ingress":{"cpuTarget":0},"worker":{"queueLength":0},"pooler":{"replicas":0,"maxClientConnections":0}},"edge":{"cacheTTLSeconds":0},"database":{"backupDays":0},"network":{"zones":0}}`),
			want: []string{
				`stacks: config "scalestack:overrides": "workloads.websocket.loadBalancerNodes": 0 is not allowed (want at least 1, or leave the key out for the default)`,
				`stacks: config "scalestack:overrides": "workloads.websocket.connectionsPerPod": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.websocket.cpuTarget": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.websocket.connectionTarget": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.websocket.loadBalancers": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.ingress.cpuTarget": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.worker.queueLength": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.pooler.replicas": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "workloads.pooler.maxClientConnections": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "edge.cacheTTLSeconds": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "database.backupDays": 0 is not allowed`,
				`stacks: config "scalestack:overrides": "network.zones": 0 is not allowed`,
			},
		},
		{
			name: "installed add-ons are switched on, listed once, and ones the cluster can run",
			raw: raw("scalestack:cloud", "local", "scalestack:tier", "10k", "scalestack:kubeconfig", "k.yaml",
				"scalestack:overrides", `{"workloads":{"addons":{"keda":false,"installed":["keda","ingress","monitoring","monitoring","grafana"]}}}`),
			want: []string{
				`stacks: tier 10k with scalestack:overrides: workloads.addons.installed.0: "keda" is installed but workloads.addons.keda is false (want keda: true, or "keda" left out of installed)`,
				`stacks: tier 10k with scalestack:overrides: workloads.addons.installed.1: "ingress" cannot be left to the cluster: scalestack's ingress load balancer and edge settings come with its own release (want one of metricsServer, keda, monitoring, vpa; or ingress: false to route with a controller of your own)`,
				`stacks: tier 10k with scalestack:overrides: workloads.addons.installed.3: "monitoring" is already entry 2 (want each add-on once)`,
				`stacks: tier 10k with scalestack:overrides: workloads.addons.installed.4: "grafana" is not an add-on (want one of metricsServer, keda, monitoring, vpa)`,
			},
		},
		{
			name: "installed is a list",
			raw: raw("scalestack:cloud", "local", "scalestack:tier", "10k", "scalestack:kubeconfig", "k.yaml",
				"scalestack:overrides", `{"workloads":{"addons":{"installed":"keda"}}}`),
			want: []string{`stacks: config "scalestack:overrides": "workloads.addons.installed": is a string (want a list; a list replaces the preset's whole list)`},
		},
		{
			name: "bad admin ranges",
			raw: raw("scalestack:cloud", "aws", "scalestack:tier", "1k",
				"scalestack:adminCidrs", `["203.0.113.7","10.0.0.5/24","office","2001:db8::/129","203.0.113.0/24","203.0.113.0/24","2001:db8::/48"]`),
			want: []string{
				`stacks: config "scalestack:adminCidrs": 0: "203.0.113.7" is an address, not a CIDR (want 203.0.113.7/32 for that one address)`,
				`stacks: config "scalestack:adminCidrs": 1: "10.0.0.5/24" has host bits set (want 10.0.0.0/24)`,
				`stacks: config "scalestack:adminCidrs": 2: "office" is not a CIDR (want an IPv4 range such as 203.0.113.0/24)`,
				`stacks: config "scalestack:adminCidrs": 3: "2001:db8::/129" is not a CIDR`,
				`stacks: config "scalestack:adminCidrs": 5: "203.0.113.0/24" is already entry 4 (want each range once)`,
				`stacks: config "scalestack:adminCidrs": 6: "2001:db8::/48" is an IPv6 range (want IPv4 ranges: EKS and DOKS restrict their API by IPv4 only)`,
			},
		},
		{
			name: "admin ranges not a list",
			raw:  raw("scalestack:cloud", "aws", "scalestack:tier", "1k", "scalestack:adminCidrs", `203.0.113.0/24`),
			want: []string{`stacks: config "scalestack:adminCidrs": is not a list of CIDRs (want for example ["203.0.113.0/24", "198.51.100.7/32"], or leave it unset for an API open to every address)`},
		},
		{
			name: "admin ranges on the local cloud",
			raw:  raw("scalestack:cloud", "local", "scalestack:tier", "1k", "scalestack:kubeconfig", "k.yaml", "scalestack:adminCidrs", `["203.0.113.0/24"]`),
			want: []string{`stacks: config "scalestack:adminCidrs": is set for local (want it only on digitalocean or aws`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.raw)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, strings.Split(err.Error(), "\n"), len(tt.want), "one line a problem:\n%s", err)
		})
	}
}

func TestRawRoundTrips(t *testing.T) {
	t.Parallel()
	in := raw("scalestack:cloud", "digitalocean", "scalestack:tier", "10k", "scalestack:domain", "example.com", "scalestack:cloudflareZoneId", "023e105f4ecef8ad9ca31a8372d0c353",
		"scalestack:overrides", `{"database":{"replicas":1}}`, "scalestack:adminCidrs", `["203.0.113.0/24"]`)
	c, err := Parse(in)
	require.NoError(t, err)
	again, err := Parse(c.Raw())
	require.NoError(t, err)
	assert.Equal(t, c, again)
}

func TestParseStackFile(t *testing.T) {
	t.Parallel()
	sf, err := ParseStackFile([]byte(`
config:
  scalestack:tier: 100k
  scalestack:cloud: digitalocean
  scalestack:protect: false
  digitalocean:token:
    secure: v1:abc
  scalestack:overrides:
    database:
      replicas: 3
`))
	require.NoError(t, err)
	assert.Equal(t, "false", sf.Raw["scalestack:protect"])
	assert.Equal(t, SecretPlaceholder, sf.Raw["digitalocean:token"])
	assert.Equal(t, []string{"digitalocean:token"}, sf.Secrets)
	assert.JSONEq(t, `{"database":{"replicas":3}}`, sf.Raw["scalestack:overrides"])
	c, err := Parse(sf.Raw)
	require.NoError(t, err)
	assert.Equal(t, 3, c.Preset.Database.Replicas)

	_, err = ParseStackFile([]byte("config: [1, 2]\n"))
	require.ErrorContains(t, err, "not a stack settings file")
	_, err = ParseStackFile([]byte("confg:\n  scalestack:tier: 1k\n"))
	require.ErrorContains(t, err, "unknown top-level keys confg")
}

// fuzzKeys are the keys FuzzParse feeds, in the order of its arguments: every key of Keys
// (TestFuzzCoversEveryKey holds it to that), plus aws:region, which Parse checks on aws.
var fuzzKeys = []string{KeyCloud, KeyTier, KeyRegion, KeyDomain, KeyProtect, KeyOverrides, KeyBudget, KeyPolicies, KeyApp, KeyKubeconfig, KeyZoneID, KeyAdminCIDRs, KeyCapacity, KeySLO, KeyAlerts, AWSRegionKey, KeyLaunch}

// fuzzSeeds are FuzzParse's seed corpus, one value a fuzzKeys entry; between them every key
// has a value, and the first three parse (TestFuzzSeedsCoverEveryKey).
var fuzzSeeds = [][]string{
	{"digitalocean", "100k", "nyc3", "example.com", "true", `{"database":{"replicas":3}}`, "500", `{"stateful-protected":"advisory"}`,
		`{"api":{"image":"ghcr.io/acme/api:1.4.2","port":3000}}`, "", "023e105f4ecef8ad9ca31a8372d0c353", `["203.0.113.0/24","198.51.100.7/32"]`, `{"limits":{"digitalocean":{"droplets":100}}}`, "250", `{"slack":"https://hooks.slack.com/services/T000/B000/XXXX","slackChannel":"#alerts"}`, "", `[{"start":"2026-12-24T18:00:00Z","duration":"2h","users":100000}]`},
	{"aws", "1m", "eu-west-1", "", "false", `{"cluster":{"admins":["arn:aws:iam::123456789012:role/ops"]}}`, "0", "{}",
		`{"worker":{"image":"ghcr.io/acme/w@sha256:` + strings.Repeat("a", 64) + `"}}`, "", "", `["0.0.0.0/0"]`, `{"demand":{"requestsPerUser":0.08}}`, "", `{"pagerduty":"0123456789abcdef0123456789abcdef","email":"oncall@example.com","smtp":{"smarthost":"smtp.example.com:587","from":"alerts@example.com"}}`, "eu-west-1", "[]"},
	{"local", "1k", "", "", "", "", "", "", "", "/tmp/kubeconfig", "", "", "", "", "", "", ""},
	{"digitalocean", "10k", "fra1", "Example.com", "yes", `{"network":{"cidr":"10.0.0.0/8"},"tier":null}`, "-1", `{"budget":"warn"}`,
		`{"api":{"image":"acme/api@sha256:abc"}}`, "k", "xyz", `["10.0.0.5/24"]`, `{"demand":{"requestsPerUser":-1}}`, "0", `{"slack":"http://x","email":"nope"}`, "us-east-1", `[{"start":"tomorrow","duration":"1d","users":0}]`},
	{"aws", "1K", "us-east-9", "", "true", `{"workloads":{"websocket":{"loadBalancerNodes":0}}}`, "", "", "", "", "", `"x"`, `{"limits":{"aws":{"droplets":1}}}`, "1.5", `{"sms":"1"}`, "eu-west-1", `{"start":"x"}`},
}

func TestFuzzCoversEveryKey(t *testing.T) {
	t.Parallel()
	for _, k := range Keys {
		assert.Contains(t, fuzzKeys, k, "FuzzParse feeds every key of Keys")
	}
}

func TestFuzzSeedsCoverEveryKey(t *testing.T) {
	t.Parallel()
	for i, k := range fuzzKeys {
		set := false
		for _, seed := range fuzzSeeds {
			require.Len(t, seed, len(fuzzKeys))
			set = set || seed[i] != ""
		}
		assert.True(t, set, "some seed sets %s", k)
	}
	for _, seed := range fuzzSeeds[:3] {
		_, err := Parse(fuzzRaw(seed))
		assert.NoError(t, err, "a valid seed: %q", seed)
	}
}

// fuzzRaw is the raw config of one fuzz input: an empty value is a key left out.
func fuzzRaw(values []string) map[string]string {
	in := map[string]string{}
	for i, k := range fuzzKeys {
		if values[i] == "" {
			continue
		}
		if !strings.Contains(k, ":") {
			k = Key(k)
		}
		in[k] = values[i]
	}
	return in
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16])
	}
	f.Fuzz(func(t *testing.T, cloud, tier, region, domain, protect, overrides, budget, policies, app, kubeconfig, zoneID, adminCIDRs, capacityModel, slo, alerts, awsRegion, launch string) {
		c, err := Parse(fuzzRaw([]string{cloud, tier, region, domain, protect, overrides, budget, policies, app, kubeconfig, zoneID, adminCIDRs, capacityModel, slo, alerts, awsRegion, launch}))
		if err != nil {
			return
		}
		again, err := Parse(c.Raw())
		if err != nil {
			t.Fatalf("a parsed config does not parse again: %v", err)
		}
		if !assert.ObjectsAreEqual(c, again) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, again)
		}
	})
}

func TestReadStackFileWantsTheStackInTheName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := []byte("config:\n  scalestack:cloud: digitalocean\n  scalestack:tier: 1k\n")
	for name, stack := range map[string]string{"Pulumi.prod.yaml": "prod", "Pulumi.eu-west.yml": "eu-west"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, body, 0o600))
		sf, err := ReadStackFile(path)
		require.NoError(t, err)
		assert.Equal(t, stack, sf.Stack)
	}
	for _, name := range []string{"prod.yaml", "Pulumi.yaml", "pulumi.prod.yaml", "Pulumi..yaml", "stack.json"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, body, 0o600))
		_, err := ReadStackFile(path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), fmt.Sprintf("stacks: stack file %s: %q is not named Pulumi.<stack>.yaml (want", path, name))
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{"100K", "100k"},
		{"1M", "1m"},
		{"teir", "tier"},
		{"plna", "plan"},
		{"chekc", "check"},
		{"regoin", "region"},
		{"50k", ""},
		{"us-east-9", ""},
		{"1g", ""},
		{"deploy", ""},
		{"", ""},
	}
	candidates := append([]string{"plan", "cost", "check"}, append(Keys, "1k", "10k", "100k", "1m")...)
	for _, tt := range tests {
		assert.Equal(t, tt.want, Suggest(tt.got, candidates), tt.got)
	}
}

// The AWS region list is data with its source: every code has the form AWS uses, once.
func TestAWSRegions(t *testing.T) {
	t.Parallel()
	form := regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	seen := map[string]bool{}
	for _, r := range AWSRegions {
		assert.Regexp(t, form, r.Code)
		assert.NotEmpty(t, r.Name, r.Code)
		assert.False(t, seen[r.Code], "%s is listed twice", r.Code)
		seen[r.Code] = true
	}
	for _, code := range []string{DefaultRegions[spec.AWS], "eu-central-2", "mx-central-1", "us-gov-west-1"} {
		assert.True(t, seen[code], code)
	}
	assert.False(t, seen["us-east-9"])
}

// The tier files pass the check the overrides get: no key there is unknown, mistyped, or an
// explicit 0 for a key whose default applies only when it is left out.
func TestTierFilesPassTheOverridesCheck(t *testing.T) {
	t.Parallel()
	for _, tier := range tiers.Names {
		b, err := tiers.Raw(tier)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal(b, &doc))
		delete(doc, "tier")
		j, err := json.Marshal(doc)
		require.NoError(t, err)
		var asJSON any
		require.NoError(t, json.Unmarshal(j, &asJSON))
		var errs []error
		checkValue(reflect.TypeFor[tiers.Preset](), "", asJSON, &errs)
		assert.Empty(t, errs, tier)
	}
}
