// Package localkeys finds the age and PGP identities of an environment in
// the places sops looks (FORMAT.md §6.2, "Private-key discovery"): SSH keys
// (SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD,
// ~/.ssh/id_ed25519 and id_rsa), age identities (SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, the default keys.txt), then PGP
// (hull's HULL_PGP_KEY_FILE, and gpg). All sources are combined. hull and
// the key service server (hull-kms keyservice) both use it.
//
// The package reads no environment variable itself: the caller passes a
// lookup function. Age plugins and passphrase-protected identities ask
// the user only through Env.Age.UI.
package localkeys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/pgp"
)

// ErrSource marks a source the user named that could not be used: a
// SOPS_AGE_KEY_FILE that does not exist, a key command that failed, an
// identity that does not parse.
var ErrSource = errors.New("identity source unusable")

// KeyCommandTimeout bounds SOPS_AGE_KEY_CMD and SOPS_AGE_SSH_PRIVATE_KEY_CMD.
const KeyCommandTimeout = 2 * time.Minute

// Env is what Load reads.
type Env struct {
	// Lookup reads an environment variable (os.LookupEnv in a program).
	Lookup func(string) (string, bool)
	// Age connects age plugins and protected identities to the user.
	Age age.Options
	// PGP are the gpg settings; PGPOptions makes them from Lookup.
	PGP pgp.Options
	// Stdin and Stderr are the key commands' (nil: none); CommandEnv is
	// their environment (nil: this process's).
	Stdin      io.Reader
	Stderr     io.Writer
	CommandEnv []string
	// GOOS chooses the default keys.txt; empty means runtime.GOOS.
	GOOS string
}

func (e Env) get(k string) string {
	if e.Lookup == nil {
		return ""
	}
	v, _ := e.Lookup(k)
	return v
}

// Set is the identities found, where Load looked (for an error that says
// so), and warnings about identity files others can read.
type Set struct {
	Identities []keysources.Identity
	Searched   []string
	Warnings   []string
}

// Load reads every identity the environment points to. A source named by a
// variable must work; the default places are skipped when absent. An
// identity file that group or others can read is a warning, or an error
// with HULL_STRICT_PERMS set. Errors wrap ErrSource.
func Load(ctx context.Context, e Env) (*Set, error) {
	s := &Set{}
	add := func(ids []keysources.Identity, err error) error {
		s.Identities = append(s.Identities, ids...)
		return err
	}
	ao := e.Age
	sshKey := e.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE")
	if sshKey != "" {
		s.Searched = append(s.Searched, "SOPS_AGE_SSH_PRIVATE_KEY_FILE="+sshKey)
		if err := add(readSSH(sshKey, true, ao)); err != nil {
			return nil, err
		}
		if err := s.checkPerms(e, sshKey); err != nil {
			return nil, err
		}
	}
	if cmdline := e.get("SOPS_AGE_SSH_PRIVATE_KEY_CMD"); cmdline != "" {
		s.Searched = append(s.Searched, "SOPS_AGE_SSH_PRIVATE_KEY_CMD")
		out, err := runKeyCommand(ctx, e, "SOPS_AGE_SSH_PRIVATE_KEY_CMD", cmdline)
		if err != nil {
			return nil, err
		}
		id, err := age.ParseSSHIdentityWith(out, nil, "the output of SOPS_AGE_SSH_PRIVATE_KEY_CMD", ao)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSource, err)
		}
		s.Identities = append(s.Identities, id)
	}
	if home := e.get("HOME"); home != "" {
		for _, n := range []string{"id_ed25519", "id_rsa"} {
			p := filepath.Join(home, ".ssh", n)
			if sshKey != "" && filepath.Clean(sshKey) == p {
				continue // already read: a protected key would ask twice
			}
			s.Searched = append(s.Searched, p)
			if err := add(readSSH(p, false, ao)); err != nil {
				return nil, err
			}
		}
	}
	if v := e.get("SOPS_AGE_KEY"); v != "" {
		s.Searched = append(s.Searched, "SOPS_AGE_KEY")
		if err := add(parseAge([]byte(v), "SOPS_AGE_KEY", ao)); err != nil {
			return nil, err
		}
	}
	if p := e.get("SOPS_AGE_KEY_FILE"); p != "" {
		s.Searched = append(s.Searched, "SOPS_AGE_KEY_FILE="+p)
		if err := add(readAge(p, true, ao)); err != nil {
			return nil, err
		}
		if err := s.checkPerms(e, p); err != nil {
			return nil, err
		}
	}
	if cmdline := e.get("SOPS_AGE_KEY_CMD"); cmdline != "" {
		s.Searched = append(s.Searched, "SOPS_AGE_KEY_CMD")
		out, err := runKeyCommand(ctx, e, "SOPS_AGE_KEY_CMD", cmdline)
		if err != nil {
			return nil, err
		}
		if err := add(parseAge(out, "the output of SOPS_AGE_KEY_CMD", ao)); err != nil {
			return nil, err
		}
	}
	goos := e.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if p := DefaultAgeKeyFile(e.Lookup, goos); p != "" {
		s.Searched = append(s.Searched, p)
		n := len(s.Identities)
		if err := add(readAge(p, false, ao)); err != nil {
			return nil, err
		}
		if len(s.Identities) > n {
			if err := s.checkPerms(e, p); err != nil {
				return nil, err
			}
		}
	}
	if p := e.get("HULL_PGP_KEY_FILE"); p != "" {
		s.Searched = append(s.Searched, "HULL_PGP_KEY_FILE="+p)
		data, err := readFile("pgp key file", p, true)
		if err != nil {
			return nil, err
		}
		id, err := pgp.ParseSecretKeyFile(data, p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSource, err)
		}
		s.Identities = append(s.Identities, id)
	}
	where := e.PGP.GnuPGHome
	if where == "" {
		where = "gpg's default"
	}
	s.Searched = append(s.Searched, "gpg (GNUPGHOME="+where+")")
	s.Identities = append(s.Identities, pgp.NewGPGIdentity(e.PGP))
	return s, nil
}

