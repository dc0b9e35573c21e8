// Package stacks is what one environment is: its configuration, resolved onto a tier preset, and
// Deploy, which wires the components together. Data flows one way: config -> tier Spec ->
// components -> resources.
package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/alerts"
	"github.com/scalestack/scalestack/components/cache"
	"github.com/scalestack/scalestack/components/cluster"
	"github.com/scalestack/scalestack/components/database"
	"github.com/scalestack/scalestack/components/edge"
	"github.com/scalestack/scalestack/components/network"
	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/internal/recorder"
	"github.com/scalestack/scalestack/plan"
	"github.com/scalestack/scalestack/plan/types"
	"github.com/scalestack/scalestack/signals"
	"github.com/scalestack/scalestack/simulate"
	"github.com/scalestack/scalestack/stacks/config"
	"github.com/scalestack/scalestack/stacks/tiers"
	"github.com/scalestack/scalestack/workloads"
)

// Load reads the stack's configuration from the Pulumi context. Under `pulumi up` the language
// host also passes the whole configuration in PULUMI_CONFIG; any scalestack key found there that
// this project does not know is reported, so a misspelt key fails instead of being ignored.
func Load(ctx *pulumi.Context) (config.Config, error) {
	raw := map[string]string{}
	for _, k := range config.Keys {
		if v, ok := ctx.GetConfig(config.Key(k)); ok {
			raw[config.Key(k)] = v
		}
	}
	// aws:region is read only to be checked: scalestack builds in scalestack:region.
	if v, ok := ctx.GetConfig(config.AWSRegionKey); ok {
		raw[config.AWSRegionKey] = v
	}
	if env := os.Getenv(pulumi.EnvConfig); env != "" {
		var all map[string]string
		if err := json.Unmarshal([]byte(env), &all); err != nil {
			return config.Config{}, fmt.Errorf("stacks: %s is not a JSON object of config values: %w", pulumi.EnvConfig, err)
		}
		for k, v := range all {
			if strings.HasPrefix(k, config.Namespace+":") {
				raw[k] = v
			}
		}
	}
	if err := config.CheckSecrets(raw, ctx.IsConfigSecret); err != nil {
		return config.Config{}, err
	}
	return config.Parse(raw)
}

// Platform is what Deploy built.
type Platform struct {
	Network  *network.Network
	Cluster  *cluster.Cluster
	Database *database.Database
	Cache    *cache.Cache
	Addons   *workloads.Platform
	App      *workloads.App
}

// Deploy builds the platform a configuration describes.
func Deploy(ctx *pulumi.Context, cfg config.Config) (*Platform, error) {
	return deploy(ctx, cfg, true)
}

