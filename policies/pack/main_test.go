package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalestack/scalestack/internal/recorder"
	"github.com/scalestack/scalestack/plan/types"
)

type violations []string

func (v *violations) ReportViolation(message, urn string) { *v = append(*v, urn+" "+message) }

func stackContext(t *testing.T, config map[string]string) *pulumi.Context {
	t.Helper()
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{Project: "scalestack", Stack: "prod", Config: config})
	require.NoError(t, err)
	return ctx
}

// The pack runs the same rules as scalestack check, on the engine's view of the stack: a
// DigitalOcean database that is not protected and has no firewall is reported on its URN.
func TestPackReportsViolations(t *testing.T) {
	t.Parallel()
	p, err := New(stackContext(t, map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "10k"}))
	require.NoError(t, err)
	assert.Equal(t, "scalestack", p.Name())

	db := policyx.AnalyzerResource{
		Type: types.DODatabaseCluster, Name: "db",
		URN: "urn:pulumi:prod::scalestack::scalestack:components:Database$digitalocean:index/databaseCluster:DatabaseCluster::db",
		Properties: property.NewMap(map[string]property.Value{
			"engine":             property.New("pg"),
			"privateNetworkUuid": property.New(property.Computed),
			"password":           property.New("hunter2").WithSecret(true),
		}),
		Parent: "urn:pulumi:prod::scalestack::scalestack:components:Database::scalestack-prod-db",
	}
	res := Resources([]policyx.AnalyzerResource{db})
	require.Len(t, res, 1)
	assert.Equal(t, "[secret]", res[0].Inputs["password"], "secrets stay masked")
	assert.Equal(t, "[unknown]", res[0].Inputs["privateNetworkUuid"])
	assert.Equal(t, "scalestack-prod-db", res[0].Parent)
	assert.Equal(t, "scalestack:components:Database", res[0].ParentType)

	got := map[string]violations{}
	for _, pol := range p.Policies() {
		sv, ok := pol.(policyx.StackValidationPolicy)
		require.True(t, ok, pol.Name())
		var v violations
		require.NoError(t, sv.Validate(context.Background(), policyx.StackValidationArgs{Manager: &v, Resources: []policyx.AnalyzerResource{db}}))
		if len(v) > 0 {
			got[pol.Name()] = v
		}
		want := policyx.EnforcementLevelMandatory
		if pol.Name() == "cluster-api-restricted" || pol.Name() == "account-limits" {
			want = policyx.EnforcementLevelAdvisory // a guardrail that reports, by default
		}
		assert.Equal(t, want, pol.EnforcementLevel(), pol.Name())
	}
	require.Contains(t, got, "stateful-protected")
	assert.Equal(t, db.URN+" is not protected (want the protect option; scalestack:protect is true by default)", got["stateful-protected"][0])
	require.Contains(t, got, "data-private")
	assert.Contains(t, got["data-private"][0], "has no database firewall")
	assert.NotContains(t, got, "budget")
}

