// Package config reads .sops.yaml, the file that tells encrypt which keys
// and which encryption rule to use for a path (FORMAT.md §7).
//
// # Finding the file
//
// [Find] walks up from the directories the caller gives (the commands give
// the working directory, as sops does) and returns the first safe
// .sops.yaml: one that another user could have written (world-writable
// file or directory, another owner) is skipped with a warning, as is a
// .sops.yml. The --config flag and SOPS_CONFIG are the caller's business:
// this package reads no environment.
//
// # Parsing
//
// [Load] and [Parse] accept the whole sops schema: creation_rules with flat
// key lists or key_groups (with merge and shamir_threshold), the six rule
// fields, mac_only_encrypted, aws_profile, destination_rules (kept for
// publish) and stores, plus hull's own field hull_require_strict_mac
// (top level and per creation rule; sops ignores it) and hull's top-level
// audit block ([Audit]). An unknown key is ignored, as sops ignores it,
// and reported in [Config.Warnings] with its line; everything else is
// strict: a value of the wrong type, an invalid regular expression, two
// rule fields in one rule or an unknown key in hull's own audit block is
// an [*Error] naming the line. YAML anchors, aliases and merge keys (<<) work as in yaml.v3.
//
// Key entries are kept as [KeyRef] values: a metadata stanza type and the
// identity string the key source parses. This package does not know the key
// sources; the caller turns each KeyRef into a recipient (and may report a
// bad one with KeyRef.Line).
//
// # Matching
//
// [Config.RuleFor] picks the creation rule for a file as sops does: the
// first rule whose path_regex matches the absolute path, made relative to
// the config directory when the file is below it.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hullsecrets/hull/metadata"
)

// FileName is the only name a config file may have.
const FileName = ".sops.yaml"

// Config is a parsed .sops.yaml.
type Config struct {
	// Dir is the absolute directory of the config file. Paths below it are
	// matched relative to it.
	Dir string
	// CreationRules are tried in order by RuleFor. It is nil when the file
	// has no creation_rules (or it is null), which sops treats as "no
	// config"; it is empty but not nil for "creation_rules: []".
	CreationRules []CreationRule
	// DestinationRules are used by publish, which hull does not have yet.
	DestinationRules []DestinationRule
	// Stores holds the per-format output settings.
	Stores Stores
	// Audit is the audit: block, a hull extension (audit.go); nil when
	// absent.
	Audit *Audit
	// RequireStrictMAC is the top-level hull_require_strict_mac, a hull
	// extension: every file read while this config applies must carry a
	// valid extended MAC, whatever its path (git's textconv driver gets a
	// temporary copy whose path matches no creation rule).
	RequireStrictMAC bool
	// Warnings are the keys the parser did not know, each with its line;
	// they were ignored, as sops ignores them. hull check reports them as
	// errors.
	Warnings []Error
}

// CreationRule says which keys and which encryption rule to use for the
// files its PathRegex matches.
type CreationRule struct {
	// Line is the line of the rule in the file.
	Line int
	// PathRegex is matched, unanchored, against the path; nil matches
	// every path.
	PathRegex *regexp.Regexp
	// KeyGroups holds at least one group. A rule that names no key has one
	// empty group; the caller reports that there are no recipients.
	KeyGroups []KeyGroup
	// ShamirThreshold is the number of groups needed to decrypt (0: all).
	ShamirThreshold int
	// Rule is the encryption rule; the zero Rule means none was given.
	Rule metadata.Rule
	// MACOnlyEncrypted makes the MAC cover encrypted values only.
	MACOnlyEncrypted bool
	// RequireStrictMAC is hull_require_strict_mac, a hull extension (sops
	// ignores it): files this rule matches must carry a valid hull
	// extended MAC (x_hull_mac) when they are decrypted; a missing one is
	// an error instead of a warning.
	RequireStrictMAC bool
	// AWSProfile is the rule's aws_profile. It is already copied into the
	// kms entries of a flat key list (and does not apply to key_groups).
	AWSProfile string
}

// KeyGroup is one group of keys; each wraps the data key (or, with
// several groups, this group's Shamir share).
type KeyGroup []KeyRef

// KeyRef is one key named in the config.
type KeyRef struct {
	// Type is the metadata stanza type: age, pgp, kms, gcp_kms, azure_kv,
	// hc_vault or hckms. Config spellings (azure_keyvault,
	// hc_vault_transit_uri) are mapped to these.
	Type string
	// ID is what the key source parses: the age recipient, the PGP
	// fingerprint, the KMS ARN (without the role), the GCP resource ID,
	// the Azure key URL (<vaultUrl>/keys/<key>[/<version>]), the Vault
	// transit key URI, or the HuaweiCloud key ID (region:uuid).
	ID string
	// Role is the ARN of the role to assume (kms only).
	Role string
	// Context is the KMS encryption context (kms in key_groups only; the
	// caller applies --encryption-context to flat kms entries).
	Context map[string]string
	// AWSProfile is the AWS profile (kms only).
	AWSProfile string
	// Line is the line of the entry in the config, for messages.
	Line int
}