// deploy builds the platform, and with signals its alerts and dashboards, which are made from
// the plan of the rest (signalsOf).
func deploy(ctx *pulumi.Context, cfg config.Config, withSignals bool) (*Platform, error) {
	if err := ctx.RegisterStackTransformation(tagTransform(Tags(ctx.Project(), ctx.Stack()), TagMap(ctx.Project(), ctx.Stack()))); err != nil {
		return nil, err
	}
	base := ctx.Project() + "-" + ctx.Stack()
	place := spec.Placement{Cloud: cfg.Cloud, Region: cfg.Region, Protect: cfg.Protect}
	p := cfg.Preset
	opts, err := cloudProvider(ctx, cfg)
	if err != nil {
		return nil, err
	}

	monitoring := p.Workloads.Addons.Monitoring
	// The plan of the rest, for what is made from it: the launch windows' minimums (the
	// workloads' cron triggers, and the NodePools' windows without disruption), the signals.
	var inner plan.Plan
	if withSignals && (len(cfg.Launch) > 0 || monitoring || cfg.Cloud != spec.Local) {
		if inner, err = innerPlan(ctx.Project(), ctx.Stack(), cfg); err != nil {
			return nil, err
		}
	}
	var prescale []spec.Prescale
	if withSignals && len(cfg.Launch) > 0 {
		if prescale, err = prescaleOf(inner, cfg); err != nil {
			return nil, err
		}
	}

	// Karpenter finds the private subnets and the cluster's security group by this tag value.
	karpenter := cfg.Cloud == spec.AWS && p.Workloads.Addons.Karpenter
	var discovery string
	if karpenter {
		discovery = base
	}
	net, err := network.New(ctx, base+"-network", network.Spec{Placement: place, Network: p.Network, Discovery: discovery}, opts...)
	if err != nil {
		return nil, err
	}
	cl, err := cluster.New(ctx, base+"-cluster", cluster.Spec{Placement: place, Cluster: p.Cluster, Autoscaler: p.Workloads.Addons.ClusterAutoscaler, AdminCIDRs: cfg.AdminCIDRs,
		Karpenter: karpenter, Zones: p.Network.WithDefaults().ZoneNames(cfg.Region), Discovery: discovery, Windows: prescale},
		&cluster.Args{VpcID: net.VpcID, PrivateSubnetIDs: net.PrivateSubnetIDs, Kubeconfig: kubeconfig(cfg)}, opts...)
	if err != nil {
		return nil, err
	}
	// The local cloud's PostgreSQL and Valkey run in the cluster: through its provider, never
	// through whatever cluster an ambient kubeconfig points at.
	dataOpts := opts
	if cfg.Cloud == spec.Local {
		dataOpts = append(slices.Clip(opts), pulumi.Providers(cl.Provider))
	}
	db, err := database.New(ctx, base+"-db", database.Spec{Placement: place, Database: p.Database, Maintenance: p.Cluster.Maintenance, Monitored: monitoring},
		&database.Args{VpcID: net.VpcID, ClusterID: cl.ClusterID, PrivateSubnetIDs: net.PrivateSubnetIDs, NodeSecurityGroupID: cl.NodeSecurityGroupID}, dataOpts...)
	if err != nil {
		return nil, err
	}
	kv, err := cache.New(ctx, base+"-cache", cache.Spec{Placement: place, Cache: p.Cache, Maintenance: p.Cluster.Maintenance},
		&cache.Args{VpcID: net.VpcID, ClusterID: cl.ClusterID, PrivateSubnetIDs: net.PrivateSubnetIDs, NodeSecurityGroupID: cl.NodeSecurityGroupID}, dataOpts...)
	if err != nil {
		return nil, err
	}

	plat, err := workloads.NewPlatform(ctx, base+"-platform", workloads.PlatformSpec{
		Placement: place, Addons: p.Workloads.Addons, SystemPool: p.Cluster.SystemPool.Name, Ingress: p.Workloads.Ingress, Edge: cfg.Domain != "",
		Alerts: !cfg.Alerts.Empty(),
	}, cl.Provider)
	if err != nil {
		return nil, err
	}
	var addons []pulumi.Resource
	if plat.VPA != nil {
		addons = append(addons, plat.VPA)
	}
	if plat.KEDA != nil {
		addons = append(addons, plat.KEDA)
	}
	app, err := workloads.New(ctx, base+"-app", workloads.Spec{
		Placement: place, Tier: cfg.Tier, Workloads: p.Workloads, App: cfg.App,
		PoolSize: p.Database.Pool.Size, PoolMode: p.Database.Pool.Mode, NetworkCIDR: p.Network.CIDR, Edge: cfg.Domain != "", Domain: cfg.Domain,
		SystemPool: p.Cluster.SystemPool.Name, Replicas: db.ReplicaEndpoints, Prescale: prescale,
	}, &workloads.Args{
		Provider:  cl.Provider,
		PooledURL: db.PooledURL, PrimaryURL: db.PrimaryURL, ReplicaURLs: db.ReplicaURLs,
		DatabaseHost: db.PrivateHost, DatabasePort: db.Port, DatabaseUser: db.User, DatabasePassword: db.Password, DatabaseName: p.Database.DBName, PoolPort: db.PoolPort,
		MonitorUser: db.MonitorUser, MonitorPassword: db.MonitorPassword,
		CacheURL: kv.URL, CacheHost: kv.PrivateHost, CachePort: kv.Port, CachePassword: kv.Password, CacheClusterMode: kv.ClusterMode, CacheTLS: kv.TLS,
		DependsOn: addons, Monitoring: plat.Monitoring,
	})
	if err != nil {
		return nil, err
	}

	var set signals.Set
	if withSignals && (monitoring || cfg.Cloud != spec.Local) {
		if set, err = signalsOf(inner, ctx.Stack(), cfg); err != nil {
			return nil, err
		}
	}
	if withSignals && len(set.Alarms) > 0 {
		if _, err := alerts.New(ctx, base+"-alerts", alerts.Spec{Placement: place, Alarms: set.Alarms, Receivers: cfg.Alerts},
			&alerts.Args{ClusterID: cl.ClusterID, DatabaseID: db.CloudID, CacheID: kv.CloudID, Databases: db.Identifiers, CacheMembers: kv.Members}, opts...); err != nil {
			return nil, err
		}
	}
	if monitoring && withSignals {
		var am pulumi.StringInput
		if !cfg.Alerts.Empty() {
			b, err := signals.AlertmanagerConfig(cfg.Alerts)
			if err != nil {
				return nil, fmt.Errorf("stacks: config %q: %w", config.Key(config.KeyAlerts), err)
			}
			am = pulumi.ToSecret(pulumi.String(string(b))).(pulumi.StringOutput)
		}
		if _, err := workloads.NewSignals(ctx, base+"-signals", workloads.SignalsSpec{Set: set, Alertmanager: am}, cl.Provider, plat.Monitoring); err != nil {
			return nil, err
		}
	}

	if cfg.Domain != "" {
		// The origin certificate goes where TLS ends: the app's namespace (the WebSocket pods
		// mount it, so it must not wait for them) and, with the add-on, ingress-nginx's.
		tlsNamespaces, tlsDeps := []string{workloads.Namespace}, []pulumi.Resource{app.NamespaceObject}
		if plat.Ingress != nil {
			tlsNamespaces, tlsDeps = append(tlsNamespaces, workloads.IngressNamespace), append(tlsDeps, plat.Ingress)
		}
		if _, err := edge.New(ctx, base+"-edge", edge.Spec{Edge: p.Edge, Domain: cfg.Domain, ZoneID: cfg.ZoneID},
			&edge.Args{IngressHost: plat.IngressHost, WebSocketHost: app.WebSocketHost, WebSocketHosts: app.WebSocketHostList, Provider: cl.Provider,
				TLSNamespaces: tlsNamespaces, DependsOn: tlsDeps}); err != nil {
			return nil, err
		}
	}

	ctx.Export("cloud", pulumi.String(cfg.Cloud))
	ctx.Export("tier", pulumi.String(cfg.Tier))
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("clusterId", cl.ClusterID)
	ctx.Export("kubeconfig", cl.Kubeconfig)
	ctx.Export("databasePooledUrl", db.PooledURL)
	ctx.Export("cacheUrl", kv.URL)
	ctx.Export("cacheClusterMode", kv.ClusterMode)
	ctx.Export("websocketHost", app.WebSocketHost)
	ctx.Export("websocketHosts", app.WebSocketHosts)
	return &Platform{Network: net, Cluster: cl, Database: db, Cache: kv, Addons: plat, App: app}, nil
}

