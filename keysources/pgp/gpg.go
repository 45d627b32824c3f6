package pgp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// ErrGPGNotFound is wrapped by the errors that mean the gpg program could
// not be started. It is not keysources.ErrIncorrectIdentity: the stanza may
// well be the user's, so the report says gpg is missing, and the other
// identities are still tried.
var ErrGPGNotFound = errors.New("gpg not found (set SOPS_GPG_EXEC)")

// gpgTimeout bounds one gpg run. It is generous because pinentry may wait
// for the user to type a passphrase or touch a smartcard.
const gpgTimeout = 5 * time.Minute

// maxUnwrapped bounds what gpg may return: a data key is 32 bytes, a
// Shamir part 33.
const maxUnwrapped = 1024

// GPGIdentity unwraps "pgp" stanzas by running gpg --decrypt, so that the
// secret keys, gpg-agent, pinentry and smartcards of the user's GnuPG
// setup are used. It is safe for concurrent use; its gpg runs are
// serialized, so that gpg-agent asks for a passphrase once.
type GPGIdentity struct {
	opts Options
	mu   sync.Mutex
}

var _ keysources.Identity = (*GPGIdentity)(nil)

// NewGPGIdentity returns an identity that decrypts with gpg. It runs gpg
// only when it is given a "pgp" stanza, so it costs nothing for files that
// have none.
func NewGPGIdentity(o Options) *GPGIdentity { return &GPGIdentity{opts: o} }

// Type returns "pgp".
func (i *GPGIdentity) Type() string { return Type }

// Remote is true: unwrapping runs gpg, which may ask for a passphrase or a
// smartcard (see keysources.RemoteIdentity).
func (i *GPGIdentity) Remote() bool { return true }

// String describes the identity: "gpg", with the home directory if set.
func (i *GPGIdentity) String() string { return "gpg" + i.opts.homeNote() }

// GoString is String.
func (i *GPGIdentity) GoString() string { return i.String() }

// Unwrap runs "gpg --batch --quiet --status-fd 2 --decrypt" on the stanza's
// enc and returns what gpg decrypted. It returns
// keysources.ErrIncorrectIdentity for other stanza types and when gpg has
// no secret key for the message (its status output says so); an error
// wrapping ErrGPGNotFound when gpg cannot be run; and another error, with
// gpg's own messages, when gpg has the key but fails (a cancelled
// passphrase, a missing smartcard, a damaged message).
//
// --batch stops gpg from prompting on the terminal itself; gpg-agent still
// runs pinentry for passphrases (GnuPG 2.1 and later).
func (i *GPGIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	if s.Type != Type {
		return nil, keysources.ErrIncorrectIdentity
	}
	who := stanzaWho(s)
	enc := s.Get("enc")
	if strings.TrimSpace(enc) == "" {
		return nil, fmt.Errorf("pgp stanza for %s: enc is empty", who)
	}
	if !strings.Contains(enc, "-----BEGIN "+messageType+"-----") {
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: not an armored PGP message", who)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	out := bytes.NewBuffer(make([]byte, 0, maxUnwrapped))
	res, err := i.opts.runGPG(strings.NewReader(enc), out, maxUnwrapped, "--batch", "--quiet", "--status-fd", "2", "--decrypt")
	defer clear(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("pgp stanza for %s: %w", who, err)
	}
	switch {
	case res.exit == 0 && res.has("DECRYPTION_OKAY"):
		return bytes.Clone(out.Bytes()), nil
	case res.has("NODATA"):
		return nil, fmt.Errorf("pgp stanza for %s: enc is malformed: gpg found no OpenPGP data%s", who, res.message())
	case res.notRecipient():
		return nil, keysources.ErrIncorrectIdentity
	}
	return nil, fmt.Errorf("pgp stanza for %s: gpg could not decrypt the data key%s", who, res.message())
}

func stanzaWho(s metadata.Stanza) string {
	if fp := s.Get("fp"); fp != "" {
		return fp
	}
	return "(no fingerprint)"
}

// gpgResult is what a gpg run said.
type gpgResult struct {
	exit   int
	status [][]string // status lines without "[GNUPG:] ", split in words
	human  []string   // the other lines of stderr
}

func (r gpgResult) has(keyword string) bool {
	for _, s := range r.status {
		if s[0] == keyword {
			return true
		}
	}
	return false
}

// notRecipient: gpg failed only because it has no secret key for the
// message. A key it has but could not use (a cancelled pinentry, a card
// not inserted) shows as DECRYPTION_KEY, PINENTRY_LAUNCHED or ERROR.
func (r gpgResult) notRecipient() bool {
	if r.exit == 0 || r.has("DECRYPTION_KEY") || r.has("ERROR") || r.has("PINENTRY_LAUNCHED") {
		return false
	}
	return r.has("NO_SECKEY") || r.has("DECRYPTION_FAILED")
}

// message is ": " and gpg's last messages, or "" when it printed none.
func (r gpgResult) message() string {
	lines := r.human
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	var kept []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		if r.exit != 0 {
			return fmt.Sprintf(" (gpg exit status %d)", r.exit)
		}
		return ""
	}
	return ": " + strings.Join(kept, "; ")
}

