package main

import (
	"context"

	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/sopsenv"
)

// loadIdentities reads the identities of the environment in sops's places
// (keysources/localkeys), then GCP/Azure through hull-kms and the
// --keyservice services; with --enable-local-keyservice=false only these
// (sopsenv.Identities).
func (r *runner) loadIdentities(ctx context.Context) (*localkeys.Set, error) {
	s, err := sopsenv.Identities(ctx, r.companion(), func() localkeys.Env {
		return localkeys.Env{Lookup: r.env.lookup, Age: r.ageOptions(), PGP: r.pgpOptions(), Stdin: r.stdin, Stderr: r.stderr}
	}, r.ks.URIs, r.ks.NoLocal)
	return s, withCode(exitCouldNotRetrieveKey, err)
}

// pgpOptions are the gpg settings from the environment.
func (r *runner) pgpOptions() pgp.Options {
	return localkeys.PGPOptions(r.env.lookup, r.stdin, r.stderr)
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
