package database

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/kube"
	"github.com/scalestack/scalestack/components/spec"
)

// The local cloud's PostgreSQL: the official image, as its postgres user.
const (
	localNamespace  = "scalestack-postgres"
	postgresImage   = "postgres:17.6-alpine"
	postgresUID     = 70
	replicationUser = "replicator"
	// localStorageGiB is each instance's volume where the preset names no storage.
	localStorageGiB = 10
)

// initPrimary creates the replication role and lets it connect, on the primary's first start.
const initPrimary = `#!/bin/sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE ` + replicationUser + ` WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
SQL
echo "host replication ` + replicationUser + ` all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`

// localMaxConnections is PostgreSQL's connection limit for a pool of poolSize: room for the pool
// twice over (PgBouncer's rolling update brings a replica up beside the old one) and the direct
// connections, never below PostgreSQL's default of 100. The replica gets the same: a hot standby
// refuses to start with a lower limit than its primary.
func localMaxConnections(poolSize int) int {
	return max(100, 2*poolSize+spec.DirectConnections)
}

// cloneReplica copies the primary into an empty volume and marks it a standby that follows it.
const cloneReplica = `set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U ` + replicationUser + ` -D "$PGDATA" -X stream -R
fi
`

// local runs PostgreSQL in the cluster for the local cloud: a primary and its streaming read
// replicas, StatefulSets whose pods each have their own volume, in a namespace that admits only the app;
// passwords generated once and kept in Secrets. PgBouncer in the app's namespace pools it.
func (d *Database) local(ctx *pulumi.Context, name string, s Spec) error {
	ns, err := kube.Namespace(ctx, name, localNamespace, pgPort, d)
	if err != nil {
		return err
	}
	_, password, err := kube.Password(ctx, name+"-password", localNamespace, "postgres", s.Protect, d, ns)
	if err != nil {
		return err
	}
	replSecret, _, err := kube.Password(ctx, name+"-replication", localNamespace, "replication", s.Protect, d, ns)
	if err != nil {
		return err
	}
	init, err := corev1.NewConfigMap(ctx, name+"-init", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("postgres-init"), Namespace: pulumi.String(localNamespace)},
		Data:     pulumi.StringMap{"10-replication.sh": pulumi.String(initPrimary)},
	}, pulumi.Parent(d), pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return err
	}
	storage := s.StorageGiB
	if storage == 0 {
		storage = localStorageGiB
	}
	host := func(svc string) string { return svc + "." + localNamespace + ".svc.cluster.local" }
	secretEnv := func(env, secret string) *corev1.EnvVarArgs {
		return &corev1.EnvVarArgs{Name: pulumi.String(env), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: pulumi.String(secret), Key: pulumi.String("password")},
		}}
	}
	env := corev1.EnvVarArray{
		&corev1.EnvVarArgs{Name: pulumi.String("POSTGRES_USER"), Value: pulumi.String(s.User)},
		&corev1.EnvVarArgs{Name: pulumi.String("POSTGRES_DB"), Value: pulumi.String(s.DBName)},
		&corev1.EnvVarArgs{Name: pulumi.String("PGDATA"), Value: pulumi.String("/var/lib/postgresql/data/pgdata")},
		secretEnv("POSTGRES_PASSWORD", "postgres"),
		secretEnv("REPLICATION_PASSWORD", "replication"),
	}
	probe := func(period int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			Exec:          &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{"pg_isready", "-U", s.User, "-d", s.DBName, "-h", "127.0.0.1"})},
			PeriodSeconds: pulumi.Int(period), FailureThreshold: pulumi.Int(6), TimeoutSeconds: pulumi.Int(5),
		}
	}
	statefulSet := func(role string, replicas int, initContainers corev1.ContainerArray, extraVolumes corev1.VolumeArray, extraMounts corev1.VolumeMountArray) (*appsv1.StatefulSet, error) {
		ls := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("postgres"), spec.RoleLabel: pulumi.String(role)}
		vols, mounts := kube.EmptyDirs(map[string]string{"tmp": "/tmp", "run": "/var/run/postgresql"})
		mounts = append(mounts, &corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String("/var/lib/postgresql/data")})
		svcName := "postgres"
		if role != spec.PrimaryRole {
			svcName = "postgres-" + role
		}
		if _, err := corev1.NewService(ctx, name+"-"+role, &corev1.ServiceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(svcName), Namespace: pulumi.String(localNamespace), Labels: ls},
			Spec: &corev1.ServiceSpecArgs{
				Selector: ls,
				Ports:    corev1.ServicePortArray{&corev1.ServicePortArgs{Name: pulumi.String("postgres"), Port: pulumi.Int(pgPort), TargetPort: pulumi.Int(pgPort)}},
			},
		}, pulumi.Parent(d), pulumi.DependsOn([]pulumi.Resource{ns})); err != nil {
			return nil, err
		}
		return appsv1.NewStatefulSet(ctx, name+"-"+role, &appsv1.StatefulSetArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(svcName), Namespace: pulumi.String(localNamespace), Labels: ls},
			Spec: &appsv1.StatefulSetSpecArgs{
				ServiceName: pulumi.String(svcName),
				Replicas:    pulumi.Int(replicas),
				Selector:    &metav1.LabelSelectorArgs{MatchLabels: ls},
				Template: &corev1.PodTemplateSpecArgs{
					Metadata: &metav1.ObjectMetaArgs{Labels: ls},
					Spec: &corev1.PodSpecArgs{
						SecurityContext:               kube.PodSecurity(postgresUID),
						AutomountServiceAccountToken:  pulumi.Bool(false),
						TerminationGracePeriodSeconds: pulumi.Int(60),
						InitContainers:                initContainers,
						Containers: corev1.ContainerArray{&corev1.ContainerArgs{
							Name:  pulumi.String("postgres"),
							Image: pulumi.String(postgresImage),
							Args: pulumi.ToStringArray([]string{"-c", "wal_level=replica", "-c", "max_wal_senders=5", "-c", "hot_standby=on",
								"-c", "password_encryption=scram-sha-256", "-c", fmt.Sprintf("max_connections=%d", localMaxConnections(s.Pool.Size))}),
							Ports:           corev1.ContainerPortArray{&corev1.ContainerPortArgs{Name: pulumi.String("postgres"), ContainerPort: pulumi.Int(pgPort)}},
							Env:             env,
							Resources:       kube.Resources("250m", "512Mi", "1", "1Gi"),
							SecurityContext: kube.Restricted(),
							StartupProbe:    &corev1.ProbeArgs{Exec: probe(2).Exec, PeriodSeconds: pulumi.Int(2), FailureThreshold: pulumi.Int(60)},
							ReadinessProbe:  probe(5),
							LivenessProbe:   probe(10),
							VolumeMounts:    append(mounts, extraMounts...),
						}},
						Volumes: append(vols, extraVolumes...),
					},
				},
				VolumeClaimTemplates: corev1.PersistentVolumeClaimTypeArray{&corev1.PersistentVolumeClaimTypeArgs{
					Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data")},
					Spec: &corev1.PersistentVolumeClaimSpecArgs{
						AccessModes: pulumi.ToStringArray([]string{"ReadWriteOnce"}),
						Resources:   &corev1.VolumeResourceRequirementsArgs{Requests: pulumi.StringMap{"storage": pulumi.String(fmt.Sprintf("%dGi", storage))}},
					},
				}},
			},
		}, pulumi.Parent(d), pulumi.Protect(s.Protect), pulumi.DependsOn([]pulumi.Resource{ns, init, replSecret}))
	}
	initVolume := corev1.VolumeArray{&corev1.VolumeArgs{Name: pulumi.String("init"), ConfigMap: &corev1.ConfigMapVolumeSourceArgs{
		// Executable, so the image's entrypoint runs the script rather than sourcing it into itself.
		Name: pulumi.String("postgres-init"), DefaultMode: pulumi.Int(0o555),
	}}}
	initMount := corev1.VolumeMountArray{&corev1.VolumeMountArgs{Name: pulumi.String("init"), MountPath: pulumi.String("/docker-entrypoint-initdb.d"), ReadOnly: pulumi.Bool(true)}}
	if _, err := statefulSet(spec.PrimaryRole, 1, nil, initVolume, initMount); err != nil {
		return err
	}
	clone := &corev1.ContainerArgs{
		Name:    pulumi.String("clone"),
		Image:   pulumi.String(postgresImage),
		Command: pulumi.ToStringArray([]string{"sh", "-c", cloneReplica}),
		Env: append(corev1.EnvVarArray{
			&corev1.EnvVarArgs{Name: pulumi.String("PRIMARY_HOST"), Value: pulumi.String(host("postgres"))},
		}, env...),
		Resources:       kube.Resources("100m", "128Mi", "1", "512Mi"),
		SecurityContext: kube.Restricted(),
		VolumeMounts: corev1.VolumeMountArray{
			&corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String("/var/lib/postgresql/data")},
			&corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
		},
	}
	// The read replicas, as many as the preset has (none at 1K and 10K), behind one Service:
	// a tier that drops them removes the StatefulSet, as the other clouds remove theirs.
	if s.Replicas > 0 {
		if _, err := statefulSet(spec.ReplicaRole, s.Replicas, corev1.ContainerArray{clone}, nil, nil); err != nil {
			return err
		}
	}

	d.PrivateHost = pulumi.String(host("postgres")).ToStringOutput()
	d.Port = pulumi.Int(pgPort).ToIntOutput()
	d.User = pulumi.String(s.User).ToStringOutput()
	d.Password = password
	url := func(h string) pulumi.StringOutput {
		return pulumi.ToSecret(pulumi.Sprintf("postgresql://%s:%s@%s:%d/%s?sslmode=disable", s.User, password, h, pgPort, s.DBName)).(pulumi.StringOutput)
	}
	d.PrimaryURL = url(host("postgres"))
	d.PooledURL = pulumi.ToSecret(pulumi.Sprintf("postgresql://%s:%s@%s:%d/%s?sslmode=disable", s.User, password, spec.PoolerHost(), spec.PoolerPort, s.DBName)).(pulumi.StringOutput)
	replicaURLs := pulumi.StringArray{}
	if s.Replicas > 0 {
		replicaURLs = append(replicaURLs, url(host("postgres-replica")))
	}
	d.ReplicaURLs = pulumi.ToSecret(replicaURLs.ToStringArrayOutput()).(pulumi.StringArrayOutput)
	d.ReplicaEndpoints = min(s.Replicas, 1)
	return nil
}
