package sopsenv

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// Unsupported are the key types sops knows and hull does not yet: the
// flag and the environment variable sops reads for each.
var Unsupported = []struct{ Flag, Env string }{
	{"hckms", "SOPS_HUAWEICLOUD_KMS_IDS"},
}

// KMSOptions are the AWS settings of recipients from sops's --aws-profile
// and --encryption-context ("" when not given). Its only error is a
// malformed context (sops exits 6 for it).
func KMSOptions(profile, context string) (all.KMSOptions, error) {
	o := all.KMSOptions{Profile: profile}
	if context != "" {
		ctx, err := cloudkey.ParseContext(context)
		if err != nil {
			return o, fmt.Errorf("--encryption-context: %w", err)
		}
		o.Context = ctx
	}
	return o, nil
}

// KeysGiven reports whether recipients are given by flags (flag name →
// value, "" when not given) or by the environment variables of the key
// sources; they then replace the config's keys entirely.
func KeysGiven(flags map[string]string, env Lookup) bool {
	for _, src := range all.Sources {
		if flags[src.Flag] != "" || env.Get(src.Env) != "" {
			return true
		}
	}
	for _, u := range Unsupported {
		if flags[u.Flag] != "" || env.Get(u.Env) != "" {
			return true
		}
	}
	return false
}

// Recipients is the one key group for a new file from flags (flag name →
// value) and, for each key source whose flag is empty, its environment
// variable (SOPS_AGE_RECIPIENTS, SOPS_PGP_FP, …).
func Recipients(flags map[string]string, env Lookup, o all.Options) ([][]keysources.Recipient, error) {
	for _, u := range Unsupported {
		if flags[u.Flag] != "" {
			return nil, fmt.Errorf("--%s: this key type is not supported by this version of hull yet; use --age", u.Flag)
		}
		if env.Get(u.Env) != "" {
			return nil, fmt.Errorf("%s is set, but this key type is not supported by this version of hull yet; unset it and use age recipients", u.Env)
		}
	}
	var group []keysources.Recipient
	for _, src := range all.Sources {
		val := flags[src.Flag]
		if val == "" {
			val = env.Get(src.Env)
		}
		if val == "" {
			continue
		}
		rs, err := src.ParseWith(val, o)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", src.Flag, err)
		}
		group = append(group, rs...)
	}
	if len(group) == 0 {
		return nil, fmt.Errorf("%w: give age recipients with --age or SOPS_AGE_RECIPIENTS", hull.ErrNoRecipients)
	}
	return [][]keysources.Recipient{group}, nil
}

// ConfigError is an error in the keys a .sops.yaml names (an unsupported
// type, a key that does not parse).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// RuleRecipients are the key groups of a creation rule (source says where
// it is, for messages); a rule without keys, or with an empty group, is
// ErrNoRecipients, a key that does not parse a *ConfigError.
func RuleRecipients(cr *config.CreationRule, source string, o all.Options) ([][]keysources.Recipient, error) {
	groups, err := all.FromConfig(cr, o)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if len(groups) == 0 || (len(groups) == 1 && len(groups[0]) == 0) {
		return nil, fmt.Errorf("%w: %s lists no keys", hull.ErrNoRecipients, source)
	}
	for i, g := range groups {
		if len(g) == 0 {
			return nil, fmt.Errorf("%w: key group %d of %s is empty", hull.ErrNoRecipients, i+1, source)
		}
	}
	return groups, nil
}

// RuleKeyIDs are the keys of a creation rule as the key sources name them
// (nil when cr is nil or a key does not parse).
func RuleKeyIDs(cr *config.CreationRule, o all.Options) [][]hull.KeyID {
	if cr == nil {
		return nil
	}
	groups, err := all.FromConfig(cr, o)
	if err != nil {
		return nil
	}
	return hull.RecipientKeyIDs(groups)
}

// NewFileInput is what NewFilePolicy decides from.
type NewFileInput struct {
	// Name is the name creation rules match (--filename-override, else
	// the path; "stdin" for standard input).
	Name string
	// Config is the .sops.yaml that applies (nil: none).
	Config *config.Config
	// KeyFlags are the key flags given (flag name → value).
	KeyFlags map[string]string
	// Env is the caller's environment.
	Env Lookup
	// Options are the key sources' settings, KMS from KMSOptions.
	Options all.Options
	// Rule is the rule of the flags (zero: none); MACOnlyEncrypted and
	// Threshold (the --shamir-secret-sharing-threshold text, "" when not
	// given) are the other flags.
	Rule             metadata.Rule
	MACOnlyEncrypted bool
	Threshold        string
	// VaultAddresses are those of --hc-vault-transit (VaultAddresses).
	VaultAddresses []string
}

