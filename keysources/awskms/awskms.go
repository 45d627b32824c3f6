// Package awskms is the AWS KMS key source: data keys encrypted with
// AWS KMS keys and stored in "kms" stanzas as sops does (FORMAT.md §6.2).
//
// # Stanza
//
// A stanza has type "kms" and the fields "arn" (the key's ARN), "aws_profile"
// (the shared-config profile; always written, "" when none), "context" (the
// encryption context, a string map, only when set), "created_at" (RFC 3339,
// UTC), "enc" (the standard base64 of KMS Encrypt's CiphertextBlob) and
// "role" (the ARN of a role to assume first, only when set).
//
// # Recipients
//
// [ParseRecipients] takes sops's --kms / SOPS_KMS_ARN syntax: a comma
// list of ARNs, all spaces removed, each optionally followed by
// "+<role ARN>". [ParseContext] parses --encryption-context ("k:v,k:v").
// The region is the one in the ARN.
//
// # Credentials
//
// AWS is reached with github.com/aws/aws-sdk-go-v2 and its default
// configuration: the SDK reads the credentials chain users already have
// (AWS_ACCESS_KEY_ID…, AWS_PROFILE, ~/.aws/config and credentials, SSO,
// web identity, container and instance roles) and the endpoint settings
// (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL) from the process environment.
// Those reads are the SDK's, not this package's, which reads no
// environment itself; everything else comes in [Options].
//
// Nothing of the SDK is set up until a key is used: a client is built on
// the first Wrap or Unwrap for each (region, profile, role), and reused.
// Every call has a timeout (Options.Timeout) and the SDK's standard
// retryer with a bounded number of attempts.
//
// # Errors
//
// A failure is a *keysources.KeyError naming the ARN and one of the cause
// classes of package keysources (no credentials, access denied, key not
// found, unreachable, throttled, invalid ciphertext), with the service's
// message. It never holds a secret.
package awskms

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// Type is the stanza type of this key source.
const Type = "kms"

// DefaultTimeout bounds one Wrap or Unwrap, retries included, when
// Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultMaxAttempts is the number of attempts of one KMS call (the SDK's
// standard retryer, with exponential backoff) when Options.MaxAttempts is 0.
const DefaultMaxAttempts = 3

// Options are the settings of the key source. The zero value uses the
// SDK's defaults, DefaultTimeout and DefaultMaxAttempts.
type Options struct {
	// Profile is the AWS profile of recipients parsed by ParseRecipients
	// (sops's --aws-profile). A stanza's own aws_profile is used to unwrap.
	Profile string
	// Context is the encryption context of recipients parsed by
	// ParseRecipients (sops's --encryption-context).
	Context map[string]string
	// Endpoint, if set, is the KMS endpoint URL; otherwise the SDK's
	// resolution applies (AWS_ENDPOINT_URL_KMS, then the regional endpoint).
	Endpoint string
	// Credentials, if set, replaces the SDK's default credentials chain
	// (for library users with their own provider, and tests).
	Credentials aws.CredentialsProvider
	// HTTPClient, if set, is the SDK's HTTP client.
	HTTPClient HTTPClient
	// Timeout bounds one Wrap or Unwrap; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is the attempts per KMS call; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Hostname gives the host name used in the STS session name
	// (sops@<host>); nil means os.Hostname.
	Hostname func() (string, error)
	// Now is the clock for created_at; nil means time.Now.
	Now func() time.Time
}

// HTTPClient is the SDK's HTTP client interface (a *http.Client is one).
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

// Region returns the region of a KMS key ARN.
func Region(arn string) (string, error) { return cloudkey.Region(arn) }

// Recipient wraps data keys with one KMS key.
type Recipient struct {
	arn, role, profile string
	context            map[string]string
	p                  *provider
}

var _ keysources.Recipient = (*Recipient)(nil)

// NewRecipient returns the recipient for a key ARN, with the role to
// assume, the encryption context and the AWS profile ("" for none).
func NewRecipient(arn, role string, context map[string]string, profile string, o Options) (*Recipient, error) {
	return newRecipient(arn, role, context, profile, newProvider(o))
}

func newRecipient(arn, role string, context map[string]string, profile string, p *provider) (*Recipient, error) {
	k, err := cloudkey.NewKMSKey(arn, role, context, profile)
	if err != nil {
		return nil, err
	}
	return &Recipient{arn: k.ARN, role: k.Role, profile: k.Profile, context: k.Context, p: p}, nil
}

// ParseRecipients parses a comma-separated list of KMS key ARNs, each
// optionally followed by "+<role ARN>", as sops's --kms and SOPS_KMS_ARN.
// All spaces are removed and empty entries skipped. Options.Context and
// Options.Profile apply to every recipient.
func ParseRecipients(s string, o Options) ([]keysources.Recipient, error) {
	keys, err := cloudkey.ParseKMS(s, o.Context, o.Profile)
	if err != nil {
		return nil, err
	}
	p := newProvider(o)
	var out []keysources.Recipient
	for _, k := range keys {
		out = append(out, &Recipient{arn: k.ARN, role: k.Role, profile: k.Profile, context: k.Context, p: p})
	}
	return out, nil
}

