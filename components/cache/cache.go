// Package cache is the managed cache: on DigitalOcean a Valkey cluster with standby nodes and an
// eviction policy, on the private network, behind a firewall that admits only the Kubernetes
// cluster; on AWS an ElastiCache replication group in cluster mode, encrypted, behind a security
// group that admits only the cluster's nodes.
package cache

import (
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/do"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// Type is the component's type token.
const Type = types.ComponentCache

// Spec is the cache and where it goes.
type Spec struct {
	spec.Placement
	spec.Cache
	// Maintenance is the weekly window for engine patches, shared with the cluster.
	Maintenance spec.Maintenance
}

// WithDefaults fills the documented defaults.
func (s Spec) WithDefaults() Spec {
	s.Cache = s.Cache.WithDefaults()
	s.Maintenance = s.Maintenance.WithDefaults()
	return s
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	return errors.Join(s.Placement.Validate(), s.Cache.Validate("cache.", s.Cloud), s.Maintenance.ValidateFor(s.Cloud))
}

// Args connects the cache to the network and the cluster that may reach it.
type Args struct {
	VpcID     pulumi.StringInput
	ClusterID pulumi.StringInput
	// PrivateSubnetIDs and NodeSecurityGroupID place the cache and admit the cluster's nodes
	// (AWS).
	PrivateSubnetIDs    pulumi.StringArrayInput
	NodeSecurityGroupID pulumi.StringInput
}

// Cache is the component.
type Cache struct {
	pulumi.ResourceState

	// PrivateHost and Port reach the primary on the private network.
	PrivateHost pulumi.StringOutput `pulumi:"privateHost"`
	Port        pulumi.IntOutput    `pulumi:"port"`
	// URL is the private, TLS connection URL with credentials, secret.
	URL pulumi.StringOutput `pulumi:"url"`
	// Password is the cache's credential, secret (KEDA reads it to watch the worker queue).
	Password pulumi.StringOutput `pulumi:"password"`
	// ClusterMode says the cache speaks the Redis Cluster protocol (AWS): clients must use a
	// cluster client with the URL's host as the configuration endpoint.
	ClusterMode pulumi.BoolOutput `pulumi:"clusterMode"`
	// TLS says connections are encrypted (managed caches); the local cloud's in-cluster cache
	// is reached in plain text inside its network policies.
	TLS pulumi.BoolOutput `pulumi:"tls"`
	// CloudID is the managed cache's id in the cloud (DigitalOcean), for its alert policies;
	// Members are ElastiCache's node ids (AWS), which CloudWatch measures each of.
	CloudID pulumi.StringInput
	Members []string
}

// New builds the cache.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*Cache, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("cache %q: %w", name, err)
	}
	if args == nil || args.VpcID == nil || args.ClusterID == nil {
		return nil, fmt.Errorf("cache %q: args.VpcID and args.ClusterID are required", name)
	}
	if s.Cloud == spec.AWS && (args.PrivateSubnetIDs == nil || args.NodeSecurityGroupID == nil) {
		return nil, fmt.Errorf("cache %q: args.PrivateSubnetIDs and args.NodeSecurityGroupID are required on aws", name)
	}
	c := &Cache{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	switch s.Cloud {
	case spec.DigitalOcean:
		if err := c.digitalOcean(ctx, name, s, args); err != nil {
			return nil, err
		}
		c.ClusterMode = pulumi.Bool(false).ToBoolOutput()
		c.TLS = pulumi.Bool(true).ToBoolOutput()
	case spec.AWS:
		if err := c.aws(ctx, name, s, args); err != nil {
			return nil, err
		}
		c.TLS = pulumi.Bool(true).ToBoolOutput()
	case spec.Local:
		if err := c.local(ctx, name, s); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("cache %q: cloud %q is not built by this component yet (want digitalocean, aws or local)", name, s.Cloud)
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"privateHost": c.PrivateHost,
		"port":        c.Port,
		"url":         c.URL,
		"clusterMode": c.ClusterMode,
		"password":    c.Password,
		"tls":         c.TLS,
	})
}

func (c *Cache) digitalOcean(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	valkey, err := digitalocean.NewDatabaseCluster(ctx, name+"-valkey", &digitalocean.DatabaseClusterArgs{
		Name:               pulumi.String(names.DNS(name, 63)),
		Engine:             pulumi.String(s.Engine),
		Version:            pulumi.String(s.Version),
		Size:               pulumi.String(s.Size.DigitalOcean),
		Region:             pulumi.String(s.Region),
		NodeCount:          pulumi.Int(1 + s.Standby.DigitalOcean),
		PrivateNetworkUuid: args.VpcID,
		EvictionPolicy:     pulumi.String(s.DigitalOceanEvictionPolicy()),
		MaintenanceWindows: do.MaintenanceWindows(s.Maintenance),
	}, pulumi.Parent(c), pulumi.Protect(s.Protect))
	if err != nil {
		return err
	}
	if err := do.ClusterOnlyFirewall(ctx, name+"-firewall", valkey.ID(), args.ClusterID, c); err != nil {
		return err
	}
	c.CloudID = valkey.ID()
	c.PrivateHost = valkey.PrivateHost
	c.Port = valkey.Port
	// DigitalOcean's managed Valkey speaks TLS only: rediss://.
	c.URL = pulumi.ToSecret(pulumi.Sprintf("rediss://%s:%s@%s:%d", valkey.User, valkey.Password, valkey.PrivateHost, valkey.Port)).(pulumi.StringOutput)
	c.Password = pulumi.ToSecret(valkey.Password).(pulumi.StringOutput)
	return nil
}
