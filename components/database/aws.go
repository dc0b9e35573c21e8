package database

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/amazon"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/internal/password"
	"github.com/scalestack/scalestack/components/spec"
)

// RDS settings that are the same for every tier.
const (
	pgPort = 5432
	// defaultStorageGiB is gp3's baseline (3,000 IOPS from any size); storage grows on its own
	// up to storageGrowth times this.
	defaultStorageGiB = 20
	storageGrowth     = 10
	// slowQueryMillis logs statements slower than a second.
	slowQueryMillis = "1000"
)

// aws builds RDS for PostgreSQL: a primary (Multi-AZ when the tier has a standby) with
// encrypted gp3 storage that grows on its own, backups, deletion protection and a final
// snapshot; read replicas; a parameter group that requires TLS; a subnet group over the private
// subnets; and a security group that admits only the cluster's nodes. The master password is
// generated on create and kept in state as a secret. Pooling is PgBouncer in the cluster (the
// workloads run it), so the pooled URL points at its Service.
func (d *Database) aws(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	parent := pulumi.Parent(d)
	maintenance, backup, err := s.Maintenance.AWSWindows()
	if err != nil {
		return err
	}
	sg, err := amazon.ClusterOnlySecurityGroup(ctx, name+"-sg", "PostgreSQL of "+name+": the cluster's nodes only",
		args.VpcID, args.NodeSecurityGroupID, pgPort, d)
	if err != nil {
		return err
	}
	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("private subnets of " + name),
		SubnetIds:   args.PrivateSubnetIDs,
	}, parent)
	if err != nil {
		return err
	}
	params, err := rds.NewParameterGroup(ctx, name+"-pg"+s.Version, &rds.ParameterGroupArgs{
		// The family is part of the resource's name: a major upgrade brings a new group up
		// beside the old one.
		Family:      pulumi.String("postgres" + s.Version),
		Description: pulumi.String("PostgreSQL " + s.Version + " settings of " + name),
		Parameters: rds.ParameterGroupParameterArray{
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1")},
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("log_min_duration_statement"), Value: pulumi.String(slowQueryMillis)},
		},
	}, parent)
	if err != nil {
		return err
	}
	generated, err := password.New()
	if err != nil {
		return fmt.Errorf("database %q: %w", name, err)
	}
	storage := s.StorageGiB
	if storage == 0 {
		storage = defaultStorageGiB
	}
	identifier := names.DNS(name, 63)
	d.Identifiers = []string{identifier}
	stateful := []pulumi.ResourceOption{parent, pulumi.Protect(s.Protect)}
	common := func(a *rds.InstanceArgs) *rds.InstanceArgs {
		a.StorageType = pulumi.String("gp3")
		// Replicas grow their storage on their own too, or a grown primary fills them.
		a.MaxAllocatedStorage = pulumi.Int(storage * storageGrowth)
		a.StorageEncrypted = pulumi.Bool(true)
		a.PubliclyAccessible = pulumi.Bool(false)
		a.VpcSecurityGroupIds = pulumi.StringArray{sg.ID()}
		a.ParameterGroupName = params.Name
		a.AutoMinorVersionUpgrade = pulumi.Bool(true)
		// The version is pinned in config: changing it is the decision to upgrade.
		a.AllowMajorVersionUpgrade = pulumi.Bool(true)
		a.MaintenanceWindow = pulumi.String(maintenance)
		a.DeletionProtection = pulumi.Bool(s.Protect)
		a.CopyTagsToSnapshot = pulumi.Bool(true)
		// A tier switch resizes now, not at the next window: the upgrade is for a spike.
		a.ApplyImmediately = pulumi.Bool(true)
		return a
	}
	primary, err := rds.NewInstance(ctx, name+"-primary", common(&rds.InstanceArgs{
		Identifier:                   pulumi.String(identifier),
		Engine:                       pulumi.String("postgres"),
		EngineVersion:                pulumi.String(s.Version),
		InstanceClass:                pulumi.String(s.Size.AWS),
		MultiAz:                      pulumi.Bool(s.Standby.AWS > 0),
		AllocatedStorage:             pulumi.Int(storage),
		DbName:                       pulumi.String(s.DBName),
		Username:                     pulumi.String(s.User),
		Password:                     generated,
		DbSubnetGroupName:            subnets.Name,
		BackupRetentionPeriod:        pulumi.Int(s.BackupDays),
		BackupWindow:                 pulumi.String(backup),
		SkipFinalSnapshot:            pulumi.Bool(false),
		FinalSnapshotIdentifier:      pulumi.String(identifier + "-final"),
		EnabledCloudwatchLogsExports: pulumi.ToStringArray([]string{"postgresql"}),
	}), append(stateful,
		// The password is made on create; later runs make another, which must not rotate it.
		pulumi.IgnoreChanges([]string{"password"}),
		pulumi.AdditionalSecretOutputs([]string{"password"}))...)
	if err != nil {
		return err
	}

	replicaURLs := pulumi.StringArray{}
	for i := 1; i <= s.Replicas; i++ {
		replicaName := fmt.Sprintf("%s-replica-%d", name, i)
		d.Identifiers = append(d.Identifiers, names.DNS(replicaName, 63))
		replica, err := rds.NewInstance(ctx, replicaName, common(&rds.InstanceArgs{
			Identifier:        pulumi.String(names.DNS(replicaName, 63)),
			ReplicateSourceDb: primary.Identifier,
			InstanceClass:     pulumi.String(s.ReplicaSize.AWS),
			// A replica keeps no backups of its own and has no final snapshot: the primary's
			// are the copies that matter.
			SkipFinalSnapshot: pulumi.Bool(true),
		}), stateful...)
		if err != nil {
			return err
		}
		replicaURLs = append(replicaURLs, pgURL(primary.Username, primary.Password, replica.Address, replica.Port, s.DBName))
	}

	d.PrivateHost = primary.Address
	d.Port = primary.Port
	d.User = primary.Username
	d.Password = pulumi.ToSecret(primary.Password.Elem()).(pulumi.StringOutput)
	d.PrimaryURL = pgURL(primary.Username, primary.Password, primary.Address, primary.Port, s.DBName)
	// The hop to PgBouncer stays inside the cluster, behind its network policies, and PgBouncer
	// speaks TLS to RDS: the app's side is plain.
	d.PooledURL = pgURL(primary.Username, primary.Password, pulumi.String(spec.PoolerHost()).ToStringOutput(),
		pulumi.Int(spec.PoolerPort).ToIntOutput(), s.DBName, "disable")
	d.ReplicaURLs, d.ReplicaEndpoints = pulumi.ToSecret(replicaURLs.ToStringArrayOutput()).(pulumi.StringArrayOutput), len(replicaURLs)
	return nil
}

// pgURL is a TLS-only connection URL, secret.
func pgURL(user pulumi.StringOutput, password pulumi.StringPtrOutput, host pulumi.StringOutput, port pulumi.IntOutput, db string, sslmode ...string) pulumi.StringOutput {
	mode := "require"
	if len(sslmode) > 0 {
		mode = sslmode[0]
	}
	url := pulumi.All(user, password, host, port).ApplyT(func(v []any) string {
		pw := ""
		if p, ok := v[1].(*string); ok && p != nil {
			pw = *p
		}
		return fmt.Sprintf("postgresql://%s:%s@%s:%d/%s?sslmode=%s", v[0].(string), pw, v[2].(string), v[3].(int), db, mode)
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(url).(pulumi.StringOutput)
}
