package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/spec"
	"github.com/scalestack/scalestack/stacks/config"
)

// cloudProvider returns the options that give the components their cloud's provider. AWS gets
// an explicit provider in the stack's region that skips the account look-ups the provider
// would otherwise make before the first resource (credential validation, account ID, instance
// metadata), so `pulumi preview` starts without calling AWS. Nothing in the program looks
// anything up either: zones come from the preset and config, not from the account.
// DigitalOcean's default provider reads its token from the environment and needs nothing here.
func cloudProvider(ctx *pulumi.Context, cfg config.Config) ([]pulumi.ResourceOption, error) {
	if cfg.Cloud != spec.AWS {
		return nil, nil
	}
	p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:                    pulumi.String(cfg.Region),
		SkipCredentialsValidation: pulumi.Bool(true),
		SkipRequestingAccountId:   pulumi.Bool(true),
		SkipMetadataApiCheck:      pulumi.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return []pulumi.ResourceOption{pulumi.Providers(p)}, nil
}