// NewFile is what a new file gets: its key groups and rule, from the
// command line or the trusted .sops.yaml, never from a file.
type NewFile struct {
	Groups           [][]keysources.Recipient
	Threshold        int
	Rule             metadata.Rule
	MACOnlyEncrypted bool
	// Source says where the keys came from, for messages.
	Source string
	// CreationRule is the rule that matched, if any.
	CreationRule *config.CreationRule
	// Config is the .sops.yaml that applies (nil: none), for its stores
	// settings (Indent).
	Config *config.Config
}

// Indent is emit with the indent the config's stores settings give
// output in the format named out, unless emit sets one (--indent).
func (p *NewFile) Indent(out string, emit formats.EmitOptions) formats.EmitOptions {
	if p.Config == nil || emit.IndentSet {
		return emit
	}
	if v := p.Config.Stores.Indent(out); v != nil {
		emit.Indent, emit.IndentSet = *v, true
	}
	return emit
}

// NewFilePolicy decides the keys and the rule of a new file as sops does:
// keys given by flags or the environment first (they replace the
// config's), else those of the matching creation rule; the rule flags,
// else the creation rule's. The config's Vault keys must be at addresses
// the user gave (CheckEndpoints). An empty key group is refused
// (hull.ErrNoRecipients, ErrEmptyKeyGroup).
func NewFilePolicy(in NewFileInput) (*NewFile, error) {
	p := &NewFile{Config: in.Config}
	keysGiven := KeysGiven(in.KeyFlags, in.Env)
	cfg := in.Config
	if cfg != nil && cfg.CreationRules != nil {
		abs, err := filepath.Abs(in.Name)
		if err != nil {
			abs = in.Name
		}
		cr, err := cfg.RuleFor(abs)
		switch {
		case err == nil:
			p.CreationRule = cr
		case errors.Is(err, config.ErrNoMatchingRule) && keysGiven:
			// Keys given on the command line: a config without a rule for
			// this file does not matter.
		default:
			return nil, fmt.Errorf("error loading config: %w", err)
		}
	}
	var err error
	switch {
	case keysGiven:
		if p.Groups, err = Recipients(in.KeyFlags, in.Env, in.Options); err != nil {
			return nil, err
		}
		p.Source = "the command line"
	case p.CreationRule != nil:
		if p.Groups, err = all.FromConfig(p.CreationRule, in.Options); err != nil {
			return nil, &ConfigError{err}
		}
		if err := CheckEndpoints(in.Env, in.VaultAddresses, p.Groups); err != nil {
			return nil, err
		}
		p.Threshold = p.CreationRule.ShamirThreshold
		p.Source = fmt.Sprintf("the creation rule at %s:%d", filepath.Join(cfg.Dir, config.FileName), p.CreationRule.Line)
	default:
		return nil, fmt.Errorf("%w: no .sops.yaml creation rule and no keys given; give age recipients with --age or SOPS_AGE_RECIPIENTS, or add a .sops.yaml", hull.ErrNoRecipients)
	}
	p.Rule = in.Rule
	if p.Rule.IsZero() && p.CreationRule != nil {
		p.Rule = p.CreationRule.Rule
	}
	p.MACOnlyEncrypted = in.MACOnlyEncrypted || (p.CreationRule != nil && p.CreationRule.MACOnlyEncrypted)
	n, set, err := Threshold(in.Threshold)
	if err != nil {
		return nil, err
	}
	if set {
		p.Threshold = n
	}
	for i, g := range p.Groups {
		if len(g) == 0 {
			return nil, fmt.Errorf("%w: %w: key group %d from %s is empty", hull.ErrNoRecipients, ErrEmptyKeyGroup, i+1, p.Source)
		}
	}
	return p, nil
}

// Threshold parses --shamir-secret-sharing-threshold; set is false when
// it is empty or 0 (the default applies).
func Threshold(s string) (n int, set bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("--shamir-secret-sharing-threshold %q is not a positive number", s)
	}
	return n, n != 0, nil
}

// KeyFlags map the key-type part of sops's key flags (--age, --add-age,
// --rm-age, …) to stanza types, in the order they are parsed.
var KeyFlags = []struct{ Flag, Type string }{
	{"age", "age"},
	{"pgp", "pgp"},
	{"kms", "kms"},
	{"gcp-kms", "gcp_kms"},
	{"azure-kv", "azure_kv"},
	{"hc-vault-transit", "hc_vault"},
	{"hckms", "hckms"},
}

