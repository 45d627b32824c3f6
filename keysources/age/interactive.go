package age

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	agelib "filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// Options are the settings of the age key source. The zero value works
// without a user: age plugins that want to ask something and
// passphrase-protected identities then fail with an error that says so.
type Options struct {
	// UI reaches the user: age plugins show messages through it and ask
	// for values (a PIN, a confirmation), and passphrase-protected
	// identities ask for their passphrase through RequestValue, with an
	// empty plugin name. cmd/hull connects it to the terminal. A nil UI,
	// or a nil field, refuses every such request.
	UI *plugin.ClientUI
	// Retry makes a failure to ask (a wrong passphrase, a declined or
	// failed plugin question, no terminal) fail only the Unwrap that
	// asked: the next one asks again. Without it the first failure is
	// kept and returned again, so that one run of hull asks at most once.
	// The key service sets it, so that a wrong passphrase fails only that
	// request. A right passphrase is kept either way: the identities it
	// opened stay in memory until the process ends.
	Retry bool
}

// newAsking is the asking state of one identity that may ask.
func (o Options) newAsking() *asking { return &asking{retry: o.Retry} }

// ErrPluginNotFound is wrapped by the error of a plugin recipient or
// identity whose executable (age-plugin-NAME) is not in PATH.
var ErrPluginNotFound = errors.New("age plugin not found")

// ErrIncorrectPassphrase is wrapped by the error of a passphrase-protected
// identity whose passphrase was wrong.
var ErrIncorrectPassphrase = errors.New("incorrect passphrase")

func (o Options) ui() *plugin.ClientUI {
	if o.UI == nil {
		return &plugin.ClientUI{}
	}
	return o.UI
}

// askPassphrase asks for a passphrase through the UI.
func (o Options) askPassphrase(prompt string) (string, error) {
	if o.UI == nil || o.UI.RequestValue == nil {
		return "", errNoUI
	}
	return o.UI.RequestValue("", prompt, true)
}

// pluginError rewords the age plugin client's errors: a missing plugin
// says which executable to install.
func pluginError(err error) error {
	var nf *plugin.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: age-plugin-%s is not in PATH: install it, or add its directory to PATH", ErrPluginNotFound, nf.Name)
	}
	return err
}

// The identity that asks: plugins and passphrase-protected keys. Unwrap
// calls are serialised, so that the user is asked one thing at a time, and
// the first failure (a wrong passphrase, a missing plugin, no terminal) is
// kept and returned again, so that the user is asked at most once; with
// retry (Options.Retry) it fails that Unwrap only.
type asking struct {
	mu     sync.Mutex
	retry  bool
	failed error
	// uiErr is why the UI could not ask the last question of a plugin:
	// the age plugin client only tells the plugin that it failed, and the
	// plugin's error rarely says why.
	uiErr error
}

// errNoUI answers the questions asked when there is no UI.
var errNoUI = errors.New("no terminal to ask on")

// pluginUI returns ui for one plugin key, keeping in a the errors of the
// questions it could not ask (under a.mu, which Unwrap and Wrap hold).
func pluginUI(ui *plugin.ClientUI, a *asking) *plugin.ClientUI {
	c := &plugin.ClientUI{DisplayMessage: ui.DisplayMessage, WaitTimer: ui.WaitTimer}
	c.RequestValue = func(name, prompt string, secret bool) (string, error) {
		if ui.RequestValue == nil {
			a.uiErr = errNoUI
			return "", errNoUI
		}
		v, err := ui.RequestValue(name, prompt, secret)
		if err != nil {
			a.uiErr = err
		}
		return v, err
	}
	c.Confirm = func(name, prompt, yes, no string) (bool, error) {
		if ui.Confirm == nil {
			a.uiErr = errNoUI
			return false, errNoUI
		}
		v, err := ui.Confirm(name, prompt, yes, no)
		if err != nil {
			a.uiErr = err
		}
		return v, err
	}
	return c
}

// withUIError adds to a plugin's error why hull could not ask what the
// plugin asked, if that happened.
func (a *asking) withUIError(err error) error {
	if a.uiErr == nil {
		return err
	}
	return fmt.Errorf("%w (it asked for input, and hull could not ask you: %w)", err, a.uiErr)
}

// encryptedFile is an age identity file encrypted with a passphrase (age
// -p). It asks for the passphrase the first time a stanza is tried and
// keeps the identities it holds.
type encryptedFile struct {
	source string
	file   []byte // the binary age file
	opts   Options
	mu     sync.Mutex // the key service server unwraps concurrently: ask once
	ids    []agelib.Identity
}

