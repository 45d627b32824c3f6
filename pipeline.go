package hull

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/atomicfile"
	"github.com/hullsecrets/hull/internal/conflict"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Policy is the trust policy of one run (docs/TRUST.md), resolved once by
// ResolvePolicy from what the invoking user controls (flags, environment)
// and the repository's .sops.yaml, and passed to OpenFile, DecryptFile and
// File.Rewrite. The zero Policy trusts no config and requires nothing
// beyond the MAC.
type Policy struct {
	// Config is the .sops.yaml that applies (nil: none), and ConfigPath
	// where it is.
	Config     *config.Config
	ConfigPath string
	// RequireStrictMAC makes every file carry a valid extended MAC
	// (HULL_REQUIRE_STRICT_MAC). The config adds its own requirements.
	RequireStrictMAC bool
	// IgnoreMAC reads a file whose MAC does not match (sops's
	// --ignore-mac); such a file is rewritten only with
	// ForceRewriteUnverified.
	IgnoreMAC, ForceRewriteUnverified bool
	// KeepRecipients gives a new data key also to recipients nobody
	// vouched for (--keep-recipients).
	KeepRecipients bool
	// RuleKeys, when set, names the keys of a creation rule as the key
	// sources name recipients (sopsenv.RuleKeyIDs: a kms key with its
	// role and context), so that they vouch for the same stanzas the
	// command line's do; the IDs written in .sops.yaml vouch either way.
	RuleKeys func(*config.CreationRule) [][]KeyID
	// Warnings are what resolving the policy found worth telling the user
	// (a .sops.yml ignored, an unsafe .sops.yaml skipped, unknown keys).
	Warnings []string
}

// PolicyInput is what ResolvePolicy reads. Getenv is the environment
// lookup (os.Getenv for a CLI; this package never reads the environment
// itself); WorkDir is where .sops.yaml is searched from, as sops searches;
// ConfigPath is --config, which wins over SOPS_CONFIG and the search.
type PolicyInput struct {
	Getenv     func(string) string
	WorkDir    string
	ConfigPath string
	// IgnoreMAC, ForceRewriteUnverified, KeepRecipients: the user's flags.
	IgnoreMAC, ForceRewriteUnverified, KeepRecipients bool
	// Load reads the config at a path (config.Load when nil); a program
	// that resolves policies for several files passes a config.Cache's.
	Load func(path string) (*config.Config, error)
	// Locate names the config as config.Locate does (config.Locate when
	// nil); a program that resolves policies for several files passes a
	// config.Cache's.
	Locate func(given string, getenv func(string) string, workDir string) (string, []string, error)
	// QuietConfig leaves the config's own warnings (unknown keys) out of
	// Warnings, for a command that prints nothing when it succeeds.
	QuietConfig bool
}

// ResolvePolicy resolves the policy with sops's conventions: the config is
// --config, else SOPS_CONFIG, else the first safe .sops.yaml from WorkDir
// upwards (config.Find); HULL_REQUIRE_STRICT_MAC set to a true value
// requires the extended MAC. A config that cannot be parsed is an error.
//
// Warnings are those of the search first, then the config's own
// (cfg.Warnings: unknown keys) unless QuietConfig.
func ResolvePolicy(in PolicyInput) (*Policy, error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	p := &Policy{
		RequireStrictMAC:       envTrue(getenv("HULL_REQUIRE_STRICT_MAC")),
		IgnoreMAC:              in.IgnoreMAC,
		ForceRewriteUnverified: in.ForceRewriteUnverified,
		KeepRecipients:         in.KeepRecipients,
	}
	locate := in.Locate
	if locate == nil {
		locate = config.Locate
	}
	path, warnings, err := locate(in.ConfigPath, getenv, in.WorkDir)
	if err != nil {
		return nil, err
	}
	p.Warnings = append(p.Warnings, warnings...)
	if path == "" {
		return p, nil
	}
	load := in.Load
	if load == nil {
		load = config.Load
	}
	cfg, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("error loading config: %w", err)
	}
	for _, w := range cfg.Warnings {
		if !in.QuietConfig {
			p.Warnings = append(p.Warnings, w.Error())
		}
	}
	p.Config, p.ConfigPath = cfg, path
	return p, nil
}