// PGPOptions are the gpg settings of the environment: SOPS_GPG_EXEC (the
// gpg program), GNUPGHOME, and the legacy keyring read when gpg is missing
// (~/.gnupg/pubring.gpg when GNUPGHOME is unset). gpg's stdin is the
// message, so a terminal pinentry needs GPG_TTY: when it is unset, it is
// the first of ttys (*os.File) that is a terminal, where Linux's /proc
// says.
func PGPOptions(lookup func(string) (string, bool), ttys ...any) pgp.Options {
	e := Env{Lookup: lookup}
	o := pgp.Options{GPGExec: e.get("SOPS_GPG_EXEC"), GnuPGHome: e.get("GNUPGHOME")}
	if home := e.get("HOME"); o.GnuPGHome == "" && home != "" {
		o.LegacyKeyring = filepath.Join(home, ".gnupg", "pubring.gpg")
	}
	if e.get("GPG_TTY") != "" {
		return o
	}
	if len(ttys) > 0 {
		// Found when gpg is run, not here: most runs never start gpg.
		o.MoreEnv = func() []string {
			if name := terminalName(ttys); name != "" {
				return []string{"GPG_TTY=" + name}
			}
			return nil
		}
	}
	return o
}

// terminalName is the device of the first of ttys (*os.File) that is a
// terminal, where Linux's /proc says; "" when none is.
func terminalName(ttys []any) string {
	for _, f := range ttys {
		if osf, ok := f.(*os.File); ok {
			if name, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", osf.Fd())); err == nil &&
				(strings.HasPrefix(name, "/dev/pts/") || strings.HasPrefix(name, "/dev/tty")) {
				return name
			}
		}
	}
	return ""
}

