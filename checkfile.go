package hull

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// The kinds of CheckFinding.
const (
	FindPlaintext      = "plaintext"       // a file a rule covers has no sops metadata
	FindUnencrypted    = "unencrypted"     // a value the rule says is encrypted is in clear
	FindMalformed      = "malformed"       // metadata or an ENC[…] value is malformed
	FindMAC            = "mac"             // MAC (or hull MAC) mismatch or missing
	FindTampered       = "tampered"        // a value fails authentication
	FindRuleDrift      = "rule-drift"      // the file's encryption rule differs from the config's
	FindRecipientDrift = "recipient-drift" // the file's keys differ from the config's
	FindNoKey          = "no-key"          // no identity could recover the data key
	FindError          = "error"           // the file could not be checked
	FindSkipped        = "skipped"         // not checked (too large)
	FindUncovered      = "uncovered"       // an encrypted file no creation rule covers
)

// CheckStatuses are the statuses of a failed check, from the most to the
// least severe, with the kinds of finding that give each. "no-key" comes
// from FindNoKey only with CheckOptions.RequireKeys. A result without
// any of them is "uncovered", "skipped" or "ok".
var CheckStatuses = []struct {
	Status string
	Kinds  []string
}{
	{"tampered", []string{FindMalformed, FindMAC, FindTampered}},
	{"plaintext", []string{FindPlaintext, FindUnencrypted}},
	{"error", []string{FindError}},
	{"no-key", []string{FindNoKey}},
	{"drift", []string{FindRuleDrift, FindRecipientDrift}},
}