func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// CreationRule returns the creation rule that matches name (nil when there
// is no config, no rules or no match) and where it is, for messages.
func (p *Policy) CreationRule(name string) (*config.CreationRule, string, error) {
	if p == nil || p.Config == nil || p.Config.CreationRules == nil {
		return nil, "", nil
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	cr, err := p.Config.RuleFor(abs)
	if errors.Is(err, config.ErrNoMatchingRule) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return cr, fmt.Sprintf("the creation rule at %s:%d", filepath.Join(p.Config.Dir, config.FileName), cr.Line), nil
}

// StrictMAC reports whether the file name must carry a valid extended MAC
// and what requires it: the user (RequireStrictMAC), the config's
// top-level hull_require_strict_mac (whatever the path), or the matching
// creation rule's.
func (p *Policy) StrictMAC(name string) (bool, string) {
	if p == nil {
		return false, ""
	}
	if p.RequireStrictMAC {
		return true, "HULL_REQUIRE_STRICT_MAC"
	}
	if p.Config == nil {
		return false, ""
	}
	if p.Config.RequireStrictMAC {
		return true, "hull_require_strict_mac at the top of " + filepath.Join(p.Config.Dir, config.FileName)
	}
	if name == "" {
		return false, "" // stdin: no path for a creation rule to match
	}
	if cr, where, err := p.CreationRule(name); err == nil && cr != nil && cr.RequireStrictMAC {
		return true, "hull_require_strict_mac in " + where
	}
	return false, ""
}

// OpenFileOptions control OpenFile.
type OpenFileOptions struct {
	// Policy is the trust policy; nil resolves one with ResolvePolicy
	// from the working directory and no environment.
	Policy *Policy
	// Identities recover the data key; DecryptionOrder as in sops.
	Identities      []keysources.Identity
	DecryptionOrder []string
	// Format is the file's format (by extension when nil).
	Format formats.Format
	// Limits bound the read and the parse (formats.DefaultLimits when
	// zero): the size is checked before the file is read.
	Limits formats.Limits
	// Name is the name creation rules match (--filename-override); the
	// path when empty.
	Name string
	// Compat: see DecryptOptions.
	Compat bool
}

// File is an encrypted file opened by OpenFile: decrypted, with what a
// rewrite needs. Close wipes the data key.
type File struct {
	Path, Name string
	Format     formats.Format
	// Plain holds the decrypted documents; Opened the metadata and key.
	Plain  *formats.File
	Opened *Opened
	policy *Policy
	// original is the file as read, for the compare-and-swap.
	original []byte
	stash    *Stash
}

// OpenFile is the one "open an encrypted file" step: read with limits,
// parse, load the metadata, recover the data key with the identities, and
// verify the MAC and, as the policy requires, the extended MAC.
func OpenFile(ctx context.Context, path string, o OpenFileOptions) (*File, error) {
	pol, fm, name, data, f, err := o.read(path)
	if err != nil {
		return nil, err
	}
	stash := NewStash()
	opened, err := pol.Open(ctx, f, path, name, o.Identities, DecryptOptions{DecryptionOrder: o.DecryptionOrder, Stash: stash, Compat: o.Compat})
	if err != nil {
		return nil, err
	}
	return &File{Path: path, Name: name, Format: fm, Plain: f, Opened: opened, policy: pol, original: data, stash: stash}, nil
}

// OpenKeyFile opens the file at path for a key transaction
// (Policy.Rotate, Policy.Regroup, KeyFile.UpdateKeys) as OpenFile opens
// it, with the stanzas that hold no key set aside first (StripUnusable),
// so that the transactions can show and drop them.
func OpenKeyFile(ctx context.Context, path string, o OpenFileOptions) (*KeyFile, error) {
	pol, fm, name, data, f, err := o.read(path)
	if err != nil {
		return nil, err
	}
	kf := &KeyFile{Original: data, Plain: f, Unusable: StripUnusable(f.Meta)}
	if kf.Opened, err = pol.Open(ctx, f, path, name, o.Identities, DecryptOptions{DecryptionOrder: o.DecryptionOrder, Compat: o.Compat}); err != nil {
		return nil, err
	}
	if kf.Cipher, err = fm.Parse(data, formats.ParseOptions{Encrypted: true, Limits: o.Limits}); err != nil {
		kf.Wipe()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kf, nil
}

// read is the start of OpenFile and OpenKeyFile: the policy, the format
// and the name, the file read under the limit and parsed.
func (o OpenFileOptions) read(path string) (pol *Policy, fm formats.Format, name string, data []byte, f *formats.File, err error) {
	if pol = o.Policy; pol == nil {
		if pol, err = ResolvePolicy(PolicyInput{}); err != nil {
			return
		}
	}
	if fm = o.Format; fm == nil {
		fm, _ = FormatFor("", path)
	}
	if name = o.Name; name == "" {
		name = path
	}
	if data, err = readLimited(path, o.Limits.WithDefaults().MaxBytes); err != nil {
		return
	}
	f, err = ParseEncrypted(fm, data, path, o.Limits)
	return
}

// Open is the decrypt-and-verify step of OpenFile for a file already parsed
// (f, with metadata): it recovers the data key with ids and verifies the
// MAC and, as the policy requires for name, the extended MAC; IgnoreMAC
// comes from the policy. display names the file in errors. The command
// line, which parses and finds identities itself, uses it too.
func (p *Policy) Open(ctx context.Context, f *formats.File, display, name string, ids []keysources.Identity, o DecryptOptions) (*Opened, error) {
	if p == nil {
		p = &Policy{}
	}
	strict, why := p.StrictMAC(name)
	o.Identities, o.IgnoreMAC, o.RequireExtendedMAC = ids, p.IgnoreMAC || o.IgnoreMAC, strict
	opened, err := Decrypt(ctx, f, o)
	if err != nil {
		if strict && errors.Is(err, ErrExtendedMAC) {
			return nil, fmt.Errorf("%s: %w (the hull MAC is required by %s)", display, err, why)
		}
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	return opened, nil
}

// ErrNoVersion is wrapped by ParseEncrypted for metadata without a
// version: sops writes it last, so a file cut short lacks it.
var ErrNoVersion = fmt.Errorf("%w: the metadata has no version (the file is truncated or was edited by hand)", metadata.ErrInvalid)

// ParseEncrypted parses data, an encrypted file in format fm that display
// names in errors. A file that does not parse and holds git conflict
// markers says how to resolve them; a file without sops metadata is
// ErrNotEncrypted, one whose metadata has no version ErrNoVersion.
//
// The File shares memory with data (formats.ParseOptions.Borrow), so that
// a large file is not held twice: data must not be modified afterwards.
func ParseEncrypted(fm formats.Format, data []byte, display string, limits formats.Limits) (*formats.File, error) {
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true, Limits: limits, Borrow: true})
	if err != nil {
		err = fmt.Errorf("%s: %w", display, err)
		if line := conflict.Markers(data); line > 0 {
			err = fmt.Errorf("%s has merge conflict markers at line %d; resolve them with 'hull merge --resolve ours|theirs %s': %w", display, line, display, err)
		}
		return nil, err
	}
	if f.Meta == nil {
		return nil, fmt.Errorf("%s: %w", display, ErrNotEncrypted)
	}
	if m, err := metadata.Load(f.Meta); err == nil && m.Version == "" {
		return nil, fmt.Errorf("%s: %w", display, ErrNoVersion)
	}
	return f, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w", path, &formats.LimitError{What: "size", Limit: limit})
	}
	data, err := readAll(fh, limit)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w", path, &formats.LimitError{What: "size", Limit: limit})
	}
	return data, nil
}

