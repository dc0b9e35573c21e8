// Package amazon holds the AWS pieces that more than one component builds the same way: ARNs by
// partition, IAM trust policies, and the security group that admits only the cluster's nodes.
package amazon

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Partition is the ARN partition of a region: aws, aws-us-gov or aws-cn.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	default:
		return "aws"
	}
}

// ManagedPolicy is the ARN of an AWS managed IAM policy, such as AmazonEKSClusterPolicy or
// service-role/AmazonEBSCSIDriverPolicy.
func ManagedPolicy(region, name string) string {
	return "arn:" + Partition(region) + ":iam::aws:policy/" + name
}

// ServiceTrust is a role's trust policy for an AWS service (eks.amazonaws.com).
func ServiceTrust(service string) pulumi.String {
	return pulumi.String(mustJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": service},
			"Action":    "sts:AssumeRole",
		}},
	}))
}

// ServiceAccountTrust is a role's trust policy for one Kubernetes service account through the
// cluster's OIDC provider (IAM roles for service accounts).
func ServiceAccountTrust(providerARN, issuerURL pulumi.StringOutput, namespace, account string) pulumi.StringOutput {
	return pulumi.All(providerARN, issuerURL).ApplyT(func(v []any) string {
		issuer := strings.TrimPrefix(v[1].(string), "https://")
		return mustJSON(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Federated": v[0].(string)},
				"Action":    "sts:AssumeRoleWithWebIdentity",
				"Condition": map[string]any{"StringEquals": map[string]any{
					issuer + ":sub": "system:serviceaccount:" + namespace + ":" + account,
					issuer + ":aud": "sts.amazonaws.com",
				}},
			}},
		})
	}).(pulumi.StringOutput)
}

// Policy is an IAM policy document that allows actions on resources.
func Policy(statements ...Statement) pulumi.String {
	var out []any
	for _, s := range statements {
		st := map[string]any{"Effect": "Allow", "Action": s.Actions, "Resource": s.Resources}
		if s.Sid != "" {
			st["Sid"] = s.Sid
		}
		if len(s.Services) > 0 {
			st["Principal"] = map[string]any{"Service": s.Services}
		}
		if len(s.Condition) > 0 {
			st["Condition"] = s.Condition
		}
		out = append(out, st)
	}
	return pulumi.String(mustJSON(map[string]any{"Version": "2012-10-17", "Statement": out}))
}

// Statement is one Allow statement of a Policy. Sid names it; Services are the AWS services it
// admits, for a resource's own policy (a queue's), empty for an identity's policy.
type Statement struct {
	Sid       string
	Services  []string
	Actions   []string
	Resources []string
	Condition map[string]any
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings are marshalled here
	}
	return string(b)
}

// ClusterOnlySecurityGroup is a security group for a database or cache that admits the
// cluster's nodes on one TCP port and nothing else: no other ingress and no egress.
func ClusterOnlySecurityGroup(ctx *pulumi.Context, name, description string, vpcID, nodeSecurityGroupID pulumi.StringInput, port int, parent pulumi.Resource) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       vpcID,
		Description: pulumi.String(description),
		// An empty list removes AWS's default allow-all egress: a database answers on its
		// open connections and starts none.
		Egress: ec2.SecurityGroupEgressArray{},
		Tags:   pulumi.StringMap{"Name": pulumi.String(name)},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	_, err = vpc.NewSecurityGroupIngressRule(ctx, name+"-from-cluster", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           sg.ID(),
		ReferencedSecurityGroupId: nodeSecurityGroupID,
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(port),
		ToPort:                    pulumi.Int(port),
		Description:               pulumi.String("the Kubernetes cluster's nodes and pods"),
	}, pulumi.Parent(sg))
	return sg, err
}
