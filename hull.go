// Package hull encrypts the values of structured files (YAML, JSON, dotenv,
// INI) and whole binary files in the SOPS v3 format, byte-compatible with
// sops 3.13, so that keys and structure stay readable in git.
//
// # The pipeline
//
// A file is parsed by a [formats.Format] into a [formats.File]. [Encrypt]
// makes a data key, wraps it for every recipient ([keysources.Recipient]),
// encrypts every value the rule selects with AES-256-GCM (the value's path
// as additional data), seals all values with the sops MAC and attaches the
// metadata. [Decrypt] recovers the data key with the caller's identities
// ([keysources.Identity]), decrypts the values in place and checks the MAC.
// The format then emits the result. [Seal] and [Open] are the lower-level
// steps for callers that already hold the data key (edit, set, rotate).
//
// The package reads no environment variables, prints nothing and keeps no
// global state: identities and recipients are passed in. It is safe for
// concurrent use on different files.
package hull

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// SealOptions control Seal.
type SealOptions struct {
	// Rand is the source of IVs (crypto/rand when nil).
	Rand io.Reader
	// Now is the time written as lastmodified (time.Now when zero).
	Now time.Time
	// Stash holds the ciphertexts of values decrypted earlier with the same
	// key, to keep unchanged values byte-identical. May be nil.
	Stash *Stash
	// Format is the format f will be written in. When set, the extended
	// MAC is computed over the file as that format reads it back (Seal
	// emits, parses and decrypts it once more), so that what the format
	// cannot hold (comments in JSON, value types in dotenv and INI) is
	// left out and the file verifies. When nil, the extended MAC covers f
	// as given, which is right when f will be written in the format it was
	// parsed from; a file written in another format may then fail the
	// extended MAC check (ErrExtendedMAC).
	Format formats.Format
	// AllowNoEncryption writes a file whose rule leaves every non-empty
	// value in clear; without it Seal returns ErrNothingEncrypted.
	AllowNoEncryption bool
	// InputFormat is the format f was parsed from. When it is Format, the
	// read-back is skipped: a format reads back what it writes (its
	// conformance and fuzz tests check that), and for a large file the
	// read-back would double the work.
	InputFormat formats.Format
	// NoExtendedMAC writes no extended MAC (and drops a stale one): the
	// writer cannot vouch for the file's metadata, for example recipients
	// that were not authenticated when the file was read (docs/TRUST.md).
	NoExtendedMAC bool
}

