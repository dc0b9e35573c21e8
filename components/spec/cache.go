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
	// Standby is how many replicas stand by for automatic failover (0 to 2).
	Standby int `yaml:"standby"`
	// Shards splits the keyspace across primaries (cluster mode) where the cloud offers it.
	Shards int `yaml:"shards"`
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
	if c.Shards == 0 {
		c.Shards = 1
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
	if c.Standby < 0 || c.Standby > 2 {
		p.addf("standby", "%d is out of range (want 0 to 2 standby nodes)", c.Standby)
	}
	switch {
	case c.Shards < 1 || c.Shards > maxShards:
		p.addf("shards", "%d is out of range (want 1 to %d)", c.Shards, maxShards)
	case c.Shards > 1 && cloud == DigitalOcean:
		p.addf("shards", "%d needs cluster mode, which DigitalOcean's managed Valkey does not have (want 1 on digitalocean)", c.Shards)
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
