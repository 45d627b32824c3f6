package hull

import (
	"fmt"
	"strings"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// This file holds the transactions of rotate and groups, which take the
// recipients of a new (or re-wrapped) data key from the file itself: the
// file's key groups are not authenticated unless its hull MAC is valid,
// so every recipient must be vouched for (docs/TRUST.md) before it gets
// the key.

// KeySources is what the key transactions need of the key sources.
type KeySources struct {
	// Supported reports whether a key type has a key source; FromStanza
	// turns a stanza of a file into a recipient (keysources/all).
	Supported  func(typ string) bool
	FromStanza func(metadata.Stanza) (keysources.Recipient, error)
	// Allow, when set, refuses recipients the user did not allow (the
	// Vault endpoint check, docs/TRUST.md rule 17).
	Allow func([][]keysources.Recipient) error
	// Route, when set, changes how the recipients wrap (through key
	// services).
	Route func([][]keysources.Recipient) [][]keysources.Recipient
}

// Recipients turns key entries into recipients (ResolveEntries) and
// checks them with Allow; display names the file in errors.
func (ks KeySources) Recipients(display string, groups [][]KeyEntry) ([][]keysources.Recipient, error) {
	rs, err := ResolveEntries(display, groups, ks.Supported, ks.FromStanza)
	if err != nil {
		return nil, err
	}
	if ks.Allow != nil {
		if err := ks.Allow(rs); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
	}
	return rs, nil
}

func (ks KeySources) route(groups [][]keysources.Recipient) [][]keysources.Recipient {
	if ks.Route == nil {
		return groups
	}
	return ks.Route(groups)
}

// KeyChange is a change of the key groups of a file that rotate and
// groups make from the file's own groups.
type KeyChange struct {
	// Want are the file's key groups, changed (KeyChanges.Apply,
	// DeleteGroup); Add is a group to append (groups add).
	Want [][]KeyEntry
	Add  []keysources.Recipient
	// Named are the keys the user named (the command line): they vouch
	// for recipients, as do Add and the keys of Rule.
	Named [][]KeyID
	// Rule is the creation rule that matches the file (nil: none).
	Rule *config.CreationRule
	// Threshold is the Shamir threshold a regroup writes (a rotation
	// keeps the file's, at most the number of groups).
	Threshold int
	// Confirm is asked, with what is wrong, whether to give the key to
	// recipients nobody vouches for anyway (a question on a terminal);
	// nil refuses them.
	Confirm func(msg string) bool
	// Notify, when set, is told to whom the key goes, before it is
	// wrapped.
	Notify func(msg string)
}

func (ch KeyChange) notify(msg string) {
	if ch.Notify != nil {
		ch.Notify(msg)
	}
}

// Vouch applies the recipient rule of docs/TRUST.md before a data key
// goes to the keys in want: on a file read without a valid hull MAC, a
// stanza may have been injected by someone without a key, so each key of
// the file in want must be named by the creation rule cr (RuleKeys, else
// its IDs) or by named. Unless KeepRecipients or confirm keeps them, the
// others are refused (ErrPolicy). display names the file.
func (p *Policy) Vouch(display string, kf *KeyFile, cr *config.CreationRule, want, named [][]KeyID, confirm func(msg string) bool) error {
	if p == nil {
		p = &Policy{}
	}
	if kf.Opened.Result.ExtendedMACChecked || p.KeepRecipients {
		return nil
	}
	var rule [][]KeyID
	switch {
	case cr != nil && p.RuleKeys != nil:
		rule = p.RuleKeys(cr)
	case cr != nil:
		rule = configKeyIDs(cr)
	}
	unv := UnvouchedWanted(kf.Opened.Meta, want, rule, named)
	if len(unv) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s: the file has no valid hull MAC, and these recipients are named by no .sops.yaml creation rule and no flag: %s; they may have been added by someone without a key to receive the data key", display, strings.Join(unv, ", "))
	if confirm != nil && confirm(msg) {
		return nil
	}
	return fmt.Errorf("%w: %s. Remove them (--rm-TYPE), name them in .sops.yaml, or pass --keep-recipients if you trust them", ErrPolicy, msg)
}

// Rotate is the transaction of rotate: the recipients of ch.Want are
// vouched for (Vouch) and resolved (KeySources.Recipients), the change
// is told (Notify), the write is checked (CheckRotate), and the file gets
// a new data key wrapped for them (KeyFile.Rotated), emitted in
// so.Format. display names the file.
func (p *Policy) Rotate(display string, kf *KeyFile, ch KeyChange, ks KeySources, so SealOptions, emit formats.EmitOptions) ([]byte, error) {
	want := EntryIDs(ch.Want)
	if err := p.Vouch(display, kf, ch.Rule, want, ch.Named, ch.Confirm); err != nil {
		return nil, err
	}
	groups, err := ks.Recipients(display, ch.Want)
	if err != nil {
		return nil, err
	}
	t := NewThreshold(0, kf.Opened.Meta.ShamirThreshold, len(groups))
	if d := kf.RecipientChange(want, t); d != "" {
		ch.notify("the recipients change:\n" + strings.TrimSuffix(d, "\n"))
	}
	if so.NoExtendedMAC, err = CheckRotate(kf.Plain, kf.Cipher, kf.Opened, so.Format.Name() == "binary", ch.Rule); err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	out, err := kf.Rotated(ks.route(groups), t, so, emit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	return out, nil
}

// Regroup is the transaction of groups add and delete: the recipients
// of ch.Want are vouched for and resolved, told (Notify: they come from
// the file), ch.Add is appended, and the same data key is re-wrapped for
// them with ch.Threshold (KeyFile.Rewrapped: values, MAC and
// lastmodified unchanged), emitted in fm. display names the file.
func (p *Policy) Regroup(display string, kf *KeyFile, ch KeyChange, ks KeySources, fm formats.Format, emit formats.EmitOptions) ([]byte, error) {
	named := ch.Named
	if ch.Add != nil {
		named = append(append([][]KeyID(nil), named...), RecipientKeyIDs([][]keysources.Recipient{ch.Add})...)
	}
	if err := p.Vouch(display, kf, ch.Rule, EntryIDs(ch.Want), named, ch.Confirm); err != nil {
		return nil, err
	}
	groups, err := ks.Recipients(display, ch.Want)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range EntryIDs(ch.Want) {
		for _, k := range g {
			names = append(names, k.String())
		}
	}
	ch.notify("re-wrapping for the file's recipients: " + strings.Join(names, ", "))
	if ch.Add != nil {
		groups = append(groups, ch.Add)
	}
	out, err := kf.Rewrapped(ks.route(groups), ch.Threshold, ch.Rule, fm, emit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	return out, nil
}

// UpdateOptions tune KeyFile.UpdateKeys.
type UpdateOptions struct {
	// KeepKey keeps the data key even when a recipient is removed or more
	// key groups become needed, as sops does (--no-rotate).
	KeepKey bool
	// Confirm is shown the plan, and whether the data key will be
	// rotated, before anything is written; false leaves the file as it
	// is. nil applies the plan.
	Confirm func(p KeyPlan, rotate bool) (bool, error)
	// In and Out are the file's format and the one written.
	In, Out formats.Format
	Emit    formats.EmitOptions
}

// KeyUpdate is what KeyFile.UpdateKeys did.
type KeyUpdate struct {
	Plan KeyPlan
	// Written: the file was replaced (not when it was up to date or the
	// plan was not confirmed); Rotated: with a new data key.
	Written, Rotated bool
}

// UpdateKeys is the transaction of updatekeys: the key groups of the file
// at path become want, the recipients of its creation rule cr
// (sopsenv.RuleRecipients), checked with ks.Allow, with the rule's
// threshold (PlanKeys). Adding recipients re-wraps the same data key;
// removing one, or needing more groups, rotates it unless KeepKey
// (KeyFile.Apply). The result replaces the file only if it still holds
// kf.Original (Commit; a failure is a *RewriteError at StepCommit).
func (kf *KeyFile) UpdateKeys(path string, cr *config.CreationRule, want [][]keysources.Recipient, ks KeySources, o UpdateOptions) (KeyUpdate, error) {
	if ks.Allow != nil {
		if err := ks.Allow(want); err != nil {
			return KeyUpdate{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	u := KeyUpdate{Plan: PlanKeys(kf.Opened.Meta, kf.Unusable, RecipientKeyIDs(want), cr.ShamirThreshold)}
	if u.Plan.UpToDate() {
		return u, nil
	}
	rotate := (u.Plan.Removed || u.Plan.Stricter) && !o.KeepKey
	if o.Confirm != nil {
		if ok, err := o.Confirm(u.Plan, rotate); err != nil || !ok {
			return u, err
		}
	}
	out, err := kf.Apply(u.Plan, ks.route(want), cr, rotate, o.In, o.Out, o.Emit)
	if err != nil {
		return u, fmt.Errorf("%s: %w", path, err)
	}
	if err := Commit(path, kf.Original, out, false); err != nil {
		return u, &RewriteError{Path: path, Step: StepCommit, Sealed: out, Err: err}
	}
	u.Written, u.Rotated = true, rotate
	return u, nil
}

// Report is what updatekeys tells about the file path after u, as sops
// words it: the outcome ("" when the plan was not confirmed) and, when a
// recipient was removed but the data key kept (KeepKey), a warning that
// the removed keys can still read the file.
func (u KeyUpdate) Report(path string) (msg, warning string) {
	switch {
	case u.Plan.UpToDate():
		return fmt.Sprintf("File %s already up to date", path), ""
	case u.Rotated:
		return fmt.Sprintf("File %s synced with new keys; the data key was rotated and every value re-encrypted", path), ""
	case !u.Written:
		return "", ""
	case u.Plan.Removed || u.Plan.Stricter:
		return fmt.Sprintf("File %s synced with new keys; the data key was kept (--no-rotate)", path),
			fmt.Sprintf("%s: whoever could decrypt it before still can, and can read every later version, until 'hull rotate -i %s'", path, path)
	}
	return fmt.Sprintf("File %s synced with new keys; the data key was kept (values, MAC and lastmodified unchanged)", path), ""
}