// Seal encrypts the values of f's documents with key according to m's rule,
// computes the MAC, stores lastmodified and the encrypted MAC in m, stores
// the extended MAC (x_hull_mac, computed over the plaintext) in m.Extra and
// attaches m to f. m.KeyGroups must already hold the wrapped key.
func Seal(f *formats.File, key []byte, m *metadata.Metadata, opts SealOptions) error {
	if len(f.Docs) == 0 {
		return ErrEmpty
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	sel, err := newSelector(m.Rule.OrDefault())
	if err != nil {
		return err
	}
	c, err := newValueCipher(key, r)
	if err != nil {
		return err
	}
	// The extended MAC covers the plaintext, which the walk replaces (with
	// a Format, it is computed from the output read back, below).
	var xtag []byte
	reread := opts.Format != nil && (opts.InputFormat == nil || opts.InputFormat.Name() != opts.Format.Name())
	if !reread {
		if xtag, err = extendedMAC(f.Docs, key, m); err != nil {
			return err
		}
	}
	w := newWalker(c, sel, m.MACOnlyEncrypted, opts.Stash)
	if err := w.walkDocs(f.Docs); err != nil {
		return err
	}
	if w.values > 0 && w.encValues == 0 && !opts.AllowNoEncryption {
		return fmt.Errorf("%w (%d values, rule %s); check the rule, or allow it explicitly", ErrNothingEncrypted, w.values, describeRule(m.Rule))
	}
	m.LastModified = now.UTC().Format(time.RFC3339)
	mac, err := c.seal([]byte(w.macHex()), m.LastModified, "str")
	if err != nil {
		return fmt.Errorf("%w: MAC: %v", ErrEncrypt, err)
	}
	m.MAC = mac
	if m.Version == "" {
		m.Version = metadata.Version
	}
	if reread {
		// A stale x_hull_mac from an earlier write is emitted in the
		// meantime; it is not part of what the MAC covers.
		f.Meta = m.Node()
		if xtag, err = rereadExtendedMAC(f, key, opts.Format); err != nil {
			return err
		}
	}
	if opts.NoExtendedMAC {
		DropExtendedMAC(m)
	} else {
		setExtendedMAC(m, xtag)
	}
	f.Meta = m.Node()
	return nil
}

// rereadExtendedMAC computes the extended MAC of the sealed file f as
// format reads it back: emitted, parsed and decrypted.
func rereadExtendedMAC(f *formats.File, key []byte, format formats.Format) ([]byte, error) {
	out, err := format.Emit(f, formats.EmitOptions{})
	if err != nil {
		return nil, err
	}
	back, err := format.Parse(out, formats.ParseOptions{Encrypted: true})
	if err != nil {
		return nil, fmt.Errorf("%w: the %s output does not read back: %v", ErrEncrypt, format.Name(), err)
	}
	m, err := metadata.Load(back.Meta)
	if err != nil {
		return nil, fmt.Errorf("%w: the %s output does not read back: %v", ErrEncrypt, format.Name(), err)
	}
	// The stale extended MAC of an earlier write is not checked here; the
	// sops MAC is: a format that cannot hold the file faithfully (several
	// YAML documents written as JSON, a clear boolean written to dotenv)
	// would otherwise write a file that fails its own MAC.
	kept := m.Extra[:0]
	for _, x := range m.Extra {
		if x != nil && x.Key != ExtendedMACField {
			kept = append(kept, x)
		}
	}
	m.Extra = kept
	if _, err := Open(back, key, m, OpenOptions{}); err != nil {
		if errors.Is(err, ErrMACMismatch) {
			return nil, fmt.Errorf("%w: the %s format cannot hold this file as it is (for example several YAML documents, or clear values whose type it would change); choose another output type", ErrEncrypt, format.Name())
		}
		return nil, fmt.Errorf("%w: the %s output does not decrypt: %v", ErrEncrypt, format.Name(), err)
	}
	return extendedMAC(back.Docs, key, m)
}

func describeRule(r metadata.Rule) string {
	r = r.OrDefault()
	return fmt.Sprintf("%s %q", r.Kind, r.Value)
}

// OpenOptions control Open.
type OpenOptions struct {
	// IgnoreMAC skips the MAC check and the extended MAC check. The values
	// are still authenticated one by one; what is lost is the check that
	// none was added, removed, moved or left in clear.
	IgnoreMAC bool
	// RequireExtendedMAC makes a missing extended MAC (x_hull_mac) an
	// ErrExtendedMAC instead of a warning. Files last written by sops have
	// none, and anyone can remove it: only a caller that requires it
	// detects its removal.
	RequireExtendedMAC bool
	// Compat accepts typed values whose plaintext is not in canonical form
	// (for example a bool stored as "true"), which sops reads but never
	// writes.
	Compat bool
	// Stash, when non-nil, records the ciphertext of every value so that
	// a later Seal with the same key keeps unchanged values identical.
	Stash *Stash
}

// Result describes a successful Open.
type Result struct {
	// Warnings are things the caller should tell the user; they never
	// contain values.
	Warnings []string
	// MACChecked is false when the MAC was skipped with IgnoreMAC.
	MACChecked bool
	// ExtendedMACChecked is true when the extended MAC (x_hull_mac) was
	// present and matched.
	ExtendedMACChecked bool
	// ExtendedMACMissing is true when the file has no extended MAC (and
	// none was required); Warnings then holds WarnNoExtendedMAC.
	ExtendedMACMissing bool
	// Unverified is true when IgnoreMAC was set and the file's MACs do
	// not match (or are missing): the plaintext may have been tampered
	// with. A caller must not rewrite such a file without the user's
	// explicit consent.
	Unverified bool
}

// Open decrypts f's documents in place with key according to m and checks
// the MAC, then the extended MAC over the decrypted documents (ErrMACMismatch
// or ErrNoMAC first, ErrExtendedMAC second). On error f may be partly
// decrypted and must be discarded.
func Open(f *formats.File, key []byte, m *metadata.Metadata, opts OpenOptions) (*Result, error) {
	sel, err := newSelector(m.Rule.OrDefault())
	if err != nil {
		return nil, err
	}
	c, err := newValueCipher(key, nil)
	if err != nil {
		return nil, err
	}
	w := newWalker(c, sel, m.MACOnlyEncrypted, opts.Stash)
	w.decrypt, w.compat = true, opts.Compat
	if err := w.walkDocs(f.Docs); err != nil {
		return nil, err
	}
	res := &Result{Warnings: w.warnings}
	if opts.IgnoreMAC {
		// Still compared, only not enforced: a rewrite must know.
		var xr Result
		if verifyMAC(c, m, w.macHex()) != nil {
			res.Unverified = true
		} else if checkExtendedMAC(f.Docs, key, m, false, &xr) != nil {
			res.Unverified = true
		} else {
			res.ExtendedMACChecked = xr.ExtendedMACChecked
		}
		return res, nil
	}
	if err := verifyMAC(c, m, w.macHex()); err != nil {
		return nil, err
	}
	res.MACChecked = true
	if err := checkExtendedMAC(f.Docs, key, m, opts.RequireExtendedMAC, res); err != nil {
		return nil, err
	}
	return res, nil
}

// verifyMAC checks the stored MAC against the computed one. Neither digest
// is ever put in an error: both are unsalted hashes of the plaintext.
func verifyMAC(c *valueCipher, m *metadata.Metadata, computed string) error {
	if m.MAC == "" {
		return ErrNoMAC
	}
	e, err := parseEnvelope(m.MAC)
	if err != nil {
		return fmt.Errorf("%w: the stored MAC is malformed: %v", ErrMACMismatch, err)
	}
	t, err := time.Parse(time.RFC3339, m.LastModified)
	if err != nil {
		return fmt.Errorf("%w: lastmodified is not an RFC 3339 time", ErrMACMismatch)
	}
	stored, err := c.open(e, t.Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("%w: the stored MAC cannot be decrypted (the MAC or lastmodified was changed)", ErrMACMismatch)
	}
	if subtle.ConstantTimeCompare(stored, []byte(computed)) != 1 {
		return fmt.Errorf("%w: the file's values do not match its MAC (a value was changed, added, removed or reordered)", ErrMACMismatch)
	}
	return nil
}

// EncryptOptions control Encrypt.
type EncryptOptions struct {
	// Groups are the key groups: each a list of recipients. One group wraps
	// the whole data key for every recipient; several split it with Shamir.
	Groups [][]keysources.Recipient
	// ShamirThreshold is the number of groups needed to decrypt (0: all).
	ShamirThreshold int
	// Rule selects the values to encrypt (the default suffix rule when
	// zero). Binary files must leave it zero.
	Rule metadata.Rule
	// NoRule writes no rule into the metadata (binary files).
	NoRule bool
	// MACOnlyEncrypted makes the MAC cover encrypted values only.
	MACOnlyEncrypted bool
	// Policy is the trust policy EncryptFile enforces (nil: the one
	// ResolvePolicy finds from the working directory): without a Rule, the
	// matching creation rule's rule is used, and a Rule that leaves in
	// clear a value the creation rule encrypts is refused (ErrPolicy).
	// Encrypt, which gets no file name, ignores it.
	Policy *Policy
	// AllowNoEncryption, Rand, Now, Format, InputFormat: see SealOptions.
	AllowNoEncryption bool
	Rand              io.Reader
	Now               time.Time
	Format            formats.Format
	InputFormat       formats.Format
}

// Encrypt encrypts a plaintext file in place: it makes a data key, wraps it
// for every recipient, encrypts the values and attaches the metadata.
func Encrypt(f *formats.File, opts EncryptOptions) error {
	if f.Meta != nil {
		return fmt.Errorf("%w: it has a top-level 'sops' entry (decrypt it first, or rename that entry)", ErrAlreadyEncrypted)
	}
	if len(f.Docs) == 0 {
		return ErrEmpty
	}
	if len(opts.Groups) == 0 {
		return ErrNoRecipients
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	rule := opts.Rule
	if rule.IsZero() && !opts.NoRule {
		rule = metadata.DefaultRule
	}
	if err := rule.Validate(); err != nil {
		return err
	}
	key, err := keysources.DataKey(r)
	if err != nil {
		return err
	}
	defer clear(key) // the only copy: wrapped and used, then wiped
	groups, threshold, err := keysources.WrapGroups(key, opts.Groups, opts.ShamirThreshold, r)
	if err != nil {
		return err
	}
	m := &metadata.Metadata{
		KeyGroups:        groups,
		ShamirThreshold:  threshold,
		Version:          metadata.Version,
		Rule:             rule,
		MACOnlyEncrypted: opts.MACOnlyEncrypted,
	}
	return Seal(f, key, m, SealOptions{Rand: r, Now: opts.Now, Format: opts.Format, InputFormat: opts.InputFormat, AllowNoEncryption: opts.AllowNoEncryption})
}

// DecryptOptions control Decrypt.
type DecryptOptions struct {
	// Identities are tried on every stanza.
	Identities []keysources.Identity
	// DecryptionOrder lists key types to try first (default age, pgp).
	DecryptionOrder []string
	IgnoreMAC       bool
	Compat          bool
	Stash           *Stash
	// RequireExtendedMAC: see OpenOptions.
	RequireExtendedMAC bool
	// Policy is the trust policy DecryptFile enforces (nil: the one
	// ResolvePolicy finds from the working directory). Decrypt, which
	// gets a parsed file and no name, ignores it.
	Policy *Policy
}

// Opened is a decrypted file.
type Opened struct {
	// Meta is the file's metadata.
	Meta *metadata.Metadata
	// Key is the data key; callers that rewrite the file need it.
	Key    []byte
	Result *Result
}

// ErrNotEncrypted is returned by Decrypt for a file without metadata.
var ErrNotEncrypted = metadata.ErrNoMetadata

// Decrypt decrypts an encrypted file in place: it reads the metadata,
// recovers the data key with the identities and opens the values.
func Decrypt(ctx context.Context, f *formats.File, opts DecryptOptions) (*Opened, error) {
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return nil, err
	}
	if len(m.KeyGroups) == 0 {
		return nil, fmt.Errorf("%w: the file lists no keys", metadata.ErrInvalid)
	}
	key, err := keysources.Recover(ctx, m.KeyGroups, m.ShamirThreshold, opts.Identities, opts.DecryptionOrder)
	if err != nil {
		return nil, err
	}
	res, err := Open(f, key, m, OpenOptions{IgnoreMAC: opts.IgnoreMAC, Compat: opts.Compat, Stash: opts.Stash, RequireExtendedMAC: opts.RequireExtendedMAC})
	if err != nil {
		return nil, err
	}
	f.Meta = nil
	return &Opened{Meta: m, Key: key, Result: res}, nil
}

// IsEncrypted reports what sops's filestatus reports: the file has
// metadata with a version and a MAC.
func IsEncrypted(f *formats.File) bool {
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return false
	}
	return m.Version != "" && m.MAC != ""
}

var _ = errors.New
