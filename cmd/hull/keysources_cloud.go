package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/metadata"
)

// Network key sources (AWS KMS, Vault transit): their settings from the
// flags and the environment, and their identities for decryption.
//
// AWS: hull-kms (cloudkeys.go), through the SDK, reads its own environment
// (credentials chain, AWS_PROFILE, AWS_ENDPOINT_URL_KMS, ~/.aws); hull
// passes only --aws-profile and --encryption-context, in the key.
//
// Vault: VAULT_TOKEN, else ~/.vault-token; VAULT_NAMESPACE. The address
// of a stanza comes from the file, so it must be allowed first
// (SECURITY.md): SOPS_HC_VAULT_ALLOWLIST when set ("all", "none" or
// URL prefixes); otherwise, unlike sops (whose default is "all"), only the
// addresses the invoking user gave: VAULT_ADDR, the keys of
// SOPS_VAULT_URIS and of --hc-vault-transit. Never an address named by
// repository content (.sops.yaml, the file): docs/TRUST.md.

// kmsFlagOptions applies --aws-profile and --encryption-context. A
// malformed context is exit 6, as in sops.
func kmsFlagOptions(c *cli.Context, o *all.KMSOptions) error {
	if c == nil {
		return nil
	}
	if hasFlag(c, "aws-profile") {
		o.Profile = c.String("aws-profile")
	}
	if hasFlag(c, "encryption-context") && c.String("encryption-context") != "" {
		ctx, err := cloudkey.ParseContext(c.String("encryption-context"))
		if err != nil {
			return withCode(exitInvalidKMSContext, sopsSays("Invalid KMS encryption context format", fmt.Errorf("--encryption-context: %w", err)))
		}
		o.Context = ctx
	}
	return nil
}

// vaultToken is VAULT_TOKEN, else the content of ~/.vault-token ("" when
// neither exists).
func (r *runner) vaultToken() (string, error) {
	if t := r.env.get("VAULT_TOKEN"); t != "" {
		return t, nil
	}
	home := r.env.get("HOME")
	if home == "" {
		return "", nil
	}
	p := filepath.Join(home, ".vault-token")
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("reading %s: %v", p, unwrapPathErr(err))
	}
	return strings.TrimSpace(string(b)), nil
}

// vaultAllowlist is SOPS_HC_VAULT_ALLOWLIST when set, else the addresses
// the user gave (see above). trusted lists more of them (flags).
func (r *runner) vaultAllowlist(trusted func() []string) (vault.Allowlist, error) {
	if v := r.env.get("SOPS_HC_VAULT_ALLOWLIST"); v != "" {
		return vault.ParseAllowlist(v)
	}
	var addrs []string
	if a := r.env.get("VAULT_ADDR"); a != "" {
		addrs = append(addrs, strings.TrimSuffix(a, "/"))
	}
	for _, u := range strings.Split(r.env.get("SOPS_VAULT_URIS"), ",") {
		if k, err := vault.ParseKey(strings.TrimSpace(u)); err == nil {
			addrs = append(addrs, k.Address)
		}
	}
	if trusted != nil {
		addrs = append(addrs, trusted()...)
	}
	return vault.Allowlist{}.With(addrs...), nil
}

// flagVaultAddresses returns the Vault addresses of --hc-vault-transit.
func flagVaultAddresses(c *cli.Context) []string {
	if c == nil || !hasFlag(c, "hc-vault-transit") {
		return nil
	}
	var out []string
	for _, u := range strings.Split(c.String("hc-vault-transit"), ",") {
		if k, err := vault.ParseKey(strings.TrimSpace(u)); err == nil {
			out = append(out, k.Address)
		}
	}
	return out
}

// cloudIdentities are the identities of the network key sources. They
// cost nothing until a stanza of their type is unwrapped: hull-kms is
// started, the Vault token read and the allowlist resolved only then.
func (r *runner) cloudIdentities(c *cli.Context, target string) []keysources.Identity {
	if r.ks.NoLocal { // --enable-local-keyservice=false: the key services only
		return nil
	}
	return []keysources.Identity{
		r.companion().Identity(cloudkey.KMS),
		&lazyIdentity{typ: vault.Type, build: func() (keysources.Identity, error) {
			tok, err := r.vaultToken()
			if err != nil {
				return nil, err
			}
			al, err := r.vaultAllowlist(func() []string { return flagVaultAddresses(c) })
			if err != nil {
				return nil, err
			}
			return vault.NewIdentity(vault.Options{Token: tok, Namespace: r.env.get("VAULT_NAMESPACE"), Allowlist: al}), nil
		}},
	}
}

// lazyIdentity builds its identity on the first stanza of its type.
type lazyIdentity struct {
	typ   string
	build func() (keysources.Identity, error)
	once  sync.Once
	id    keysources.Identity
	err   error
}

func (l *lazyIdentity) Type() string { return l.typ }

// Remote is true: the identities built are network key sources.
func (l *lazyIdentity) Remote() bool { return true }

// UnwrapContext is Unwrap, cancelled with ctx when the identity built
// supports it.
func (l *lazyIdentity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != l.typ {
		return nil, keysources.ErrIncorrectIdentity
	}
	l.once.Do(func() { l.id, l.err = l.build() })
	if l.err != nil {
		return nil, l.err
	}
	if c, ok := l.id.(keysources.ContextIdentity); ok {
		return c.UnwrapContext(ctx, s)
	}
	return l.id.Unwrap(s)
}

func (l *lazyIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	if s.Type != l.typ {
		return nil, keysources.ErrIncorrectIdentity
	}
	l.once.Do(func() { l.id, l.err = l.build() })
	if l.err != nil {
		return nil, l.err
	}
	return l.id.Unwrap(s)
}