// CheckFinding is one problem of a checked file. It never holds a value.
type CheckFinding struct {
	Kind   string `json:"kind"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
}

// CheckResult is what CheckFile found in one file.
type CheckResult struct {
	File     string         `json:"file"`
	Status   string         `json:"status"`
	Verified bool           `json:"mac_verified"`
	Findings []CheckFinding `json:"findings"`
}

// CheckOptions tune CheckFile.
type CheckOptions struct {
	// Display names the file in the result (the path when empty).
	Display string
	// Config and Rule are the .sops.yaml and the creation rule that cover
	// the file (nil: none).
	Config *config.Config
	Rule   *config.CreationRule
	// Skip, when set, says why the file is not checked.
	Skip string
	// WantKeys are the key IDs of a creation rule at source (nil: drift
	// is not checked).
	WantKeys func(cr *config.CreationRule, source string) ([][]KeyID, error)
	// Identities verify the MAC when one recovers the data key;
	// DecryptionOrder as in sops. NoDecrypt checks the structure only.
	Identities      []keysources.Identity
	DecryptionOrder []string
	NoDecrypt       bool
	// RequireStrictMAC requires the extended MAC (the user's setting; the
	// config's are added).
	RequireStrictMAC bool
	// RequireKeys makes a file no identity opens a failure ("no-key").
	RequireKeys bool
}

// CheckFile checks one encrypted file against the creation rule that
// covers it, as "hull check" does: it is encrypted, every value the rule
// (its own and the config's) encrypts is, its metadata and ENC[…] values
// are well formed, its rule and recipients are the creation rule's, and,
// when an identity recovers its data key, its MAC (and extended MAC) is
// valid. Nothing decrypted leaves this function and no value is reported.
func CheckFile(ctx context.Context, path string, o CheckOptions) (res CheckResult) {
	res = CheckResult{File: o.Display, Findings: []CheckFinding{}}
	if res.File == "" {
		res.File = path
	}
	add := func(kind, path, detail string) {
		res.Findings = append(res.Findings, CheckFinding{Kind: kind, Path: path, Detail: detail})
	}
	defer func() { res.Classify(o.RequireKeys) }()
	ruleAt := ""
	if o.Rule != nil {
		ruleAt = fmt.Sprintf("the creation rule at %s:%d", filepath.Join(o.Config.Dir, config.FileName), o.Rule.Line)
	}
	if o.Skip != "" {
		add(FindSkipped, "", "not checked: "+o.Skip)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		err = fserr.Bare(err)
		add(FindError, "", fmt.Sprintf("cannot read: %v", err))
		return
	}
	fm, _ := FormatFor("", filepath.Base(path))
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil && fm.Name() != "binary" {
		if plain, perr := fm.Parse(data, formats.ParseOptions{}); perr == nil && plain.Meta == nil && o.Rule != nil {
			add(FindPlaintext, "", "not encrypted, but "+ruleAt+" covers it")
			return
		}
		add(FindMalformed, "", fmt.Sprintf("cannot be parsed: %v", err))
		return
	}
	if err != nil || f.Meta == nil {
		if o.Rule != nil {
			add(FindPlaintext, "", "not encrypted, but "+ruleAt+" covers it")
		} else {
			add(FindUncovered, "", "not encrypted, and no creation rule covers it")
		}
		return
	}
	if o.Rule == nil {
		add(FindUncovered, "", "encrypted, but no .sops.yaml creation rule covers it: its recipients are not checked")
	}
	if err := CheckStructure(f); err != nil {
		for _, e := range unjoin(err) {
			var pe *PathError
			if errors.As(e, &pe) {
				add(FindMalformed, pe.Path, pe.Err.Error())
			} else {
				add(FindMalformed, "", e.Error())
			}
		}
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return
	}
	binary := fm.Name() == "binary"

	// Values in clear: by the file's own rule, then by the config's.
	seen := map[string]bool{}
	clearOwn := false
	rules := []metadata.Rule{m.Rule}
	if o.Rule != nil && !binary {
		rules = append(rules, o.Rule.Rule)
	}
	for i, rl := range rules {
		paths, err := Unencrypted(f, rl)
		if err != nil {
			add(FindError, "", err.Error())
			continue
		}
		for _, p := range paths {
			if seen[p] {
				continue
			}
			seen[p] = true
			clearOwn = clearOwn || i == 0
			why := "in clear, but the file's rule says it is encrypted"
			if i == 1 {
				why = "in clear, but " + ruleAt + " says it is encrypted"
			}
			add(FindUnencrypted, p, why)
		}
	}

	// Drift from the creation rule.
	if o.Rule != nil {
		if !binary {
			want, have := o.Rule.Rule.OrDefault(), m.Rule.OrDefault()
			if want != have {
				add(FindRuleDrift, "", fmt.Sprintf("the file's rule is %s, %s says %s", ruleText(have), ruleAt, ruleText(want)))
			}
			if o.Rule.MACOnlyEncrypted != m.MACOnlyEncrypted {
				add(FindRuleDrift, "", fmt.Sprintf("mac_only_encrypted is %t in the file, %t in %s", m.MACOnlyEncrypted, o.Rule.MACOnlyEncrypted, ruleAt))
			}
		}
		if o.WantKeys != nil {
			if want, err := o.WantKeys(o.Rule, ruleAt); err != nil {
				add(FindError, "", err.Error())
			} else if d := RecipientDrift(f.Meta, m, o.Rule.ShamirThreshold, want); d != "" {
				add(FindRecipientDrift, "", d+" (from "+ruleAt+"; 'hull updatekeys' applies it)")
			}
		}
	}

	// The MAC, with a key.
	if o.NoDecrypt || hasKind(res.Findings, FindMalformed) || clearOwn {
		return
	}
	strict := o.RequireStrictMAC || (o.Config != nil && o.Config.RequireStrictMAC) || (o.Rule != nil && o.Rule.RequireStrictMAC)
	opened, err := Decrypt(ctx, f, DecryptOptions{Identities: o.Identities, DecryptionOrder: o.DecryptionOrder, RequireExtendedMAC: strict})
	switch {
	case err == nil:
		clear(opened.Key)
		res.Verified = true
	case errors.Is(err, keysources.ErrNoKey):
		first, _, _ := strings.Cut(err.Error(), "\n")
		add(FindNoKey, "", first+": MAC not verified (structure only)")
	case errors.Is(err, ErrMACMismatch), errors.Is(err, ErrNoMAC), errors.Is(err, ErrExtendedMAC):
		add(FindMAC, "", err.Error())
	case errors.Is(err, ErrDecrypt), errors.Is(err, ErrMalformedValue), errors.Is(err, ErrNonCanonical):
		var pe *PathError
		if errors.As(err, &pe) {
			add(FindTampered, pe.Path, pe.Err.Error())
		} else {
			add(FindTampered, "", err.Error())
		}
	default:
		add(FindError, "", err.Error())
	}
	return
}

// CheckConfig reports the unknown keys of a config as findings of kind
// FindError: "hull check", the lint, fails on them so that a misspelt
// setting is found (the other commands warn and go on, as sops ignores
// them). display names the config. ok is false when there are none.
func CheckConfig(cfg *config.Config, display string) (res CheckResult, ok bool) {
	if cfg == nil || len(cfg.Warnings) == 0 {
		return res, false
	}
	res = CheckResult{File: display, Findings: []CheckFinding{}}
	for _, w := range cfg.Warnings {
		res.Findings = append(res.Findings, CheckFinding{Kind: FindError, Detail: fmt.Sprintf("line %d: %s", w.Line, w.Msg)})
	}
	res.Classify(false)
	return res, true
}

// Classify sets the status from the findings: the most severe of
// CheckStatuses, else "uncovered" or "skipped", else "ok".
func (res *CheckResult) Classify(requireKeys bool) {
	res.Status = "ok"
	for _, cl := range CheckStatuses {
		if cl.Status == "no-key" && !requireKeys {
			continue
		}
		for _, k := range cl.Kinds {
			if hasKind(res.Findings, k) {
				res.Status = cl.Status
				return
			}
		}
	}
	for _, s := range []string{FindUncovered, FindSkipped} {
		if hasKind(res.Findings, s) {
			res.Status = s
			return
		}
	}
}

func hasKind(fs []CheckFinding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func ruleText(r metadata.Rule) string { return fmt.Sprintf("%s: %q", r.Kind, r.Value) }

// RecipientDrift compares the key groups and threshold of a file (its
// metadata node and loaded metadata) with those a creation rule wants (the
// rule's shamir_threshold and key IDs), as updatekeys does, and describes
// the difference ("" when there is none), e.g. "keys: +age:… -age:…".
func RecipientDrift(metaNode *formats.Node, m *metadata.Metadata, ruleThreshold int, want [][]KeyID) string {
	meta := metaNode.Clone()
	unusable := StripUnusable(meta)
	usable, err := metadata.Load(meta)
	if err != nil {
		usable = m
	}
	diffs, dropped := DiffKeys(usable, unusable, want)
	oldT := EffectiveThreshold(usable.ShamirThreshold, len(usable.KeyGroups))
	newT := EffectiveThreshold(NewThreshold(ruleThreshold, usable.ShamirThreshold, len(want)), len(want))
	var parts []string
	for i, d := range diffs {
		var ch []string
		for _, k := range d.Added {
			ch = append(ch, "+"+k.String())
		}
		for _, k := range d.Removed {
			ch = append(ch, "-"+k.String())
		}
		for _, u := range dropped {
			if u.Group == i {
				ch = append(ch, "-"+u.String())
			}
		}
		if len(ch) > 0 {
			sort.SliceStable(ch, func(a, b int) bool { return ch[a][0] == '+' && ch[b][0] == '-' })
			label := "keys"
			if len(diffs) > 1 {
				label = fmt.Sprintf("group %d", i+1)
			}
			parts = append(parts, label+": "+strings.Join(ch, " "))
		}
	}
	if oldT != newT {
		parts = append(parts, fmt.Sprintf("shamir_threshold: %d -> %d", oldT, newT))
	}
	return strings.Join(parts, "; ")
}

// IsEncryptedFile reports whether the file at path has sops metadata,
// parsed in the format of its name. A file that does not parse as an
// encrypted file of its format is not encrypted when the format is binary
// (a plaintext binary file), an error otherwise. Files over the default
// size limit are refused before they are read.
func IsEncryptedFile(path string) (bool, error) {
	data, err := readLimited(path, formats.DefaultLimits.MaxBytes)
	if err != nil {
		return false, err
	}
	fm, _ := FormatFor("", filepath.Base(path))
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil {
		if fm.Name() == "binary" {
			return false, nil
		}
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if f.Meta == nil {
		return false, nil
	}
	_, err = metadata.Load(f.Meta)
	return err == nil || !errors.Is(err, metadata.ErrNoMetadata), nil
}
