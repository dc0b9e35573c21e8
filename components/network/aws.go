package network

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
)

// Subnet tags that let the AWS Load Balancer Controller and the in-tree cloud provider find
// where to put internet-facing and internal load balancers.
const (
	elbRoleTag         = "kubernetes.io/role/elb"
	internalELBRoleTag = "kubernetes.io/role/internal-elb"
	anywhere           = "0.0.0.0/0"
)

// aws builds the VPC: per zone a public and a private subnet; one internet gateway; NAT
// gateways in the public subnets (one shared, or one a zone); and per zone a private route
// table whose default route leaves through that zone's NAT gateway, or the shared one. Every
// resource is named by its zone, so going from one NAT gateway to one a zone adds gateways and
// repoints routes in place; nothing is replaced.
func (n *Network) aws(ctx *pulumi.Context, name string, s Spec) error {
	parent := pulumi.Parent(n)
	zones := s.ZoneNames(s.Region)
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(s.CIDR),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return err
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return err
	}
	publicRoutes, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{
			&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String(anywhere), GatewayId: igw.ID()},
		},
		Tags: pulumi.StringMap{"Name": pulumi.String(name + "-public")},
	}, parent)
	if err != nil {
		return err
	}

	var private, public pulumi.StringArray
	var nats []*ec2.NatGateway
	for i, zone := range zones {
		privateCIDR, publicCIDR, err := s.SubnetCIDRs(i)
		if err != nil {
			return err
		}
		pub, err := ec2.NewSubnet(ctx, name+"-public-"+zone, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(publicCIDR),
			AvailabilityZone: pulumi.String(zone),
			// Nothing launched here gets a public address by default: nodes live in the
			// private subnets, and load balancers and NAT gateways bring their own.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                pulumi.StringMap{"Name": pulumi.String(name + "-public-" + zone), elbRoleTag: pulumi.String("1")},
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, name+"-public-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRoutes.ID(),
		}, parent); err != nil {
			return err
		}
		privateTags := pulumi.StringMap{"Name": pulumi.String(name + "-private-" + zone), internalELBRoleTag: pulumi.String("1")}
		if s.Discovery != "" {
			privateTags[spec.KarpenterDiscoveryTag] = pulumi.String(s.Discovery)
		}
		priv, err := ec2.NewSubnet(ctx, name+"-private-"+zone, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			CidrBlock:           pulumi.String(privateCIDR),
			AvailabilityZone:    pulumi.String(zone),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                privateTags,
		}, parent)
		if err != nil {
			return err
		}
		public = append(public, pub.ID())
		private = append(private, priv.ID())

		if i == 0 || s.NATGateways == spec.NATPerZone {
			eip, err := ec2.NewEip(ctx, name+"-nat-"+zone, &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   pulumi.StringMap{"Name": pulumi.String(name + "-nat-" + zone)},
			}, parent)
			if err != nil {
				return err
			}
			nat, err := ec2.NewNatGateway(ctx, name+"-nat-"+zone, &ec2.NatGatewayArgs{
				AllocationId: eip.AllocationId,
				SubnetId:     pub.ID(),
				Tags:         pulumi.StringMap{"Name": pulumi.String(name + "-nat-" + zone)},
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return err
			}
			nats = append(nats, nat)
		}
		nat := nats[len(nats)-1]
		if s.NATGateways != spec.NATPerZone {
			nat = nats[0]
		}
		routes, err := ec2.NewRouteTable(ctx, name+"-private-"+zone, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Routes: ec2.RouteTableRouteArray{
				&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String(anywhere), NatGatewayId: nat.ID()},
			},
			Tags: pulumi.StringMap{"Name": pulumi.String(name + "-private-" + zone)},
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, name+"-private-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: routes.ID(),
		}, parent); err != nil {
			return err
		}
	}
	n.VpcID = vpc.ID().ToStringOutput()
	n.PrivateSubnetIDs = private.ToStringArrayOutput()
	n.PublicSubnetIDs = public.ToStringArrayOutput()
	return nil
}
