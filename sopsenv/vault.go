package sopsenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/metadata"
)

// Vault: VAULT_TOKEN, else ~/.vault-token; VAULT_NAMESPACE. The address of
// a stanza comes from the file, so it must be allowed first (SECURITY.md):
// SOPS_HC_VAULT_ALLOWLIST when set ("all", "none" or URL prefixes);
// otherwise, unlike sops (whose default is "all"), only the addresses the
// invoking user gave: VAULT_ADDR, the keys of SOPS_VAULT_URIS and of
// --hc-vault-transit. Never an address named by repository content
// (.sops.yaml, the file): docs/TRUST.md.

// VaultToken is VAULT_TOKEN, else the content of $HOME/.vault-token (""
// when neither exists).
func VaultToken(env Lookup) (string, error) {
	if t := env.Get("VAULT_TOKEN"); t != "" {
		return t, nil
	}
	home := env.Get("HOME")
	if home == "" {
		return "", nil
	}
	p := filepath.Join(home, ".vault-token")
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		err = fserr.Bare(err)
		return "", fmt.Errorf("reading %s: %v", p, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// VaultOptions are the Vault settings of recipients: the token (an
// unreadable ~/.vault-token counts as none: Vault reports the missing
// credentials) and VAULT_NAMESPACE.
func VaultOptions(env Lookup) vault.Options {
	tok, _ := VaultToken(env)
	return vault.Options{Token: tok, Namespace: env.Get("VAULT_NAMESPACE")}
}

// VaultAllowlist is SOPS_HC_VAULT_ALLOWLIST when set, else the addresses
// the user gave: VAULT_ADDR, SOPS_VAULT_URIS and given (the addresses of
// --hc-vault-transit, see VaultAddresses).
func VaultAllowlist(env Lookup, given []string) (vault.Allowlist, error) {
	if v := env.Get("SOPS_HC_VAULT_ALLOWLIST"); v != "" {
		return vault.ParseAllowlist(v)
	}
	var addrs []string
	if a := env.Get("VAULT_ADDR"); a != "" {
		addrs = append(addrs, strings.TrimSuffix(a, "/"))
	}
	addrs = append(addrs, VaultAddresses(env.Get("SOPS_VAULT_URIS"))...)
	return vault.Allowlist{}.With(append(addrs, given...)...), nil
}

// VaultAddresses are the server addresses of a comma-separated list of
// Vault key URIs (malformed ones are skipped: parsing them fails later).
func VaultAddresses(uris string) []string {
	var out []string
	for _, u := range strings.Split(uris, ",") {
		if k, err := vault.ParseKey(strings.TrimSpace(u)); err == nil {
			out = append(out, k.Address)
		}
	}
	return out
}

// CheckEndpoints refuses recipients whose address the user did not give:
// a Vault key named by repository content (.sops.yaml, a file's stanzas)
// would receive the user's VAULT_TOKEN when a data key is wrapped
// (docs/TRUST.md rule 17). given are the addresses of --hc-vault-transit.
func CheckEndpoints(env Lookup, given []string, groups [][]keysources.Recipient) error {
	al, err := VaultAllowlist(env, given)
	if err != nil {
		return err
	}
	return al.CheckRecipients(groups)
}

// NetworkIdentities are the identities of AWS KMS (through c, hull-kms)
// and Vault transit. They cost nothing until a stanza of their type is
// unwrapped: hull-kms is started, the Vault token read and the allowlist
// resolved only then. given are the addresses of --hc-vault-transit.
func NetworkIdentities(c *Client, env Lookup, given []string) []keysources.Identity {
	return []keysources.Identity{
		c.Identity(cloudkey.KMS),
		&lazyIdentity{typ: vault.Type, build: func() (keysources.Identity, error) {
			tok, err := VaultToken(env)
			if err != nil {
				return nil, err
			}
			al, err := VaultAllowlist(env, given)
			if err != nil {
				return nil, err
			}
			return vault.NewIdentity(vault.Options{Token: tok, Namespace: env.Get("VAULT_NAMESPACE"), Allowlist: al}), nil
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

func (l *lazyIdentity) get(s metadata.Stanza) (keysources.Identity, error) {
	if s.Type != l.typ {
		return nil, keysources.ErrIncorrectIdentity
	}
	l.once.Do(func() { l.id, l.err = l.build() })
	return l.id, l.err
}

// UnwrapContext is Unwrap, cancelled with ctx when the identity built
// supports it.
func (l *lazyIdentity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	id, err := l.get(s)
	if err != nil {
		return nil, err
	}
	if c, ok := id.(keysources.ContextIdentity); ok {
		return c.UnwrapContext(ctx, s)
	}
	return id.Unwrap(s)
}

func (l *lazyIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	id, err := l.get(s)
	if err != nil {
		return nil, err
	}
	return id.Unwrap(s)
}
