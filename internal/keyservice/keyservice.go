// Package keyservice speaks the sops key service protocol (gRPC, service
// "KeyService", package pb): a server that wraps and unwraps data keys
// with the key sources and identities it is given, and a client that asks
// such services, hull's or sops's, to do it. hull-kms links it (gRPC
// stays out of hull): `hull keyservice` runs `hull-kms keyservice`, and
// hull's --keyservice flag sends its requests through hull-kms.
//
// A key in the protocol is a key description (an age recipient, a PGP
// fingerprint, a KMS ARN with role, context and profile, …) and the
// ciphertext is the stanza's "enc" field as the file stores it, so a
// stanza and a (Key, ciphertext) pair convert both ways (StanzaKey,
// KeyStanza).
package keyservice

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/keyservice/pb"
	"github.com/hullsecrets/hull/metadata"
)

// The stanza types the protocol describes.
const (
	typeAge   = "age"
	typePGP   = "pgp"
	typeKMS   = "kms"
	typeGCP   = "gcp_kms"
	typeAzure = "azure_kv"
	typeVault = "hc_vault"
)

// ErrUnsupported is a key type the protocol has no description for, or
// one hull does not run (hckms).
var ErrUnsupported = errors.New("key type not supported by the key service")

// StanzaKey is the protocol's description of the key of s.
func StanzaKey(s metadata.Stanza) (*pb.Key, error) {
	switch s.Type {
	case typeAge:
		return &pb.Key{KeyType: &pb.Key_AgeKey{AgeKey: &pb.AgeKey{Recipient: s.Get("recipient")}}}, nil
	case typePGP:
		return &pb.Key{KeyType: &pb.Key_PgpKey{PgpKey: &pb.PgpKey{Fingerprint: s.Get("fp")}}}, nil
	case typeKMS:
		k := &pb.KmsKey{Arn: s.Get("arn"), Role: s.Get("role"), AwsProfile: s.Get("aws_profile"), Context: map[string]string{}}
		if c := s.Fields.Get("context"); c != nil && c.Kind == formats.Mapping {
			for _, e := range c.Children {
				if e.Kind == formats.Scalar {
					k.Context[e.Key] = e.Value
				}
			}
		}
		return &pb.Key{KeyType: &pb.Key_KmsKey{KmsKey: k}}, nil
	case typeGCP:
		return &pb.Key{KeyType: &pb.Key_GcpKmsKey{GcpKmsKey: &pb.GcpKmsKey{ResourceId: s.Get("resource_id")}}}, nil
	case typeAzure:
		return &pb.Key{KeyType: &pb.Key_AzureKeyvaultKey{AzureKeyvaultKey: &pb.AzureKeyVaultKey{
			VaultUrl: s.Get("vault_url"), Name: s.Get("name"), Version: s.Get("version")}}}, nil
	case typeVault:
		return &pb.Key{KeyType: &pb.Key_VaultKey{VaultKey: &pb.VaultKey{
			VaultAddress: s.Get("vault_address"), EnginePath: s.Get("engine_path"), KeyName: s.Get("key_name")}}}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupported, s.Type)
}

// KeyStanza is the stanza of a key description, without "enc" and
// "created_at": its type and key fields as the key source writes them.
func KeyStanza(k *pb.Key) (metadata.Stanza, error) {
	if k == nil {
		return metadata.Stanza{}, errors.New("the request has no key")
	}
	switch k := k.KeyType.(type) {
	case *pb.Key_AgeKey:
		return metadata.NewStanza(typeAge, "recipient", k.AgeKey.GetRecipient()), nil
	case *pb.Key_PgpKey:
		return metadata.NewStanza(typePGP, "fp", k.PgpKey.GetFingerprint()), nil
	case *pb.Key_KmsKey:
		s := metadata.NewStanza(typeKMS, "arn", k.KmsKey.GetArn(), "aws_profile", k.KmsKey.GetAwsProfile())
		if r := k.KmsKey.GetRole(); r != "" {
			s.Set("role", r)
		}
		if ctx := k.KmsKey.GetContext(); len(ctx) > 0 {
			c := formats.NewMapping()
			c.Key = "context"
			for _, name := range slices.Sorted(maps.Keys(ctx)) {
				c.Children = append(c.Children, formats.NewString(name, ctx[name]))
			}
			s.Fields.Children = append(s.Fields.Children, c)
		}
		return s, nil
	case *pb.Key_GcpKmsKey:
		return metadata.NewStanza(typeGCP, "resource_id", k.GcpKmsKey.GetResourceId()), nil
	case *pb.Key_AzureKeyvaultKey:
		a := k.AzureKeyvaultKey
		return metadata.NewStanza(typeAzure, "vault_url", a.GetVaultUrl(), "name", a.GetName(), "version", a.GetVersion()), nil
	case *pb.Key_VaultKey:
		v := k.VaultKey
		return metadata.NewStanza(typeVault, "vault_address", v.GetVaultAddress(), "engine_path", v.GetEnginePath(), "key_name", v.GetKeyName()), nil
	case *pb.Key_HckmsKey:
		return metadata.Stanza{}, fmt.Errorf("%w: HuaweiCloud KMS (hckms) keys", ErrUnsupported)
	case nil:
		return metadata.Stanza{}, errors.New("the request's key has no key type")
	}
	return metadata.Stanza{}, fmt.Errorf("%w: unknown key type", ErrUnsupported)
}

// describe names a stanza's key in logs and errors: its type and id, never
// its enc.
func describe(s metadata.Stanza) string {
	return s.Type + " key " + metadata.StanzaID(s)
}