// Close wipes the data key.
func (f *File) Close() {
	if f != nil && f.Opened != nil {
		clear(f.Opened.Key)
	}
}

// OpenedFile is a File for a file the caller read and opened itself: it
// parsed original (ParseEncrypted) in fm into plain and opened it with
// p.Open, with stash keeping the ciphertexts; path is where it is written
// back, name the name creation rules match (path when empty). Its Rewrite
// is the same transaction as that of OpenFile's File.
func (p *Policy) OpenedFile(path, name string, fm formats.Format, original []byte, plain *formats.File, o *Opened, stash *Stash) *File {
	if name == "" {
		name = path
	}
	if p == nil {
		p = &Policy{}
	}
	return &File{Path: path, Name: name, Format: fm, Plain: plain, Opened: o, policy: p, original: original, stash: stash}
}

// RewriteOptions tune File.Rewrite.
type RewriteOptions struct {
	// AllowNoEncryption: see SealOptions.
	AllowNoEncryption bool
	// Out is the format written (the file's Format when nil).
	Out formats.Format
	// Emit are the output settings.
	Emit formats.EmitOptions
	// Held says the caller holds LockDir of the file's directory since
	// before the file was read, so that the whole read-modify-write is
	// one critical section; Rewrite then does not take it again.
	Held bool
	// NoExtendedMAC, when set, is told why the write does not add a
	// fresh x_hull_mac (WriteCheck.Why).
	NoExtendedMAC func(why string)
	// Audit, when set, is called once the new content is ready and
	// before it is written; an error aborts the write (an audit log that
	// must not miss a write).
	Audit func(path string) error
}