// ParseContext parses an encryption context written "k1:v1,k2:v2", as
// sops's --encryption-context. "" gives a nil map. Each pair must have
// exactly one ':'; sops then ignores the whole context with a warning
// (and its CLI exits with code 6), hull returns an error.
func ParseContext(s string) (map[string]string, error) { return cloudkey.ParseContext(s) }

// Type returns "kms".
func (r *Recipient) Type() string { return Type }

// String is the key as sops's ToString writes it: arn[+role], then
// "|k:v,…" (keys sorted) and "|profile" when set.
func (r *Recipient) String() string {
	return cloudkey.KMSKey{ARN: r.arn, Role: r.role, Context: r.context, Profile: r.profile}.String()
}

// GoString is "kms recipient " followed by String.
func (r *Recipient) GoString() string { return "kms recipient " + r.String() }

// ARN returns the key's ARN.
func (r *Recipient) ARN() string { return r.arn }

// Wrap encrypts dataKey with KMS Encrypt and returns the stanza.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.p.opts.timeout())
	defer cancel()
	return r.WrapContext(ctx, dataKey)
}

// WrapContext is Wrap with a context; the timeout of Options still
// applies.
func (r *Recipient) WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error) {
	ctx, cancel := context.WithTimeout(ctx, r.p.opts.timeout())
	defer cancel()
	blob, err := r.p.encrypt(ctx, r.arn, r.role, r.profile, r.context, dataKey)
	if err != nil {
		return metadata.Stanza{}, keyError(r.arn, "wrap", err)
	}
	s := metadata.NewStanza(Type, "arn", r.arn, "aws_profile", r.profile)
	if len(r.context) > 0 {
		c := formats.NewMapping()
		c.Key = "context"
		for _, k := range slices.Sorted(maps.Keys(r.context)) {
			c.Children = append(c.Children, formats.NewString(k, r.context[k]))
		}
		s.Fields.Children = append(s.Fields.Children, c)
	}
	s.Set("created_at", r.p.opts.now().UTC().Format(time.RFC3339))
	s.Set("enc", base64.StdEncoding.EncodeToString(blob))
	if r.role != "" {
		s.Set("role", r.role)
	}
	return s, nil
}

// Identity unwraps kms stanzas with the credentials of the environment
// (or of Options). It calls KMS only for kms stanzas, and builds its
// clients on first use.
type Identity struct {
	p    *provider
	keys keysources.KeyFilter
}

var _ keysources.TypedIdentity = (*Identity)(nil)

// NewIdentity returns an identity that unwraps every kms stanza: each
// with the ARN, role, profile and context written in it. It is cheap:
// nothing of the SDK is set up until Unwrap is called with a kms stanza.
func NewIdentity(o Options) *Identity { return &Identity{p: newProvider(o)} }

// Only restricts the identity to the given key ARNs: it returns
// keysources.ErrIncorrectIdentity, without calling KMS, for stanzas of
// other keys. With no ARNs it unwraps every kms stanza.
func (id *Identity) Only(arns ...string) *Identity {
	return &Identity{p: id.p, keys: keysources.NewKeyFilter(arns...)}
}

// Type returns "kms".
func (id *Identity) Type() string { return Type }

// Remote is true: unwrapping calls kms (see keysources.RemoteIdentity).
func (id *Identity) Remote() bool { return true }

// GoString describes the identity without its credentials.
func (id *Identity) GoString() string { return "kms identity" }

// String describes the identity without its credentials.
func (id *Identity) String() string { return "kms identity" }

// Unwrap decrypts the data key of a kms stanza with KMS Decrypt.
func (id *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return id.UnwrapContext(context.Background(), s)
}

// UnwrapContext is Unwrap with a context; the timeout of Options still
// applies.
func (id *Identity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != Type || s.Fields == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	arn := s.Get("arn")
	if !id.keys.Allows(arn) {
		return nil, keysources.ErrIncorrectIdentity
	}
	if _, err := Region(arn); err != nil {
		return nil, &keysources.KeyError{Type: Type, Key: arn, Op: "unwrap", Err: err}
	}
	blob, err := base64.StdEncoding.DecodeString(s.Get("enc"))
	if err != nil || len(blob) == 0 {
		return nil, &keysources.KeyError{Type: Type, Key: arn, Op: "unwrap", Class: keysources.ErrInvalidCiphertext, Err: errors.New("enc is not base64")}
	}
	var kctx map[string]string
	if c := s.Fields.Get("context"); c != nil && c.Kind == formats.Mapping {
		kctx = map[string]string{}
		for _, kv := range c.Children {
			if kv.Kind == formats.Scalar {
				kctx[kv.Key] = kv.Value
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, id.p.opts.timeout())
	defer cancel()
	key, err := id.p.decrypt(ctx, arn, s.Get("role"), s.Get("aws_profile"), kctx, blob)
	if err != nil {
		return nil, keyError(arn, "unwrap", err)
	}
	return key, nil
}
