// Command pulumi-resource-kubernetes is the Kubernetes provider plugin of release 4.25.0, served
// with the schema and Terraform mapping that build.sh copies next to this file from the
// provider's module (its own command embeds generated copies that the module zip lacks).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
)

// Version is the release this build serves; the program's Kubernetes SDK asks for it.
const Version = "4.25.0"

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", Version, schema, terraformMapping)
}
