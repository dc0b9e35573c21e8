package spec

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Database is a managed PostgreSQL cluster: a primary with standby nodes for failover, read-only
// replicas, and a PgBouncer pool in front of the primary.
type Database struct {
	// Version is the PostgreSQL major version, pinned so that an upgrade is a deliberate change.
	Version string `yaml:"version"`
	// Size is the primary's (and each standby's) size.
	Size PerCloud `yaml:"size"`
	// Standby is how many hot standby nodes follow the primary for automatic failover: 0 to 2 on
	// DigitalOcean; 0 or 1 on AWS, where 1 is a Multi-AZ instance (a synchronous standby in
	// another zone). A plain number applies to every cloud.
	Standby PerCloudInt `yaml:"standby"`
	// Replicas is how many read-only replicas serve read traffic.
	Replicas int `yaml:"replicas"`
	// ReplicaSize is each replica's size; empty means the primary's size.
	ReplicaSize PerCloud `yaml:"replicaSize,omitempty"`
	// StorageGiB is the disk size; zero keeps the size's included storage.
	StorageGiB int `yaml:"storageGiB,omitempty"`
	// Pool is the connection pool in front of the primary.
	Pool Pool `yaml:"pool"`
	// BackupDays is how long automated backups are kept where the cloud lets it be set (AWS:
	// 1 to 35 days; DigitalOcean keeps 7 days and has no setting).
	BackupDays int `yaml:"backupDays,omitempty" default:"absent"`
	// DBName and User are the application's database and role.
	DBName string `yaml:"dbName"`
	User   string `yaml:"user"`
}

// Pool is a PgBouncer connection pool.
type Pool struct {
	// Mode is transaction (a server connection per transaction: the most clients per
	// connection), session or statement.
	Mode string `yaml:"mode"`
	// Size is how many server connections the pool holds open to PostgreSQL.
	Size int `yaml:"size"`
}

// Defaults and limits of a Database.
const (
	DefaultPostgresVersion = "17"
	DefaultDBName          = "app"
	DefaultDBUser          = "app"
	PoolTransaction        = "transaction"
	// DirectConnections are kept outside the pool for migrations, admin sessions and
	// replication: the pool may use what is left.
	DirectConnections = 5
	maxStandby        = 2
	maxAWSStandby     = 1
	// DefaultBackupDays is a week of point-in-time recovery, DigitalOcean's fixed retention.
	DefaultBackupDays = 7
	maxBackupDays     = 35
	// minStandbyMemoryGiB: DigitalOcean offers standby nodes only on plans with 2 GiB or more.
	minStandbyMemoryGiB = 2
	maxReplicas         = 10
)

