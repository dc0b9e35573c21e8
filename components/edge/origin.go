package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
	"github.com/scalestack/scalestack/components/spec"
)

// originValidityDays is Cloudflare Origin CA's longest certificate: 15 years.
const originValidityDays = 5475

// originCertificate gives the origin a certificate Cloudflare trusts, so that SSL full (strict)
// holds: a key and request made here on the first run, signed by Cloudflare's Origin CA for the
// domain and its subdomains, and put in a TLS Secret in each namespace that serves traffic. Later
// runs make a new key and request, which the certificate and the Secrets ignore: the pair kept
// in state is the one Cloudflare signed.
func originCertificate(ctx *pulumi.Context, name, domain string, namespaces []string, provider pulumi.ProviderResource, parent pulumi.Resource, deps []pulumi.Resource) error {
	key, csr, err := keyAndRequest(domain)
	if err != nil {
		return fmt.Errorf("edge %q: origin key: %w", name, err)
	}
	cert, err := cloudflare.NewOriginCaCertificate(ctx, name+"-origin", &cloudflare.OriginCaCertificateArgs{
		// Secret only to keep a fresh request per run out of diffs and plans; it is ignored.
		Csr:               pulumi.ToSecret(pulumi.String(csr)).(pulumi.StringOutput),
		Hostnames:         pulumi.ToStringArray([]string{domain, "*." + domain}),
		RequestType:       pulumi.String("origin-ecc"),
		RequestedValidity: pulumi.Int(originValidityDays),
	}, pulumi.Parent(parent), pulumi.IgnoreChanges([]string{"csr"}))
	if err != nil {
		return err
	}
	if len(namespaces) == 0 {
		return errors.New("no namespace to put the origin certificate in")
	}
	// The key is kept once, in the first namespace's key Secret, and read back from it: every
	// TLS Secret, including one added on a later run, gets the key Cloudflare signed.
	_, stored, err := kube.Kept(ctx, name+"-origin-key", namespaces[0], spec.OriginTLSSecret+"-key", "tls.key",
		pulumi.ToSecret(pulumi.String(key)).(pulumi.StringOutput),
		pulumi.Parent(parent), pulumi.Provider(provider), pulumi.DependsOn(deps))
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		_, err := corev1.NewSecret(ctx, name+"-origin-"+ns, &corev1.SecretArgs{
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(spec.OriginTLSSecret), Namespace: pulumi.String(ns)},
			Type:       pulumi.String("kubernetes.io/tls"),
			StringData: pulumi.StringMap{"tls.crt": cert.Certificate, "tls.key": stored},
		}, pulumi.Parent(parent), pulumi.Provider(provider), pulumi.DependsOn(deps),
			pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
		if err != nil {
			return err
		}
	}
	return nil
}

// keyAndRequest makes an ECDSA P-256 key and a certificate request for a domain and its
// subdomains, both PEM.
func keyAndRequest(domain string) (keyPEM, csrPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: domain},
		DNSNames: []string{domain, "*." + domain},
	}, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}
