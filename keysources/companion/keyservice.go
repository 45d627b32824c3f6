package companion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// KeyStanza is the key of the recipient as a stanza without enc: the
// description a key service needs to wrap with it.
func (r *Recipient) KeyStanza() metadata.Stanza {
	switch k := r.key.(type) {
	case cloudkey.KMSKey:
		s := metadata.NewStanza(cloudkey.KMS, "arn", k.ARN, "aws_profile", k.Profile)
		if k.Role != "" {
			s.Set("role", k.Role)
		}
		if len(k.Context) > 0 {
			c := formats.NewMapping()
			c.Key = "context"
			for _, name := range slices.Sorted(maps.Keys(k.Context)) {
				c.Children = append(c.Children, formats.NewString(name, k.Context[name]))
			}
			s.Fields.Children = append(s.Fields.Children, c)
		}
		return s
	case gcpKey:
		return metadata.NewStanza(cloudkey.GCPKMS, "resource_id", k.ResourceID)
	case cloudkey.AzureKey:
		return metadata.NewStanza(cloudkey.AzureKV, "vault_url", k.VaultURL, "name", k.Name, "version", k.Version)
	}
	raw, _ := json.Marshal(r.key)
	return metadata.NewStanza(r.typ, "key", string(raw))
}

// ErrKeyService marks the failure of a wrap or unwrap through the key
// services (errors.Is), so that hull can hint at the services rather
// than at the user's identities.
var ErrKeyService = keysources.ErrKeyServices

// serviceError is a failure the key services reported: its text, and
// errors.Is(err, ErrKeyService).
type serviceError struct{ err error }

func (e *serviceError) Error() string        { return e.err.Error() }
func (e *serviceError) Unwrap() error        { return e.err }
func (e *serviceError) Is(target error) bool { return target == ErrKeyService }

// markService marks the cause of a key error as the key services'.
func markService(err error) error {
	var ke *keysources.KeyError
	if errors.As(err, &ke) && ke.Err != nil {
		ke.Err = &serviceError{ke.Err}
	}
	return err
}

// KeyServiceTypes are the key types the sops key service protocol
// describes and hull runs.
var KeyServiceTypes = []string{"age", "pgp", cloudkey.KMS, cloudkey.GCPKMS, cloudkey.AzureKV, "hc_vault"}

// ServiceRecipient wraps a data key through sops key services (hull's
// --keyservice): with its local recipient first when there is one (the
// local key service, --enable-local-keyservice), then each service in
// order, as sops does; the first that succeeds wraps it.
type ServiceRecipient struct {
	c        *Client
	local    keysources.Recipient // nil: the local key service is disabled
	key      metadata.Stanza
	str      string
	services []string
}

var _ keysources.Recipient = (*ServiceRecipient)(nil)

// ServiceRecipient returns a recipient for key (a stanza without enc,
// whose type and id are those of local) that wraps with local, when not
// nil, and else through services.
func (c *Client) ServiceRecipient(local keysources.Recipient, key metadata.Stanza, services []string) *ServiceRecipient {
	return &ServiceRecipient{c: c, local: local, key: key, str: metadata.StanzaID(key), services: services}
}

// Type is the stanza type.
func (r *ServiceRecipient) Type() string { return r.key.Type }

// String is the key as its key source prints it.
func (r *ServiceRecipient) String() string {
	if r.local != nil {
		return r.local.String()
	}
	return r.str
}

// GoString names the key and the services.
func (r *ServiceRecipient) GoString() string {
	return fmt.Sprintf("%s recipient %s through key services %v", r.key.Type, r.String(), r.services)
}

// Wrap wraps dataKey.
func (r *ServiceRecipient) Wrap(dataKey []byte) (metadata.Stanza, error) {
	return r.WrapContext(context.Background(), dataKey)
}

// WrapContext is Wrap, abandoned when ctx is done.
func (r *ServiceRecipient) WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error) {
	var localErr error
	if r.local != nil {
		var st metadata.Stanza
		if cr, ok := r.local.(contextRecipient); ok {
			st, localErr = cr.WrapContext(ctx, dataKey)
		} else {
			st, localErr = r.local.Wrap(dataKey)
		}
		if localErr == nil {
			return st, nil
		}
	}
	resp, err := r.c.call(ctx, request{Op: opKeyServiceWrap, Services: r.services, Stanza: stanzaToWire(r.key), DataKey: dataKey})
	if err == nil && resp.Error != nil {
		err = errorFromWire(resp.Error, r.key.Type, r.String(), "wrap")
	} else if err == nil && (resp.Stanza == nil || resp.Stanza.Type != r.key.Type) {
		err = errors.New("hull-kms answered without a stanza of this type")
	}
	if err != nil {
		var ke *keysources.KeyError
		if !errors.As(err, &ke) {
			err = &keysources.KeyError{Type: r.key.Type, Key: r.String(), Op: "wrap", Err: err}
		}
		err = markService(err)
		if localErr != nil {
			return metadata.Stanza{}, fmt.Errorf("local key service: %w; %w", localErr, err)
		}
		return metadata.Stanza{}, err
	}
	return stanzaFromWire(resp.Stanza), nil
}

// ServiceIdentity unwraps stanzas of every type the protocol describes
// through sops key services, asked in order.
type ServiceIdentity struct {
	c        *Client
	services []string
}

var (
	_ keysources.RemoteIdentity  = (*ServiceIdentity)(nil)
	_ keysources.ContextIdentity = (*ServiceIdentity)(nil)
)

// ServiceIdentity returns the identity of the key services.
func (c *Client) ServiceIdentity(services []string) *ServiceIdentity {
	return &ServiceIdentity{c: c, services: services}
}

// Remote is true: unwrapping calls a key service.
func (id *ServiceIdentity) Remote() bool { return true }

// String describes the identity.
func (id *ServiceIdentity) String() string { return fmt.Sprintf("key services %v", id.services) }

// GoString describes the identity.
func (id *ServiceIdentity) GoString() string { return id.String() }

// Unwrap unwraps s through the key services.
func (id *ServiceIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return id.UnwrapContext(context.Background(), s)
}

// UnwrapContext is Unwrap, abandoned when ctx is done.
func (id *ServiceIdentity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	if s.Fields == nil || !slices.Contains(KeyServiceTypes, s.Type) {
		return nil, keysources.ErrIncorrectIdentity
	}
	name := metadata.StanzaID(s)
	r, err := id.c.call(ctx, request{Op: opKeyServiceUnwrap, Services: id.services, Stanza: stanzaToWire(s)})
	if err != nil {
		return nil, &keysources.KeyError{Type: s.Type, Key: name, Op: "unwrap", Err: err}
	}
	if r.Error != nil {
		return nil, markService(errorFromWire(r.Error, s.Type, name, "unwrap"))
	}
	if len(r.DataKey) == 0 {
		return nil, &keysources.KeyError{Type: s.Type, Key: name, Op: "unwrap", Err: errors.New("hull-kms answered without a data key")}
	}
	return r.DataKey, nil
}
