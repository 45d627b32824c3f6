// Package vault is the HashiCorp Vault transit key source: data keys
// encrypted by a Vault transit secrets engine and stored in "hc_vault"
// stanzas as sops does (FORMAT.md §6.2).
//
// # Stanza
//
// A stanza has type "hc_vault" and the fields "vault_address"
// (scheme://host[:port]), "engine_path" (the transit mount, which may
// contain "/"), "key_name", "created_at" (RFC 3339, UTC) and "enc", the
// "vault:v1:…" ciphertext Vault returned, verbatim.
//
// # Recipients
//
// [ParseRecipients] takes sops's --hc-vault-transit / SOPS_VAULT_URIS
// syntax: a comma list of key URIs
// scheme://host[:port]/v1/<engine path>/keys/<key name>.
//
// # Protocol
//
// The package speaks Vault's HTTP API with net/http (no Vault SDK):
// POST <address>/v1/<engine>/encrypt/<key> with {"plaintext": base64(key)}
// and POST …/decrypt/<key> with {"ciphertext": enc}, authenticated with
// the X-Vault-Token header (and X-Vault-Namespace when set). Redirects are
// not followed, so the token is only ever sent to the address named. Every
// call has a timeout, and 5xx, 429 and connection failures are retried a
// bounded number of times with exponential backoff.
//
// # Allowlist
//
// The address of a stanza comes from the file, which nothing
// authenticates: a file could send the user's token to any server
// (docs/TRUST.md: addresses come only from the user). So [Identity] checks the address against
// Options.Allowlist before any connection, and refuses with
// keysources.ErrEndpointNotAllowed. The zero Allowlist allows nothing;
// "all" must be asked for ([ParseAllowlist]). Recipients are not checked:
// their addresses come from the caller (command line, trusted config).
//
// This package reads no environment variables and no files: the caller
// fills [Options] (hull's command line reads VAULT_TOKEN, ~/.vault-token,
// VAULT_NAMESPACE and SOPS_HC_VAULT_ALLOWLIST).
package vault

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "hc_vault"

// DefaultTimeout bounds one Wrap or Unwrap, retries included, when
// Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultMaxAttempts is the number of attempts of one call when
// Options.MaxAttempts is 0.
const DefaultMaxAttempts = 3

