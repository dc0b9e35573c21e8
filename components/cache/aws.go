package cache

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/amazon"
	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/internal/password"
)

// ElastiCache settings that are the same for every tier.
const (
	cachePort = 6379
	// snapshotDays keeps a day of snapshots: the cache holds nothing that cannot be rebuilt, but
	// a warm restart beats a cold one after a mistake.
	snapshotDays = 1
)

// aws builds an ElastiCache replication group in cluster mode at every tier, so that the shards
// a larger tier adds are online resharding, not a migration: encrypted at rest and in transit,
// with an auth token generated on create and kept in state as a secret; automatic failover and
// Multi-AZ when there are standbys; in the private subnets, behind a security group that admits
// only the cluster's nodes.
func (c *Cache) aws(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	parent := pulumi.Parent(c)
	maintenance, snapshot, err := s.Maintenance.AWSWindows()
	if err != nil {
		return err
	}
	sg, err := amazon.ClusterOnlySecurityGroup(ctx, name+"-sg", "Cache of "+name+": the cluster's nodes only",
		args.VpcID, args.NodeSecurityGroupID, cachePort, c)
	if err != nil {
		return err
	}
	subnets, err := elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{
		Name:        pulumi.String(names.DNS(name, 255)),
		Description: pulumi.String("private subnets of " + name),
		SubnetIds:   args.PrivateSubnetIDs,
	}, parent)
	if err != nil {
		return err
	}
	major, _, _ := strings.Cut(s.Version, ".")
	family := s.Engine + major
	params, err := elasticache.NewParameterGroup(ctx, name+"-"+family, &elasticache.ParameterGroupArgs{
		// The family is part of the name: a major upgrade brings a new group up beside the old.
		Name:        pulumi.String(names.DNS(name+"-"+family, 255)),
		Family:      pulumi.String(family),
		Description: pulumi.String(s.Engine + " " + major + " settings of " + name),
		Parameters: elasticache.ParameterGroupParameterArray{
			&elasticache.ParameterGroupParameterArgs{Name: pulumi.String("cluster-enabled"), Value: pulumi.String("yes")},
			&elasticache.ParameterGroupParameterArgs{Name: pulumi.String("maxmemory-policy"), Value: pulumi.String(s.EvictionPolicy)},
		},
	}, parent)
	if err != nil {
		return err
	}
	token, err := password.New()
	if err != nil {
		return fmt.Errorf("cache %q: %w", name, err)
	}
	version := s.Version
	if !strings.Contains(version, ".") {
		// ElastiCache names versions major.minor; minor and patch upgrades then come on their own.
		version += ".0"
	}
	standby := s.Standby.AWS
	groupID := names.DNS(name, 40)
	// In cluster mode ElastiCache names a group's nodes <group>-<shard, 4 digits>-<node, 3 digits>.
	for shard := 1; shard <= s.Shards.AWS; shard++ {
		for node := 1; node <= 1+standby; node++ {
			c.Members = append(c.Members, fmt.Sprintf("%s-%04d-%03d", groupID, shard, node))
		}
	}
	group, err := elasticache.NewReplicationGroup(ctx, name+"-group", &elasticache.ReplicationGroupArgs{
		ReplicationGroupId:       pulumi.String(groupID),
		Description:              pulumi.String(s.Engine + " of " + name),
		Engine:                   pulumi.String(s.Engine),
		EngineVersion:            pulumi.String(version),
		NodeType:                 pulumi.String(s.Size.AWS),
		Port:                     pulumi.Int(cachePort),
		ClusterMode:              pulumi.String("enabled"),
		NumNodeGroups:            pulumi.Int(s.Shards.AWS),
		ReplicasPerNodeGroup:     pulumi.Int(standby),
		AutomaticFailoverEnabled: pulumi.Bool(true), // required by cluster mode; acts once a shard has a replica
		MultiAzEnabled:           pulumi.Bool(standby > 0),
		ParameterGroupName:       params.Name,
		SubnetGroupName:          subnets.Name,
		SecurityGroupIds:         pulumi.StringArray{sg.ID()},
		AtRestEncryptionEnabled:  pulumi.Bool(true),
		TransitEncryptionEnabled: pulumi.Bool(true),
		AuthToken:                token,
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		MaintenanceWindow:        pulumi.String(maintenance),
		SnapshotWindow:           pulumi.String(snapshot),
		SnapshotRetentionLimit:   pulumi.Int(snapshotDays),
		// A tier switch resizes and reshards now, not at the next window.
		ApplyImmediately: pulumi.Bool(true),
	}, parent, pulumi.Protect(s.Protect),
		// The token is made on create; later runs make another, which must not rotate it.
		pulumi.IgnoreChanges([]string{"authToken"}),
		pulumi.AdditionalSecretOutputs([]string{"authToken"}))
	if err != nil {
		return err
	}
	c.PrivateHost = group.ConfigurationEndpointAddress
	c.Port = pulumi.Int(cachePort).ToIntOutput()
	c.ClusterMode = pulumi.Bool(true).ToBoolOutput()
	c.Password = pulumi.ToSecret(group.AuthToken.Elem()).(pulumi.StringOutput)
	c.URL = pulumi.ToSecret(pulumi.All(group.AuthToken, group.ConfigurationEndpointAddress).ApplyT(func(v []any) string {
		t := ""
		if p, ok := v[0].(*string); ok && p != nil {
			t = *p
		}
		return fmt.Sprintf("rediss://:%s@%s:%d", t, v[1].(string), cachePort)
	})).(pulumi.StringOutput)
	return nil
}
