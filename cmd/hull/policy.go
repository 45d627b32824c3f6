package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// policy is what a new (or re-keyed) file gets: its key groups and rule,
// from the command line or the trusted .sops.yaml, never from the file.
type policy struct {
	groups    [][]keysources.Recipient
	threshold int
	rule      metadata.Rule
	macOnly   bool
	// source says where the keys came from, for messages.
	source string
	// cfg and cfgRule are the config and the rule that matched, if any.
	cfg     *config.Config
	cfgRule *config.CreationRule
}

// findConfig names the .sops.yaml: --config, else SOPS_CONFIG, else the
// first safe .sops.yaml upwards from the working directory ("" when there
// is none), as sops finds it (TRUST.md "Finding .sops.yaml"): the target
// file's location plays no part, so a .sops.yaml planted next to the file
// or in a world-writable ancestor of it does not apply. target is only
// kept for the callers' messages. The warnings are those of the search (a
// .sops.yml seen on the way, an unsafe .sops.yaml skipped).
func (r *runner) findConfig(c *cli.Context, target string) (string, []string, error) {
	_ = target
	if r.configPath != "" {
		return r.configPath, nil, nil
	}
	if path := c.String("config"); path != "" {
		return path, nil, nil
	}
	if path := r.env.get("SOPS_CONFIG"); path != "" {
		return path, nil, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", nil, fmt.Errorf("looking for a config file: %w", err)
	}
	return config.Find([]string{wd}, os.Stat)
}

// configCache keeps the configs one run of hull has read: the steps of a
// command that consult .sops.yaml (the write policy, the strict MAC
// requirement, the audit settings, the Vault allowlist) then parse it once
// and print its warnings once. Forked runners (bulk workers) share it. A
// nil cache reads every time.
type configCache struct {
	mu     sync.Mutex
	loaded map[string]configResult
	warned map[string]bool
}

type configResult struct {
	cfg *config.Config
	err error
}

func newConfigCache() *configCache {
	return &configCache{loaded: map[string]configResult{}, warned: map[string]bool{}}
}

