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
	found  map[locateKey]located
}

type locateKey struct{ given, env, workDir string }

type located struct {
	path     string
	warnings []string
	err      error
}

type cached struct {
	cfg *Config
	err error
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{loaded: map[string]cached{}, seen: map[string]bool{}, found: map[locateKey]located{}}
}

// Locate is Locate(given, getenv, workDir), once per set of arguments
// (the value of SOPS_CONFIG standing for getenv): a decrypt looked for
// .sops.yaml three times, for the policy and twice for the audit log, with
// two stats per directory up to the root each time. A Cache belongs to one
// run, so workDir "" (the working directory) is taken to name the same
// directory each time: a program that changes its working directory uses a
// new Cache, or passes workDir.
func (c *Cache) Locate(given string, getenv func(string) string, workDir string) (string, []string, error) {
	if c == nil {
		return Locate(given, getenv, workDir)
	}
	k := locateKey{given: given, workDir: workDir}
	if getenv != nil {
		k.env = getenv("SOPS_CONFIG")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.found[k]
	if !ok {
		l.path, l.warnings, l.err = Locate(given, getenv, workDir)
		c.found[k] = l
	}
	return l.path, append([]string(nil), l.warnings...), l.err
}

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
