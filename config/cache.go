package config

import "sync"

// Cache keeps the configs one run has loaded, so that the steps of a
// command that consult .sops.yaml (the write policy, the strict MAC
// requirement, the audit settings, the Vault allowlist) parse it once, and
// its warnings are shown once. It is safe for concurrent use; a nil Cache
// loads every time and reports every warning as new.
type Cache struct {
	mu     sync.Mutex
	loaded map[string]cached
	seen   map[string]bool
}

type cached struct {
	cfg *Config
	err error
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{loaded: map[string]cached{}, seen: map[string]bool{}} }

// Load is Load(path), once per path (errors included).
func (c *Cache) Load(path string) (*Config, error) {
	if c == nil {
		return Load(path)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.loaded[path]; !ok {
		cfg, err := Load(path)
		c.loaded[path] = cached{cfg, err}
	}
	return c.loaded[path].cfg, c.loaded[path].err
}

// New filters warnings to those not returned before.
func (c *Cache) New(warnings []string) []string {
	if c == nil {
		return warnings
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, w := range warnings {
		if !c.seen[w] {
			c.seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
