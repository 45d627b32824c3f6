package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// KeyFileIdentity unwraps "pgp" stanzas in Go with the secret keys of a key
// file; gpg is not needed. It is safe for concurrent use.
type KeyFileIdentity struct {
	source string
	fps    []string // primary fingerprints, for messages
	mu     sync.Mutex
	keys   openpgp.EntityList
}

var _ keysources.Identity = (*KeyFileIdentity)(nil)

// ParseSecretKeyFile reads the secret keys of an armored key file (as
// written by gpg --export-secret-keys --armor; several blocks may follow
// each other, public blocks are skipped) or of binary key packets. source
// names the file in errors, which never quote it. Passphrase-protected keys
// are refused: decrypt those through gpg ([NewGPGIdentity]).
func ParseSecretKeyFile(data []byte, source string) (keysources.Identity, error) {
	el, err := readKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	id := &KeyFileIdentity{source: source}
	for _, e := range el {
		if e.PrivateKey == nil {
			continue
		}
		if encrypted(e) {
			return nil, fmt.Errorf("%s: passphrase-protected pgp keys are not supported without gpg: import the key with gpg --import and let gpg decrypt", source)
		}
		id.keys = append(id.keys, e)
		id.fps = append(id.fps, fingerprint(e))
	}
	if len(id.keys) == 0 {
		return nil, fmt.Errorf("%s: no pgp secret key found (a public key cannot decrypt)", source)
	}
	return id, nil
}

func encrypted(e *openpgp.Entity) bool {
	if e.PrivateKey.Encrypted {
		return true
	}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil && sk.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// Type returns "pgp".
func (i *KeyFileIdentity) Type() string { return Type }

// Fingerprints returns the primary fingerprints of the keys, upper case.
func (i *KeyFileIdentity) Fingerprints() []string { return append([]string(nil), i.fps...) }

// String describes the identity by its file and fingerprints, never the
// secret.
func (i *KeyFileIdentity) String() string {
	return fmt.Sprintf("pgp secret key file %s (%s)", i.source, strings.Join(i.fps, ", "))
}

// GoString is String, so that %#v cannot print the keys.
func (i *KeyFileIdentity) GoString() string { return i.String() }

// Format is String for every verb, so that %+v cannot print the keys.
func (i *KeyFileIdentity) Format(f fmt.State, _ rune) { io.WriteString(f, i.String()) }

// Unwrap decrypts the armored message in a "pgp" stanza's enc. It returns
// keysources.ErrIncorrectIdentity for other stanza types and for messages
// that none of the keys can open.
func (i *KeyFileIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	if s.Type != Type {
		return nil, keysources.ErrIncorrectIdentity
	}
	who := stanzaWho(s)
	enc := s.Get("enc")
	if strings.TrimSpace(enc) == "" {
		return nil, fmt.Errorf("pgp stanza for %s: enc is empty", who)
	}
	// Armor errors may quote lines: keep them out.
	block, err := armor.Decode(strings.NewReader(enc))
	if err != nil || block.Type != messageType {
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: not an armored PGP message", who)
	}
	raw, err := io.ReadAll(io.LimitReader(block.Body, messageLimit+1))
	if err != nil || len(raw) > messageLimit {
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: not an armored PGP message", who)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	md, err := openpgp.ReadMessage(bytes.NewReader(raw), i.keys, nil, nil)
	if err != nil {
		if errors.Is(err, pgperrors.ErrKeyIncorrect) {
			if fp := i.addressed(raw); fp != "" {
				// The message names one of our keys, which failed: the
				// wrapped key is damaged, this is no "try the next one".
				return nil, fmt.Errorf("pgp stanza for %s: the data key does not decrypt with key %s: the message is damaged", who, fp)
			}
			return nil, keysources.ErrIncorrectIdentity
		}
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: %v", who, err)
	}
	if !md.IsEncrypted {
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: the message is not encrypted", who)
	}
	buf := bytes.NewBuffer(make([]byte, 0, maxUnwrapped))
	n, err := io.Copy(buf, io.LimitReader(md.UnverifiedBody, maxUnwrapped+1))
	defer clear(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("pgp stanza for %s: decrypting the data key: %v", who, err)
	}
	if n > maxUnwrapped {
		return nil, fmt.Errorf("pgp stanza for %s: the decrypted data key is larger than %d bytes", who, maxUnwrapped)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// messageLimit bounds an enc message: a wrapped data key is a few hundred
// bytes, a message to many keys a few kilobytes.
const messageLimit = 1 << 20

// addressed returns the fingerprint of the key whose encryption (sub)key
// one of the message's encrypted session keys names, or "".
func (i *KeyFileIdentity) addressed(raw []byte) string {
	pr := packet.NewReader(bytes.NewReader(raw))
	for {
		p, err := pr.Next()
		if err != nil {
			return ""
		}
		ek, ok := p.(*packet.EncryptedKey)
		if !ok {
			return ""
		}
		if ek.KeyId == 0 {
			continue // an anonymous recipient may be anyone
		}
		if ks := i.keys.KeysById(ek.KeyId); len(ks) > 0 {
			return fingerprint(ks[0].Entity)
		}
	}
}
