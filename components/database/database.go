// Package database is managed PostgreSQL: on DigitalOcean a database cluster with standby nodes,
// read-only replicas, the application's database and role, a PgBouncer pool in transaction
// mode and a firewall that admits only the Kubernetes cluster, all on the private network; on
// AWS an RDS instance (Multi-AZ for a standby) with read replicas, behind a security group that
// admits only the cluster's nodes, pooled by PgBouncer in the cluster.
package database

import (
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"
	"strconv"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/do"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// Type is the component's type token.
const Type = types.ComponentDatabase

// Spec is the database and where it goes.
type Spec struct {
	spec.Placement
	spec.Database
	// Maintenance is the weekly window for engine patches, shared with the cluster.
	Maintenance spec.Maintenance
	// Monitored databases get a role of their own for their exporters where the cloud's API
	// makes one (DigitalOcean): it reads the statistics views, and owns nothing.
	Monitored bool
}

// MonitorRole is the database role of the exporters, where the cloud makes one.
const MonitorRole = "scalestack-monitor"

// WithDefaults fills the documented defaults.
func (s Spec) WithDefaults() Spec {
	s.Database = s.Database.WithDefaults()
	s.Maintenance = s.Maintenance.WithDefaults()
	return s
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	return errors.Join(s.Placement.Validate(), s.Database.Validate("database.", s.Cloud), s.Maintenance.ValidateFor(s.Cloud))
}

// Args connects the database to the network and the cluster that may reach it.
type Args struct {
	VpcID     pulumi.StringInput
	ClusterID pulumi.StringInput
	// PrivateSubnetIDs and NodeSecurityGroupID place the database and admit the cluster's
	// nodes (AWS).
	PrivateSubnetIDs    pulumi.StringArrayInput
	NodeSecurityGroupID pulumi.StringInput
}

// Database is the component.
type Database struct {
	pulumi.ResourceState

	// PrivateHost and Port reach the primary on the private network.
	PrivateHost pulumi.StringOutput `pulumi:"privateHost"`
	Port        pulumi.IntOutput    `pulumi:"port"`
	// User and Password are the app's role and its password (secret): what an in-cluster
	// PgBouncer needs to reach the primary.
	User     pulumi.StringOutput `pulumi:"user"`
	Password pulumi.StringOutput `pulumi:"password"`
	// PrimaryURL is the primary's private connection URL for the app's role, secret.
	PrimaryURL pulumi.StringOutput `pulumi:"primaryUrl"`
	// PooledURL is the PgBouncer pool's private connection URL, secret.
	PooledURL pulumi.StringOutput `pulumi:"pooledUrl"`
	// PoolPort is the port the pooled URL connects to on the private network: DigitalOcean's
	// managed pool's own; elsewhere the pooler is in the cluster and this is the database's.
	PoolPort pulumi.IntOutput `pulumi:"poolPort"`
	// ReplicaURLs are the read replicas' private connection URLs, secret; ReplicaEndpoints is
	// how many there are (one a replica, or one Service in front of the local cloud's).
	ReplicaURLs      pulumi.StringArrayOutput `pulumi:"replicaUrls"`
	ReplicaEndpoints int
	// MonitorUser and MonitorPassword are the exporters' role (MonitorRole) where the cloud
	// makes one; nil elsewhere, where they read with User's.
	MonitorUser, MonitorPassword pulumi.StringInput
	// CloudID is the managed database's id in the cloud (DigitalOcean), for its alert
	// policies; Identifiers are the RDS instances' (AWS), the primary's first, then each
	// replica's, which CloudWatch measures.
	CloudID     pulumi.StringInput
	Identifiers []string
}

// New builds the database.
func New(ctx *pulumi.Context, name string, s Spec, args *Args, opts ...pulumi.ResourceOption) (*Database, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("database %q: %w", name, err)
	}
	if args == nil || args.VpcID == nil || args.ClusterID == nil {
		return nil, fmt.Errorf("database %q: args.VpcID and args.ClusterID are required", name)
	}
	if s.Cloud == spec.AWS && (args.PrivateSubnetIDs == nil || args.NodeSecurityGroupID == nil) {
		return nil, fmt.Errorf("database %q: args.PrivateSubnetIDs and args.NodeSecurityGroupID are required on aws", name)
	}
	d := &Database{}
	if err := ctx.RegisterComponentResource(Type, name, d, opts...); err != nil {
		return nil, err
	}
	switch s.Cloud {
	case spec.DigitalOcean:
		if err := d.digitalOcean(ctx, name, s, args); err != nil {
			return nil, err
		}
	case spec.AWS:
		if err := d.aws(ctx, name, s, args); err != nil {
			return nil, err
		}
		d.PoolPort = d.Port
	case spec.Local:
		if err := d.local(ctx, name, s); err != nil {
			return nil, err
		}
		d.PoolPort = d.Port
	default:
		return nil, fmt.Errorf("database %q: cloud %q is not built by this component yet (want digitalocean, aws or local)", name, s.Cloud)
	}
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{
		"privateHost": d.PrivateHost,
		"port":        d.Port,
		"user":        d.User,
		"password":    d.Password,
		"primaryUrl":  d.PrimaryURL,
		"pooledUrl":   d.PooledURL,
		"poolPort":    d.PoolPort,
		"replicaUrls": d.ReplicaURLs,
	})
}