// load parses the config at path, once.
func (cc *configCache) load(path string) (*config.Config, error) {
	if cc == nil {
		return config.Load(path)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if res, ok := cc.loaded[path]; ok {
		return res.cfg, res.err
	}
	cfg, err := config.Load(path)
	cc.loaded[path] = configResult{cfg, err}
	return cfg, err
}

// firstTime reports whether a warning has not been printed yet.
func (cc *configCache) firstTime(warning string) bool {
	if cc == nil {
		return true
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.warned[warning] {
		return false
	}
	cc.warned[warning] = true
	return true
}

// loadConfig finds and parses the .sops.yaml for target (see findConfig).
// No config is not an error (nil); a config that cannot be read is.
func (r *runner) loadConfig(c *cli.Context, target string) (*config.Config, error) {
	path, warnings, err := r.findConfig(c, target)
	if err != nil {
		return nil, withCode(exitErrorReadingConfig, err)
	}
	for _, w := range warnings {
		if r.configs.firstTime(w) {
			r.warnf("%s", w)
		}
	}
	if path == "" {
		return nil, nil
	}
	cfg, err := r.configs.load(path)
	if err != nil {
		return nil, withCode(exitErrorReadingConfig, fmt.Errorf("error loading config: %w", err))
	}
	if !quietCommand(c) {
		for _, w := range cfg.Warnings {
			if msg := w.Error(); r.configs.firstTime(msg) {
				r.warnf("%s", msg)
			}
		}
	}
	return cfg, nil
}

// quietCommand reports whether c is a read-only command that prints
// nothing on stderr when it succeeds, as sops (helm-secrets and others mix
// stderr into their output): its config warnings (unknown keys) are shown
// only with --verbose; the commands that write, and hull check, show them.
func quietCommand(c *cli.Context) bool {
	if c == nil || c.Bool("verbose") {
		return false
	}
	for _, l := range c.Lineage() {
		if l.Command == nil {
			continue
		}
		switch l.Command.Name {
		case "decrypt", "exec-env", "exec-file", "diff", "filestatus":
			return true
		}
	}
	return hasFlag(c, "decrypt") && c.Bool("decrypt") // sops -d
}

// cliKeysGiven reports whether recipients were given on the command line
// or in the environment; they then replace the config's keys entirely.
func (r *runner) cliKeysGiven(c *cli.Context) bool {
	for _, src := range all.Sources {
		if (hasFlag(c, src.Flag) && c.String(src.Flag) != "") || r.env.get(src.Env) != "" {
			return true
		}
	}
	for _, u := range unsupportedKeyFlags {
		if (hasFlag(c, u.flag) && c.String(u.flag) != "") || r.env.get(u.env) != "" {
			return true
		}
	}
	return false
}

// resolvePolicy decides the keys and the rule for writing the file at
// name (the --filename-override when given): command-line keys and rule
// flags first, then the matching creation rule of .sops.yaml.
func (r *runner) resolvePolicy(c *cli.Context, name string) (*policy, error) {
	p := &policy{}
	cliRule, err := rule(c)
	if err != nil {
		return nil, err
	}
	cfg, err := r.loadConfig(c, name)
	if err != nil {
		return nil, err
	}
	p.cfg = cfg
	cliKeys := r.cliKeysGiven(c)
	if cfg != nil && cfg.CreationRules != nil {
		cr, err := cfg.RuleFor(absOrSelf(name))
		switch {
		case err == nil:
			p.cfgRule = cr
		case errors.Is(err, config.ErrNoMatchingRule) && cliKeys:
			// Keys given on the command line: a config without a rule for
			// this file does not matter.
		default:
			return nil, withCode(exitGeneric, fmt.Errorf("error loading config: %w", err))
		}
	}
	if cliKeys {
		if p.groups, err = r.recipients(c); err != nil {
			return nil, err
		}
		p.source = "the command line"
	} else if p.cfgRule != nil {
		opts := r.keySourceOptions()
		if err := kmsFlagOptions(c, &opts.KMS); err != nil {
			return nil, err
		}
		if p.groups, err = groupsFromConfigWith(p.cfgRule, opts); err != nil {
			return nil, withCode(exitErrorReadingConfig, err)
		}
		if err := r.checkEndpoints(c, p.groups); err != nil {
			return nil, err
		}
		p.threshold = p.cfgRule.ShamirThreshold
		p.source = fmt.Sprintf("the creation rule at %s:%d", filepath.Join(cfg.Dir, config.FileName), p.cfgRule.Line)
	} else {
		return nil, withCode(exitGeneric, fmt.Errorf("%w: no .sops.yaml creation rule and no keys given; give age recipients with --age or SOPS_AGE_RECIPIENTS, or add a .sops.yaml", hull.ErrNoRecipients))
	}
	p.rule = cliRule
	if p.rule.IsZero() && p.cfgRule != nil {
		p.rule = p.cfgRule.Rule
	}
	p.macOnly = c.Bool("mac-only-encrypted") || (p.cfgRule != nil && p.cfgRule.MACOnlyEncrypted)
	if s := c.String("shamir-secret-sharing-threshold"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, withCode(exitGeneric, fmt.Errorf("--shamir-secret-sharing-threshold %q is not a positive number", s))
		}
		if n != 0 {
			p.threshold = n
		}
	}
	for i, g := range p.groups {
		if len(g) == 0 {
			return nil, withCode(exitGeneric, fmt.Errorf("%w: %w: key group %d from %s is empty", hull.ErrNoRecipients, errEmptyKeyGroup, i+1, p.source))
		}
	}
	return p, nil
}

func absOrSelf(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// groupsFromConfigWith turns a creation rule's key references into
// recipients through the key-source table, with the settings in opts. A
// kms entry keeps its own role, context and profile; --encryption-context
// (in opts.KMS.Context) applies to kms entries without a context.
func groupsFromConfigWith(cr *config.CreationRule, opts all.Options) ([][]keysources.Recipient, error) {
	var groups [][]keysources.Recipient
	for _, g := range cr.KeyGroups {
		var group []keysources.Recipient
		for _, ref := range g {
			src, ok := all.Lookup(ref.Type)
			if !ok {
				return nil, fmt.Errorf(".sops.yaml line %d: %s keys are not supported by this version of hull yet", ref.Line, ref.Type)
			}
			var rs []keysources.Recipient
			var err error
			if ref.Type == cloudkey.KMS {
				kctx := ref.Context
				if kctx == nil {
					kctx = opts.KMS.Context
				}
				var kr keysources.Recipient
				if kr, err = opts.Client().KMSRecipient(ref.ID, ref.Role, kctx, ref.AWSProfile); err == nil {
					rs = []keysources.Recipient{kr}
				}
			} else {
				rs, err = src.ParseWith(ref.ID, opts)
			}
			if err != nil {
				return nil, fmt.Errorf(".sops.yaml line %d: %w", ref.Line, err)
			}
			group = append(group, rs...)
		}
		groups = append(groups, group)
	}
	return groups, nil
}

// storeIndent applies the config's stores settings when --indent is not
// given.
func (p *policy) storeIndent(fio *fileIO) {
	if p == nil || p.cfg == nil || fio.emitOpts.IndentSet {
		return
	}
	var v *int
	switch fio.out.Name() {
	case "yaml":
		v = p.cfg.Stores.YAMLIndent
	case "json":
		v = p.cfg.Stores.JSONIndent
	case "binary":
		v = p.cfg.Stores.JSONBinaryIndent
	}
	if v != nil {
		fio.emitOpts.Indent, fio.emitOpts.IndentSet = *v, true
	}
}

// checkEndpoints refuses recipients whose address the user did not give: a
// Vault key named by repository content (.sops.yaml, the file's stanzas)
// would receive the user's VAULT_TOKEN when the data key is wrapped
// (docs/TRUST.md rule 17).
func (r *runner) checkEndpoints(c *cli.Context, groups [][]keysources.Recipient) error {
	al, err := r.vaultAllowlist(func() []string { return flagVaultAddresses(c) })
	if err != nil {
		return err
	}
	return al.CheckRecipients(groups)
}