// Levels come from scalestack:policies; a bad config stops the pack before any check.
func TestPackReadsTheStackConfig(t *testing.T) {
	t.Parallel()
	p, err := New(stackContext(t, map[string]string{"scalestack:cloud": "aws", "scalestack:tier": "1k",
		"scalestack:policies": `{"budget": "advisory", "image-pinned": "disabled"}`}))
	require.NoError(t, err)
	levels := map[string]policyx.EnforcementLevel{}
	for _, pol := range p.Policies() {
		levels[pol.Name()] = pol.EnforcementLevel()
	}
	assert.Equal(t, policyx.EnforcementLevelAdvisory, levels["budget"])
	assert.Equal(t, policyx.EnforcementLevelDisabled, levels["image-pinned"])
	assert.Equal(t, policyx.EnforcementLevelMandatory, levels["data-private"])

	_, err = New(stackContext(t, map[string]string{"scalestack:cloud": "aws", "scalestack:tier": "50k"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"50k" is not a tier`)
}

// urn is a URN of the prod stack, as the engine writes it.
func urn(typ, name string) string {
	return "urn:pulumi:prod::scalestack::" + typ + "::" + name
}

// run validates a stack with every policy of a pack and returns the violations by policy.
func run(t *testing.T, p policyx.PolicyPack, rs ...policyx.AnalyzerResource) map[string]violations {
	t.Helper()
	got := map[string]violations{}
	for _, pol := range p.Policies() {
		sv, ok := pol.(policyx.StackValidationPolicy)
		require.True(t, ok, pol.Name())
		var v violations
		require.NoError(t, sv.Validate(context.Background(), policyx.StackValidationArgs{Manager: &v, Resources: rs}))
		if len(v) > 0 {
			got[pol.Name()] = v
		}
	}
	return got
}

// In the engine IDs are the cloud's (UUIDs, sg-...), not the recording mock's "<name>-id": a
// firewall or security group rule is matched to what it guards through the dependencies the
// engine reports, so a guarded database passes and an open guard is reported on its URN.
func TestPackMatchesGuardsWithRealIDs(t *testing.T) {
	t.Parallel()
	p, err := New(stackContext(t, map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": "1k"}))
	require.NoError(t, err)

	dbURN := urn("scalestack:components:Database$"+types.DODatabaseCluster, "scalestack-prod-db-pg")
	doksURN := urn("scalestack:components:Cluster$"+types.DOKubernetesCluster, "scalestack-prod-cluster-doks")
	db := policyx.AnalyzerResource{
		Type: types.DODatabaseCluster, Name: "scalestack-prod-db-pg", URN: dbURN, Options: pulumi.ResourceOptions{Protect: true},
		Properties: property.NewMap(map[string]property.Value{
			"engine":             property.New("pg"),
			"privateNetworkUuid": property.New("5d2c8a43-7e1f-4b09-a6d3-2f8e9c1b4a70"),
		}),
	}
	firewall := func(ruleType, value string) policyx.AnalyzerResource {
		return policyx.AnalyzerResource{
			Type: types.DODatabaseFirewall, Name: "scalestack-prod-db-firewall",
			URN: urn("scalestack:components:Database$"+types.DODatabaseFirewall, "scalestack-prod-db-firewall"),
			Properties: property.NewMap(map[string]property.Value{
				"clusterId": property.New("9b1f3c2e-0d4a-4e6b-8c7d-1a2b3c4d5e6f"),
				"rules": property.New([]property.Value{property.New(map[string]property.Value{
					"type": property.New(ruleType), "value": property.New(value),
				})}),
			}),
			Dependencies:         []string{dbURN, doksURN},
			PropertyDependencies: map[string][]string{"clusterId": {dbURN}, "rules": {doksURN}},
		}
	}

	got := run(t, p, db, firewall("k8s", "0f9e8d7c-6b5a-4938-a2b1-c0d9e8f7a6b5"))
	assert.NotContains(t, got, "data-private", "the firewall that depends on the database guards it")

	open := firewall("ip_addr", "0.0.0.0/0")
	got = run(t, p, db, open)
	require.Contains(t, got, "data-private")
	assert.Equal(t, violations{open.URN + " rules.0: admits 0.0.0.0/0, the whole internet (want the cluster: type k8s)"}, got["data-private"])

	// A firewall of another database does not guard this one, whatever its clusterId says.
	other := firewall("k8s", "0f9e8d7c-6b5a-4938-a2b1-c0d9e8f7a6b5")
	other.Dependencies, other.PropertyDependencies = []string{doksURN}, nil
	got = run(t, p, db, other)
	assert.Equal(t, violations{dbURN + " has no database firewall (want one that admits only the cluster)"}, got["data-private"])
}

// The same on AWS: a rule opening the database's security group to the internet is found whether
// the IDs are known (an update) or not yet (the first preview).
func TestPackMatchesSecurityGroupsWithRealIDs(t *testing.T) {
	t.Parallel()
	p, err := New(stackContext(t, map[string]string{"scalestack:cloud": "aws", "scalestack:tier": "1k"}))
	require.NoError(t, err)
	sgURN := urn("scalestack:components:Database$"+types.AWSSecurityGroup, "scalestack-prod-db-sg")
	for name, id := range map[string]property.Value{
		"update":  property.New("sg-0a1b2c3d4e5f60718"),
		"preview": property.New(property.Computed),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sg := policyx.AnalyzerResource{Type: types.AWSSecurityGroup, Name: "scalestack-prod-db-sg", URN: sgURN,
				Properties: property.NewMap(map[string]property.Value{"vpcId": property.New("vpc-0123456789abcdef0")})}
			rds := policyx.AnalyzerResource{Type: types.AWSRDSInstance, Name: "scalestack-prod-db-primary",
				URN: urn("scalestack:components:Database$"+types.AWSRDSInstance, "scalestack-prod-db-primary"),
				Properties: property.NewMap(map[string]property.Value{
					"vpcSecurityGroupIds": property.New([]property.Value{id}),
				}),
				PropertyDependencies: map[string][]string{"vpcSecurityGroupIds": {sgURN}},
			}
			rule := policyx.AnalyzerResource{Type: types.AWSSecurityGroupIngressRule, Name: "scalestack-prod-db-sg-open",
				URN:    urn("scalestack:components:Database$"+types.AWSSecurityGroup+"$"+types.AWSSecurityGroupIngressRule, "scalestack-prod-db-sg-open"),
				Parent: sgURN,
				Properties: property.NewMap(map[string]property.Value{
					"securityGroupId": id, "cidrIpv4": property.New("0.0.0.0/0"), "fromPort": property.New(5432.0),
				}),
				Dependencies: []string{sgURN},
			}
			got := run(t, p, sg, rds, rule)
			require.Contains(t, got, "data-private")
			assert.Contains(t, got["data-private"], rule.URN+" cidrIpv4: admits 0.0.0.0/0, the whole internet, to a database or cache (want the cluster's security group)")
		})
	}
}

// The pack converts the engine's values with the recorder's own converter: a resource reference
// is the referenced resource's name in both, outputs and secrets read the same, and the pack
// fills parent, dependencies and provider as the recording mock does.
func TestPackConvertsLikeTheRecorder(t *testing.T) {
	t.Parallel()
	vpcURN := urn("scalestack:components:Network$"+types.DOVpc, "scalestack-prod-network-vpc")
	parentURN := urn("scalestack:components:Database", "scalestack-prod-db")
	providerURN := urn("pulumi:providers:kubernetes", "scalestack-prod-cluster-k8s")
	props := property.NewMap(map[string]property.Value{
		"vpc":        property.New(property.ResourceReference{URN: resource.URN(vpcURN), ID: property.New("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")}),
		"host":       property.New("db.internal").WithDependencies([]resource.URN{resource.URN(vpcURN)}),
		"password":   property.New("hunter2").WithSecret(true),
		"size":       property.New(2.0),
		"tags":       property.New([]property.Value{}),
		"__defaults": property.New([]property.Value{}),
	})
	r := policyx.AnalyzerResource{
		Type: types.DODatabaseCluster, Name: "scalestack-prod-db-pg",
		URN: urn("scalestack:components:Database$"+types.DODatabaseCluster, "scalestack-prod-db-pg"), Properties: props,
		Parent:               parentURN,
		Dependencies:         []string{vpcURN},
		PropertyDependencies: map[string][]string{"host": {vpcURN}, "vpc": {vpcURN}},
		Provider:             policyx.AnalyzerProviderResource{Type: "pulumi:providers:kubernetes", Name: "scalestack-prod-cluster-k8s", URN: providerURN},
		Options:              pulumi.ResourceOptions{Protect: true, IgnoreChanges: []string{"tags", "size"}},
	}
	got := Resources([]policyx.AnalyzerResource{r})
	require.Len(t, got, 1)
	want := recorder.Registration{Type: r.Type, Name: r.Name, Custom: true, Parent: parentURN, Dependencies: []string{vpcURN},
		Provider: providerURN, Protect: true, IgnoreChanges: []string{"tags", "size"}, Inputs: resource.ToResourcePropertyMap(props)}.Resource()
	assert.Equal(t, want, got[0], "the pack and the recorder agree")
	assert.Equal(t, "scalestack-prod-network-vpc", got[0].Inputs["vpc"], "a reference is the referenced resource's name, not [unknown]")
	assert.Equal(t, "db.internal", got[0].Inputs["host"])
	assert.Equal(t, "[secret]", got[0].Inputs["password"])
	assert.Equal(t, []any{}, got[0].Inputs["tags"])
	assert.NotContains(t, got[0].Inputs, "__defaults")
	assert.Equal(t, "scalestack-prod-db", got[0].Parent)
	assert.Equal(t, "scalestack:components:Database", got[0].ParentType)
	assert.Equal(t, []string{"scalestack-prod-network-vpc"}, got[0].Dependencies)
	assert.Equal(t, "scalestack-prod-cluster-k8s", got[0].Provider)
	assert.Equal(t, []string{"size", "tags"}, got[0].IgnoreChanges)

	// The default provider and the root stack are no provider and no parent, as in the mock.
	r.Provider = policyx.AnalyzerProviderResource{URN: urn("pulumi:providers:digitalocean", "default_4_40_0")}
	r.Parent = urn("pulumi:pulumi:Stack", "scalestack-prod")
	got = Resources([]policyx.AnalyzerResource{r})
	assert.Empty(t, got[0].Provider)
	assert.Empty(t, got[0].Parent)
	assert.Empty(t, got[0].ParentType)
}

// min-replicas reads the preset's policies.minReplicas: enforced from 10k, not applicable at 1k.
func TestPackReadsThePresetsThresholds(t *testing.T) {
	t.Parallel()
	d := policyx.AnalyzerResource{Type: types.K8sDeployment, Name: "api", URN: urn(types.K8sDeployment, "api"),
		Properties: property.NewMap(map[string]property.Value{
			"metadata": property.New(map[string]property.Value{"name": property.New("api")}),
			"spec":     property.New(map[string]property.Value{"replicas": property.New(1.0)}),
		})}
	for tier, fires := range map[string]bool{"1k": false, "10k": true, "100k": true, "1m": true} {
		p, err := New(stackContext(t, map[string]string{"scalestack:cloud": "digitalocean", "scalestack:tier": tier}))
		require.NoError(t, err)
		got := run(t, p, d)
		if !fires {
			assert.NotContains(t, got, "min-replicas", tier)
			continue
		}
		require.Contains(t, got, "min-replicas", tier)
		assert.True(t, strings.HasPrefix(got["min-replicas"][0], d.URN+" spec.replicas: runs as few as 1 replicas at tier "+tier+" (want at least 2"), got["min-replicas"][0])
	}
}
