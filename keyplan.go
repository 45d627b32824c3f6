package hull

import (
	"fmt"
	"io"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// This file holds the decisions of the commands that change who can read
// a file (updatekeys, rotate, groups): which recipients a new data key
// goes to, what changes, and whether the result may be vouched for.

// UnsupportedKeyError is a key of a file whose type this hull cannot wrap
// a data key for.
type UnsupportedKeyError struct {
	File string
	ID   KeyID
}

func (e *UnsupportedKeyError) Error() string {
	return fmt.Sprintf("%s: the file lists a %s key (%s), which this version of hull cannot wrap a data key for", e.File, e.ID.Type, e.ID.ID)
}

// ResolveEntries turns key entries into recipients: a stanza of the file
// through fromStanza, after checking it holds a plausible wrapped key of a
// type hull supports (supported). Stanzas that hold no key were not
// written by sops or hull and may have been injected to receive a new data
// key: they are refused together (ErrPolicy). display names the file.
func ResolveEntries(display string, groups [][]KeyEntry, supported func(typ string) bool, fromStanza func(metadata.Stanza) (keysources.Recipient, error)) ([][]keysources.Recipient, error) {
	var bad []string
	out := make([][]keysources.Recipient, len(groups))
	for i, g := range groups {
		out[i] = []keysources.Recipient{}
		for _, e := range g {
			var err error
			switch {
			case e.Recipient != nil:
				out[i] = append(out[i], e.Recipient)
				continue
			case e.Unusable != "":
				bad = append(bad, fmt.Sprintf("%s in key group %d (%s)", e.ID, i+1, e.Unusable))
				continue
			case CheckEnc(*e.Stanza) != nil:
				err = CheckEnc(*e.Stanza)
			case !supported(e.ID.Type):
				return nil, &UnsupportedKeyError{File: display, ID: e.ID}
			}
			var rc keysources.Recipient
			if err == nil {
				rc, err = fromStanza(*e.Stanza)
			}
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s in key group %d (%v)", e.ID, i+1, err))
				continue
			}
			out[i] = append(out[i], rc)
		}
	}
	if len(bad) > 0 {
		return nil, policyError(fmt.Sprintf("%s: refusing to wrap a new data key for the file's recipients: %s. "+
			"sops and hull never write such a stanza; it may have been injected to receive the key. "+
			"Remove it (--rm-TYPE), or list the intended recipients in a .sops.yaml creation rule and run 'hull updatekeys'",
			display, strings.Join(bad, "; ")))
	}
	return out, nil
}

// KeyPlan is the change of a file's key groups to those a creation rule
// wants, as updatekeys computes it.
type KeyPlan struct {
	Diffs   []GroupDiff
	Dropped []UnusableStanza
	// OldT and NewT are the effective thresholds; Threshold is the one to
	// write.
	OldT, NewT, Threshold int
	// Removed: a key is removed; Stricter: more groups become needed.
	// Either way the data key should be rotated.
	Removed, Stricter bool
}

// PlanKeys compares the file (m, with the unusable stanzas set aside)
// with the key IDs of want and the rule's threshold ruleT.
func PlanKeys(m *metadata.Metadata, unusable []UnusableStanza, want [][]KeyID, ruleT int) KeyPlan {
	p := KeyPlan{OldT: EffectiveThreshold(m.ShamirThreshold, len(m.KeyGroups))}
	p.Diffs, p.Dropped = DiffKeys(m, unusable, want)
	p.Threshold = NewThreshold(ruleT, m.ShamirThreshold, len(want))
	p.NewT = EffectiveThreshold(p.Threshold, len(want))
	p.Removed = AnyRemoved(p.Diffs)
	p.Stricter = GroupsNeeded(p.NewT, len(want)) > GroupsNeeded(p.OldT, len(m.KeyGroups))
	return p
}

// UpToDate reports whether nothing changes.
func (p KeyPlan) UpToDate() bool {
	return !AnyChanged(p.Diffs) && len(p.Dropped) == 0 && p.OldT == p.NewT
}

