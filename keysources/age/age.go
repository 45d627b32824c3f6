// Package age is the age key source: data keys wrapped with filippo.io/age
// to X25519 (age1…), post-quantum hybrid (age1pq1…), SSH (ssh-ed25519,
// ssh-rsa) and age plugin (age1NAME1…) recipients, stored as sops does.
//
// # Stanza
//
// A stanza has type "age" and two fields: "recipient", the recipient text
// exactly as given, and "enc", an ASCII-armored age file whose payload is
// the data key (FORMAT.md §6.2).
//
// # Identities
//
// [ParseIdentitiesWith] reads age identity files (AGE-SECRET-KEY-1…,
// AGE-SECRET-KEY-PQ-1…, AGE-PLUGIN-NAME-1…) and identity files encrypted
// with a passphrase (age -p); [ParseSSHIdentityWith] reads OpenSSH ed25519
// and RSA private keys, with or without a passphrase. Finding those files
// (SOPS_AGE_KEY_FILE, ~/.ssh, …) is the caller's job: this package reads
// no environment.
//
// # Plugins and prompts
//
// An age plugin recipient or identity runs the executable age-plugin-NAME
// found in PATH, speaking the age plugin protocol (filippo.io/age/plugin).
// A plugin may ask the user for a PIN or a confirmation, and a
// passphrase-protected identity asks for its passphrase: both go through
// [Options].UI, which the caller connects to a terminal. Identities that
// may ask report it with Interactive, so that keys at hand are tried
// first; each asks at most once per identity, and a failure is kept
// (with [Options].Retry, as the key service sets it, a failure fails only
// the Unwrap that asked, and the next asks again).
package age

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	agelib "filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "age"

// Recipient wraps data keys for one age or SSH public key.
type Recipient struct {
	text string
	r    agelib.Recipient
	// ask is set for plugin recipients: Wrap is serialised, and says why
	// the plugin's questions could not be asked.
	ask *asking
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
	if r.ask != nil {
		r.ask.mu.Lock()
		defer r.ask.mu.Unlock()
		r.ask.uiErr = nil
	}
	w, err := agelib.Encrypt(aw, r.r)
	if err != nil {
		err = pluginError(err)
		if r.ask != nil {
			err = r.ask.withUIError(err)
		}
		return metadata.Stanza{}, fmt.Errorf("wrapping the data key for age recipient %s: %w", r.text, err)
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

const accepted = "age1… (X25519), age1pq1… (post-quantum), age1NAME1… (age plugins) and ssh-ed25519 or ssh-rsa public keys"

// ParseRecipients is ParseRecipientsWith with the zero Options: plugin
// recipients work but cannot ask the user anything.
func ParseRecipients(s string) ([]keysources.Recipient, error) {
	return ParseRecipientsWith(s, Options{})
}

// ParseRecipientsWith parses a comma-separated list of recipients, as
// sops's --age flag and SOPS_AGE_RECIPIENTS do. Spaces around each
// recipient are trimmed and empty parts are skipped, so an empty string
// gives no recipients and no error. Errors name the recipient's position.
// A plugin recipient (age1NAME1…) runs age-plugin-NAME from PATH when it
// wraps a key, and the plugin reaches the user through o.UI.
func ParseRecipientsWith(s string, o Options) ([]keysources.Recipient, error) {
	var out []keysources.Recipient
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := parseRecipient(part, o)
		if err != nil {
			return nil, fmt.Errorf("age recipient %d: %v", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRecipient(s string, o Options) (*Recipient, error) {
	var r agelib.Recipient
	var err error
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		r, err = agelib.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1:
		// Bech32 data never contains "1", so a second one ends a plugin name.
		a := o.newAsking()
		p, perr := plugin.NewRecipient(s, pluginUI(o.ui(), a))
		if perr != nil {
			return nil, errors.New("malformed age plugin recipient (age1NAME1…)")
		}
		return &Recipient{text: s, r: p, ask: a}, nil
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