// FlagForType is the flag part of a stanza type ("gcp-kms" for gcp_kms).
func FlagForType(typ string) string {
	for _, k := range KeyFlags {
		if k.Type == typ {
			return k.Flag
		}
	}
	return typ
}

// ParseKeys parses the values of the key flags named prefix+Flag (values
// maps Flag to the flag's values) into recipients, in the order of
// KeyFlags; errors name the flag.
func ParseKeys(prefix string, values map[string][]string, o all.Options) ([]keysources.Recipient, error) {
	var out []keysources.Recipient
	for _, k := range KeyFlags {
		vals := values[k.Flag]
		if len(vals) == 0 {
			continue
		}
		src, ok := all.Lookup(k.Type)
		if !ok {
			return nil, fmt.Errorf("--%s%s: this key type is not supported by this version of hull yet", prefix, k.Flag)
		}
		rs, err := src.ParseWith(strings.Join(vals, ","), o)
		if err != nil {
			return nil, fmt.Errorf("--%s%s: %w", prefix, k.Flag, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// KeyChanges are the changes of rotate's --add-* and --rm-* flags (add
// and rm map Flag to the values). A PGP fingerprint to remove may be
// written with spaces.
func KeyChanges(add, rm map[string][]string, o all.Options) (hull.KeyChanges, error) {
	var kc hull.KeyChanges
	var err error
	if kc.Add, err = ParseKeys("add-", add, o); err != nil {
		return kc, err
	}
	for _, k := range KeyFlags {
		for _, id := range rm[k.Flag] {
			if k.Type == "pgp" {
				id = strings.ReplaceAll(id, " ", "")
			}
			kc.Remove = append(kc.Remove, hull.KeyID{Type: k.Type, ID: id})
		}
	}
	return kc, nil
}

// RuleFlags are sops's encryption rule flags and the rule kind each sets.
var RuleFlags = []struct{ Flag, Kind string }{
	{"unencrypted-suffix", metadata.UnencryptedSuffix},
	{"encrypted-suffix", metadata.EncryptedSuffix},
	{"unencrypted-regex", metadata.UnencryptedRegex},
	{"encrypted-regex", metadata.EncryptedRegex},
	{"unencrypted-comment-regex", metadata.UnencryptedCommentRegex},
	{"encrypted-comment-regex", metadata.EncryptedCommentRegex},
}

// Rule is the encryption rule of the rule flags given (flag name →
// value; the zero rule when none): at most one (else an error wrapping
// metadata.ErrConflictingRules), and valid (a regular expression must
// compile; else the error names the flag).
func Rule(given map[string]string) (metadata.Rule, error) {
	var r metadata.Rule
	var names []string
	for _, f := range RuleFlags {
		if v, ok := given[f.Flag]; ok {
			names = append(names, "--"+f.Flag)
			r = metadata.Rule{Kind: f.Kind, Value: v}
		}
	}
	if len(names) > 1 {
		return r, fmt.Errorf("%s cannot be used together: %w", strings.Join(names, " and "), metadata.ErrConflictingRules)
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("--%s: %w", strings.ReplaceAll(r.Kind, "_", "-"), err)
	}
	return r, nil
}

// NewGroup is the key group groups add appends: the keys of the key flags
// given (values, as KeyValues reads them with no prefix). A group without
// keys is an error that matches hull.ErrNoRecipients.
func NewGroup(values map[string][]string, o all.Options) ([]keysources.Recipient, error) {
	group, err := ParseKeys("", values, o)
	if err == nil && len(group) == 0 {
		err = fmt.Errorf("%w: give the new group's keys with --age or --pgp", hull.ErrNoRecipients)
	}
	return group, err
}

// NoKeys refuses key flags where none belong (groups delete): its error
// names the first key flag given in values (KeyValues with no prefix).
func NoKeys(values map[string][]string) error {
	for _, k := range KeyFlags {
		if len(values[k.Flag]) > 0 {
			return fmt.Errorf("--%s: groups delete takes no keys (did you mean 'groups add'?)", k.Flag)
		}
	}
	return nil
}

// KeyValues are the values of the key flags prefix+Flag (KeyFlags), by
// Flag: each value given is split at commas, blanks dropped, as sops
// reads them. list returns the values of a flag (none when the command
// has no such flag).
func KeyValues(list func(flag string) []string, prefix string) map[string][]string {
	out := map[string][]string{}
	for _, k := range KeyFlags {
		var vals []string
		for _, v := range list(prefix + k.Flag) {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					vals = append(vals, s)
				}
			}
		}
		if len(vals) > 0 {
			out[k.Flag] = vals
		}
	}
	return out
}

// KeySources are the key sources of keysources/all, with o's settings,
// for the key transactions of hull (Policy.Rotate, Policy.Regroup); the
// caller adds its Allow and Route.
func KeySources(o all.Options) hull.KeySources {
	return hull.KeySources{
		Supported:  func(t string) bool { _, ok := all.Lookup(t); return ok },
		FromStanza: func(s metadata.Stanza) (keysources.Recipient, error) { return all.FromStanza(s, o) },
	}
}

// WantKeys returns the key lookup of hull.CheckOptions.WantKeys for
// recipient drift: the key IDs of a creation rule, as the key sources
// name them, parsed once per rule (safe for concurrent use).
func WantKeys() func(cr *config.CreationRule, source string) ([][]hull.KeyID, error) {
	type result struct {
		ids [][]hull.KeyID
		err error
	}
	var cache sync.Map // *config.CreationRule → result
	return func(cr *config.CreationRule, source string) ([][]hull.KeyID, error) {
		v, ok := cache.Load(cr)
		if !ok {
			groups, err := RuleRecipients(cr, source, all.Options{})
			v, _ = cache.LoadOrStore(cr, result{hull.RecipientKeyIDs(groups), err})
		}
		w := v.(result)
		return w.ids, w.err
	}
}

// KeyFlagValues are the key flags a command has (those of keysources/all
// and Unsupported), flag name → value, as NewFileInput.KeyFlags takes
// them; value returns a flag's value and whether the command has it.
func KeyFlagValues(value func(flag string) (string, bool)) map[string]string {
	out := map[string]string{}
	for _, src := range all.Sources {
		if v, ok := value(src.Flag); ok {
			out[src.Flag] = v
		}
	}
	for _, u := range Unsupported {
		if v, ok := value(u.Flag); ok {
			out[u.Flag] = v
		}
	}
	return out
}

// ErrNoRule is returned by RuleTarget when no creation rule matches the
// file.
var ErrNoRule = errors.New("no .sops.yaml creation rule matches this file")

// RuleTarget is the first step of updatekeys for the file name: the
// creation rule of p that matches it (ErrNoRule when there is none) and
// its recipients (RuleRecipients with o), checked with allow when set
// (the endpoint check) before the file is opened.
func RuleTarget(p *hull.Policy, name string, o all.Options, allow func([][]keysources.Recipient) error) (*config.CreationRule, [][]keysources.Recipient, error) {
	cr, source, err := p.CreationRule(name)
	switch {
	case err != nil:
		return nil, nil, &ConfigError{fmt.Errorf("error loading config: %w", err)}
	case cr == nil:
		return nil, nil, ErrNoRule
	}
	want, err := RuleRecipients(cr, source, o)
	if err != nil {
		return nil, nil, err
	}
	if allow != nil {
		if err := allow(want); err != nil {
			return nil, nil, err
		}
	}
	return cr, want, nil
}

// UpdateKeysInput is what UpdateKeys needs to update one file.
type UpdateKeysInput struct {
	// Path is the file, Name the name creation rules match.
	Path, Name string
	// Options turn the rule's keys into recipients; Sources check them
	// (Allow, before the file is opened) and route them.
	Options all.Options
	Sources hull.KeySources
	// Open opens the file for keys (hull.OpenKeyFile, or a caller's own
	// open step); UpdateKeys wipes its data key when done.
	Open func() (*hull.KeyFile, error)
	// Update are the options of the transaction (KeepKey, Confirm, the
	// formats).
	Update hull.UpdateOptions
}

// UpdateKeys is updatekeys on one file: the key groups of the file become
// those of its creation rule. The rule and its recipients are resolved
// and checked before the file is opened (RuleTarget; its errors name the
// file), then the file is opened and updated (hull.KeyFile.UpdateKeys:
// adding recipients re-wraps the data key, removing one rotates it).
func UpdateKeys(p *hull.Policy, in UpdateKeysInput) (hull.KeyUpdate, error) {
	cr, want, err := RuleTarget(p, in.Name, in.Options, in.Sources.Allow)
	if err != nil {
		return hull.KeyUpdate{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	kf, err := in.Open()
	if err != nil {
		return hull.KeyUpdate{}, err
	}
	defer kf.Wipe()
	// The endpoints were checked before the file was opened.
	in.Sources.Allow = nil
	return kf.UpdateKeys(in.Path, cr, want, in.Sources, in.Update)
}
