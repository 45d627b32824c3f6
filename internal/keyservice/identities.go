package keyservice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/pgp"
)

// LoadIdentities reads the age and PGP identities of the environment get
// gives, in the places hull and sops look (the same order as hull's
// decrypt): SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519 and id_rsa,
// SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the default keys.txt
// ($XDG_CONFIG_HOME/sops/age, else ~/.config/sops/age), then
// HULL_PGP_KEY_FILE and gpg (SOPS_GPG_EXEC, GNUPGHOME). A place named by a
// variable must be readable; default places are skipped when absent.
// searched lists the places, for the server's start-up log.
// SOPS_AGE_KEY_CMD is not run by the key service.
func LoadIdentities(ctx context.Context, get func(string) string) (ids []keysources.Identity, searched []string, err error) {
	home := get("HOME")
	if p := get("SOPS_AGE_SSH_PRIVATE_KEY_FILE"); p != "" {
		searched = append(searched, "SOPS_AGE_SSH_PRIVATE_KEY_FILE="+p)
		id, err := readSSH(p, true)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id...)
	}
	if home != "" {
		for _, n := range []string{"id_ed25519", "id_rsa"} {
			p := filepath.Join(home, ".ssh", n)
			id, err := readSSH(p, false)
			if err != nil {
				return nil, nil, err
			}
			if len(id) > 0 {
				searched = append(searched, p)
			}
			ids = append(ids, id...)
		}
	}
	if v := get("SOPS_AGE_KEY"); v != "" {
		searched = append(searched, "SOPS_AGE_KEY")
		a, err := age.ParseIdentities(strings.NewReader(v), "SOPS_AGE_KEY")
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, a...)
	}
	if p := get("SOPS_AGE_KEY_FILE"); p != "" {
		searched = append(searched, "SOPS_AGE_KEY_FILE="+p)
		a, err := readAge(p, true)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, a...)
	}
	if p := defaultAgeKeyFile(get); p != "" {
		a, err := readAge(p, false)
		if err != nil {
			return nil, nil, err
		}
		if len(a) > 0 {
			searched = append(searched, p)
		}
		ids = append(ids, a...)
	}
	if p := get("HULL_PGP_KEY_FILE"); p != "" {
		searched = append(searched, "HULL_PGP_KEY_FILE="+p)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read pgp key file %s: %v", p, pathCause(err))
		}
		id, err := pgp.ParseSecretKeyFile(data, p)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	po := PGPOptions(get)
	where := po.GnuPGHome
	if where == "" {
		where = "gpg's default"
	}
	searched = append(searched, "gpg (GNUPGHOME="+where+")")
	ids = append(ids, pgp.NewGPGIdentity(po))
	return ids, searched, nil
}

// PGPOptions are the gpg settings of the environment: SOPS_GPG_EXEC,
// GNUPGHOME, and the legacy keyring read when gpg is missing.
func PGPOptions(get func(string) string) pgp.Options {
	o := pgp.Options{GPGExec: get("SOPS_GPG_EXEC"), GnuPGHome: get("GNUPGHOME")}
	if o.GnuPGHome == "" {
		if home := get("HOME"); home != "" {
			o.LegacyKeyring = filepath.Join(home, ".gnupg", "pubring.gpg")
		}
	}
	return o
}

func defaultAgeKeyFile(get func(string) string) string {
	if x := get("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sops", "age", "keys.txt")
	}
	home := get("HOME")
	if home == "" {
		return ""
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "sops", "age", "keys.txt")
	}
	return filepath.Join(home, ".config", "sops", "age", "keys.txt")
}

func readAge(p string, required bool) ([]keysources.Identity, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot read age identity file %s: %v", p, pathCause(err))
	}
	return age.ParseIdentities(bytes.NewReader(data), p)
}

func readSSH(p string, required bool) ([]keysources.Identity, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot read SSH key %s: %v", p, pathCause(err))
	}
	id, err := age.ParseSSHIdentity(data, p)
	if err != nil {
		if !required {
			return nil, nil
		}
		return nil, err
	}
	return []keysources.Identity{id}, nil
}

func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