// innerPlan is the plan of everything but what is made from a plan (the signals, the launch
// windows), run in-process under the recording mocks: the program is deterministic, so it is
// the plan the engine applies.
func innerPlan(project, stack string, cfg config.Config) (plan.Plan, error) {
	p, err := recorder.Run(project, stack, nil, nil, MockOutputs, func(ctx *pulumi.Context) error {
		_, err := deploy(ctx, cfg, false)
		return err
	})
	if err != nil {
		return plan.Plan{}, fmt.Errorf("stacks: the plan the signals and launch windows are made from: %w", err)
	}
	return p, nil
}

// prescaleOf is what the launch windows hold, for the workloads' cron triggers.
func prescaleOf(p plan.Plan, cfg config.Config) ([]spec.Prescale, error) {
	ws, err := simulate.Windows(p, cfg.Capacity, cfg.Cloud, cfg.Tier, cfg.Launch)
	if err != nil {
		return nil, fmt.Errorf("stacks: config %q: %w", config.Key(config.KeyLaunch), err)
	}
	var out []spec.Prescale
	for _, w := range ws {
		out = append(out, w.Prescale)
	}
	return out, nil
}

// signalsOf is a stack's alerts and dashboards from the inner plan, weighed by the capacity
// model at the preset's users. The rules' limits are that
// report's capacities: the same numbers as `scalestack capacity`.
func signalsOf(p plan.Plan, stack string, cfg config.Config) (signals.Set, error) {
	baseline, err := tiers.BaselineUsers(cfg.Tier, cfg.Preset.Users)
	if err != nil {
		return signals.Set{}, err
	}
	set, _, err := signals.ForPlan(p, cfg.Capacity, signals.Options{
		Cloud: cfg.Cloud, Tier: cfg.Tier, Next: tiers.Next(cfg.Tier), SLOMilliseconds: cfg.SLOMilliseconds, Namespace: workloads.Namespace,
		Installed: cfg.Preset.Workloads.Addons.Installed, Stack: stack,
	}, cfg.Preset.Users, baseline)
	if err != nil {
		return signals.Set{}, fmt.Errorf("stacks: signals: %w", err)
	}
	return set, nil
}

