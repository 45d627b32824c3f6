// Package pgp is the OpenPGP key source: data keys encrypted to PGP public
// keys and stored as sops does (FORMAT.md §6.2).
//
// # Stanza
//
// A stanza has type "pgp" and three fields: "created_at" (RFC 3339, UTC),
// "enc", an armored PGP message whose literal data is the data key, and
// "fp", the recipient's fingerprint as the user gave it. hull writes enc
// exactly as sops does: "-----BEGIN PGP MESSAGE-----", a blank line (no
// armor headers), the base64 lines and checksum, and
// "-----END PGP MESSAGE-----" with no trailing newline. Messages written by
// older sops versions, with a trailing newline or a "Version:" header,
// decrypt as well.
//
// # Recipients
//
// [ParseRecipients] takes a comma-separated list of fingerprints (all
// spaces removed, as sops does) or paths of armored public key files. The
// public key of a fingerprint is read when a data key is wrapped: from the
// gpg keyring through "gpg --export" (GnuPG 2.1 and later keep keys in
// pubring.kbx, which no Go library reads), or, when gpg is not installed,
// from a legacy pubring.gpg keyring file. Encryption itself is done in Go
// (github.com/ProtonMail/go-crypto), never by gpg, so the trust database
// plays no part, as in sops.
//
// # Identities
//
// [NewGPGIdentity] decrypts through "gpg --decrypt", so gpg-agent,
// passphrases, pinentry and smartcards work as the user set them up.
// [ParseSecretKeyFile] decrypts in Go with the keys of an armored secret key
// file, without gpg; passphrase-protected keys are not supported there.
//
// This package reads no environment variables: the caller fills [Options]
// (hull's command line reads SOPS_GPG_EXEC and GNUPGHOME).
package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "pgp"

// messageType is the armor block type of an encrypted data key.
const messageType = "PGP MESSAGE"

// Options say how to reach GnuPG. The zero value runs "gpg" from PATH with
// gpg's own default home directory.
type Options struct {
	// GPGExec is the gpg program (sops's SOPS_GPG_EXEC); "" means "gpg".
	GPGExec string
	// GnuPGHome is gpg's home directory (GNUPGHOME), passed to gpg as
	// --homedir; "" lets gpg choose.
	GnuPGHome string
	// LegacyKeyring is the pubring.gpg file read in Go for public keys when
	// the gpg program is not installed; "" means GnuPGHome/pubring.gpg
	// (and no fallback when GnuPGHome is "" too).
	LegacyKeyring string
	// Env is added to gpg's environment (for example GPG_TTY, so that a
	// terminal pinentry finds the terminal: gpg's stdin is the message).
	Env []string
	// MoreEnv, if set, is called each time gpg is run, and what it
	// returns is added to Env: settings that cost something to find
	// (GPG_TTY) are then found only by runs that start gpg.
	MoreEnv func() []string
	// Stderr, if set, receives gpg's human-readable messages as gpg writes
	// them. They are kept for error messages either way.
	Stderr io.Writer
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) legacyKeyring() string {
	if o.LegacyKeyring != "" {
		return o.LegacyKeyring
	}
	if o.GnuPGHome != "" {
		return filepath.Join(o.GnuPGHome, "pubring.gpg")
	}
	return ""
}

// Recipient wraps data keys for one PGP public key.
type Recipient struct {
	fp   string // stored in the stanza's fp field
	file string // the public key file it was read from, or ""
	opts Options

	mu     sync.Mutex
	entity *openpgp.Entity // from the key file, or found on the first Wrap
}

var _ keysources.Recipient = (*Recipient)(nil)

// Type returns "pgp".
func (r *Recipient) Type() string { return Type }

// String returns the fingerprint, as stored in the stanza's fp field (for
// a key file, the upper-case fingerprint of its primary key).
func (r *Recipient) String() string { return r.fp }

// GoString is String.
func (r *Recipient) GoString() string { return "pgp recipient " + r.fp }

