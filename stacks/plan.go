package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/scalestack/scalestack/internal/plan"
	"github.com/scalestack/scalestack/internal/recorder"
)

// ProjectName is the Pulumi project's name, as in Pulumi.yaml. Cloud-side names start with it.
const ProjectName = "scalestack"

// Plan runs the real program offline, in-process under the recording mocks, and returns every
// resource it registers. It needs no cloud account and no Pulumi CLI.
func Plan(stack string, raw map[string]string, secretKeys []string) (plan.Plan, error) {
	return recorder.Run(ProjectName, stack, raw, secretKeys, MockOutputs, Program)
}

// MockOutputs stands in for what the providers compute on create, so that the program's use of
// those values (a kubeconfig, a database's private host) runs offline as it does for real. The
// values are placeholders derived from the resource name; secrets stay secret.
func MockOutputs(typ, name string, _ resource.PropertyMap) resource.PropertyMap {
	host := resource.NewProperty(name + ".private.db.example")
	secret := func(v string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(v)) }
	switch typ {
	case "digitalocean:index/kubernetesCluster:KubernetesCluster":
		return resource.PropertyMap{
			"endpoint": resource.NewProperty("https://" + name + ".k8s.example"),
			"kubeConfigs": resource.NewProperty([]resource.PropertyValue{
				resource.NewProperty(resource.PropertyMap{"rawConfig": secret("kubeconfig of " + name)}),
			}),
		}
	case "digitalocean:index/databaseCluster:DatabaseCluster":
		return resource.PropertyMap{
			"privateHost": host,
			"port":        resource.NewProperty(25060.0),
			"user":        resource.NewProperty("doadmin"),
			"password":    secret("password of " + name),
		}
	case "digitalocean:index/databaseReplica:DatabaseReplica":
		return resource.PropertyMap{"privateHost": host, "port": resource.NewProperty(25060.0)}
	case "digitalocean:index/databaseUser:DatabaseUser":
		return resource.PropertyMap{"password": secret("password of " + name)}
	case "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool":
		return resource.PropertyMap{"privateUri": secret("postgresql://pool-of-" + name)}
	}
	return nil
}
