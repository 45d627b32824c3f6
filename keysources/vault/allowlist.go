package vault

import (
	"fmt"
	"strings"

	"github.com/hullsecrets/hull/keysources"
)

// Allowlist is the set of Vault addresses an Identity may contact. The
// zero value allows none.
type Allowlist struct {
	all      bool
	prefixes []string
}

// AllowAll allows every address, as sops does by default. Only use it
// when every file decrypted is trusted as much as the token.
func AllowAll() Allowlist { return Allowlist{all: true} }

// ParseAllowlist parses sops's SOPS_HC_VAULT_ALLOWLIST: "all", "none", or
// a comma list of URL prefixes ("https://vault.example.com:8200,
// https://vault2/"). Each prefix is matched against the address followed
// by "/", so "https://vault" does not allow "https://vault.evil.example".
// An empty entry is an error.
func ParseAllowlist(s string) (Allowlist, error) {
	switch strings.TrimSpace(s) {
	case "all":
		return AllowAll(), nil
	case "none":
		return Allowlist{}, nil
	}
	var a Allowlist
	for i, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return Allowlist{}, fmt.Errorf("SOPS_HC_VAULT_ALLOWLIST entry %d is empty", i+1)
		}
		a.prefixes = append(a.prefixes, withSlash(p))
	}
	return a, nil
}

// With returns the allowlist with the given addresses (or URL prefixes)
// allowed too; empty strings are ignored.
func (a Allowlist) With(addrs ...string) Allowlist {
	n := Allowlist{all: a.all, prefixes: append([]string(nil), a.prefixes...)}
	for _, p := range addrs {
		if p = strings.TrimSpace(p); p != "" {
			n.prefixes = append(n.prefixes, withSlash(p))
		}
	}
	return n
}

// Allows reports whether address may be contacted.
func (a Allowlist) Allows(address string) bool {
	if a.all {
		return true
	}
	address = withSlash(address)
	for _, p := range a.prefixes {
		if strings.HasPrefix(address, p) {
			return true
		}
	}
	return false
}

// String describes the allowlist: "all", "none" or the prefixes.
func (a Allowlist) String() string {
	switch {
	case a.all:
		return "all"
	case len(a.prefixes) == 0:
		return "none"
	}
	return strings.Join(a.prefixes, ",")
}

func withSlash(s string) string {
	if !strings.HasSuffix(s, "/") {
		return s + "/"
	}
	return s
}

// CheckRecipients refuses Vault recipients whose address a is not allowed
// to receive the token: wrapping a data key for them sends it. The caller
// passes the addresses the user gave; an address named by repository
// content (a .sops.yaml rule, a file's stanza) is not one (docs/TRUST.md).
func (a Allowlist) CheckRecipients(groups [][]keysources.Recipient) error {
	for _, g := range groups {
		for _, rc := range g {
			r, ok := rc.(*Recipient)
			if !ok || a.Allows(r.key.Address) {
				continue
			}
			return fmt.Errorf("hc_vault key %s: %w: %s is not an address you gave (VAULT_ADDR, SOPS_VAULT_URIS, --hc-vault-transit or SOPS_HC_VAULT_ALLOWLIST), and hull sends your Vault token only there", r.key, keysources.ErrEndpointNotAllowed, r.key.Address)
		}
	}
	return nil
}
