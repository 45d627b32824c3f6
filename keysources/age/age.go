// Package age is the age key source: data keys wrapped with filippo.io/age
// to X25519 (age1…), post-quantum hybrid (age1pq1…) and SSH (ssh-ed25519,
// ssh-rsa) recipients, stored as sops does.
//
// # Stanza
//
// A stanza has type "age" and two fields: "recipient", the recipient text
// exactly as given, and "enc", an ASCII-armored age file whose payload is
// the data key (FORMAT.md §6.2).
//
// # Identities
//
// [ParseIdentities] reads age identity files (AGE-SECRET-KEY-1…,
// AGE-SECRET-KEY-PQ-1…); [ParseSSHIdentity] reads unencrypted OpenSSH
// ed25519 and RSA private keys. Finding those files (SOPS_AGE_KEY_FILE,
// ~/.ssh, …) is the caller's job: this package reads no environment.
package age

import (
	"bytes"
	"fmt"
	"strings"

	agelib "filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "age"

// Recipient wraps data keys for one age or SSH public key.
type Recipient struct {
	text string
	r    agelib.Recipient
}

var _ keysources.Recipient = (*Recipient)(nil)

// Type returns "age".
func (r *Recipient) Type() string { return Type }

// String returns the recipient exactly as it was parsed (sops stores it
// verbatim in the stanza).
func (r *Recipient) String() string { return r.text }

// Wrap encrypts dataKey to the recipient as an armored age file.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := agelib.Encrypt(aw, r.r)
	if err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for age recipient %s: %v", r.text, err)
	}
	if _, err := w.Write(dataKey); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for age recipient %s: %v", r.text, err)
	}
	if err := w.Close(); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for age recipient %s: %v", r.text, err)
	}
	if err := aw.Close(); err != nil {
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for age recipient %s: %v", r.text, err)
	}
	// The armor ends "-----END AGE ENCRYPTED FILE-----\n", as in sops.
	return metadata.NewStanza(Type, "recipient", r.text, "enc", buf.String()), nil
}

const accepted = "age1… (X25519), age1pq1… (post-quantum) and ssh-ed25519 or ssh-rsa public keys"

// ParseRecipients parses a comma-separated list of recipients, as sops's
// --age flag and SOPS_AGE_RECIPIENTS do. Spaces around each recipient are
// trimmed and empty parts are skipped, so an empty string gives no
// recipients and no error. Errors name the recipient's position.
func ParseRecipients(s string) ([]keysources.Recipient, error) {
	var out []keysources.Recipient
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := parseRecipient(part)
		if err != nil {
			return nil, fmt.Errorf("age recipient %d: %v", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRecipient(s string) (*Recipient, error) {
	var r agelib.Recipient
	var err error
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		r, err = agelib.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1:
		// Bech32 data never contains "1", so a second one ends a plugin name.
		name := strings.TrimPrefix(s, "age1")
		name = name[:strings.Index(name, "1")]
		return nil, fmt.Errorf("age plugin recipients (here age-plugin-%s) are not supported yet", name)
	case strings.HasPrefix(s, "age1"):
		r, err = agelib.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-"):
		r, err = agessh.ParseRecipient(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"), strings.HasPrefix(s, "AGE-PLUGIN-"):
		// Never echo a secret key.
		return nil, fmt.Errorf("this is an age secret key, not a recipient: use its public key (age1…); accepted are %s", accepted)
	default:
		// It may be anything, even a pasted secret: do not echo it.
		return nil, fmt.Errorf("unknown recipient type; accepted are %s", accepted)
	}
	if err != nil {
		return nil, err
	}
	return &Recipient{text: s, r: r}, nil
}
