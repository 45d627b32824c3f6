package hull

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// KeyID names one key of a key group: its type ("age", "pgp", …) and its
// identity string (metadata.StanzaID of a stanza, Recipient.String() of a
// recipient: the age recipient, the PGP fingerprint, …).
type KeyID struct {
	Type, ID string
}

// String is "type:id".
func (k KeyID) String() string { return k.Type + ":" + k.ID }

// StanzaKeyID is the KeyID of a stanza.
func StanzaKeyID(s metadata.Stanza) KeyID { return KeyID{s.Type, metadata.StanzaID(s)} }

// RecipientKeyID is the KeyID of a recipient.
func RecipientKeyID(r keysources.Recipient) KeyID { return KeyID{r.Type(), r.String()} }

// GroupDiff is how one key group changes.
type GroupDiff struct {
	Common, Added, Removed []KeyID
}

// Changed reports whether the group gains or loses a key.
func (d GroupDiff) Changed() bool { return len(d.Added) > 0 || len(d.Removed) > 0 }

// DiffGroups compares a file's key groups with the groups it is to have.
// Group i is compared with group i; within a group keys are matched by
// type and identity, in any order. A group on one side only is all added
// or all removed. Common and Added keep the order of want, Removed the
// order of have.
func DiffGroups(have [][]KeyID, want [][]KeyID) []GroupDiff {
	n := max(len(have), len(want))
	out := make([]GroupDiff, n)
	for i := range n {
		var h, w []KeyID
		if i < len(have) {
			h = have[i]
		}
		if i < len(want) {
			w = want[i]
		}
		used := make([]bool, len(h))
		for _, k := range w {
			found := false
			for j, hk := range h {
				if !used[j] && hk == k {
					used[j], found = true, true
					break
				}
			}
			if found {
				out[i].Common = append(out[i].Common, k)
			} else {
				out[i].Added = append(out[i].Added, k)
			}
		}
		for j, hk := range h {
			if !used[j] {
				out[i].Removed = append(out[i].Removed, hk)
			}
		}
	}
	return out
}

// StanzaKeyIDs lists the KeyIDs of key groups of stanzas.
func StanzaKeyIDs(groups [][]metadata.Stanza) [][]KeyID {
	out := make([][]KeyID, len(groups))
	for i, g := range groups {
		out[i] = []KeyID{}
		for _, s := range g {
			out[i] = append(out[i], StanzaKeyID(s))
		}
	}
	return out
}

// RecipientKeyIDs lists the KeyIDs of key groups of recipients.
func RecipientKeyIDs(groups [][]keysources.Recipient) [][]KeyID {
	out := make([][]KeyID, len(groups))
	for i, g := range groups {
		out[i] = []KeyID{}
		for _, r := range g {
			out[i] = append(out[i], RecipientKeyID(r))
		}
	}
	return out
}

// EffectiveThreshold is the number of key groups needed to recover the
// data key of a file with n groups and the stored threshold t: 0 for a
// single group (no Shamir split), n when t is 0.
func EffectiveThreshold(t, n int) int {
	switch {
	case n <= 1:
		return 0
	case t == 0:
		return n
	}
	return t
}

// Rekey wraps the data key for new key groups (with more than one group
// the key is split with Shamir's scheme, any threshold groups recovering
// it; 0 means all) and stores the wrapped keys and the threshold in m. The
// key itself does not change, so the values, the sops MAC and lastmodified
// stay valid and are not touched: this is what sops's updatekeys and groups
// add/delete do. The extended MAC (x_hull_mac), which covers the
// recipients, is recomputed over plain, which must hold the file's
// plaintext documents as Decrypt or Open left them (plain is not changed).
// rand supplies the Shamir coefficients (crypto/rand when nil). On error m
// is unchanged.
//
// Everyone who could read the file before can still read it, and every
// later version written with the same key: after removing a recipient use
// Rotate instead.
func Rekey(plain *formats.File, m *metadata.Metadata, key []byte, groups [][]keysources.Recipient, threshold int, rand io.Reader) error {
	nm, err := rewrapped(m, key, groups, threshold, rand)
	if err != nil {
		return err
	}
	if err := RefreshExtendedMAC(plain, key, nm); err != nil {
		return err
	}
	*m = *nm
	return nil
}

// rewrapped returns a copy of m with the key wrapped for groups.
func rewrapped(m *metadata.Metadata, key []byte, groups [][]keysources.Recipient, threshold int, rand io.Reader) (*metadata.Metadata, error) {
	if len(key) != keysources.DataKeySize {
		return nil, fmt.Errorf("the data key is %d bytes, not %d", len(key), keysources.DataKeySize)
	}
	wrapped, t, err := keysources.WrapGroups(key, groups, threshold, rand)
	if err != nil {
		return nil, err
	}
	nm := *m
	nm.Extra = slices.Clone(m.Extra)
	nm.KeyGroups, nm.ShamirThreshold = wrapped, t
	return &nm, nil
}

// errRotateStash is returned by Rotate when given a Stash.
var errRotateStash = errors.New("hull: Rotate re-encrypts every value with a new key; SealOptions.Stash must be nil")

// Rotate gives a decrypted file a new data key: it makes a random key
// (from opts.Rand, crypto/rand when nil), wraps it for groups as Rekey
// does, and seals f with it (Seal with opts): every value is encrypted
// again under fresh IVs, and the MAC, the extended MAC and lastmodified
// are new. The version and the rule in m are kept. f must hold plaintext
// (from Decrypt or Open); m is updated and attached to f, and the new key
// is returned. opts.Stash must be nil: a stash holds ciphertext under the
// old key. Set opts.Format to the output format, as for Seal.
//
// On error m is unchanged, but f may be partly encrypted and must be
// discarded.
func Rotate(f *formats.File, m *metadata.Metadata, groups [][]keysources.Recipient, threshold int, opts SealOptions) ([]byte, error) {
	if opts.Stash != nil {
		return nil, errRotateStash
	}
	if len(f.Docs) == 0 {
		return nil, ErrEmpty
	}
	key, err := keysources.DataKey(opts.Rand)
	if err != nil {
		return nil, err
	}
	nm, err := rewrapped(m, key, groups, threshold, opts.Rand)
	if err != nil {
		clear(key)
		return nil, err
	}
	if err := Seal(f, key, nm, opts); err != nil {
		clear(key)
		return nil, err
	}
	*m = *nm
	return key, nil
}

// BinaryRule is the rule for encrypting input in format in: the binary
// format has one value, always encrypted, so sops ignores any rule for it
// and says so (warning, "" when there is nothing to say).
func BinaryRule(in formats.Format, rl metadata.Rule) (rule metadata.Rule, warning string) {
	if in.Name() != "binary" || rl.IsZero() {
		return rl, ""
	}
	what := map[string]string{
		metadata.UnencryptedSuffix: "an unencrypted suffix", metadata.EncryptedSuffix: "an encrypted suffix",
		metadata.EncryptedRegex: "an encrypted regex", metadata.UnencryptedRegex: "an unencrypted regex",
		metadata.EncryptedCommentRegex: "an encrypted comment regex",
	}[rl.Kind]
	switch rl.Kind {
	case metadata.EncryptedCommentRegex:
		warning = fmt.Sprintf("Using %s does not make sense with the input store (the binary store never produces comments) and will be ignored.", what)
	case metadata.UnencryptedCommentRegex:
	default:
		warning = fmt.Sprintf("Using %s does not make sense with the input store (the binary store produces one key that should always be encrypted) and will be ignored.", what)
	}
	return metadata.Rule{}, warning
}
