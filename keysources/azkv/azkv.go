// Package azkv is the Azure Key Vault key source: data keys encrypted with
// Key Vault (or Managed HSM) RSA keys and stored in "azure_kv" stanzas as
// sops does (FORMAT.md §6.2).
//
// # Stanza
//
// A stanza has type "azure_kv" and the fields "vault_url"
// (https://<vault host>), "name" and "version" (the key and its version),
// "created_at" (RFC 3339, UTC) and "enc", the RSA-OAEP-256 ciphertext of
// the data key in unpadded URL-safe base64 (base64.RawURLEncoding).
//
// # Recipients
//
// [ParseRecipients] takes sops's --azure-kv / SOPS_AZURE_KEYVAULT_URLS
// syntax: a comma list of key URLs matching
// ^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$ , spaces around each trimmed. A
// URL without a version (or with an empty one) means the key's latest
// version: it is resolved with Get Key on the first Wrap, and the stanza
// records the version used, as sops does.
//
// # Operations
//
// Wrap calls Key Vault's Encrypt and Unwrap its Decrypt, with RSA-OAEP-256,
// as sops does, so that the permissions sops documents ("encrypt" and
// "decrypt") suffice. Wrap Key and Unwrap Key with RSA-OAEP-256 compute
// the same function (RSAES-OAEP with SHA-256 over the raw bytes): a value
// wrapped by one is unwrapped by the other. So when the service refuses
// Encrypt or Decrypt (403: the identity only has the "wrapKey"/"unwrapKey"
// permissions or role, or the key's key_ops exclude encrypt/decrypt), the
// call is made once more with Wrap Key or Unwrap Key.
//
// # Credentials
//
// Options.Credential, else azidentity's DefaultAzureCredential (the
// environment, workload identity, managed identity, the Azure CLI…), made
// on first use. The token's scope comes from Key Vault's authentication
// challenge, which the SDK checks against the vault's host: a file naming
// another host cannot get a Key Vault token sent there (docs/TRUST.md: addresses come only from the user).
// This package reads no environment variable itself.
//
// Nothing of the SDK is set up until a key is used: the credential and a
// client per vault are made on the first Wrap or Unwrap. Every call has a
// timeout (Options.Timeout) and the SDK's retry policy with a bounded
// number of attempts (Options.MaxAttempts).
//
// # Errors
//
// A failure is a *keysources.KeyError naming the key URL and a cause
// class of package keysources: a credential that cannot get a token → no
// credentials; 401 → no credentials; 403 → access denied; 404 → key not
// found; 429 → throttled; 5xx and network failures → unreachable; 400 on
// Decrypt → invalid ciphertext; a challenge naming a resource outside the
// vault's domain → endpoint not allowed. It holds the service's error code and
// message, never a token or key material.
package azkv

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "azure_kv"

// DefaultTimeout bounds one Wrap or Unwrap, retries included, when
// Options.Timeout is 0.
const DefaultTimeout = 20 * time.Second

// DefaultMaxAttempts is the number of attempts of one Key Vault call when
// Options.MaxAttempts is 0.
const DefaultMaxAttempts = 3

// Options are the settings of the key source. The zero value uses
// DefaultAzureCredential, DefaultTimeout and DefaultMaxAttempts.
type Options struct {
	// Credential, if set, replaces DefaultAzureCredential.
	Credential azcore.TokenCredential
	// HTTPClient, if set, sends the requests (for TLS settings and tests).
	HTTPClient HTTPClient
	// DisableChallengeResourceVerification turns off the SDK's check that
	// the authentication challenge names a resource of the vault's domain.
	// Only for tests and private endpoints whose host is not in the
	// vault's domain: with it, a file can choose where the token goes.
	DisableChallengeResourceVerification bool
	// Timeout bounds one Wrap or Unwrap; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is the attempts per Key Vault call; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
}

// HTTPClient sends HTTP requests (a *http.Client is one).
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// GoString describes the options without credentials.
func (o Options) GoString() string { return "azkv.Options{…}" }

// String describes the options without credentials.
func (o Options) String() string { return "azkv options" }

// ParseKeyURL splits a key URL https://<vault>/keys/<name>[/<version>]
// into the vault URL, the name and the version ("" when absent).
func ParseKeyURL(u string) (vaultURL, name, version string, err error) {
	return cloudkey.ParseKeyURL(u)
}

// KeyID is the identity string of a key, as sops's ToString:
// <vaultURL>/keys/<name>/<version> (with a trailing "/" when the version is
// empty).
func KeyID(vaultURL, name, version string) string {
	return cloudkey.KeyID(vaultURL, name, version)
}

// Recipient wraps data keys with one Key Vault key.
type Recipient struct {
	vaultURL, name, version string
	p                       *provider

	mu       sync.Mutex
	resolved string // the latest version, once looked up
}

var _ keysources.Recipient = (*Recipient)(nil)

// NewRecipient returns the recipient for a key of a vault; an empty
// version means the latest, resolved on the first Wrap.
func NewRecipient(vaultURL, name, version string, o Options) (*Recipient, error) {
	if _, _, _, err := ParseKeyURL(KeyID(vaultURL, name, version)); err != nil {
		return nil, err
	}
	return &Recipient{vaultURL: vaultURL, name: name, version: version, p: newProvider(o)}, nil
}

