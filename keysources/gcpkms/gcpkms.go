// Package gcpkms is the Google Cloud KMS key source: data keys encrypted
// with Cloud KMS symmetric keys and stored in "gcp_kms" stanzas as sops
// does (FORMAT.md §6.2).
//
// # Stanza
//
// A stanza has type "gcp_kms" and the fields "resource_id" (the key,
// projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>), "created_at"
// (RFC 3339, UTC) and "enc", the standard base64 of the ciphertext Cloud
// KMS Encrypt returned.
//
// # Recipients
//
// [ParseRecipients] takes sops's --gcp-kms / SOPS_GCP_KMS_IDS syntax: a
// comma list of resource IDs, all spaces removed. Each must match
// ^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$.
//
// # Credentials and endpoint
//
// The service is reached with cloud.google.com/go/kms/apiv1 (gRPC, or REST
// when Options.ClientType is "rest"). Credentials are, in this order,
// Options.Credentials (a credentials file path or its JSON, sops's
// GOOGLE_CREDENTIALS), Options.AccessToken (a static OAuth2 token, sops's
// GOOGLE_OAUTH_ACCESS_TOKEN), else the SDK's Application Default
// Credentials. Options.Endpoint (SOPS_GCP_KMS_ENDPOINT) and
// Options.UniverseDomain override where the client connects; a stanza
// never does, so a file cannot send the user's credentials elsewhere.
//
// This package reads no environment variable: the caller fills [Options]
// (hull's command line does). ADC is the SDK's own lookup
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's file, the metadata server).
//
// Nothing of the SDK is set up until a key is used: the client is built on
// the first Wrap or Unwrap and shared by the recipients of one parse, or
// by one identity. Every call has a timeout (Options.Timeout) and is
// retried a bounded number of times (Options.MaxAttempts) when the service
// is unavailable or throttling.
//
// # Errors
//
// A failure is a *keysources.KeyError naming the resource ID and one of
// the cause classes of package keysources, from the gRPC status code:
// Unauthenticated → no credentials, PermissionDenied → access denied,
// NotFound and FailedPrecondition (a disabled or destroyed key) → key not
// found, Unavailable and DeadlineExceeded → unreachable, ResourceExhausted
// → throttled, InvalidArgument on Decrypt → invalid ciphertext. It holds
// the service's message and never a secret.
package gcpkms

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"google.golang.org/api/option"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "gcp_kms"

// DefaultTimeout bounds one Wrap or Unwrap, retries included, when
// Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultMaxAttempts is the number of attempts of one Cloud KMS call when
// Options.MaxAttempts is 0.
const DefaultMaxAttempts = 3

// Options are the settings of the key source. The zero value uses
// Application Default Credentials, the public endpoint, gRPC,
// DefaultTimeout and DefaultMaxAttempts.
type Options struct {
	// Credentials is a credentials file path or the credentials JSON
	// itself (sops's GOOGLE_CREDENTIALS). It is read when the client is
	// first needed; a path is tried first. Its content never appears in
	// errors.
	Credentials string
	// AccessToken is an OAuth2 access token used as is
	// (GOOGLE_OAUTH_ACCESS_TOKEN), when Credentials is empty.
	AccessToken string
	// Endpoint, if set, is the Cloud KMS endpoint (SOPS_GCP_KMS_ENDPOINT):
	// host:port for gRPC, a URL for REST.
	Endpoint string
	// UniverseDomain, if set, is the universe domain
	// (SOPS_GCP_KMS_UNIVERSE_DOMAIN).
	UniverseDomain string
	// ClientType is "grpc" (or "") or "rest" (SOPS_GCP_KMS_CLIENT_TYPE).
	ClientType string
	// ClientOptions are added last to the SDK's client options (for
	// library users with their own settings, and tests).
	ClientOptions []option.ClientOption
	// Timeout bounds one Wrap or Unwrap; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is the attempts per Cloud KMS call; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
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

func (o Options) attempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return DefaultMaxAttempts
}

// Validate checks the settings that can be checked without the network:
// the client type.
func (o Options) Validate() error {
	switch o.ClientType {
	case "", "grpc", "rest":
		return nil
	}
	return fmt.Errorf("unknown GCP KMS client type %q: want grpc or rest", o.ClientType)
}

// GoString describes the options without credentials.
func (o Options) GoString() string { return "gcpkms.Options{…}" }

// String describes the options without credentials.
func (o Options) String() string { return "gcpkms options" }

// resourceRE is sops's pattern for a key's resource ID.
func CheckResourceID(id string) error { return cloudkey.CheckResourceID(id) }

// Recipient wraps data keys with one Cloud KMS key.
type Recipient struct {
	id string
	p  *provider
}

