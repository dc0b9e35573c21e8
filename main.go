// The scalestack Pulumi program: load the stack's configuration, resolve its tier, deploy.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/stacks"
)

func main() {
	pulumi.Run(stacks.Program)
}
