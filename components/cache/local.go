package cache

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
)

// The local cloud's cache: the official Valkey image, as its valkey user.
const (
	localNamespace = "scalestack-valkey"
	valkeyImage    = "valkey/valkey:8.1-alpine"
	valkeyUID      = 999
	localPort      = 6379
	localStorage   = "2Gi"
)

// local runs Valkey in the cluster for the local cloud: one StatefulSet with a volume (append-
// only file, so a restart keeps the queue), a generated password kept in a Secret, the preset's
// eviction policy, in a namespace that admits only the app.
func (c *Cache) local(ctx *pulumi.Context, name string, s Spec) error {
	// KEDA's operator reads the worker queue's length.
	ns, err := kube.Namespace(ctx, name, localNamespace, localPort, c, "keda")
	if err != nil {
		return err
	}
	secret, password, err := kube.Password(ctx, name+"-password", localNamespace, "valkey", s.Protect, c, ns)
	if err != nil {
		return err
	}
	ls := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("valkey")}
	if _, err := corev1.NewService(ctx, name+"-valkey", &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("valkey"), Namespace: pulumi.String(localNamespace), Labels: ls},
		Spec: &corev1.ServiceSpecArgs{
			Selector: ls,
			Ports:    corev1.ServicePortArray{&corev1.ServicePortArgs{Name: pulumi.String("valkey"), Port: pulumi.Int(localPort), TargetPort: pulumi.Int(localPort)}},
		},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{ns})); err != nil {
		return err
	}
	probe := func(period int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			Exec:          &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{"sh", "-c", `valkey-cli -a "$VALKEY_PASSWORD" --no-auth-warning ping | grep -q PONG`})},
			PeriodSeconds: pulumi.Int(period), FailureThreshold: pulumi.Int(3), TimeoutSeconds: pulumi.Int(3),
		}
	}
	vols, mounts := kube.EmptyDirs(map[string]string{"tmp": "/tmp"})
	mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String("/data")})
	_, err = appsv1.NewStatefulSet(ctx, name+"-valkey", &appsv1.StatefulSetArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("valkey"), Namespace: pulumi.String(localNamespace), Labels: ls},
		Spec: &appsv1.StatefulSetSpecArgs{
			ServiceName: pulumi.String("valkey"),
			Replicas:    pulumi.Int(1),
			Selector:    &metav1.LabelSelectorArgs{MatchLabels: ls},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: ls},
				Spec: &corev1.PodSpecArgs{
					SecurityContext:              kube.PodSecurity(valkeyUID),
					AutomountServiceAccountToken: pulumi.Bool(false),
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:    pulumi.String("valkey"),
						Image:   pulumi.String(valkeyImage),
						Command: pulumi.ToStringArray([]string{"sh", "-c", fmt.Sprintf(`exec valkey-server --requirepass "$VALKEY_PASSWORD" --maxmemory 300mb --maxmemory-policy %s --appendonly yes --dir /data`, s.EvictionPolicy)}),
						Ports:   corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String("valkey"), ContainerPort: pulumi.Int(localPort)}},
						Env: corev1.EnvVarArray{&corev1.EnvVarArgs{Name: pulumi.String("VALKEY_PASSWORD"), ValueFrom: &corev1.EnvVarSourceArgs{
							SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: pulumi.String("valkey"), Key: pulumi.String("password")},
						}}},
						Resources:       kube.Resources("100m", "256Mi", "1", "512Mi"),
						SecurityContext: kube.Restricted(),
						StartupProbe:    &corev1.ProbeArgs{Exec: probe(2).Exec, PeriodSeconds: pulumi.Int(2), FailureThreshold: pulumi.Int(30), TimeoutSeconds: pulumi.Int(3)},
						ReadinessProbe:  probe(5),
						LivenessProbe:   probe(10),
						VolumeMounts:    mounts,
					}},
					Volumes: vols,
				},
			},
			VolumeClaimTemplates: corev1.PersistentVolumeClaimTypeArray{&corev1.PersistentVolumeClaimTypeArgs{
				Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data")},
				Spec: &corev1.PersistentVolumeClaimSpecArgs{
					AccessModes: pulumi.ToStringArray([]string{"ReadWriteOnce"}),
					Resources:   &corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(localStorage)}},
				},
			}},
		},
	}, pulumi.Parent(c), pulumi.Protect(s.Protect), pulumi.DependsOn([]pulumi.Resource{ns, secret}))
	if err != nil {
		return err
	}
	host := "valkey." + localNamespace + ".svc.cluster.local"
	c.PrivateHost = pulumi.String(host).ToStringOutput()
	c.Port = pulumi.Int(localPort).ToIntOutput()
	c.Password = password
	c.ClusterMode = pulumi.Bool(false).ToBoolOutput()
	c.TLS = pulumi.Bool(false).ToBoolOutput()
	c.URL = pulumi.ToSecret(pulumi.Sprintf("redis://:%s@%s:%d", password, host, localPort)).(pulumi.StringOutput)
	return nil
}
