package sopsenv

import (
	"errors"
	"fmt"

	"github.com/hullsecrets/hull/internal/prompt"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
)

// KeyHint says what the user can do when no data key could be recovered
// (err wraps keysources.ErrNoKey), in terms of sops's environment: which
// variable to set, what to install, whom to ask. It is "" for other
// errors.
func KeyHint(err error) string {
	re := (*keysources.RecoverError)(nil)
	switch {
	case !errors.Is(err, keysources.ErrNoKey):
		return ""
	case errors.As(err, new(*localkeys.NoIdentityError)):
		return "set SOPS_AGE_KEY_FILE to your age identity file, or create one with 'hull keygen'"
	case errors.Is(err, age.ErrPluginNotFound):
		return "install the age plugin the error names (age-plugin-NAME), or add its directory to PATH"
	case errors.Is(err, prompt.ErrNoTerminal):
		return "run hull in a terminal to answer, or use an identity that needs no passphrase or PIN"
	case errors.Is(err, age.ErrIncorrectPassphrase):
		return "run the command again to retype the passphrase"
	case errors.Is(err, pgp.ErrGPGNotFound):
		return "install GnuPG or set SOPS_GPG_EXEC to its path; without gpg, HULL_PGP_KEY_FILE can name an armored secret key file"
	case errors.Is(err, keysources.ErrHelperUnavailable):
		return "hull uses AWS KMS, GCP KMS and Azure Key Vault keys through hull-kms, which must be installed with hull, of the same version"
	case errors.Is(err, keysources.ErrKeyServices):
		return "the key services given with --keyservice could not unwrap it: check that each is running, listening at that address, and holds a key of the file (its log names each request)"
	case errors.Is(err, keysources.ErrNoCredentials):
		return "a key service had no credentials: log in to the cloud provider (or set its credential variables) and try again"
	case errors.Is(err, keysources.ErrAccessDenied):
		return "a key service refused access: check that your identity may use that key (decrypt permission)"
	case errors.Is(err, keysources.ErrUnreachable), errors.Is(err, keysources.ErrThrottled):
		return "a key service could not be reached or throttled the request: check the network and try again"
	case errors.As(err, &re) && re.Recovered > 0:
		return fmt.Sprintf("your identities opened %d of the file's %d key groups, but %d are needed (Shamir threshold); ask holders of keys of the other groups to decrypt it, or to add your public key to one of those groups", re.Recovered, len(re.Groups), re.Needed)
	}
	return "none of your identities is a recipient of this file; ask someone who can decrypt it to add your public key"
}
