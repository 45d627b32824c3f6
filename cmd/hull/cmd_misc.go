package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/editor"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/metadata"
)

func (r *runner) cmdKeygen(cl *cmdLine) error {
	path, err := oneFile(cl, true)
	if err != nil {
		return err
	}
	if path == "" {
		if path = localkeys.DefaultAgeKeyFile(r.env.lookup, runtime.GOOS); path == "" {
			return withCode(exitGeneric, errors.New("no file given and neither XDG_CONFIG_HOME nor HOME is set"))
		}
	}
	if path == "-" {
		content, _, err := age.GenerateIdentity(time.Now())
		if err == nil {
			_, err = r.stdout.Write(content)
		}
		return err
	}
	recipient, err := age.WriteIdentityFile(path, time.Now())
	if err != nil {
		return withCode(exitCouldNotWrite, err)
	}
	fmt.Fprintln(r.stdout, recipient)
	return nil
}

// legacy runs the sops top-level form: hull [flags] -e|-d FILE.
func (r *runner) legacy(cl *cmdLine) error {
	if cl.on("rotate") || keyChangeGiven(cl) {
		return r.legacyRotate(cl)
	}
	if cl.str("set") != "" {
		return r.legacySet(cl, cl.str("set"))
	}
	if len(cl.args) > 1 {
		return withCode(exitGeneric, fmt.Errorf("usage: one file expected, got %d arguments", len(cl.args)))
	}
	path := cl.arg(0)
	enc, dec := cl.on("encrypt"), cl.on("decrypt")
	if enc && dec {
		return withCode(exitConflictingParams, errors.New("--encrypt and --decrypt cannot be used together"))
	}
	if !isStdin(path) {
		if _, err := os.Stat(path); err != nil && (enc || dec) {
			abs, _ := filepath.Abs(path)
			return withCode(exitNoFileSpecified, fmt.Errorf("cannot operate on non-existent file %q", abs))
		}
	}
	switch {
	case enc:
		return r.encrypt(cl, path)
	case dec:
		return r.decrypt(cl, path)
	}
	return r.edit(cl, path)
}

// hints suggest the corrected command for common failures.
func hints(err error) []string {
	var h []string
	switch {
	case errors.Is(err, keysources.ErrNoKey):
		var nie *localkeys.NoIdentityError
		if errors.As(err, &nie) {
			h = append(h, "set SOPS_AGE_KEY_FILE to your age identity file, or create one with 'hull keygen'")
		} else if errors.Is(err, age.ErrPluginNotFound) {
			h = append(h, "install the age plugin the error names (age-plugin-NAME), or add its directory to PATH")
		} else if errors.Is(err, errNoTerminal) {
			h = append(h, "run hull in a terminal to answer, or use an identity that needs no passphrase or PIN")
		} else if errors.Is(err, age.ErrIncorrectPassphrase) {
			h = append(h, "run the command again to retype the passphrase")
		} else if errors.Is(err, pgp.ErrGPGNotFound) {
			h = append(h, "install GnuPG or set SOPS_GPG_EXEC to its path; without gpg, HULL_PGP_KEY_FILE can name an armored secret key file")
		} else if errors.Is(err, keysources.ErrHelperUnavailable) {
			h = append(h, "hull uses AWS KMS, GCP KMS and Azure Key Vault keys through hull-kms, which must be installed with hull, of the same version")
		} else if errors.Is(err, keysources.ErrKeyServices) {
			h = append(h, "the key services given with --keyservice could not unwrap it: check that each is running, listening at that address, and holds a key of the file (its log names each request)")
		} else if errors.Is(err, keysources.ErrNoCredentials) {
			h = append(h, "a key service had no credentials: log in to the cloud provider (or set its credential variables) and try again")
		} else if errors.Is(err, keysources.ErrAccessDenied) {
			h = append(h, "a key service refused access: check that your identity may use that key (decrypt permission)")
		} else if errors.Is(err, keysources.ErrUnreachable) || errors.Is(err, keysources.ErrThrottled) {
			h = append(h, "a key service could not be reached or throttled the request: check the network and try again")
		} else if re := (*keysources.RecoverError)(nil); errors.As(err, &re) && re.Recovered > 0 {
			h = append(h, fmt.Sprintf("your identities opened %d of the file's %d key groups, but %d are needed (Shamir threshold); ask holders of keys of the other groups to decrypt it, or to add your public key to one of those groups", re.Recovered, len(re.Groups), re.Needed))
		} else {
			h = append(h, "none of your identities is a recipient of this file; ask someone who can decrypt it to add your public key")
		}
	case errors.As(err, new(*noConfigError)):
		if nce := (*noConfigError)(nil); errors.As(err, &nce) && !nce.files {
			break
		}
		h = append(h, "a pre-commit hook written by an older hull runs 'hull check' without --pre-commit: run 'hull hooks install' to update it (the new hook passes when there is no .sops.yaml)")
	case errors.As(err, new(*editor.KeptError)):
		var ke *editor.KeptError
		errors.As(err, &ke)
		h = append(h, fmt.Sprintf("'hull decrypt %s' shows your version; carry your changes over with 'hull edit %s', then delete %s (it is encrypted for the recipients %s had when you opened it)", ke.Kept, ke.Path, ke.Kept, ke.Path))
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC):
		h = append(h, "the file was modified outside sops/hull; check 'git diff' and, only if you trust the change, use --ignore-mac to read it")
	case errors.Is(err, metadata.ErrNoMetadata):
		h = append(h, "to encrypt it, run 'hull encrypt'")
	}
	return h
}