// String is the key's identity as sops writes it (ToString): the ID, and
// for kms "arn[+role]" followed by "|k:v,…" (keys sorted) and "|profile"
// when set. Entries of a group with the same type and String are
// duplicates.
func (k KeyRef) String() string {
	if k.Type != "kms" {
		return k.ID
	}
	s := k.ID
	if k.Role != "" {
		s += "+" + k.Role
	}
	ctx := contextString(k.Context)
	switch {
	case k.AWSProfile != "":
		s += "|" + ctx + "|" + k.AWSProfile
	case ctx != "":
		s += "|" + ctx
	}
	return s
}

// DestinationRule is a destination_rules entry: where publish sends the
// files its PathRegex matches. At most one of S3Bucket, GCSBucket and
// VaultPath is set.
type DestinationRule struct {
	Line      int
	PathRegex *regexp.Regexp // nil matches every path
	S3Bucket  string
	S3Prefix  string
	GCSBucket string
	GCSPrefix string
	VaultPath string
	// VaultAddress, VaultKVMountName ("secret/" when not given) and
	// VaultKVVersion (1 or 2; 2 when not given) apply to VaultPath.
	VaultAddress     string
	VaultKVMountName string
	VaultKVVersion   int
	// RecreationRule gives the keys and rule used to re-encrypt before
	// publishing; nil when absent.
	RecreationRule *CreationRule
	OmitExtensions bool
}

// Stores holds the stores settings; nil means "not set" (the format's
// default: 4 for YAML, -1, a tab, for JSON).
type Stores struct {
	// YAMLIndent is stores.yaml.indent (never negative).
	YAMLIndent *int
	// JSONIndent is stores.json.indent (-1: a tab).
	JSONIndent *int
	// JSONBinaryIndent is stores.json_binary.indent (-1: a tab).
	JSONBinaryIndent *int
}

// Indent is the indent the stores settings give output in the format
// named ("yaml", "json", or "binary", which sops writes as JSON); nil when
// not set.
func (s Stores) Indent(format string) *int {
	switch format {
	case "yaml":
		return s.YAMLIndent
	case "json":
		return s.JSONIndent
	case "binary":
		return s.JSONBinaryIndent
	}
	return nil
}

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("invalid config")

// Error is an error in a config file, with the line it is about (0 when
// it is about the whole file). Err, when set, is a cause callers may match:
// ErrInvalid always, and metadata.ErrInvalidRegex or
// metadata.ErrConflictingRules where they apply.
type Error struct {
	File string // the name given to Parse, or the path given to Load
	Line int
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Unwrap returns ErrInvalid and the cause, if any.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// ErrNoCreationRules is returned by RuleFor when the config has no
// creation_rules: sops then behaves as if there were no config.
var ErrNoCreationRules = errors.New("the config has no creation rules")

// ErrNoMatchingRule is wrapped by RuleFor when no rule matches.
var ErrNoMatchingRule = errors.New("no matching creation rules found")

// maxSize bounds what Load reads: a config is a few kilobytes.
const maxSize = 4 << 20

// Load reads and parses the config file at path. Errors about the content
// are *Error; others come from the file system.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, &Error{File: path, Msg: "the file is too large for a config"}
	}
	return Parse(data, path)
}

// Parse parses the content of a config file. name is the file's path: it
// is used in messages, and its directory, made absolute, becomes Dir.
// Every error is an *Error.
func Parse(data []byte, name string) (*Config, error) {
	c, err := parse(data, name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	c.Dir = dir
	return c, nil
}

// RuleFor returns the creation rule for the file at filePath (the
// --filename-override, when given). The path is made absolute, and the
// config directory and a separator are removed from its front when they
// are there; the first rule whose PathRegex is nil or matches the result
// wins. It returns ErrNoCreationRules when the config has no rules, and an
// error wrapping ErrNoMatchingRule when none matches.
func (c *Config) RuleFor(filePath string) (*CreationRule, error) {
	if c.CreationRules == nil {
		return nil, ErrNoCreationRules
	}
	p := c.matchPath(filePath)
	for i := range c.CreationRules {
		r := &c.CreationRules[i]
		if r.PathRegex == nil || r.PathRegex.MatchString(p) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w for %q", ErrNoMatchingRule, p)
}

// matchPath is the path RuleFor tests: absolute, then relative to Dir when
// under it. Like sops, a file directly in "/" is not made relative.
func (c *Config) matchPath(filePath string) string {
	p := filePath
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if c.Dir != "" {
		p = strings.TrimPrefix(p, c.Dir+string(filepath.Separator))
	}
	return p
}

// DestinationFor returns the first destination rule whose PathRegex is nil
// or matches path as given (not made absolute or relative), as sops's
// publish does. A nil config has none.
func (c *Config) DestinationFor(path string) (*DestinationRule, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.DestinationRules {
		d := &c.DestinationRules[i]
		if d.PathRegex == nil || d.PathRegex.MatchString(path) {
			return d, true
		}
	}
	return nil, false
}