// Options are the settings of the key source.
type Options struct {
	// Token is the Vault token (VAULT_TOKEN, else ~/.vault-token). It is
	// sent only to allowed addresses and never appears in errors.
	Token string
	// Namespace, if set, is sent as X-Vault-Namespace (VAULT_NAMESPACE).
	Namespace string
	// Allowlist says which stanza addresses Identity may contact. The zero
	// value allows none.
	Allowlist Allowlist
	// HTTPClient, if set, is used for the calls (for TLS settings); its
	// redirect policy is replaced so that redirects are never followed.
	HTTPClient HTTPDoer
	// Timeout bounds one Wrap or Unwrap; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is the number of attempts per call; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled each time; 0
	// means 200ms.
	Backoff time.Duration
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Key is a transit key: where it is and its name.
type Key struct {
	Address    string // scheme://host[:port]
	EnginePath string // the transit mount, e.g. "transit" or "team/transit"
	Name       string
}

// String is the key URI, as sops's ToString:
// <address>/v1/<engine path>/keys/<name>.
func (k Key) String() string {
	return fmt.Sprintf("%s/v1/%s/keys/%s", k.Address, k.EnginePath, k.Name)
}

// prefixedRE is sops's check for a Vault behind a path prefix, which it
// (and hull) does not support.
var prefixedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/[^/]+/v[\d]+/[^/]+/[^/]+/[^/]+`) })

// ParseKey parses a key URI scheme://host[:port]/v1/<engine path>/keys/<name>.
func ParseKey(uri string) (Key, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Key{}, fmt.Errorf("vault key URI %q: %v", uri, urlErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Key{}, fmt.Errorf("vault key URI %q: want https://host[:port]/v1/<engine>/keys/<name>", uri)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Key{}, fmt.Errorf("vault key URI %q: want https://host[:port]/v1/<engine>/keys/<name>, with no user, query or fragment", uri)
	}
	if prefixedRE().MatchString(u.Path) {
		return Key{}, fmt.Errorf("vault key URI %q: a Vault behind a path prefix is not supported (want https://host[:port]/v1/<engine>/keys/<name>)", uri)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 4 || parts[0] != "v1" || parts[len(parts)-2] != "keys" {
		return Key{}, fmt.Errorf("vault key URI %q: want https://host[:port]/v1/<engine>/keys/<name>", uri)
	}
	k := Key{
		Address:    u.Scheme + "://" + u.Host,
		EnginePath: strings.Join(parts[1:len(parts)-2], "/"),
		Name:       parts[len(parts)-1],
	}
	if err := k.validate(); err != nil {
		return Key{}, fmt.Errorf("vault key URI %q: %v", uri, err)
	}
	return k, nil
}

func urlErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// validate checks the parts of a key from a stanza or a URI: path
// segments that cannot walk out of the engine's API.
func (k Key) validate() error {
	u, err := url.Parse(k.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
		return fmt.Errorf("invalid vault address %q", k.Address)
	}
	if k.EnginePath == "" || k.Name == "" {
		return fmt.Errorf("empty engine path or key name")
	}
	for _, seg := range append(strings.Split(k.EnginePath, "/"), k.Name) {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "?#%\\") {
			return fmt.Errorf("invalid engine path or key name")
		}
	}
	return nil
}

// Recipient wraps data keys with one transit key.
type Recipient struct {
	key Key
	c   *client
}

var _ keysources.Recipient = (*Recipient)(nil)

// NewRecipient returns the recipient for a transit key.
func NewRecipient(k Key, o Options) (*Recipient, error) {
	if err := k.validate(); err != nil {
		return nil, fmt.Errorf("vault key %s: %v", k, err)
	}
	return &Recipient{key: k, c: newClient(o)}, nil
}

// ParseRecipients parses a comma-separated list of key URIs, as sops's
// --hc-vault-transit and SOPS_VAULT_URIS. Spaces around each URI are
// trimmed and empty entries skipped.
func ParseRecipients(s string, o Options) ([]keysources.Recipient, error) {
	c := newClient(o)
	var out []keysources.Recipient
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, err := ParseKey(part)
		if err != nil {
			return nil, fmt.Errorf("vault key %d: %w", i+1, err)
		}
		out = append(out, &Recipient{key: k, c: c})
	}
	return out, nil
}

// Type returns "hc_vault".
func (r *Recipient) Type() string { return Type }

// String returns the key URI.
func (r *Recipient) String() string { return r.key.String() }

// GoString describes the recipient without its token.
func (r *Recipient) GoString() string { return "hc_vault recipient " + r.key.String() }

// Key returns the transit key.
func (r *Recipient) Key() Key { return r.key }

// Wrap encrypts dataKey with the transit key and returns the stanza.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	enc, err := r.c.encrypt(r.key, dataKey)
	if err != nil {
		return metadata.Stanza{}, r.c.keyError(r.key, "wrap", err)
	}
	return metadata.NewStanza(Type,
		"created_at", r.c.opts.now().UTC().Format(time.RFC3339),
		"enc", enc,
		"engine_path", r.key.EnginePath,
		"key_name", r.key.Name,
		"vault_address", r.key.Address,
	), nil
}

// Identity unwraps hc_vault stanzas whose address the allowlist allows.
type Identity struct {
	c    *client
	keys keysources.KeyFilter
}

var _ keysources.TypedIdentity = (*Identity)(nil)

// NewIdentity returns an identity that unwraps hc_vault stanzas with the
// token of o, at the addresses o.Allowlist allows.
func NewIdentity(o Options) *Identity { return &Identity{c: newClient(o)} }

// Only restricts the identity to the given key URIs: it returns
// keysources.ErrIncorrectIdentity, without any connection, for stanzas of
// other keys.
func (id *Identity) Only(keys ...Key) *Identity {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.String()
	}
	return &Identity{c: id.c, keys: keysources.NewKeyFilter(ids...)}
}

// Type returns "hc_vault".
func (id *Identity) Type() string { return Type }

// Remote is true: unwrapping calls Vault (see keysources.RemoteIdentity).
func (id *Identity) Remote() bool { return true }

// String describes the identity without its token.
func (id *Identity) String() string { return "hc_vault identity" }

// GoString describes the identity without its token.
func (id *Identity) GoString() string { return "hc_vault identity" }

// Unwrap decrypts the data key of an hc_vault stanza. The address is
// checked against the allowlist first: a refused address is never
// contacted.
func (id *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	if s.Type != Type || s.Fields == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	k := Key{Address: s.Get("vault_address"), EnginePath: s.Get("engine_path"), Name: s.Get("key_name")}
	if !id.keys.Allows(k.String()) {
		return nil, keysources.ErrIncorrectIdentity
	}
	if err := k.validate(); err != nil {
		return nil, &keysources.KeyError{Type: Type, Key: k.String(), Op: "unwrap", Err: err}
	}
	if !id.c.opts.Allowlist.Allows(k.Address) {
		return nil, &keysources.KeyError{Type: Type, Key: k.String(), Op: "unwrap", Class: keysources.ErrEndpointNotAllowed,
			Err: fmt.Errorf("the file names vault address %s, which is not in the allowlist; nothing was sent to it (trust it with SOPS_HC_VAULT_ALLOWLIST=%s)", k.Address, k.Address)}
	}
	enc := s.Get("enc")
	if !strings.HasPrefix(enc, "vault:") {
		return nil, &keysources.KeyError{Type: Type, Key: k.String(), Op: "unwrap", Class: keysources.ErrInvalidCiphertext, Err: fmt.Errorf("enc is not a vault ciphertext")}
	}
	key, err := id.c.decrypt(k, enc)
	if err != nil {
		return nil, id.c.keyError(k, "unwrap", err)
	}
	return key, nil
}
