package main

import (
	"context"

	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/sopsenv"
)

// loadIdentities reads the identities of the environment in sops's places
// (keysources/localkeys), then GCP/Azure through hull-kms and the
// --keyservice services; with --enable-local-keyservice=false only these
// (sopsenv.Identities).
func (r *runner) loadIdentities(ctx context.Context) (*localkeys.Set, error) {
	s, err := sopsenv.Identities(ctx, r.companion(), func() localkeys.Env {
		return localkeys.Env{Lookup: r.env.lookup, Age: r.ageOptions(), PGP: localkeys.PGPOptions(r.env.lookup, r.stdin, r.stderr), Stdin: r.stdin, Stderr: r.stderr}
	}, r.ks.URIs, r.ks.NoLocal)
	return s, withCode(exitCouldNotRetrieveKey, err)
}

// keySourceOptions are the settings key sources take from the
// environment (gpg: localkeys.PGPOptions; Vault: sopsenv.VaultOptions).
func (r *runner) keySourceOptions() all.Options {
	return all.Options{Age: r.ageOptions(), PGP: localkeys.PGPOptions(r.env.lookup, r.stdin, r.stderr),
		Vault: sopsenv.VaultOptions(r.env.lookup), Companion: r.companion()}
}