// Wrap encrypts dataKey to the recipient's public key as an armored PGP
// message, as sops writes it. The key must be valid for encryption now: an
// expired or revoked key is an error naming its fingerprint.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	e, err := r.publicKey()
	if err != nil {
		return metadata.Stanza{}, err
	}
	now := r.opts.now()
	if err := usable(e, now); err != nil {
		return metadata.Stanza{}, fmt.Errorf("pgp key %s %v", r.fp, err)
	}
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, messageType, nil)
	if err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for pgp key %s: %v", r.fp, err)
	}
	// nil config: AES with SEIPD v1 and MDC, no compression, which GnuPG 2.2
	// and every sops version read. Time decides which subkey is valid.
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{e}, nil, &openpgp.FileHints{IsBinary: true}, nil)
	if err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for pgp key %s: %v", r.fp, err)
	}
	if _, err := w.Write(dataKey); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for pgp key %s: %v", r.fp, err)
	}
	if err := w.Close(); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for pgp key %s: %v", r.fp, err)
	}
	if err := aw.Close(); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for pgp key %s: %v", r.fp, err)
	}
	// The armor ends "-----END PGP MESSAGE-----" with no newline, as sops.
	return metadata.NewStanza(Type,
		"created_at", now.UTC().Format(time.RFC3339),
		"enc", buf.String(),
		"fp", r.fp), nil
}

// usable says why e cannot encrypt at now, or nil.
func usable(e *openpgp.Entity, now time.Time) error {
	if _, ok := e.EncryptionKey(now); ok {
		return nil
	}
	sig, _ := e.PrimarySelfSignature()
	switch {
	case e.Revoked(now):
		return errors.New("is revoked")
	case sig != nil && e.PrimaryKey.KeyExpired(sig, now):
		return errors.New("has expired")
	}
	return errors.New("has no valid encryption subkey (expired, revoked or missing)")
}

// publicKey returns the recipient's key: from its key file, else from the
// gpg keyring, else from the legacy keyring file when gpg is missing.
func (r *Recipient) publicKey() (*openpgp.Entity, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entity != nil {
		return r.entity, nil
	}
	e, err := r.opts.exportKey(r.fp)
	if err != nil {
		return nil, err
	}
	r.entity = e
	return e, nil
}

// exportKey finds the public key with fingerprint fp.
func (o Options) exportKey(fp string) (*openpgp.Entity, error) {
	var out bytes.Buffer
	res, err := o.runGPG(nil, &out, 16<<20, "--batch", "--export", fp)
	if errors.Is(err, ErrGPGNotFound) {
		kr := o.legacyKeyring()
		if kr == "" {
			return nil, fmt.Errorf("pgp key %s: %w", fp, err)
		}
		e, lerr := legacyLookup(kr, fp)
		if lerr != nil {
			return nil, fmt.Errorf("pgp key %s: %w; %v", fp, err, lerr)
		}
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgp key %s: exporting it from gpg: %v", fp, err)
	}
	if res.exit != 0 {
		return nil, fmt.Errorf("pgp key %s: exporting it from gpg failed%s", fp, res.message())
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("pgp key %s is not in the gpg keyring%s: import it with gpg --import, or give the path of its public key file", fp, o.homeNote())
	}
	el, err := openpgp.ReadKeyRing(&out)
	if err != nil {
		return nil, fmt.Errorf("pgp key %s: reading the key gpg exported: %v", fp, err)
	}
	if e := find(el, fp); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("pgp key %s: gpg exported a different key", fp)
}

func (o Options) homeNote() string {
	if o.GnuPGHome != "" {
		return " (GNUPGHOME=" + o.GnuPGHome + ")"
	}
	return ""
}

// legacyLookup reads a pubring.gpg keyring file.
func legacyLookup(path, fp string) (*openpgp.Entity, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no legacy keyring %s", path)
		}
		return nil, fmt.Errorf("reading the legacy keyring: %v", err)
	}
	defer f.Close()
	el, err := openpgp.ReadKeyRing(f)
	if err != nil {
		return nil, fmt.Errorf("reading the legacy keyring %s: %v", path, err)
	}
	if e := find(el, fp); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("the key is not in the legacy keyring %s", path)
}

// find returns the entity whose primary key or a subkey has fingerprint fp.
func find(el openpgp.EntityList, fp string) *openpgp.Entity {
	for _, e := range el {
		if strings.EqualFold(fingerprint(e), fp) {
			return e
		}
	}
	for _, e := range el {
		for _, sk := range e.Subkeys {
			if strings.EqualFold(fmt.Sprintf("%X", sk.PublicKey.Fingerprint), fp) {
				return e
			}
		}
	}
	return nil
}

func fingerprint(e *openpgp.Entity) string {
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}

const accepted = "a 40-hex-digit fingerprint or the path of an armored public key file (with a / or ending in .asc)"

