// Package types names the Pulumi type tokens of the resources a stack registers: the one place
// they are spelt, for the plan's readers (cost pricers, policy rules, the command line, tests)
// and for the components that register scalestack's own component resources.
package types

// DigitalOcean.
const (
	DODatabaseCluster        = "digitalocean:index/databaseCluster:DatabaseCluster"
	DODatabaseConnectionPool = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool"
	DODatabaseFirewall       = "digitalocean:index/databaseFirewall:DatabaseFirewall"
	DODatabaseReplica        = "digitalocean:index/databaseReplica:DatabaseReplica"
	DOMonitorAlert           = "digitalocean:index/monitorAlert:MonitorAlert"
	DODatabaseUser           = "digitalocean:index/databaseUser:DatabaseUser"
	DOKubernetesCluster      = "digitalocean:index/kubernetesCluster:KubernetesCluster"
	DOKubernetesNodePool     = "digitalocean:index/kubernetesNodePool:KubernetesNodePool"
	DOLoadBalancer           = "digitalocean:index/loadBalancer:LoadBalancer"
	DOSpacesBucket           = "digitalocean:index/spacesBucket:SpacesBucket"
	DOVolume                 = "digitalocean:index/volume:Volume"
	DOVpc                    = "digitalocean:index/vpc:Vpc"
)

// AWS.
const (
	AWSCacheReplicationGroup      = "aws:elasticache/replicationGroup:ReplicationGroup"
	AWSCacheSubnetGroup           = "aws:elasticache/subnetGroup:SubnetGroup"
	AWSEBSVolume                  = "aws:ebs/volume:Volume"
	AWSEKS                        = "aws:eks/cluster:Cluster"
	AWSEKSAccessEntry             = "aws:eks/accessEntry:AccessEntry"
	AWSEKSAccessPolicyAssociation = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
	AWSEKSAddon                   = "aws:eks/addon:Addon"
	AWSEKSNodeGroup               = "aws:eks/nodeGroup:NodeGroup"
	AWSEip                        = "aws:ec2/eip:Eip"
	AWSMetricAlarm                = "aws:cloudwatch/metricAlarm:MetricAlarm"
	AWSIAMOpenIdConnectProvider   = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
	AWSIAMRole                    = "aws:iam/role:Role"
	AWSEventRule                  = "aws:cloudwatch/eventRule:EventRule"
	AWSEventTarget                = "aws:cloudwatch/eventTarget:EventTarget"
	AWSInternetGateway            = "aws:ec2/internetGateway:InternetGateway"
	AWSLB                         = "aws:lb/loadBalancer:LoadBalancer"
	AWSNatGateway                 = "aws:ec2/natGateway:NatGateway"
	AWSRDSInstance                = "aws:rds/instance:Instance"
	AWSRDSParameterGroup          = "aws:rds/parameterGroup:ParameterGroup"
	AWSRDSSubnetGroup             = "aws:rds/subnetGroup:SubnetGroup"
	AWSRouteTable                 = "aws:ec2/routeTable:RouteTable"
	AWSSecurityGroup              = "aws:ec2/securityGroup:SecurityGroup"
	AWSSecurityGroupIngressRule   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	AWSSecurityGroupRule          = "aws:ec2/securityGroupRule:SecurityGroupRule"
	AWSSubnet                     = "aws:ec2/subnet:Subnet"
	AWSVPC                        = "aws:ec2/vpc:Vpc"
)

// Kubernetes.
const (
	K8sConfigMap               = "kubernetes:core/v1:ConfigMap"
	K8sCronJob                 = "kubernetes:batch/v1:CronJob"
	K8sDaemonSet               = "kubernetes:apps/v1:DaemonSet"
	K8sDeployment              = "kubernetes:apps/v1:Deployment"
	K8sHorizontalPodAutoscaler = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	K8sIngress                 = "kubernetes:networking.k8s.io/v1:Ingress"
	K8sJob                     = "kubernetes:batch/v1:Job"
	K8sNamespace               = "kubernetes:core/v1:Namespace"
	K8sNetworkPolicy           = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	K8sPersistentVolumeClaim   = "kubernetes:core/v1:PersistentVolumeClaim"
	K8sPodDisruptionBudget     = "kubernetes:policy/v1:PodDisruptionBudget"
	K8sSecret                  = "kubernetes:core/v1:Secret"
	K8sService                 = "kubernetes:core/v1:Service"
	K8sStatefulSet             = "kubernetes:apps/v1:StatefulSet"
)

// Stateful are the types that hold data or take long to rebuild: the policies demand they be
// protected, and no tier switch may replace them.
var Stateful = []string{DOKubernetesCluster, DODatabaseCluster, DODatabaseReplica, DOVolume, AWSEKS, AWSRDSInstance, AWSCacheReplicationGroup, AWSEBSVolume, K8sStatefulSet, K8sPersistentVolumeClaim}

// Kubernetes custom resources and Helm.
const (
	HelmRelease      = "kubernetes:helm.sh/v3:Release"
	KEDAScaledObject = "kubernetes:keda.sh/v1alpha1:ScaledObject"
	// Karpenter's: a NodePool (the nodes' bounds and disruption) and an EC2NodeClass (how an
	// instance is launched).
	KarpenterNodePool     = "kubernetes:karpenter.sh/v1:NodePool"
	KarpenterEC2NodeClass = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
	// VPA is a VerticalPodAutoscaler.
	VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler"
)

// Cloudflare.
const (
	CFOriginCaCertificate  = "cloudflare:index/originCaCertificate:OriginCaCertificate"
	CFRecord               = "cloudflare:index/record:Record"
	CFRuleset              = "cloudflare:index/ruleset:Ruleset"
	CFZone                 = "cloudflare:index/zone:Zone"
	CFZoneSettingsOverride = "cloudflare:index/zoneSettingsOverride:ZoneSettingsOverride"
)

// Providers.
const (
	ProviderAWS          = "pulumi:providers:aws"
	ProviderDigitalOcean = "pulumi:providers:digitalocean"
	ProviderKubernetes   = "pulumi:providers:kubernetes"
)

// scalestack components.
const (
	ComponentAlerts   = "scalestack:components:Alerts"
	ComponentCache    = "scalestack:components:Cache"
	ComponentCluster  = "scalestack:components:Cluster"
	ComponentDatabase = "scalestack:components:Database"
	ComponentEdge     = "scalestack:components:Edge"
	ComponentNetwork  = "scalestack:components:Network"
	WorkloadApp       = "scalestack:workloads:App"
	WorkloadPlatform  = "scalestack:workloads:Platform"
	WorkloadSignals   = "scalestack:workloads:Signals"
)