var (
	poolModes    = []string{PoolTransaction, "session", "statement"}
	pgVersions   = []string{"14", "15", "16", "17"}
	identifierRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// WithDefaults fills the documented defaults.
func (d Database) WithDefaults() Database {
	if d.Version == "" {
		d.Version = DefaultPostgresVersion
	}
	d.ReplicaSize = d.ReplicaSize.Or(d.Size)
	if d.Pool.Mode == "" {
		d.Pool.Mode = PoolTransaction
	}
	if d.BackupDays == 0 {
		d.BackupDays = DefaultBackupDays
	}
	if d.DBName == "" {
		d.DBName = DefaultDBName
	}
	if d.User == "" {
		d.User = DefaultDBUser
	}
	return d
}

// Validate reports every problem of the database for one cloud, each naming its field.
func (d Database) Validate(prefix string, cloud Cloud) error {
	p := problems{prefix: prefix}
	if !slices.Contains(pgVersions, d.Version) {
		p.addf("version", "%q is not a supported PostgreSQL major version (want one of %s)", d.Version, oneOf(pgVersions...))
	}
	p.requireSize("size", d.Size, cloud, DatabaseSize)
	standby := d.Standby.For(cloud)
	switch {
	case cloud == AWS && (standby < 0 || standby > maxAWSStandby):
		p.addf("standby.aws", "%d is out of range (want 0, or 1 for a Multi-AZ instance: AWS keeps one standby)", standby)
	case standby < 0 || standby > maxStandby:
		p.addf("standby."+string(cloud), "%d is out of range (want 0 to %d standby nodes)", standby, maxStandby)
	}
	if info, err := Lookup(cloud, DatabaseSize, d.Size.For(cloud)); cloud == DigitalOcean && err == nil && standby > 0 && info.MemoryGiB < minStandbyMemoryGiB {
		p.addf("standby.digitalocean", "%d standby nodes need a plan with at least %d GiB of memory, and %q has %g (want 0, or a larger size)", standby, minStandbyMemoryGiB, info.Slug, info.MemoryGiB)
	}
	if d.BackupDays < 1 || d.BackupDays > maxBackupDays {
		p.addf("backupDays", "%d is out of range (want 1 to %d days)", d.BackupDays, maxBackupDays)
	}
	if d.Replicas < 0 || d.Replicas > maxReplicas {
		p.addf("replicas", "%d is out of range (want 0 to %d read replicas)", d.Replicas, maxReplicas)
	}
	if d.Replicas > 0 {
		p.requireSize("replicaSize", d.ReplicaSize, cloud, DatabaseSize)
		primary, perr := Lookup(cloud, DatabaseSize, d.Size.For(cloud))
		replica, rerr := Lookup(cloud, DatabaseSize, d.ReplicaSize.For(cloud))
		if cloud != Local && perr == nil && rerr == nil && replica.MemoryGiB < primary.MemoryGiB {
			p.addf("replicaSize."+string(cloud), "%q has less memory than the primary %q (want a replica at least as large, or it falls behind on replay)", replica.Slug, primary.Slug)
		}
	}
	if d.StorageGiB < 0 {
		p.addf("storageGiB", "%d is negative (want 0 for the size's included storage, or more)", d.StorageGiB)
	}
	if !slices.Contains(poolModes, d.Pool.Mode) {
		p.addf("pool.mode", "%q is not a pool mode (want one of %s)", d.Pool.Mode, oneOf(poolModes...))
	}
	if d.Pool.Size < 1 {
		p.addf("pool.size", "%d is below 1 (want at least 1 server connection)", d.Pool.Size)
	} else if limit, err := d.PoolLimit(cloud); err == nil && limit > 0 && d.Pool.Size > limit {
		p.addf("pool.size", "%d is above %d, the most %q allows (want at most %d: the size's connection limit less %d direct connections, halved so that the next pool can come up beside it during a tier switch)",
			d.Pool.Size, limit, d.Size.For(cloud), limit, DirectConnections)
	}
	if !identifierRe.MatchString(d.DBName) {
		p.addf("dbName", "%q is not a database name (want lowercase letters, digits and underscores, starting with a letter)", d.DBName)
	}
	if !identifierRe.MatchString(d.User) {
		p.addf("user", "%q is not a role name (want lowercase letters, digits and underscores, starting with a letter)", d.User)
	}
	return errors.Join(p.errs...)
}

// PoolLimit is the largest pool the primary's size allows: its connection limit less the direct
// connections, halved because a pool cannot be resized in place on DigitalOcean, so a tier switch
// brings up the new pool beside the old one before the old one goes. Zero where the cloud has no
// catalogued limit (the local cloud).
func (d Database) PoolLimit(cloud Cloud) (int, error) {
	if cloud == Local {
		return 0, nil
	}
	info, err := Lookup(cloud, DatabaseSize, d.Size.For(cloud))
	if err != nil {
		return 0, err
	}
	if info.Connections == 0 {
		return 0, fmt.Errorf("spec: %s has no connection limit in the catalog", info.Slug)
	}
	return (info.Connections - DirectConnections) / 2, nil
}

// The in-cluster PgBouncer, for clouds without a managed pool (AWS): the workloads run it as
// this Service, and the database component on such a cloud hands out URLs that point at it.
const (
	PoolerNamespace = "scalestack"
	PoolerService   = "pgbouncer"
	// PoolerProcess is the process label (ProcessLabel) of the pooler's pods.
	PoolerProcess = "pgbouncer"
	PoolerPort    = 6432
)

// PoolerHost is the in-cluster PgBouncer's DNS name.
func PoolerHost() string {
	return PoolerService + "." + PoolerNamespace + ".svc.cluster.local"
}