// DefaultAgeKeyFile is $XDG_CONFIG_HOME/sops/age/keys.txt, else
// ~/.config/sops/age/keys.txt (on darwin, as sops, ~/Library/Application
// Support/sops/age/keys.txt when XDG_CONFIG_HOME is unset); "" when
// neither variable is set.
func DefaultAgeKeyFile(lookup func(string) (string, bool), goos string) string {
	e := Env{Lookup: lookup}
	if x := e.get("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sops", "age", "keys.txt")
	}
	home := e.get("HOME")
	switch {
	case home == "":
		return ""
	case goos == "darwin":
		return filepath.Join(home, "Library", "Application Support", "sops", "age", "keys.txt")
	}
	return filepath.Join(home, ".config", "sops", "age", "keys.txt")
}

// checkPerms notes an identity file that group or others can read.
func (s *Set) checkPerms(e Env, p string) error {
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	msg := fmt.Sprintf("identity file %s can be read by other users (mode %04o); run chmod 600 %s", p, fi.Mode().Perm(), p)
	if v := e.get("HULL_STRICT_PERMS"); v != "" && v != "0" {
		return fmt.Errorf("%w: %s (HULL_STRICT_PERMS is set)", ErrSource, msg)
	}
	s.Warnings = append(s.Warnings, msg)
	return nil
}

// readFile reads a file a source names; a default place (not required)
// that does not exist is nil.
func readFile(what, p string, required bool) ([]byte, error) {
	data, err := os.ReadFile(p)
	if err == nil || !required && errors.Is(err, fs.ErrNotExist) {
		return data, nil
	}
	if errors.Is(err, fs.ErrNotExist) && what != "SSH key" {
		return nil, fmt.Errorf("%w: %s %s not found", ErrSource, what, p)
	}
	err = fserr.Bare(err)
	return nil, fmt.Errorf("%w: cannot read %s %s: %v", ErrSource, what, p, err)
}

func parseAge(data []byte, source string, ao age.Options) ([]keysources.Identity, error) {
	ids, err := age.ParseIdentitiesWith(bytes.NewReader(data), source, ao)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSource, err)
	}
	return ids, nil
}

func readAge(p string, required bool, ao age.Options) ([]keysources.Identity, error) {
	data, err := readFile("age identity file", p, required)
	if err != nil || data == nil {
		return nil, err
	}
	return parseAge(data, p, ao)
}

// readSSH reads an SSH private key, and its .pub file when there is one (a
// passphrase-protected key in PEM format needs it). A default key age
// cannot use (another type, a protected PEM key without .pub) is skipped:
// it must not stop decryption with the other identities.
func readSSH(p string, required bool, ao age.Options) ([]keysources.Identity, error) {
	data, err := readFile("SSH key", p, required)
	if err != nil || data == nil {
		return nil, err
	}
	pub, _ := os.ReadFile(p + ".pub")
	id, err := age.ParseSSHIdentityWith(data, pub, p, ao)
	if err != nil {
		if !required {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrSource, err)
	}
	return []keysources.Identity{id}, nil
}

// runKeyCommand runs a key command (split into words as a POSIX shell
// would, without running a shell) and returns its standard output.
func runKeyCommand(ctx context.Context, e Env, name, cmdline string) ([]byte, error) {
	argv, err := SplitWords(cmdline)
	if err != nil || len(argv) == 0 {
		return nil, fmt.Errorf("%w: %s cannot be split into words", ErrSource, name)
	}
	ctx, cancel := context.WithTimeout(ctx, KeyCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stderr = e.Stdin, e.Stderr
	env := e.CommandEnv
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], "SOPS_AGE_RECIPIENT=")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s failed: %v", ErrSource, name, err)
	}
	return out, nil
}

// SplitWords splits a command line as a POSIX shell splits words: single
// and double quotes and backslash escapes, no expansion.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case ch == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// NoIdentityError is a failure to recover the data key of File when Load
// found no identity for any of its key types: Err is the recovery error,
// Searched where Load looked (Set.Searched).
type NoIdentityError struct {
	File     string
	Err      error
	Searched []string
}

func (e *NoIdentityError) Error() string {
	return fmt.Sprintf("%s: %v\nno age identity was found; hull looked in: %s", e.File, e.Err, strings.Join(e.Searched, ", "))
}

func (e *NoIdentityError) Unwrap() error { return e.Err }
