package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
)

// identitySet is every identity hull found, and where it looked, so that a
// failure can say which places were searched.
type identitySet struct {
	ids      []keysources.Identity
	searched []string
	// warnings name identity files others can read (SECURITY.md row
	// 62); with HULL_STRICT_PERMS set such a file is an error instead.
	warnings []string
}

// checkPerms notes an identity file that group or others can read.
func (s *identitySet) checkPerms(e env, p string) error {
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	msg := fmt.Sprintf("identity file %s can be read by other users (mode %04o); run chmod 600 %s", p, fi.Mode().Perm(), p)
	if v := e.get("HULL_STRICT_PERMS"); v != "" && v != "0" {
		return withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %s (HULL_STRICT_PERMS is set)", errIdentitySource, msg))
	}
	s.warnings = append(s.warnings, msg)
	return nil
}

// errIdentitySource marks a configured identity source that could not be
// read (a SOPS_AGE_KEY_FILE that does not exist, a failing key command).
var errIdentitySource = errors.New("identity source unusable")

// loadIdentities reads every age identity the environment points to, as
// sops does (FORMAT.md §6.2, "Private-key discovery"): all sources are
// combined. A source the user named explicitly must work; the default
// locations are skipped when absent. PGP identities come last: the key
// file in HULL_PGP_KEY_FILE, then gpg (SOPS_GPG_EXEC, GNUPGHOME).
func (r *runner) loadIdentities(ctx context.Context) (*identitySet, error) {
	if s, ok := r.serviceIdentitySet(); ok { // --enable-local-keyservice=false
		return s, nil
	}
	s := &identitySet{}
	home := r.env.get("HOME")
	ao := r.ageOptions()
	add := func(ids []keysources.Identity) { s.ids = append(s.ids, ids...) }

	// SSH keys first, as sops does.
	sshKey := r.env.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE")
	if p := sshKey; p != "" {
		s.searched = append(s.searched, "SOPS_AGE_SSH_PRIVATE_KEY_FILE="+p)
		id, err := readSSHIdentity(p, true, ao)
		if err != nil {
			return nil, err
		}
		if err := s.checkPerms(r.env, p); err != nil {
			return nil, err
		}
		add(id)
	}
	if home != "" {
		for _, n := range []string{"id_ed25519", "id_rsa"} {
			p := filepath.Join(home, ".ssh", n)
			if sshKey != "" && filepath.Clean(sshKey) == p {
				continue // already read: a protected key would ask twice
			}
			s.searched = append(s.searched, p)
			id, err := readSSHIdentity(p, false, ao)
			if err != nil {
				return nil, err
			}
			add(id)
		}
	}
	if v := r.env.get("SOPS_AGE_KEY"); v != "" {
		s.searched = append(s.searched, "SOPS_AGE_KEY")
		ids, err := age.ParseIdentitiesWith(strings.NewReader(v), "SOPS_AGE_KEY", ao)
		if err != nil {
			return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %w", errIdentitySource, err))
		}
		add(ids)
	}
	if p := r.env.get("SOPS_AGE_KEY_FILE"); p != "" {
		s.searched = append(s.searched, "SOPS_AGE_KEY_FILE="+p)
		ids, err := readAgeIdentityFile(p, true, ao)
		if err != nil {
			return nil, err
		}
		if err := s.checkPerms(r.env, p); err != nil {
			return nil, err
		}
		add(ids)
	}
	if cmdline := r.env.get("SOPS_AGE_KEY_CMD"); cmdline != "" {
		s.searched = append(s.searched, "SOPS_AGE_KEY_CMD")
		ids, err := r.runKeyCommand(ctx, cmdline, ao)
		if err != nil {
			return nil, err
		}
		add(ids)
	}
	if p := defaultAgeKeyFile(r.env); p != "" {
		s.searched = append(s.searched, p)
		ids, err := readAgeIdentityFile(p, false, ao)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			if err := s.checkPerms(r.env, p); err != nil {
				return nil, err
			}
		}
		add(ids)
	}

	// PGP: HULL_PGP_KEY_FILE (hull's own: an armored secret key file,
	// decrypted in Go without gpg), then gpg itself, which is always
	// there: it runs only for files with pgp stanzas.
	if p := r.env.get("HULL_PGP_KEY_FILE"); p != "" {
		s.searched = append(s.searched, "HULL_PGP_KEY_FILE="+p)
		id, err := readPGPKeyFile(p)
		if err != nil {
			return nil, err
		}
		add([]keysources.Identity{id})
	}
	po := r.pgpOptions()
	gnupgHome := po.GnuPGHome
	if gnupgHome == "" {
		gnupgHome = "gpg's default"
	}
	s.searched = append(s.searched, "gpg (GNUPGHOME="+gnupgHome+")")
	add([]keysources.Identity{pgp.NewGPGIdentity(po)})
	add(r.gcpAzureIdentities())
	add(r.serviceIdentities()) // --keyservice, after the local keys
	return s, nil
}