// ParseRecipients parses a comma-separated list of PGP recipients, as
// sops's --pgp flag and SOPS_PGP_FP do. Each is one of:
//
//   - a fingerprint: 40 hexadecimal digits, where every space is removed
//     (so "FBC7 B9E2 …" as gpg prints it works) and the rest is stored in
//     the stanza exactly as given. Key IDs (8 or 16 digits) are refused:
//     they are ambiguous, and a fingerprint in the file says which key
//     was used. The key is looked up when a data key is wrapped.
//   - the path of an armored (or binary) public key file, recognized by a
//     "/" or an ".asc" ending (a hull extension; spaces around it are
//     trimmed). Its only key's primary fingerprint, in upper case, becomes
//     the fingerprint. The file is read now and gpg is not needed.
//
// Empty parts are skipped, so "" gives no recipients and no error. Errors
// name the recipient's position and never echo text that is not a
// fingerprint.
func ParseRecipients(s string, o Options) ([]keysources.Recipient, error) {
	var out []keysources.Recipient
	for i, part := range strings.Split(s, ",") {
		r, err := parseRecipient(part, o)
		if err != nil {
			return nil, fmt.Errorf("pgp recipient %d: %v", i+1, err)
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

func parseRecipient(part string, o Options) (*Recipient, error) {
	trimmed := strings.TrimSpace(part)
	if trimmed == "" {
		return nil, nil
	}
	if strings.Contains(trimmed, "/") || strings.HasSuffix(strings.ToLower(trimmed), ".asc") {
		return readKeyFile(trimmed, o)
	}
	fp := strings.ReplaceAll(part, " ", "")
	fp = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, fp)
	switch {
	case isHex(fp) && (len(fp) == 8 || len(fp) == 16):
		return nil, errors.New("a key ID is not enough: give the full 40-hex-digit fingerprint (gpg --fingerprint shows it)")
	case strings.HasPrefix(fp, "0x") && isHex(fp[2:]) && len(fp) == 42:
		return nil, errors.New("write the fingerprint without the 0x prefix")
	case !isHex(fp) || len(fp) != 40:
		return nil, errors.New("not a PGP fingerprint; accepted are " + accepted)
	}
	return &Recipient{fp: fp, opts: o}, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

const keyFileLimit = 1 << 24 // 16 MiB

func readKeyFile(path string, o Options) (*Recipient, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("public key file %s not found", path)
		}
		return nil, fmt.Errorf("cannot read public key file %s: %v", path, fserr.Bare(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, keyFileLimit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read public key file %s: %v", path, fserr.Bare(err))
	}
	if len(data) > keyFileLimit {
		return nil, fmt.Errorf("public key file %s is larger than 16 MiB", path)
	}
	el, err := readKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	el = dedup(el)
	switch {
	case len(el) == 0:
		return nil, fmt.Errorf("%s: no pgp public key found", path)
	case len(el) > 1:
		return nil, fmt.Errorf("%s holds %d keys: give a file with one key, or their fingerprints", path, len(el))
	}
	e := el[0]
	if e.PrivateKey != nil {
		// A public recipient from a secret key file works, but the user
		// probably meant the public key; say so rather than guess.
		return nil, fmt.Errorf("%s is a secret key file: give the public key (gpg --export --armor)", path)
	}
	return &Recipient{fp: fingerprint(e), file: path, opts: o, entity: e}, nil
}

// dedup drops repeated keys (a file may hold a key's secret and public
// blocks), keeping the first.
func dedup(el openpgp.EntityList) openpgp.EntityList {
	seen := map[string]bool{}
	var out openpgp.EntityList
	for _, e := range el {
		if fp := fingerprint(e); !seen[fp] {
			seen[fp] = true
			out = append(out, e)
		}
	}
	return out
}

// readKeys reads every key of a key file: one or more armored blocks (of
// public or private keys; other text between them is ignored) or binary
// packets. Errors never quote the file.
func readKeys(data []byte) (openpgp.EntityList, error) {
	const begin = "-----BEGIN PGP "
	if !bytes.Contains(data, []byte(begin)) {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, errors.New("not an OpenPGP key file")
		}
		return el, nil
	}
	var out openpgp.EntityList
	n := 0
	for {
		i := bytes.Index(data, []byte(begin))
		if i < 0 {
			break
		}
		data = data[i:]
		next := bytes.Index(data[len(begin):], []byte(begin))
		block := data
		if next >= 0 {
			block = data[:len(begin)+next]
		}
		data = data[len(block):]
		n++
		b, err := armor.Decode(bytes.NewReader(block))
		if err != nil {
			return nil, fmt.Errorf("armored block %d is malformed", n)
		}
		if b.Type != openpgp.PublicKeyType && b.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("armored block %d is a %s, not a key", n, strings.ToLower(b.Type))
		}
		el, err := openpgp.ReadKeyRing(b.Body)
		if err != nil {
			return nil, fmt.Errorf("armored block %d: malformed key", n)
		}
		out = append(out, el...)
	}
	return out, nil
}