func (d *Database) digitalOcean(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	stateful := []pulumi.ResourceOption{pulumi.Parent(d), pulumi.Protect(s.Protect)}
	clusterArgs := &digitalocean.DatabaseClusterArgs{
		Name:               pulumi.String(names.DNS(name, 63)),
		Engine:             pulumi.String("pg"),
		Version:            pulumi.String(s.Version),
		Size:               pulumi.String(s.Size.DigitalOcean),
		Region:             pulumi.String(s.Region),
		NodeCount:          pulumi.Int(1 + s.Standby.DigitalOcean),
		PrivateNetworkUuid: args.VpcID,
		MaintenanceWindows: do.MaintenanceWindows(s.Maintenance),
	}
	if s.StorageGiB > 0 {
		clusterArgs.StorageSizeMib = pulumi.String(strconv.Itoa(s.StorageGiB * 1024))
	}
	pg, err := digitalocean.NewDatabaseCluster(ctx, name+"-pg", clusterArgs, stateful...)
	if err != nil {
		return err
	}

	db, err := digitalocean.NewDatabaseDb(ctx, name+"-db-"+s.DBName, &digitalocean.DatabaseDbArgs{
		ClusterId: pg.ID(),
		Name:      pulumi.String(s.DBName),
	}, pulumi.Parent(d), pulumi.Protect(s.Protect))
	if err != nil {
		return err
	}
	user, err := digitalocean.NewDatabaseUser(ctx, name+"-user-"+s.User, &digitalocean.DatabaseUserArgs{
		ClusterId: pg.ID(),
		Name:      pulumi.String(s.User),
	}, pulumi.Parent(d))
	if err != nil {
		return err
	}

	// A pool cannot change in place, so its size is in its name: a new size is a new pool that
	// comes up beside the old one (the Spec keeps room for both), and the old one goes after the
	// app has the new URL.
	poolName := fmt.Sprintf("%s-%s-%d", s.DBName, s.Pool.Mode, s.Pool.Size)
	pool, err := digitalocean.NewDatabaseConnectionPool(ctx, name+"-pool-"+poolName, &digitalocean.DatabaseConnectionPoolArgs{
		ClusterId: pg.ID(),
		Name:      pulumi.String(poolName),
		Mode:      pulumi.String(s.Pool.Mode),
		Size:      pulumi.Int(s.Pool.Size),
		DbName:    db.Name,
		User:      user.Name,
	}, pulumi.Parent(d))
	if err != nil {
		return err
	}

	replicaURLs := pulumi.StringArray{}
	for i := 1; i <= s.Replicas; i++ {
		replica, err := digitalocean.NewDatabaseReplica(ctx, fmt.Sprintf("%s-replica-%d", name, i), &digitalocean.DatabaseReplicaArgs{
			ClusterId:          pg.ID(),
			Name:               pulumi.String(names.DNS(fmt.Sprintf("%s-replica-%d", name, i), 63)),
			Size:               pulumi.String(s.ReplicaSize.DigitalOcean),
			Region:             pulumi.String(s.Region),
			PrivateNetworkUuid: args.VpcID,
		}, stateful...)
		if err != nil {
			return err
		}
		replicaURLs = append(replicaURLs, withCredentials(replica.PrivateHost, replica.Port, user, s.DBName))
	}

	if err := do.ClusterOnlyFirewall(ctx, name+"-firewall", pg.ID(), args.ClusterID, d); err != nil {
		return err
	}

	if s.Monitored {
		monitor, err := digitalocean.NewDatabaseUser(ctx, name+"-user-"+MonitorRole, &digitalocean.DatabaseUserArgs{
			ClusterId: pg.ID(),
			Name:      pulumi.String(MonitorRole),
		}, pulumi.Parent(d))
		if err != nil {
			return err
		}
		d.MonitorUser, d.MonitorPassword = monitor.Name, pulumi.ToSecret(monitor.Password).(pulumi.StringOutput)
	}

	d.CloudID = pg.ID()
	d.PrivateHost = pg.PrivateHost
	d.Port = pg.Port
	d.User = user.Name
	d.Password = pulumi.ToSecret(user.Password).(pulumi.StringOutput)
	d.PrimaryURL = withCredentials(pg.PrivateHost, pg.Port, user, s.DBName)
	d.PooledURL = pulumi.ToSecret(pool.PrivateUri).(pulumi.StringOutput)
	d.PoolPort = pool.Port
	d.ReplicaURLs, d.ReplicaEndpoints = pulumi.ToSecret(replicaURLs.ToStringArrayOutput()).(pulumi.StringArrayOutput), len(replicaURLs)
	return nil
}

// withCredentials builds a private, TLS-only connection URL for the app's role.
func withCredentials(host pulumi.StringOutput, port pulumi.IntOutput, user *digitalocean.DatabaseUser, db string) pulumi.StringOutput {
	url := pulumi.Sprintf("postgresql://%s:%s@%s:%d/%s?sslmode=require", user.Name, user.Password, host, port, db)
	return pulumi.ToSecret(url).(pulumi.StringOutput)
}
