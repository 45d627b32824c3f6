package age

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	agelib "filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Identity unwraps data keys wrapped to one age or SSH key.
type Identity struct {
	id        agelib.Identity
	recipient string
}

var _ keysources.Identity = (*Identity)(nil)

// Type returns "age": the identity only unwraps "age" stanzas.
func (i *Identity) Type() string { return Type }

// Recipient returns the public key of the identity (age1… or "ssh-ed25519
// AAAA…"), for messages.
func (i *Identity) Recipient() string { return i.recipient }

// String describes the identity by its public key, never the secret.
func (i *Identity) String() string { return "age identity for " + i.recipient }

// GoString is String, so that %#v cannot print the secret key either.
func (i *Identity) GoString() string { return i.String() }

// Unwrap returns the data key in an "age" stanza. It returns
// keysources.ErrIncorrectIdentity for other stanza types and for age
// stanzas not addressed to this identity.
func (i *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	if s.Type != Type {
		return nil, keysources.ErrIncorrectIdentity
	}
	who := s.Get("recipient")
	if who == "" {
		who = "(no recipient)"
	}
	enc := s.Get("enc")
	if strings.TrimSpace(enc) == "" {
		return nil, fmt.Errorf("age stanza for %s: enc is empty", who)
	}
	// The armor and header errors may quote ciphertext lines: keep them out.
	raw, err := io.ReadAll(armor.NewReader(strings.NewReader(enc)))
	if err != nil {
		return nil, fmt.Errorf("age stanza for %s: enc is malformed: not an armored age file", who)
	}
	if _, err := agelib.ExtractHeader(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("age stanza for %s: enc is malformed: invalid age header", who)
	}
	r, err := agelib.Decrypt(bytes.NewReader(raw), i.id)
	if err != nil {
		var nm *agelib.NoIdentityMatchError
		if errors.As(err, &nm) || errors.Is(err, agelib.ErrIncorrectIdentity) {
			return nil, keysources.ErrIncorrectIdentity
		}
		return nil, fmt.Errorf("age stanza for %s: %v", who, err)
	}
	key, err := io.ReadAll(r)
	if err != nil {
		clear(key)
		return nil, fmt.Errorf("age stanza for %s: decrypting the data key: %v", who, err)
	}
	return key, nil
}

const identitySizeLimit = 1 << 24 // 16 MiB, as age

// ParseIdentities reads age identities: AGE-SECRET-KEY-1… (X25519) and
// AGE-SECRET-KEY-PQ-1… (post-quantum hybrid). Blank lines and lines starting
// with "#" are skipped; a line may hold several keys separated by spaces, as
// SOPS_AGE_KEY allows. source names the input (a file name, an environment
// variable) in errors, which give line numbers but never key text.
func ParseIdentities(r io.Reader, source string) ([]keysources.Identity, error) {
	lr := &io.LimitedReader{R: r, N: identitySizeLimit + 1}
	sc := bufio.NewScanner(lr)
	var out []keysources.Identity
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if n == 1 && (line == armor.Header || line == "age-encryption.org/v1") {
			return nil, fmt.Errorf("%s: passphrase-encrypted age identity files are not supported yet", source)
		}
		for _, f := range strings.Fields(line) {
			id, err := parseIdentity(f)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: %v", source, n, err)
			}
			out = append(out, id)
		}
	}
	if err := sc.Err(); err != nil {
		// bufio's errors ("token too long") never quote the input.
		return nil, fmt.Errorf("%s: line %d: %v", source, n+1, err)
	}
	if lr.N == 0 {
		return nil, fmt.Errorf("%s: identity file is larger than 16 MiB", source)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no age identities found", source)
	}
	return out, nil
}

func parseIdentity(s string) (*Identity, error) {
	// age's parse errors may quote parts of the key: never pass them on.
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		k, err := agelib.ParseHybridIdentity(s)
		if err != nil {
			return nil, errors.New("malformed post-quantum age secret key")
		}
		return &Identity{id: k, recipient: k.Recipient().String()}, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		k, err := agelib.ParseX25519Identity(s)
		if err != nil {
			return nil, errors.New("malformed age secret key")
		}
		return &Identity{id: k, recipient: k.Recipient().String()}, nil
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		return nil, errors.New("age plugin identities are not supported yet")
	case strings.HasPrefix(s, "age1"), strings.HasPrefix(s, "ssh-"):
		return nil, errors.New("this is a public key (recipient), not a secret key")
	}
	return nil, errors.New("not an age secret key (AGE-SECRET-KEY-1…)")
}

// ParseSSHIdentity reads an unencrypted OpenSSH (or PEM) ed25519 or RSA
// private key. source names the key in errors.
func ParseSSHIdentity(pem []byte, source string) (keysources.Identity, error) {
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return nil, fmt.Errorf("%s: passphrase-protected SSH keys are not supported yet", source)
		}
		return nil, fmt.Errorf("%s: not an SSH private key: %v", source, sshCause(err))
	}
	switch t := signer.PublicKey().Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA:
	default:
		return nil, fmt.Errorf("%s: %s SSH keys are not supported (only ssh-ed25519 and ssh-rsa)", source, t)
	}
	id, err := agessh.ParseIdentity(pem)
	if err != nil {
		return nil, fmt.Errorf("%s: not a supported SSH private key: %v", source, sshCause(err))
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	return &Identity{id: id, recipient: pub}, nil
}

// sshCause keeps x/crypto/ssh's short error text, which names the problem
// ("no key found") and never the key.
func sshCause(err error) string {
	return strings.TrimPrefix(err.Error(), "ssh: ")
}

// GenerateIdentity returns a new X25519 identity file in age-keygen's
// layout, and its recipient:
//
//	# created: 2006-01-02T15:04:05Z07:00
//	# public key: age1…
//	AGE-SECRET-KEY-1…
func GenerateIdentity(now time.Time) (fileContent []byte, recipient string, err error) {
	k, err := agelib.GenerateX25519Identity()
	if err != nil {
		return nil, "", fmt.Errorf("generating an age identity: %v", err)
	}
	recipient = k.Recipient().String()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# created: %s\n", now.Format(time.RFC3339))
	fmt.Fprintf(&b, "# public key: %s\n", recipient)
	fmt.Fprintf(&b, "%s\n", k)
	return b.Bytes(), recipient, nil
}