// kubeconfig is the local cloud's kubeconfig as a secret input; nil elsewhere.
func kubeconfig(cfg config.Config) pulumi.StringInput {
	if cfg.Cloud != spec.Local {
		return nil
	}
	return pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput)
}

// Program is the Pulumi program: load the configuration, then deploy it.
func Program(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	_, err = Deploy(ctx, cfg)
	return err
}

// Tags are the tags every taggable resource carries. They never include the tier: a tag change
// replaces a DigitalOcean read replica.
func Tags(project, stack string) []string {
	return []string{"scalestack", "scalestack-project-" + project, "scalestack-stack-" + stack}
}

// TagMap is the same as key-value tags, for clouds whose tags are maps (AWS). A resource's own
// tags (its Name) stay; these are added beside them.
func TagMap(project, stack string) map[string]string {
	return map[string]string{
		"scalestack":         "true",
		"scalestack:project": project,
		"scalestack:stack":   stack,
	}
}

// tagTransform sets the stack's tags on every resource whose arguments have Tags. A list
// (DigitalOcean) is set only on a resource that sets none itself: a resource with its own list
// keeps it as it is. A map (AWS) is merged: the resource's own keys win, the stack's are added
// beside them. It is the one place tags come from, so no component repeats them.
func tagTransform(list []string, kv map[string]string) pulumi.ResourceTransformation {
	values := pulumi.ToStringArray(list)
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		if strings.HasPrefix(args.Type, "cloudflare:") {
			// Cloudflare record tags are name:value pairs on paid plans only; its resources
			// carry a comment instead.
			return nil
		}
		if args.Type == types.DOMonitorAlert {
			// An alert policy's tags select what it watches: the stack's tags would point a
			// database's policy at every Droplet and database of the stack.
			return nil
		}
		v := reflect.ValueOf(args.Props)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil
		}
		field := v.Elem().FieldByName("Tags")
		if !field.IsValid() || !field.CanSet() {
			return nil
		}
		switch field.Type() {
		case reflect.TypeFor[pulumi.StringArrayInput]():
			if !field.IsNil() {
				return nil
			}
			field.Set(reflect.ValueOf(pulumi.StringArrayInput(values)))
		case reflect.TypeFor[pulumi.StringMapInput]():
			merged := pulumi.StringMap{}
			if !field.IsNil() {
				own, ok := field.Interface().(pulumi.StringMap)
				if !ok {
					return nil // tags computed from outputs: leave them as the resource made them
				}
				for k, v := range own {
					merged[k] = v
				}
			}
			for k, v := range kv {
				if _, ok := merged[k]; !ok {
					merged[k] = pulumi.String(v)
				}
			}
			field.Set(reflect.ValueOf(pulumi.StringMapInput(merged)))
		default:
			return nil
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
	}
}