// ErrConcurrentModification is returned by Rewrite when the file changed
// on disk since OpenFile read it; nothing was written.
var ErrConcurrentModification = errors.New("the file was changed by someone else meanwhile; nothing was written")

// RewriteStep is the step of File.Rewrite that failed (RewriteError).
type RewriteStep string

const (
	// StepCheck: the trust policy refused the write (Policy.CheckWrite).
	StepCheck RewriteStep = "check"
	// StepCommit: replacing the file failed (Commit), or the file changed
	// meanwhile (ErrConcurrentModification).
	StepCommit RewriteStep = "commit"
)

// RewriteError is a Rewrite that failed at its check or at its commit:
// nothing was written. Sealed, at the commit, is the result that was not
// written (an editor keeps it, so that an edit that lost a race is not
// lost).
type RewriteError struct {
	Path   string
	Step   RewriteStep
	Sealed []byte
	Err    error
}

func (e *RewriteError) Error() string {
	if e.Step == StepCheck {
		return e.Path + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

func (e *RewriteError) Unwrap() error { return e.Err }

// Rewrite is the write transaction: it applies change to the decrypted
// documents, checks the policy (no value the trusted rule encrypts newly
// stored in clear; no fresh extended MAC over an unauthenticated rule or
// unvouched recipients; no rewrite of an unverified file), seals with the
// same data key (unchanged values keep their ciphertext), and replaces the
// file atomically under the directory lock if it still holds the bytes
// OpenFile read (compare-and-swap). It reports whether anything changed.
// A refusal of the policy and a failed commit are a *RewriteError.
func (f *File) Rewrite(change func(*formats.File) (bool, error), o RewriteOptions) (bool, error) {
	if f.Opened.Result.Unverified && !f.policy.ForceRewriteUnverified {
		return false, fmt.Errorf("%s: %w", f.Path, ErrUnverifiedRewrite)
	}
	changed, err := change(f.Plain)
	if err != nil || !changed {
		return false, err
	}
	before, err := f.Format.Parse(f.original, formats.ParseOptions{Encrypted: true})
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.Path, err)
	}
	out := o.Out
	if out == nil {
		out = f.Format
	}
	// docs/TRUST.md rules 11 and 12.
	wc, err := f.policy.CheckWrite(f.Name, f.Opened, f.Plain, before, out.Name() == "binary", nil)
	if err != nil {
		return false, &RewriteError{Path: f.Path, Step: StepCheck, Err: err}
	}
	if wc.NoExtendedMAC && o.NoExtendedMAC != nil {
		o.NoExtendedMAC(wc.Why)
	}
	m := f.Opened.Meta
	m.BumpVersion()
	if err := Seal(f.Plain, f.Opened.Key, m, SealOptions{Stash: f.stash, Format: out, InputFormat: f.Format, AllowNoEncryption: o.AllowNoEncryption, NoExtendedMAC: wc.NoExtendedMAC}); err != nil {
		return false, fmt.Errorf("%s: %w", f.Path, err)
	}
	data, err := out.Emit(f.Plain, o.Emit)
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.Path, err)
	}
	if o.Audit != nil {
		if err := o.Audit(f.Path); err != nil {
			return false, err
		}
	}
	if err := Commit(f.Path, f.original, data, o.Held); err != nil {
		return false, &RewriteError{Path: f.Path, Step: StepCommit, Sealed: data, Err: err}
	}
	f.original = data
	return true, nil
}

// LockDir takes the lock every hull write to a file in dir holds (a lock
// file in dir); unlock releases it.
func LockDir(dir string) (unlock func(), err error) { return atomicfile.LockDir(dir) }

