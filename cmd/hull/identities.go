package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hullsecrets/hull/keysources"
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
	if r.ks.noLocal {
		return &localkeys.Set{Identities: svc, Searched: []string{"key services " + strings.Join(r.ks.uris, ", ") + " (--enable-local-keyservice=false)"}}, nil
	}
	s, err := localkeys.Load(ctx, localkeys.Env{Lookup: r.env.lookup, Age: r.ageOptions(), PGP: r.pgpOptions(), Stdin: r.stdin, Stderr: r.stderr})
	if err != nil {
		return nil, withCode(exitCouldNotRetrieveKey, err)
	}
	s.Identities = append(append(s.Identities, r.gcpAzureIdentities()...), svc...)
	return s, nil
}

// pgpOptions are the gpg settings from the environment; gpg's stdin is the
// message, so a terminal pinentry needs GPG_TTY: hull's terminal when the
// user has not set it.
func (r *runner) pgpOptions() pgp.Options {
	o := localkeys.PGPOptions(r.env.lookup)
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
