// Package do holds the DigitalOcean pieces that more than one component builds the same way.
package do

import (
	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
)

// ClusterOnlyFirewall admits only the Kubernetes cluster to a managed database or cache.
func ClusterOnlyFirewall(ctx *pulumi.Context, name string, databaseID pulumi.StringInput, kubernetesClusterID pulumi.StringInput, parent pulumi.Resource) error {
	_, err := digitalocean.NewDatabaseFirewall(ctx, name, &digitalocean.DatabaseFirewallArgs{
		ClusterId: databaseID,
		Rules: digitalocean.DatabaseFirewallRuleArray{
			&digitalocean.DatabaseFirewallRuleArgs{Type: pulumi.String("k8s"), Value: kubernetesClusterID},
		},
	}, pulumi.Parent(parent))
	return err
}

// MaintenanceWindows is a managed database's weekly window, as DigitalOcean spells it (HH:MM:SS).
func MaintenanceWindows(m spec.Maintenance) digitalocean.DatabaseClusterMaintenanceWindowArray {
	return digitalocean.DatabaseClusterMaintenanceWindowArray{
		&digitalocean.DatabaseClusterMaintenanceWindowArgs{
			Day:  pulumi.String(m.Day),
			Hour: pulumi.String(m.StartTime + ":00"),
		},
	}
}
