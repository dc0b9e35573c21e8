package stacks

import (
	"encoding/base64"
	"github.com/scalestack/scalestack/plan/types"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/scalestack/scalestack/internal/recorder"
	"github.com/scalestack/scalestack/plan"
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
func MockOutputs(typ, name string, inputs resource.PropertyMap) resource.PropertyMap {
	out := mockOutputs(typ, name, inputs)
	if _, named := inputs["name"]; !named && strings.HasPrefix(typ, "aws:") {
		// Pulumi names AWS resources that are given no name: the resource's name and a suffix.
		if out == nil {
			out = resource.PropertyMap{}
		}
		out["name"] = resource.NewProperty(name + "-0000000")
	}
	return out
}

func mockOutputs(typ, name string, inputs resource.PropertyMap) resource.PropertyMap {
	host := resource.NewProperty(name + ".private.db.example")
	secret := func(v string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(v)) }
	switch typ {
	case types.DOKubernetesCluster:
		return resource.PropertyMap{
			"endpoint": resource.NewProperty("https://" + name + ".k8s.example"),
			"kubeConfigs": resource.NewProperty([]resource.PropertyValue{
				resource.NewProperty(resource.PropertyMap{"rawConfig": secret("kubeconfig of " + name)}),
			}),
		}
	case types.DODatabaseCluster:
		return resource.PropertyMap{
			"privateHost": host,
			"port":        resource.NewProperty(25060.0),
			"user":        resource.NewProperty("doadmin"),
			"password":    secret("password of " + name),
		}
	case types.DODatabaseReplica:
		return resource.PropertyMap{"privateHost": host, "port": resource.NewProperty(25060.0)}
	case types.DODatabaseUser:
		return resource.PropertyMap{"password": secret("password of " + name)}
	case types.DODatabaseConnectionPool:
		// The pool's name is the database name of its URL, as DigitalOcean's is: a pool of a
		// new size has a new URL.
		pool := name
		if v, ok := inputs["name"]; ok && v.IsString() {
			pool = v.StringValue()
		}
		return resource.PropertyMap{"privateUri": secret("postgresql://app@" + name + ".private.db.example:25061/" + pool), "port": resource.NewProperty(25061.0)}

	case types.AWSEKS:
		return resource.PropertyMap{
			"endpoint": resource.NewProperty("https://" + name + ".eks.example"),
			"certificateAuthority": resource.NewProperty(resource.PropertyMap{
				"data": resource.NewProperty("certificate of " + name),
			}),
			"identities": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
				"oidcs": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
					"issuer": resource.NewProperty("https://oidc.eks.example/id/" + name),
				})}),
			})}),
			"vpcConfig": resource.NewProperty(resource.PropertyMap{
				"clusterSecurityGroupId": resource.NewProperty(name + "-cluster-sg"),
			}),
		}
	case types.AWSRDSInstance:
		out := resource.PropertyMap{
			"address": resource.NewProperty(name + ".rds.example"),
			"port":    resource.NewProperty(5432.0),
		}
		if _, replica := inputs["replicateSourceDb"]; replica {
			// A replica inherits the primary's role; the provider reports it, not the program.
			out["username"] = resource.NewProperty("app")
		} else {
			// The password kept in state: the program makes a new one each run, which the
			// instance ignores, so what the app gets is the stored one.
			out["password"] = secret("password of " + name)
		}
		return out
	case types.AWSCacheReplicationGroup:
		return resource.PropertyMap{
			"configurationEndpointAddress": resource.NewProperty(name + ".cache.example"),
			"authToken":                    secret("token of " + name),
		}
	case types.AWSIAMOpenIdConnectProvider, types.AWSIAMRole:
		return resource.PropertyMap{"arn": resource.NewProperty("arn:aws:iam::123456789012:" + name)}
	case types.K8sService:
		// A load balancer's address, as the cloud reports it in the Service's status: a name on
		// AWS, an address elsewhere (from the documentation range).
		spec := inputs["spec"]
		if !spec.IsObject() || spec.ObjectValue()["type"].V != "LoadBalancer" {
			return nil
		}
		in := resource.PropertyMap{"ip": resource.NewProperty("203.0.113.10")}
		if meta := inputs["metadata"]; meta.IsObject() {
			if ann := meta.ObjectValue()["annotations"]; ann.IsObject() {
				if _, aws := ann.ObjectValue()["service.beta.kubernetes.io/aws-load-balancer-type"]; aws {
					in = resource.PropertyMap{"hostname": resource.NewProperty(name + ".elb.example")}
				}
			}
		}
		return resource.PropertyMap{"status": resource.NewProperty(resource.PropertyMap{
			"loadBalancer": resource.NewProperty(resource.PropertyMap{
				"ingress": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(in)}),
			}),
		})}
	case types.K8sSecret:
		if sd, ok := inputs["stringData"]; ok && sd.ContainsSecrets() {
			// Generated values kept in Secrets (passwords, the origin key): the stored value
			// of each key, as the API server returns it (base64 in data). A placeholder stands
			// in for the generated value so that plans are the same on every run.
			data := resource.PropertyMap{}
			if obj := secretObject(sd); obj != nil {
				for k := range obj {
					data[k] = resource.NewProperty(base64.StdEncoding.EncodeToString([]byte(string(k) + " of " + name)))
				}
			}
			return resource.PropertyMap{"data": resource.MakeSecret(resource.NewProperty(data))}
		}
	case types.CFOriginCaCertificate:
		return resource.PropertyMap{"certificate": resource.NewProperty("-----BEGIN CERTIFICATE-----\ncertificate of " + name + "\n-----END CERTIFICATE-----\n")}
	case types.AWSEip:
		return resource.PropertyMap{"allocationId": resource.NewProperty(name + "-allocation")}
	}
	return nil
}

// secretObject is the object inside a (possibly secret) property value; nil when it is none.
func secretObject(v resource.PropertyValue) resource.PropertyMap {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsObject() {
		return v.ObjectValue()
	}
	return nil
}