// UnvouchedWanted lists, as type:id, the keys of m that are in want (the
// recipients about to get a data key) but that no group of named vouches
// for (docs/TRUST.md): a file read without a valid hull MAC may carry an
// injected stanza.
func UnvouchedWanted(m *metadata.Metadata, want [][]KeyID, named ...[][]KeyID) []string {
	keep := map[KeyID]bool{}
	for _, g := range want {
		for _, k := range g {
			keep[k] = true
		}
	}
	var out []string
	for _, k := range UnvouchedRecipients(m, named...) {
		if keep[k] {
			out = append(out, k.String())
		}
	}
	return out
}

// VouchesRule reports whether a key command may write a fresh x_hull_mac
// over the file's rule (docs/TRUST.md rule 12): the rule was authenticated
// when the file was read (o), the file is binary (no rule), or it is the
// rule of the creation rule cr.
func VouchesRule(o *Opened, binary bool, cr *config.CreationRule) bool {
	if o.Result.ExtendedMACChecked || binary {
		return true
	}
	var rule *metadata.Rule
	if cr != nil {
		rule = &cr.Rule
	}
	return SameRule(o.Meta, TrustedRuleFor(rule, "", o.Meta, false))
}

// CheckRotate is the write check of a rotation, which changes no value:
// on a file read without a valid extended MAC, no value the trusted rule
// (cr's, else the file's) encrypts may be in clear (ErrPolicy), and a
// file rule other than the trusted one is kept, as sops keeps it, but not
// vouched for: noXMAC. plain is the decrypted file, cipher the file as
// read.
func CheckRotate(plain, cipher *formats.File, o *Opened, binary bool, cr *config.CreationRule) (noXMAC bool, err error) {
	if binary || o.Result.ExtendedMACChecked {
		return false, nil
	}
	var rule *metadata.Rule
	if cr != nil {
		rule = &cr.Rule
	}
	trusted := TrustedRuleFor(rule, "the trusted rule", o.Meta, false)
	if _, err := CheckClearValues(plain, cipher, o.Meta, trusted); err != nil {
		return false, err
	}
	return !SameRule(o.Meta, trusted), nil
}

// Rewrap re-wraps the data key of the opened file for groups with
// threshold t, leaving the values, the MAC and lastmodified as they are,
// and sets the new metadata on cipher (the file as read) to be emitted.
// Without vouches the extended MAC is dropped (VouchesRule).
func Rewrap(plain, cipher *formats.File, o *Opened, groups [][]keysources.Recipient, t int, vouches bool) error {
	if err := Rekey(plain, o.Meta, o.Key, groups, t, nil); err != nil {
		return err
	}
	if !vouches {
		DropExtendedMAC(o.Meta)
	}
	cipher.Meta = o.Meta.Node()
	return nil
}

// policyError is a refusal of the policy whose message stands alone.
type policyError string

func (e policyError) Error() string { return string(e) }
func (e policyError) Unwrap() error { return ErrPolicy }

// KeyFile is an encrypted file opened for a key command.
type KeyFile struct {
	// Original is the file as read; Cipher is it parsed, Plain decrypted.
	Original      []byte
	Plain, Cipher *formats.File
	Opened        *Opened
	// Unusable are the stanzas that hold no key, set aside before the
	// metadata was loaded (StripUnusable).
	Unusable []UnusableStanza
}

// Entries are the file's keys, the unusable ones included.
func (kf *KeyFile) Entries() [][]KeyEntry { return EntriesFromFile(kf.Opened.Meta, kf.Unusable) }

// Wipe clears the data key.
func (kf *KeyFile) Wipe() {
	if kf != nil && kf.Opened != nil {
		clear(kf.Opened.Key)
	}
}