// pgpOptions are the gpg settings from the environment: SOPS_GPG_EXEC (the
// gpg program), GNUPGHOME, and the legacy keyring read when gpg is missing
// (GNUPGHOME or ~/.gnupg, then pubring.gpg).
func (r *runner) pgpOptions() pgp.Options {
	o := pgp.Options{GPGExec: r.env.get("SOPS_GPG_EXEC"), GnuPGHome: r.env.get("GNUPGHOME")}
	if o.GnuPGHome == "" {
		if home := r.env.get("HOME"); home != "" {
			o.LegacyKeyring = filepath.Join(home, ".gnupg", "pubring.gpg")
		}
	}
	// gpg's stdin is the message, so a terminal pinentry needs GPG_TTY to
	// find the terminal; give it hull's when the user has not set it.
	if r.env.get("GPG_TTY") == "" {
		if tty := terminalName(r.stdin, r.stderr); tty != "" {
			o.Env = append(o.Env, "GPG_TTY="+tty)
		}
	}
	return o
}

// keySourceOptions are the settings key sources take from the environment.
func (r *runner) keySourceOptions() all.Options {
	tok, _ := r.vaultToken() // an unreadable ~/.vault-token is reported by Vault as no credentials
	return all.Options{
		Age:       r.ageOptions(),
		PGP:       r.pgpOptions(),
		Vault:     vault.Options{Token: tok, Namespace: r.env.get("VAULT_NAMESPACE")},
		Companion: r.companion(),
	}
}

// terminalName returns the device name of the first of the files that is a
// terminal, where the system says (Linux's /proc), else "".
func terminalName(files ...any) string {
	for _, f := range files {
		if osf, ok := f.(*os.File); ok {
			if name, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", osf.Fd())); err == nil &&
				(strings.HasPrefix(name, "/dev/pts/") || strings.HasPrefix(name, "/dev/tty")) {
				return name
			}
		}
	}
	return ""
}

func readPGPKeyFile(p string) (keysources.Identity, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: pgp key file %s not found", errIdentitySource, p))
		}
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: cannot read pgp key file %s: %v", errIdentitySource, p, unwrapPathErr(err)))
	}
	id, err := pgp.ParseSecretKeyFile(data, p)
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %w", errIdentitySource, err))
	}
	return id, nil
}

// noneTried reports whether no identity could try any stanza of the file
// (no identity for any of its key types), as opposed to identities that
// tried and were not recipients.
func noneTried(re *keysources.RecoverError) bool {
	for _, g := range re.Groups {
		for _, s := range g.Stanzas {
			if s.Reason != keysources.ReasonNoIdentity {
				return false
			}
		}
	}
	return true
}

// defaultAgeKeyFile is $XDG_CONFIG_HOME/sops/age/keys.txt, else
// ~/.config/sops/age/keys.txt (on macOS sops uses ~/Library/Application
// Support when XDG_CONFIG_HOME is unset; hull follows os.UserConfigDir).
func defaultAgeKeyFile(e env) string {
	if x := e.get("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sops", "age", "keys.txt")
	}
	home := e.get("HOME")
	if home == "" {
		return ""
	}
	if isDarwin {
		return filepath.Join(home, "Library", "Application Support", "sops", "age", "keys.txt")
	}
	return filepath.Join(home, ".config", "sops", "age", "keys.txt")
}

func readAgeIdentityFile(p string, required bool, ao age.Options) ([]keysources.Identity, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: age identity file %s not found", errIdentitySource, p))
		}
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: cannot read age identity file %s: %v", errIdentitySource, p, unwrapPathErr(err)))
	}
	ids, err := age.ParseIdentitiesWith(bytes.NewReader(data), p, ao)
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %w", errIdentitySource, err))
	}
	return ids, nil
}

// readSSHIdentity reads an SSH private key, and its .pub file when there
// is one (a passphrase-protected key in PEM format needs it).
func readSSHIdentity(p string, required bool, ao age.Options) ([]keysources.Identity, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: cannot read SSH key %s: %v", errIdentitySource, p, unwrapPathErr(err)))
	}
	pub, _ := os.ReadFile(p + ".pub")
	id, err := age.ParseSSHIdentityWith(data, pub, p, ao)
	if err != nil {
		if !required {
			// A default ~/.ssh key that age cannot use (another type, a
			// PEM key with a passphrase and no .pub) must not stop
			// decryption with the other identities.
			return nil, nil
		}
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %w", errIdentitySource, err))
	}
	return []keysources.Identity{id}, nil
}

// runKeyCommand runs SOPS_AGE_KEY_CMD (split like a shell would, without
// running a shell) and reads identities from its output.
func (r *runner) runKeyCommand(ctx context.Context, cmdline string, ao age.Options) ([]keysources.Identity, error) {
	argv, err := splitWords(cmdline)
	if err != nil || len(argv) == 0 {
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: SOPS_AGE_KEY_CMD cannot be split into words", errIdentitySource))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = r.stdin
	cmd.Stderr = r.stderr
	cmd.Env = append(os.Environ(), "SOPS_AGE_RECIPIENT=")
	out, err := cmd.Output()
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: SOPS_AGE_KEY_CMD failed: %v", errIdentitySource, err))
	}
	ids, err := age.ParseIdentitiesWith(bytes.NewReader(out), "the output of SOPS_AGE_KEY_CMD", ao)
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, fmt.Errorf("%w: %w", errIdentitySource, err))
	}
	return ids, nil
}

// splitWords splits a command line as a POSIX shell would split words:
// single and double quotes and backslash escapes, no expansion.
func splitWords(s string) ([]string, error) {
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
