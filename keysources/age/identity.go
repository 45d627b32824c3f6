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
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Identity unwraps data keys wrapped to one age or SSH key.
type Identity struct {
	id        agelib.Identity
	recipient string
	// ask is set for identities that may ask the user (plugins,
	// passphrase-protected keys): see asking.
	ask *asking
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

// Interactive reports whether the identity may ask the user something (an
// age plugin, a passphrase-protected identity file or SSH key), so that
// keysources.Recover tries it after the keys at hand.
func (i *Identity) Interactive() bool { return i.ask != nil }

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
	if i.ask != nil {
		i.ask.mu.Lock()
		defer i.ask.mu.Unlock()
		if i.ask.failed != nil {
			if !i.ask.retry {
				return nil, i.ask.failed
			}
			i.ask.failed = nil
		}
		i.ask.uiErr = nil
	}
	r, err := agelib.Decrypt(bytes.NewReader(raw), i.id)
	if err != nil {
		var nm *agelib.NoIdentityMatchError
		if errors.As(err, &nm) || errors.Is(err, agelib.ErrIncorrectIdentity) {
			return nil, keysources.ErrIncorrectIdentity
		}
		if i.ask != nil {
			// Ask the user once: keep the first failure (with retry,
			// until the next Unwrap).
			if i.ask.failed == nil {
				i.ask.failed = i.ask.withUIError(pluginError(err))
			}
			return nil, i.ask.failed
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

// ParseIdentities is ParseIdentitiesWith with the zero Options: plugin
// identities and passphrase-protected files are read, but cannot ask the
// user anything.
func ParseIdentities(r io.Reader, source string) ([]keysources.Identity, error) {
	return ParseIdentitiesWith(r, source, Options{})
}

// ParseIdentitiesWith reads age identities: AGE-SECRET-KEY-1… (X25519),
// AGE-SECRET-KEY-PQ-1… (post-quantum hybrid) and AGE-PLUGIN-NAME-1… (an
// age plugin, run as age-plugin-name when a stanza is tried). Blank lines
// and lines starting with "#" are skipped; a line may hold several keys
// separated by spaces, as SOPS_AGE_KEY allows. An input that is an age
// file encrypted with a passphrase (age -p, armored or not) gives one
// identity that asks for the passphrase through o.UI the first time it is
// tried, then uses the identities inside. source names the input (a file
// name, an environment variable) in errors and in the prompt; errors give
// line numbers but never key text.
func ParseIdentitiesWith(r io.Reader, source string, o Options) ([]keysources.Identity, error) {
	data, err := io.ReadAll(io.LimitReader(r, identitySizeLimit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the identities: %v", source, err)
	}
	defer clear(data)
	if len(data) > identitySizeLimit {
		return nil, fmt.Errorf("%s: identity file is larger than 16 MiB", source)
	}
	if start := bytes.TrimLeft(data, " \t\r\n"); bytes.HasPrefix(start, []byte(armor.Header)) || bytes.HasPrefix(start, []byte("age-encryption.org/")) {
		id, err := parseEncryptedFile(data, source, o)
		if err != nil {
			return nil, err
		}
		return []keysources.Identity{id}, nil
	}
	ids, err := parseIdentityLines(data, source, o, true)
	if err != nil {
		return nil, err
	}
	out := make([]keysources.Identity, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out, nil
}

// parseIdentityLines parses identities, one or more per line.
func parseIdentityLines(data []byte, source string, o Options, outer bool) ([]*Identity, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	var out []*Identity
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !outer && (line == armor.Header || strings.HasPrefix(line, "age-encryption.org/")) {
			return nil, fmt.Errorf("%s: the passphrase-protected identity file holds another encrypted file, not identities", source)
		}
		for _, f := range strings.Fields(line) {
			id, err := parseIdentity(f, o)
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
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no age identities found", source)
	}
	return out, nil
}

func parseIdentity(s string, o Options) (*Identity, error) {
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
		a := o.newAsking()
		k, err := plugin.NewIdentity(s, pluginUI(o.ui(), a))
		if err != nil {
			return nil, errors.New("malformed age plugin identity (AGE-PLUGIN-NAME-1…)")
		}
		return &Identity{id: k, recipient: "age plugin identity (age-plugin-" + k.Name() + ")", ask: a}, nil
	case strings.HasPrefix(s, "age1"), strings.HasPrefix(s, "ssh-"):
		return nil, errors.New("this is a public key (recipient), not a secret key")
	}
	return nil, errors.New("not an age secret key (AGE-SECRET-KEY-1…)")
}

// ParseSSHIdentity is ParseSSHIdentityWith without a public key file and
// with the zero Options: a passphrase-protected key is read, but cannot
// ask for its passphrase.
func ParseSSHIdentity(pem []byte, source string) (keysources.Identity, error) {
	return ParseSSHIdentityWith(pem, nil, source, Options{})
}

// ParseSSHIdentityWith reads an OpenSSH (or PEM) ed25519 or RSA private
// key. A passphrase-protected key gives an identity that asks for the
// passphrase through o.UI when a stanza addressed to the key is tried;
// its public key is read from the private key file (OpenSSH format) or
// else from pub, the contents of its .pub file (nil when there is none).
// source names the key in errors and in the prompt.
func ParseSSHIdentityWith(pem, pub []byte, source string, o Options) (keysources.Identity, error) {
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return parseEncryptedSSH(pem, pm, pub, source, o)
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
	pk := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	return &Identity{id: id, recipient: pk}, nil
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
