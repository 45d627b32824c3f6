package main

import (
	"context"
	"strings"

	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
)

// loadIdentities reads the identities of the environment in sops's places
// (keysources/localkeys), then GCP/Azure through hull-kms and the
// --keyservice services; with --enable-local-keyservice=false only these.
func (r *runner) loadIdentities(ctx context.Context) (*localkeys.Set, error) {
	svc := r.serviceIdentities()
	if r.ks.NoLocal {
		return &localkeys.Set{Identities: svc, Searched: []string{"key services " + strings.Join(r.ks.URIs, ", ") + " (--enable-local-keyservice=false)"}}, nil
	}
	s, err := localkeys.Load(ctx, localkeys.Env{Lookup: r.env.lookup, Age: r.ageOptions(), PGP: r.pgpOptions(), Stdin: r.stdin, Stderr: r.stderr})
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, err)
	}
	s.Identities = append(append(s.Identities, r.gcpAzureIdentities()...), svc...)
	return s, nil
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
