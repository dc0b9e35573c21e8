package spec

import (
	"errors"
	"slices"
	"strings"
)

// Cache is a managed Valkey (or Redis) cache: sessions, hot data with short TTLs, rate-limit
// counters and the worker queue.
type Cache struct {
	// Engine is valkey (the open-source fork that managed services now offer) or redis.
	Engine  string   `yaml:"engine"`
	Version string   `yaml:"version"`
	Size    PerCloud `yaml:"size"`
	// Standby is how many replicas stand by for automatic failover, in each shard: 0 or 1 on
	// DigitalOcean, 0 to 2 on AWS. A plain number applies to every cloud.
	Standby PerCloudInt `yaml:"standby"`
	// Shards splits the keyspace across primaries (cluster mode). AWS runs cluster mode at every
	// tier, so that adding shards is online resharding; DigitalOcean has no cluster mode and
	// allows 1. A plain number applies to every cloud; 0, or a cloud left out, means 1.
	Shards PerCloudInt `yaml:"shards"`
	// EvictionPolicy is what the cache drops when full, in Redis's own spelling (allkeys-lru).
	EvictionPolicy string `yaml:"evictionPolicy"`
}

// Defaults and allowed values of a Cache.
const (
	EngineValkey          = "valkey"
	EngineRedis           = "redis"
	DefaultCacheVersion   = "8"
	DefaultEvictionPolicy = "allkeys-lru"
	maxShards             = 16
	maxCacheStandby       = 2
	// maxDOCacheStandby: DigitalOcean caching clusters have at most one standby node.
	maxDOCacheStandby = 1
)

var (
	cacheEngines     = []string{EngineValkey, EngineRedis}
	evictionPolicies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}
	// doEvictionPolicies are the ones DigitalOcean's API accepts.
	doEvictionPolicies = []string{"noeviction", "allkeys-lru", "allkeys-random", "volatile-lru", "volatile-random", "volatile-ttl"}
)

// WithDefaults fills the documented defaults.
func (c Cache) WithDefaults() Cache {
	if c.Engine == "" {
		c.Engine = EngineValkey
	}
	if c.Version == "" {
		c.Version = DefaultCacheVersion
	}
	if c.Shards.DigitalOcean == 0 {
		c.Shards.DigitalOcean = 1
	}
	if c.Shards.AWS == 0 {
		c.Shards.AWS = 1
	}
	if c.EvictionPolicy == "" {
		c.EvictionPolicy = DefaultEvictionPolicy
	}
	return c
}

// Validate reports every problem of the cache for one cloud, each naming its field.
func (c Cache) Validate(prefix string, cloud Cloud) error {
	p := problems{prefix: prefix}
	if !slices.Contains(cacheEngines, c.Engine) {
		p.addf("engine", "%q is not a cache engine (want one of %s)", c.Engine, oneOf(cacheEngines...))
	}
	if cloud == DigitalOcean && c.Engine == EngineRedis {
		p.addf("engine", "%q is no longer offered for new DigitalOcean clusters (want %s)", c.Engine, EngineValkey)
	}
	if c.Version == "" {
		p.addf("version", "is empty (want the engine's major version, for example %s)", DefaultCacheVersion)
	}
	p.requireSize("size", c.Size, cloud, CacheSize)
	maxStandby := maxCacheStandby
	if cloud == DigitalOcean {
		maxStandby = maxDOCacheStandby
	}
	if standby := c.Standby.For(cloud); standby < 0 || standby > maxStandby {
		p.addf("standby."+string(cloud), "%d is out of range (want 0 to %d standby nodes on %s)", standby, maxStandby, cloud)
	}
	switch shards := c.Shards.For(cloud); {
	case shards < 1 || shards > maxShards:
		p.addf("shards."+string(cloud), "%d is out of range (want 1 to %d)", shards, maxShards)
	case shards > 1 && cloud == DigitalOcean:
		p.addf("shards.digitalocean", "%d needs cluster mode, which DigitalOcean's managed Valkey does not have (want 1 on digitalocean)", shards)
	}
	allowed := evictionPolicies
	if cloud == DigitalOcean {
		allowed = doEvictionPolicies
	}
	if !slices.Contains(allowed, c.EvictionPolicy) {
		p.addf("evictionPolicy", "%q is not an eviction policy on %s (want one of %s)", c.EvictionPolicy, cloud, oneOf(allowed...))
	}
	return errors.Join(p.errs...)
}

// DigitalOceanEvictionPolicy spells the policy as DigitalOcean's API wants it (allkeys_lru).
func (c Cache) DigitalOceanEvictionPolicy() string {
	return strings.ReplaceAll(c.EvictionPolicy, "-", "_")
}
