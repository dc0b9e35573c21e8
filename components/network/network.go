// Package network is the private network every other component lives in: a VPC on
// DigitalOcean; on AWS a VPC across zones with public and private subnets, an internet gateway,
// NAT gateways and route tables.
package network

import (
	"errors"
	"fmt"
	"github.com/scalestack/scalestack/plan/types"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/components/spec"
)

// Type is the component's type token.
const Type = types.ComponentNetwork

// Spec is where the network goes and what it spans.
type Spec struct {
	spec.Placement
	spec.Network
	// Discovery, where set, tags the private subnets karpenter.sh/discovery with it (AWS): the
	// subnets Karpenter's EC2NodeClasses launch nodes in. Adding it updates them in place.
	Discovery string
}

// WithDefaults fills the documented defaults.
func (s Spec) WithDefaults() Spec {
	s.Network = s.Network.WithDefaults()
	return s
}

// Validate reports every problem, each naming its field.
func (s Spec) Validate() error {
	err := errors.Join(s.Placement.Validate(), s.Network.Validate("network."))
	if s.Cloud == spec.AWS && s.Region != "" {
		err = errors.Join(err, s.Network.ValidateZones("network.", s.Region))
	}
	return err
}

// Network is the component.
type Network struct {
	pulumi.ResourceState

	// VpcID is the private network's ID.
	VpcID pulumi.StringOutput `pulumi:"vpcId"`
	// CIDR is its address range.
	CIDR pulumi.StringOutput `pulumi:"cidr"`
	// PrivateSubnetIDs are the subnets, one a zone, that nodes, databases and caches use (AWS;
	// empty on DigitalOcean, whose VPC has no subnets).
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// PublicSubnetIDs are the subnets for internet-facing load balancers and NAT gateways.
	PublicSubnetIDs pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
}

// New builds the network.
func New(ctx *pulumi.Context, name string, s Spec, opts ...pulumi.ResourceOption) (*Network, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource(Type, name, n, opts...); err != nil {
		return nil, err
	}
	switch s.Cloud {
	case spec.DigitalOcean:
		vpc, err := digitalocean.NewVpc(ctx, name+"-vpc", &digitalocean.VpcArgs{
			Name:        pulumi.String(names.DNS(name, 63)),
			Region:      pulumi.String(s.Region),
			IpRange:     pulumi.String(s.CIDR),
			Description: pulumi.String("scalestack private network: cluster, database and cache"),
		}, pulumi.Parent(n))
		if err != nil {
			return nil, err
		}
		n.VpcID = vpc.ID().ToStringOutput()
		n.PrivateSubnetIDs = pulumi.StringArray{}.ToStringArrayOutput()
		n.PublicSubnetIDs = pulumi.StringArray{}.ToStringArrayOutput()
	case spec.AWS:
		if err := n.aws(ctx, name, s); err != nil {
			return nil, err
		}
	case spec.Local:
		// An existing cluster brings its own network; the data services run inside it.
		n.VpcID = pulumi.String("").ToStringOutput()
		n.PrivateSubnetIDs = pulumi.StringArray{}.ToStringArrayOutput()
		n.PublicSubnetIDs = pulumi.StringArray{}.ToStringArrayOutput()
	default:
		return nil, fmt.Errorf("network %q: cloud %q is not built by this component yet (want digitalocean, aws or local)", name, s.Cloud)
	}
	n.CIDR = pulumi.String(s.CIDR).ToStringOutput()
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"cidr":             n.CIDR,
		"privateSubnetIds": n.PrivateSubnetIDs,
		"publicSubnetIds":  n.PublicSubnetIDs,
	})
}
