// Package kube holds what the local cloud's database and cache build the same way in the
// cluster: a namespace that admits only the app, a generated password kept in a Secret, and the
// restricted security context.
package kube

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/password"
	"github.com/scalestack/scalestack/components/spec"
)

// AppNamespace is the namespace the app runs in; data namespaces admit it and nothing else.
const AppNamespace = spec.PoolerNamespace

// Namespace creates a namespace under the restricted Pod Security Standard whose pods accept
// connections only from each other and from the app's namespace, on the given port.
func Namespace(ctx *pulumi.Context, name, namespace string, port int, parent pulumi.Resource, alsoAdmit ...string) (*corev1.Namespace, error) {
	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(namespace),
			Labels: pulumi.StringMap{
				"app.kubernetes.io/part-of":          pulumi.String("scalestack"),
				"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
			},
		},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	peer := func(ns string) *networkingv1.NetworkPolicyPeerArgs {
		return &networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: &metav1.LabelSelectorArgs{
			MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(ns)},
		}}
	}
	_, err = networkingv1.NewNetworkPolicy(ctx, name+"-admit-app", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("admit-app"), Namespace: pulumi.String(namespace)},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{&networkingv1.NetworkPolicyIngressRuleArgs{
				From:  append(networkingv1.NetworkPolicyPeerArray{peer(namespace), peer(AppNamespace)}, peers(alsoAdmit, peer)...),
				Ports: networkingv1.NetworkPolicyPortArray{&networkingv1.NetworkPolicyPortArgs{Port: pulumi.Int(port), Protocol: pulumi.String("TCP")}},
			}},
		},
	}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{ns}))
	return ns, err
}

func peers(namespaces []string, peer func(string) *networkingv1.NetworkPolicyPeerArgs) networkingv1.NetworkPolicyPeerArray {
	var out networkingv1.NetworkPolicyPeerArray
	for _, ns := range namespaces {
		out = append(out, peer(ns))
	}
	return out
}

// Password keeps a generated password in a Secret. The program makes a new one each run; the
// Secret ignores it after creation, and the value returned is read back from the Secret, so
// it is the one the database was initialised with.
func Password(ctx *pulumi.Context, name, namespace, key string, protect bool, parent, ns pulumi.Resource) (*corev1.Secret, pulumi.StringOutput, error) {
	generated, err := password.New()
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return Kept(ctx, name, namespace, key, "password", generated,
		pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{ns}), pulumi.Protect(protect))
}

// Kept stores a value made once (a password, a private key) under field in a Secret that
// ignores later values, and returns the value read back from the Secret: the one stored when
// it was created, whatever this run made.
func Kept(ctx *pulumi.Context, name, namespace, secretName, field string, value pulumi.StringInput, opts ...pulumi.ResourceOption) (*corev1.Secret, pulumi.StringOutput, error) {
	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(secretName), Namespace: pulumi.String(namespace)},
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{field: value},
	}, append(opts,
		pulumi.IgnoreChanges([]string{"stringData", "data"}),
		pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	// Only data: the API server returns stringData folded into it, and an output the provider
	// does not return (stringData) is unknown in a preview, which would make every preview
	// show every consumer of the value as changing.
	stored := secret.Data.ApplyT(func(data map[string]string) (string, error) {
		b, err := base64.StdEncoding.DecodeString(data[field])
		if err != nil || len(b) == 0 {
			return "", fmt.Errorf("kube: Secret %s/%s has no %s in its data", namespace, secretName, field)
		}
		return string(b), nil
	}).(pulumi.StringOutput)
	return secret, pulumi.ToSecret(stored).(pulumi.StringOutput), nil
}

// Restricted is the restricted container security context with a read-only root filesystem.
func Restricted() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		RunAsNonRoot:             pulumi.Bool(true),
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Privileged:               pulumi.Bool(false),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		SeccompProfile:           &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// PodSecurity runs a pod as a fixed non-root user that owns its volumes.
func PodSecurity(uid int) *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:   pulumi.Bool(true),
		RunAsUser:      pulumi.Int(uid),
		RunAsGroup:     pulumi.Int(uid),
		FsGroup:        pulumi.Int(uid),
		SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// Resources are a container's requests and limits.
func Resources(cpu, memory, cpuLimit, memoryLimit string) *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{"cpu": pulumi.String(cpu), "memory": pulumi.String(memory)},
		Limits:   pulumi.StringMap{"cpu": pulumi.String(cpuLimit), "memory": pulumi.String(memoryLimit)},
	}
}

// EmptyDirs are writable scratch volumes for a read-only root filesystem, with their mounts.
func EmptyDirs(paths map[string]string) (corev1.VolumeArray, corev1.VolumeMountArray) {
	var vols corev1.VolumeArray
	var mounts corev1.VolumeMountArray
	for _, name := range []string{"tmp", "run"} {
		path, ok := paths[name]
		if !ok {
			continue
		}
		vols = append(vols, &corev1.VolumeArgs{Name: pulumi.String(name), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}})
		mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String(name), MountPath: pulumi.String(path)})
	}
	return vols, mounts
}

// VPA is a VerticalPodAutoscaler for one Deployment or StatefulSet in recommendation mode
// (updateMode Off): the recommender writes what the pods use into its status, and nothing evicts
// or resizes a pod. scalestack rightsize reads the recommendations against the preset's
// requests. Its name is the workload's.
func VPA(ctx *pulumi.Context, name, namespace, kind, workload string, opts ...pulumi.ResourceOption) error {
	_, err := apiextensions.NewCustomResource(ctx, name+"-vpa", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("autoscaling.k8s.io/v1"),
		Kind:       pulumi.String("VerticalPodAutoscaler"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(workload), Namespace: pulumi.String(namespace)},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"targetRef":    pulumi.Map{"apiVersion": pulumi.String("apps/v1"), "kind": pulumi.String(kind), "name": pulumi.String(workload)},
			"updatePolicy": pulumi.Map{"updateMode": pulumi.String("Off")},
		}},
	}, opts...)
	return err
}
