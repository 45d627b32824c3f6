package companion

import (
	"context"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// Types are the key types the companion runs.
var Types = []string{cloudkey.KMS, cloudkey.GCPKMS, cloudkey.AzureKV}

// Runs reports whether typ is a key type of the companion.
func Runs(typ string) bool {
	for _, t := range Types {
		if t == typ {
			return true
		}
	}
	return false
}

// Recipient wraps data keys through the companion. It parses and prints
// its key in hull (package cloudkey); only Wrap starts the companion.
type Recipient struct {
	c   *Client
	typ string
	key any // cloudkey.KMSKey, gcpKey or cloudkey.AzureKey
	str string
}

var _ keysources.Recipient = (*Recipient)(nil)

type gcpKey struct {
	ResourceID string `json:"resource_id"`
}

// Type is the stanza type.
func (r *Recipient) Type() string { return r.typ }

// String is the key as the key source prints it.
func (r *Recipient) String() string { return r.str }

// GoString is the type, "recipient" and String.
func (r *Recipient) GoString() string { return r.typ + " recipient " + r.str }

// Wrap wraps dataKey in the companion.
func (r *Recipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	return r.WrapContext(context.Background(), dataKey)
}

// WrapContext is Wrap, abandoned when ctx is done.
func (r *Recipient) WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error) {
	return r.c.wrap(ctx, r.typ, r.str, r.key, dataKey)
}

// KMSRecipient returns the recipient of an AWS KMS key (see
// cloudkey.NewKMSKey).
func (c *Client) KMSRecipient(arn, role string, context map[string]string, profile string) (*Recipient, error) {
	k, err := cloudkey.NewKMSKey(arn, role, context, profile)
	if err != nil {
		return nil, err
	}
	return &Recipient{c: c, typ: cloudkey.KMS, key: k, str: k.String()}, nil
}

// ParseKMS parses --kms / SOPS_KMS_ARN (see cloudkey.ParseKMS).
func (c *Client) ParseKMS(s string, context map[string]string, profile string) ([]keysources.Recipient, error) {
	keys, err := cloudkey.ParseKMS(s, context, profile)
	if err != nil {
		return nil, err
	}
	out := make([]keysources.Recipient, len(keys))
	for i, k := range keys {
		out[i] = &Recipient{c: c, typ: cloudkey.KMS, key: k, str: k.String()}
	}
	return out, nil
}

// ParseGCPKMS parses --gcp-kms / SOPS_GCP_KMS_IDS.
func (c *Client) ParseGCPKMS(s string) ([]keysources.Recipient, error) {
	ids, err := cloudkey.ParseGCPKMS(s)
	if err != nil {
		return nil, err
	}
	out := make([]keysources.Recipient, len(ids))
	for i, id := range ids {
		out[i] = &Recipient{c: c, typ: cloudkey.GCPKMS, key: gcpKey{id}, str: id}
	}
	return out, nil
}

// ParseAzureKV parses --azure-kv / SOPS_AZURE_KEYVAULT_URLS.
func (c *Client) ParseAzureKV(s string) ([]keysources.Recipient, error) {
	keys, err := cloudkey.ParseAzureKV(s)
	if err != nil {
		return nil, err
	}
	out := make([]keysources.Recipient, len(keys))
	for i, k := range keys {
		out[i] = &Recipient{c: c, typ: cloudkey.AzureKV, key: k, str: k.String()}
	}
	return out, nil
}

// Identity unwraps the stanzas of one key type through the companion. It
// answers keysources.ErrIncorrectIdentity for other types without
// starting it.
type Identity struct {
	c   *Client
	typ string
}

var (
	_ keysources.TypedIdentity   = (*Identity)(nil)
	_ keysources.RemoteIdentity  = (*Identity)(nil)
	_ keysources.ContextIdentity = (*Identity)(nil)
)

// Identities returns an identity per key type of the companion.
func (c *Client) Identities() []keysources.Identity {
	out := make([]keysources.Identity, len(Types))
	for i, t := range Types {
		out[i] = &Identity{c: c, typ: t}
	}
	return out
}

// Identity returns the identity of one key type of the companion.
func (c *Client) Identity(typ string) *Identity { return &Identity{c: c, typ: typ} }

// Type is the stanza type.
func (id *Identity) Type() string { return id.typ }

// Remote is true: unwrapping calls a key service.
func (id *Identity) Remote() bool { return true }

// String describes the identity.
func (id *Identity) String() string { return id.typ + " identity" }

// GoString describes the identity.
func (id *Identity) GoString() string { return id.typ + " identity" }

// Unwrap unwraps s in the companion.
func (id *Identity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return id.UnwrapContext(context.Background(), s)
}

// UnwrapContext is Unwrap, abandoned (and cancelled in the companion)
// when ctx is done.
func (id *Identity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Type != id.typ || s.Fields == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	return id.c.unwrap(ctx, s, stanzaKey(s))
}

// stanzaKey names the key of a stanza in errors, as its key source does.
func stanzaKey(s metadata.Stanza) string {
	switch s.Type {
	case cloudkey.KMS:
		return s.Get("arn")
	case cloudkey.GCPKMS:
		return s.Get("resource_id")
	case cloudkey.AzureKV:
		return cloudkey.KeyID(s.Get("vault_url"), s.Get("name"), s.Get("version"))
	}
	return ""
}