// Rotated gives the file a new data key wrapped for groups with
// threshold t, re-encrypting every value (Rotate with so), and returns
// it emitted in so.Format.
func (kf *KeyFile) Rotated(groups [][]keysources.Recipient, t int, so SealOptions, emit formats.EmitOptions) ([]byte, error) {
	newKey, err := Rotate(kf.Plain, kf.Opened.Meta, groups, t, so)
	if err != nil {
		return nil, err
	}
	clear(newKey)
	return so.Format.Emit(kf.Plain, emit)
}

// Rewrapped re-wraps the same data key for groups with threshold t
// (Rewrap; values, MAC and lastmodified unchanged) and returns the file
// emitted in fm. The extended MAC is kept only when VouchesRule says so
// for the creation rule cr.
func (kf *KeyFile) Rewrapped(groups [][]keysources.Recipient, t int, cr *config.CreationRule, fm formats.Format, emit formats.EmitOptions) ([]byte, error) {
	vouches := VouchesRule(kf.Opened, fm.Name() == "binary", cr)
	if err := Rewrap(kf.Plain, kf.Cipher, kf.Opened, groups, t, vouches); err != nil {
		return nil, err
	}
	return fm.Emit(kf.Cipher, emit)
}

// RecipientChange describes the change of the file's key groups to want
// with threshold t (WriteGroupDiff), "" when nothing changes.
func (kf *KeyFile) RecipientChange(want [][]KeyID, t int) string {
	m := kf.Opened.Meta
	diffs, dropped := DiffKeys(m, kf.Unusable, want)
	if !AnyChanged(diffs) && len(dropped) == 0 {
		return ""
	}
	var b strings.Builder
	WriteGroupDiff(&b, diffs, dropped, EffectiveThreshold(m.ShamirThreshold, len(m.KeyGroups)), EffectiveThreshold(t, len(want)))
	return b.String()
}

// DeleteGroup removes key group idx (0-based) from groups, to be written
// with threshold t; display names the file in errors.
func DeleteGroup(display string, groups [][]KeyEntry, idx, t int) ([][]KeyEntry, error) {
	if idx < 0 || idx >= len(groups) {
		return nil, fmt.Errorf("%s: there is no key group %d: the file has %d (numbered from 0)", display, idx, len(groups))
	}
	out := append(append([][]KeyEntry(nil), groups[:idx]...), groups[idx+1:]...)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: cannot delete the only key group", display)
	}
	if len(out) < t {
		return nil, fmt.Errorf("removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is %d, but we only have %d key groups", t, len(out))
	}
	return out, nil
}

// Describe writes the plan as updatekeys shows it before asking: the
// change of the groups (WriteGroupDiff) and, when rotate, why the data key
// is rotated too.
func (p KeyPlan) Describe(w io.Writer, rotate bool) {
	fmt.Fprintf(w, "The following changes will be made to the file's groups:\n")
	WriteGroupDiff(w, p.Diffs, p.Dropped, p.OldT, p.NewT)
	switch {
	case rotate && p.Removed:
		fmt.Fprintf(w, "A key is removed, so the data key will be rotated too: every value is re-encrypted with a new key (--no-rotate keeps it).\n")
	case rotate:
		fmt.Fprintf(w, "More key groups will be needed, so the data key will be rotated too: every value is re-encrypted with a new key (--no-rotate keeps it).\n")
	}
}

// Apply writes the key groups of the creation rule cr (want, the plan's
// Threshold) into the file: with rotate a new data key (Rotated; the
// extended MAC only where VouchesRule allows), else the same key
// re-wrapped (Rewrapped). It returns the file emitted in out.
func (kf *KeyFile) Apply(p KeyPlan, want [][]keysources.Recipient, cr *config.CreationRule, rotate bool, in, out formats.Format, emit formats.EmitOptions) ([]byte, error) {
	if !rotate {
		return kf.Rewrapped(want, p.Threshold, cr, out, emit)
	}
	vouches := VouchesRule(kf.Opened, out.Name() == "binary", cr)
	return kf.Rotated(want, p.Threshold, SealOptions{Format: out, InputFormat: in, NoExtendedMAC: !vouches}, emit)
}
