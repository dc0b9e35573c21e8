package main

import (
	"context"
	"github.com/scalestack/scalestack/plan/types"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	got := map[string]violations{}
	for _, pol := range p.Policies() {
		sv, ok := pol.(policyx.StackValidationPolicy)
		require.True(t, ok, pol.Name())
		var v violations
		require.NoError(t, sv.Validate(context.Background(), policyx.StackValidationArgs{Manager: &v, Resources: []policyx.AnalyzerResource{db}}))
		if len(v) > 0 {
			got[pol.Name()] = v
		}
		assert.Equal(t, policyx.EnforcementLevelMandatory, pol.EnforcementLevel(), pol.Name())
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