// ParseRecipients parses a comma-separated list of key URLs, as sops's
// --azure-kv and SOPS_AZURE_KEYVAULT_URLS. Spaces around each URL are
// trimmed and empty entries skipped. The recipients share the credential
// and clients, made on first use.
func ParseRecipients(s string, o Options) ([]keysources.Recipient, error) {
	keys, err := cloudkey.ParseAzureKV(s)
	if err != nil {
		return nil, err
	}
	p := newProvider(o)
	var out []keysources.Recipient
	for _, k := range keys {
		out = append(out, &Recipient{vaultURL: k.VaultURL, name: k.Name, version: k.Version, p: p})
	}
	return out, nil
}

// Type returns "azure_kv".
func (r *Recipient) Type() string { return Type }

// String is the key URL as sops's ToString writes it:
// <vault>/keys/<name>/<version>, the version as given ("" for the latest).
func (r *Recipient) String() string { return KeyID(r.vaultURL, r.name, r.version) }

// GoString is "azure_kv recipient " and String.
func (r *Recipient) GoString() string { return "azure_kv recipient " + r.String() }

// Wrap encrypts dataKey with the key (RSA-OAEP-256) and returns the
// stanza, which records the key version used.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	return r.WrapContext(context.Background(), dataKey)
}

// WrapContext is Wrap with a context; the timeout of Options still
// applies.
func (r *Recipient) WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error) {
	ctx, cancel := context.WithTimeout(ctx, r.p.opts.timeout())
	defer cancel()
	version, err := r.keyVersion(ctx)
	if err != nil {
		return metadata.Stanza{}, keyError(r.String(), "wrap", err)
	}
	ct, err := r.p.encrypt(ctx, r.vaultURL, r.name, version, dataKey)
	if err != nil {
		return metadata.Stanza{}, keyError(KeyID(r.vaultURL, r.name, version), "wrap", err)
	}
	return metadata.NewStanza(Type,
		"vault_url", r.vaultURL,
		"name", r.name,
		"version", version,
		"created_at", r.p.opts.now().UTC().Format(time.RFC3339),
		"enc", base64.RawURLEncoding.EncodeToString(ct)), nil
}

// keyVersion returns the version to wrap with: the one given, else the
// latest, looked up once.
func (r *Recipient) keyVersion(ctx context.Context) (string, error) {
	if r.version != "" {
		return r.version, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resolved != "" {
		return r.resolved, nil
	}
	v, err := r.p.latest(ctx, r.vaultURL, r.name)
	if err != nil {
		return "", err
	}
	r.resolved = v
	return v, nil
}

// Identity unwraps azure_kv stanzas with the credential of Options. It
// calls Key Vault only for azure_kv stanzas, and makes its credential and
// clients on first use.
type Identity struct {
	p    *provider
	keys keysources.KeyFilter
}

var _ keysources.TypedIdentity = (*Identity)(nil)

// NewIdentity returns an identity that unwraps every azure_kv stanza with
// the key named in it. It is cheap: nothing of the SDK is set up until
// Unwrap is called with an azure_kv stanza.
func NewIdentity(o Options) *Identity { return &Identity{p: newProvider(o)} }

// Only restricts the identity to the given keys, written as key URLs with
// or without a version: it returns keysources.ErrIncorrectIdentity,
// without calling Key Vault, for stanzas of other keys. With no keys it
// unwraps every azure_kv stanza. The credential and clients are shared
// with id.
func (id *Identity) Only(keyURLs ...string) *Identity {
	trimmed := make([]string, len(keyURLs))
	for i, u := range keyURLs {
		trimmed[i] = strings.TrimSuffix(u, "/")
	}
	return &Identity{p: id.p, keys: keysources.NewKeyFilter(trimmed...)}
}

// Type returns "azure_kv".
func (id *Identity) Type() string { return Type }

// Remote is true: unwrapping calls Key Vault (see keysources.RemoteIdentity).
func (id *Identity) Remote() bool { return true }

// String describes the identity without its credentials.
func (id *Identity) String() string { return "azure_kv identity" }

// GoString describes the identity without its credentials.
func (id *Identity) GoString() string { return "azure_kv identity" }

// Unwrap decrypts the data key of an azure_kv stanza with Key Vault.
func (id *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return id.UnwrapContext(context.Background(), s)
}

// UnwrapContext is Unwrap with a context; the timeout of Options still
// applies.
func (id *Identity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != Type || s.Fields == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	vaultURL, name, version := s.Get("vault_url"), s.Get("name"), s.Get("version")
	kid := KeyID(vaultURL, name, version)
	if !id.keys.Allows(strings.TrimSuffix(kid, "/"), vaultURL+"/keys/"+name) {
		return nil, keysources.ErrIncorrectIdentity
	}
	if _, _, _, err := ParseKeyURL(kid); err != nil {
		return nil, &keysources.KeyError{Type: Type, Key: kid, Op: "unwrap", Err: err}
	}
	ct, err := base64.RawURLEncoding.DecodeString(s.Get("enc"))
	if err != nil || len(ct) == 0 {
		return nil, &keysources.KeyError{Type: Type, Key: kid, Op: "unwrap", Class: keysources.ErrInvalidCiphertext, Err: errors.New("enc is not unpadded URL-safe base64")}
	}
	ctx, cancel := context.WithTimeout(ctx, id.p.opts.timeout())
	defer cancel()
	key, err := id.p.decrypt(ctx, vaultURL, name, version, ct)
	if err != nil {
		return nil, keyError(kid, "unwrap", err)
	}
	return key, nil
}