func (e *encryptedFile) Unwrap(stanzas []*agelib.Stanza) ([]byte, error) {
	e.mu.Lock()
	if e.ids == nil {
		if err := e.decrypt(); err != nil {
			e.mu.Unlock()
			return nil, err
		}
	}
	e.mu.Unlock()
	for _, id := range e.ids {
		key, err := id.Unwrap(stanzas)
		if errors.Is(err, agelib.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, agelib.ErrIncorrectIdentity
}

func (e *encryptedFile) decrypt() error {
	pi := &passphraseIdentity{prompt: fmt.Sprintf("Enter passphrase for identity '%s':", e.source), opts: e.opts}
	r, err := agelib.Decrypt(bytes.NewReader(e.file), pi)
	if pi.err != nil {
		return fmt.Errorf("passphrase-protected age identity file %s: %w", e.source, pi.err)
	}
	if err != nil {
		return fmt.Errorf("passphrase-protected age identity file %s: cannot decrypt it: %v", e.source, ageCause(err))
	}
	plain, err := io.ReadAll(io.LimitReader(r, identitySizeLimit+1))
	defer clear(plain)
	if err != nil {
		return fmt.Errorf("passphrase-protected age identity file %s: cannot decrypt it: %v", e.source, ageCause(err))
	}
	ids, err := parseIdentityLines(plain, e.source, e.opts, false)
	if err != nil {
		return err
	}
	e.ids = make([]agelib.Identity, len(ids))
	for i, id := range ids {
		e.ids[i] = id.id
	}
	return nil
}

// ageCause keeps age's error text without its "age: " prefix.
func ageCause(err error) string {
	return strings.TrimPrefix(err.Error(), "age: ")
}

// passphraseIdentity opens the scrypt stanza of a passphrase-encrypted file
// with a passphrase it asks for only then. Its own failures (no terminal,
// a wrong passphrase) are kept in err: age.Decrypt would report a wrong
// passphrase as "no identity matched".
type passphraseIdentity struct {
	prompt string
	opts   Options
	err    error
}

func (p *passphraseIdentity) Unwrap(stanzas []*agelib.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "scrypt" {
		p.err = errors.New("it is encrypted to recipients, not with a passphrase: hull takes only passphrase-protected identity files (age -p)")
		return nil, p.err
	}
	pass, err := p.opts.askPassphrase(p.prompt)
	if err != nil {
		p.err = fmt.Errorf("cannot ask for its passphrase: %w", err)
		return nil, p.err
	}
	id, err := agelib.NewScryptIdentity(pass)
	if err != nil {
		p.err = fmt.Errorf("cannot use the passphrase: %v", ageCause(err))
		return nil, p.err
	}
	key, err := id.Unwrap(stanzas)
	if errors.Is(err, agelib.ErrIncorrectIdentity) {
		p.err = ErrIncorrectPassphrase
		return nil, p.err
	}
	if err != nil {
		p.err = fmt.Errorf("cannot decrypt it: %v", ageCause(err))
	}
	return key, err
}

// parseEncryptedFile reads a passphrase-encrypted identity file, armored
// or binary. The passphrase is asked for later, when a stanza is tried.
func parseEncryptedFile(data []byte, source string, o Options) (*Identity, error) {
	// A copy: the caller clears data.
	file := bytes.Clone(bytes.TrimLeft(data, " \t\r\n"))
	if bytes.HasPrefix(file, []byte(armor.Header)) {
		var err error
		file, err = io.ReadAll(armor.NewReader(bytes.NewReader(file)))
		if err != nil {
			return nil, fmt.Errorf("%s: looks like a passphrase-protected age identity file, but is not a valid armored age file", source)
		}
	}
	if _, err := agelib.ExtractHeader(bytes.NewReader(file)); err != nil {
		return nil, fmt.Errorf("%s: looks like a passphrase-protected age identity file, but its age header is malformed", source)
	}
	return &Identity{
		id:        &encryptedFile{source: source, file: file, opts: o},
		recipient: "passphrase-protected identity file " + source,
		ask:       o.newAsking(),
	}, nil
}

// parseEncryptedSSH returns an identity for a passphrase-protected SSH key,
// which asks for the passphrase only when a stanza is addressed to the
// key. The public key comes from the private key file (OpenSSH format)
// or else from pub (the .pub file, authorized_keys format).
func parseEncryptedSSH(pem []byte, pm *ssh.PassphraseMissingError, pub []byte, source string, o Options) (*Identity, error) {
	pk := pm.PublicKey
	if pk == nil {
		if len(pub) == 0 {
			return nil, fmt.Errorf("%s: the SSH key is passphrase-protected and does not hold its public key: put the public key in %s.pub", source, source)
		}
		var err error
		pk, _, _, _, err = ssh.ParseAuthorizedKey(pub)
		if err != nil {
			return nil, fmt.Errorf("%s.pub: not an SSH public key: %v", source, sshCause(err))
		}
	}
	switch t := pk.Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA:
	default:
		return nil, fmt.Errorf("%s: %s SSH keys are not supported (only ssh-ed25519 and ssh-rsa)", source, t)
	}
	ask := o.newAsking()
	id, err := agessh.NewEncryptedSSHIdentity(pk, pem, func() ([]byte, error) {
		pass, err := o.askPassphrase(fmt.Sprintf("Enter passphrase for %q:", source))
		if err != nil {
			ask.failed = fmt.Errorf("passphrase-protected SSH key %s: cannot ask for its passphrase: %w", source, err)
			return nil, ask.failed
		}
		// Check it here, to tell a wrong passphrase from other failures.
		if _, err := ssh.ParseRawPrivateKeyWithPassphrase(pem, []byte(pass)); err != nil {
			if errors.Is(err, x509.IncorrectPasswordError) {
				ask.failed = fmt.Errorf("passphrase-protected SSH key %s: %w", source, ErrIncorrectPassphrase)
			} else {
				ask.failed = fmt.Errorf("passphrase-protected SSH key %s: cannot decrypt it: %v", source, sshCause(err))
			}
			return nil, ask.failed
		}
		return []byte(pass), nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: not a supported SSH private key: %v", source, err)
	}
	return &Identity{
		id:        id,
		recipient: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))),
		ask:       ask,
	}, nil
}