// runGPG runs gpg with args (after --homedir when GnuPGHome is set), stdin
// as its input, and its output into stdout, at most limit bytes. A gpg that
// exits non-zero is not an error: the result says how it went.
func (o Options) runGPG(stdin io.Reader, stdout io.Writer, limit int, args ...string) (gpgResult, error) {
	exe := o.GPGExec
	if exe == "" {
		exe = "gpg"
	}
	var full []string
	if o.GnuPGHome != "" {
		full = append(full, "--homedir", o.GnuPGHome)
	}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), gpgTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, full...)
	cmd.WaitDelay = 5 * time.Second
	env := o.Env
	if o.MoreEnv != nil {
		env = append(env[:len(env):len(env)], o.MoreEnv()...)
	}
	if len(env) > 0 {
		cmd.Env = append(cmd.Environ(), env...)
	}
	cmd.Stdin = stdin
	lw := &limitWriter{w: stdout, n: limit}
	cmd.Stdout = lw
	sw := &stderrWriter{fwd: o.Stderr}
	cmd.Stderr = sw
	err := cmd.Run()
	sw.flush()
	res := gpgResult{status: sw.status, human: sw.human}
	switch {
	case err == nil:
		return res, nil
	case lw.over:
		return res, fmt.Errorf("gpg wrote more than %d bytes", limit)
	case ctx.Err() != nil:
		return res, fmt.Errorf("gpg did not finish within %v", gpgTimeout)
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return res, fmt.Errorf("%w: %v", ErrGPGNotFound, err)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.exit = ee.ExitCode()
		return res, nil
	}
	return res, fmt.Errorf("running gpg: %v", err)
}

type limitWriter struct {
	w    io.Writer
	n    int
	over bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		l.over = true
		return 0, errors.New("output too large")
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// stderrWriter splits gpg's stderr (where --status-fd 2 also writes) into
// status lines and human messages, and copies the messages to fwd.
type stderrWriter struct {
	fwd    io.Writer
	buf    []byte
	status [][]string
	human  []string
}

const (
	statusPrefix = "[GNUPG:] "
	maxLines     = 1000
	maxLine      = 1000
)

func (w *stderrWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a runaway line: keep its start
		w.line(string(w.buf))
		w.buf = nil
	}
	return len(p), nil
}

func (w *stderrWriter) flush() {
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

func (w *stderrWriter) line(l string) {
	l = strings.TrimRight(l, "\r")
	if rest, ok := strings.CutPrefix(l, statusPrefix); ok {
		if f := strings.Fields(rest); len(f) > 0 && len(w.status) < maxLines {
			w.status = append(w.status, f)
		}
		return
	}
	if w.fwd != nil {
		fmt.Fprintln(w.fwd, l)
	}
	if len(l) > maxLine {
		l = l[:maxLine] + "…"
	}
	if len(w.human) < maxLines {
		w.human = append(w.human, l)
	}
}