// Commit is the last step of a write: it replaces the file at path with
// out, atomically (temporary file, fsync, rename), only if the file still
// holds original (compare-and-swap; ErrConcurrentModification otherwise),
// under the directory lock, which it takes unless held says the caller
// holds it.
func Commit(path string, original, out []byte, held bool) error {
	if !held {
		unlock, err := atomicfile.LockDir(filepath.Dir(path))
		if err != nil {
			return err
		}
		defer unlock()
	}
	now, err := os.ReadFile(path)
	if err != nil || sha256.Sum256(now) != sha256.Sum256(original) {
		return fmt.Errorf("%s: %w", path, ErrConcurrentModification)
	}
	if err := atomicfile.Write(path, out, atomicfile.Options{}); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// WriteCheck is what the policy says about a write that passed CheckWrite.
type WriteCheck struct {
	// NoExtendedMAC: the write must not vouch for the file's metadata
	// with a fresh x_hull_mac; Why says what is not vouched for.
	NoExtendedMAC bool
	Why           string
	// Trusted is the rule the write honoured.
	Trusted TrustedRule
}

// CheckWrite applies the write rules of docs/TRUST.md to a file opened as
// o, about to be sealed from plain; before is the file as read (still
// encrypted). It refuses (ErrPolicy) a value the trusted rule encrypts
// newly stored in clear, and says whether the write may add x_hull_mac:
// not over an unauthenticated rule other than the trusted one, nor over
// recipients that neither the creation rule nor named (the command line;
// nil: only the rule) vouch for, unless KeepRecipients. binary files have
// no rule.
func (p *Policy) CheckWrite(name string, o *Opened, plain, before *formats.File, binary bool, named [][]KeyID) (WriteCheck, error) {
	if p == nil {
		p = &Policy{}
	}
	if o.Result.Unverified && !p.ForceRewriteUnverified {
		return WriteCheck{}, ErrUnverifiedRewrite
	}
	m := o.Meta
	cr, source, err := p.CreationRule(name)
	if err != nil {
		return WriteCheck{}, err
	}
	var rule *metadata.Rule
	if cr != nil {
		rule = &cr.Rule
	}
	authenticated := o.Result.ExtendedMACChecked
	wc := WriteCheck{Trusted: TrustedRuleFor(rule, source, m, authenticated)}
	if !binary {
		if _, err := CheckClearValues(plain, before, m, wc.Trusted); err != nil {
			return wc, err
		}
	}
	if authenticated {
		return wc, nil
	}
	if !binary && !SameRule(m, wc.Trusted) {
		wc.NoExtendedMAC = true
		wc.Why = fmt.Sprintf("the file's rule (%s) has no valid hull MAC and differs from %s", describeRule(m.Rule), wc.Trusted.Source)
		return wc, nil
	}
	if cr != nil {
		named = append(append([][]KeyID(nil), named...), configKeyIDs(cr)...)
		if p.RuleKeys != nil {
			named = append(named, p.RuleKeys(cr)...)
		}
	}
	if unv := UnvouchedRecipients(m, named); len(unv) > 0 && !p.KeepRecipients {
		ids := make([]string, len(unv))
		for i, k := range unv {
			ids[i] = k.String()
		}
		wc.NoExtendedMAC = true
		wc.Why = "the file has no valid hull MAC and lists recipients no .sops.yaml creation rule names (" + strings.Join(ids, ", ") + ")"
	}
	return wc, nil
}

// configKeyIDs are the key IDs a creation rule names, as the key sources
// print them (type:id), without building recipients.
func configKeyIDs(cr *config.CreationRule) [][]KeyID {
	out := make([][]KeyID, len(cr.KeyGroups))
	for i, g := range cr.KeyGroups {
		for _, ref := range g {
			out[i] = append(out[i], KeyID{Type: ref.Type, ID: ref.ID})
		}
	}
	return out
}

// WriteOptions tune WriteFile.
type WriteOptions struct {
	// Perm is the mode of a new file (0600 when zero); an existing file
	// keeps its own mode.
	Perm fs.FileMode
	// NoClobber refuses to replace an existing file or symlink (ErrExists).
	NoClobber bool
}

// ErrExists is returned by WriteFile with NoClobber when the target exists.
var ErrExists = atomicfile.ErrExists

// WriteFile replaces path with data atomically: a temporary file in the
// same directory, fsync, rename, directory fsync. A symlink at path is
// followed (the file it points to is replaced, the link kept).
func WriteFile(path string, data []byte, o WriteOptions) error {
	return atomicfile.Write(path, data, atomicfile.Options{Perm: o.Perm, NoClobber: o.NoClobber})
}