var _ keysources.Recipient = (*Recipient)(nil)

// NewRecipient returns the recipient for a key resource ID.
func NewRecipient(resourceID string, o Options) (*Recipient, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := CheckResourceID(resourceID); err != nil {
		return nil, err
	}
	return &Recipient{id: resourceID, p: newProvider(o)}, nil
}

// ParseRecipients parses a comma-separated list of resource IDs, as sops's
// --gcp-kms and SOPS_GCP_KMS_IDS. All spaces are removed and empty entries
// skipped. The recipients share one client, built on first use.
func ParseRecipients(s string, o Options) ([]keysources.Recipient, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ids, err := cloudkey.ParseGCPKMS(s)
	if err != nil {
		return nil, err
	}
	p := newProvider(o)
	var out []keysources.Recipient
	for _, id := range ids {
		out = append(out, &Recipient{id: id, p: p})
	}
	return out, nil
}

// Type returns "gcp_kms".
func (r *Recipient) Type() string { return Type }

// String returns the resource ID.
func (r *Recipient) String() string { return r.id }

// GoString is "gcp_kms recipient " and the resource ID.
func (r *Recipient) GoString() string { return "gcp_kms recipient " + r.id }

// ResourceID returns the key's resource ID.
func (r *Recipient) ResourceID() string { return r.id }

// Wrap encrypts dataKey with Cloud KMS Encrypt and returns the stanza.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	return r.WrapContext(context.Background(), dataKey)
}

// WrapContext is Wrap with a context; the timeout of Options still
// applies.
func (r *Recipient) WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error) {
	ctx, cancel := context.WithTimeout(ctx, r.p.opts.timeout())
	defer cancel()
	ct, err := r.p.encrypt(ctx, r.id, dataKey)
	if err != nil {
		return metadata.Stanza{}, keyError(r.id, "wrap", err)
	}
	return metadata.NewStanza(Type,
		"resource_id", r.id,
		"created_at", r.p.opts.now().UTC().Format(time.RFC3339),
		"enc", base64.StdEncoding.EncodeToString(ct)), nil
}

// Identity unwraps gcp_kms stanzas with the credentials of Options. It
// calls Cloud KMS only for gcp_kms stanzas, and builds its client on first
// use.
type Identity struct {
	p    *provider
	keys keysources.KeyFilter
}

var _ keysources.TypedIdentity = (*Identity)(nil)

// NewIdentity returns an identity that unwraps every gcp_kms stanza with
// the key named in it. It is cheap: nothing of the SDK is set up until
// Unwrap is called with a gcp_kms stanza.
func NewIdentity(o Options) *Identity { return &Identity{p: newProvider(o)} }

// Only restricts the identity to the given resource IDs: it returns
// keysources.ErrIncorrectIdentity, without calling Cloud KMS, for stanzas
// of other keys. With no IDs it unwraps every gcp_kms stanza. The client
// is shared with id.
func (id *Identity) Only(resourceIDs ...string) *Identity {
	return &Identity{p: id.p, keys: keysources.NewKeyFilter(resourceIDs...)}
}

// Type returns "gcp_kms".
func (id *Identity) Type() string { return Type }

// Remote is true: unwrapping calls Cloud KMS (see keysources.RemoteIdentity).
func (id *Identity) Remote() bool { return true }

// String describes the identity without its credentials.
func (id *Identity) String() string { return "gcp_kms identity" }

// GoString describes the identity without its credentials.
func (id *Identity) GoString() string { return "gcp_kms identity" }

// Unwrap decrypts the data key of a gcp_kms stanza with Cloud KMS Decrypt.
func (id *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return id.UnwrapContext(context.Background(), s)
}

// UnwrapContext is Unwrap with a context; the timeout of Options still
// applies.
func (id *Identity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != Type || s.Fields == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	rid := s.Get("resource_id")
	if !id.keys.Allows(rid) {
		return nil, keysources.ErrIncorrectIdentity
	}
	if err := CheckResourceID(rid); err != nil {
		return nil, &keysources.KeyError{Type: Type, Key: rid, Op: "unwrap", Err: err}
	}
	ct, err := base64.StdEncoding.DecodeString(s.Get("enc"))
	if err != nil || len(ct) == 0 {
		return nil, &keysources.KeyError{Type: Type, Key: rid, Op: "unwrap", Class: keysources.ErrInvalidCiphertext, Err: errors.New("enc is not base64")}
	}
	ctx, cancel := context.WithTimeout(ctx, id.p.opts.timeout())
	defer cancel()
	key, err := id.p.decrypt(ctx, rid, ct)
	if err != nil {
		return nil, keyError(rid, "unwrap", err)
	}
	return key, nil
}
