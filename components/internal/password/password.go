// Package password makes the secrets a stack generates for itself: passwords and tokens that
// exist only in the stack's state and the resources that use them.
package password

import (
	"crypto/rand"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// New is a new random password of 40 letters and digits (no characters RDS or a URL
// would refuse). A program run makes a new one each time, so the resource that takes it must
// ignore later changes and callers must read it back from the resource's output: the value kept
// in state, as a secret, is the one made when the resource was created.
func New() (pulumi.StringOutput, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("generating a password: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return pulumi.ToSecret(pulumi.String(string(b))).(pulumi.StringOutput), nil
}
