package all

import (
	"fmt"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// FromConfig turns the key references of a .sops.yaml creation rule into
// recipients, group by group, with the settings in o. A kms entry keeps
// its own role, encryption context and profile; o.KMS.Context applies to
// kms entries without a context. Errors name the line of .sops.yaml.
func FromConfig(cr *config.CreationRule, o Options) ([][]keysources.Recipient, error) {
	var groups [][]keysources.Recipient
	for _, g := range cr.KeyGroups {
		var group []keysources.Recipient
		for _, ref := range g {
			src, ok := Lookup(ref.Type)
			if !ok {
				return nil, fmt.Errorf(".sops.yaml line %d: %s keys are not supported by this version of hull yet", ref.Line, ref.Type)
			}
			var rs []keysources.Recipient
			var err error
			if ref.Type == cloudkey.KMS {
				kctx := ref.Context
				if kctx == nil {
					kctx = o.KMS.Context
				}
				var kr keysources.Recipient
				if kr, err = o.Client().KMSRecipient(ref.ID, ref.Role, kctx, ref.AWSProfile); err == nil {
					rs = []keysources.Recipient{kr}
				}
			} else {
				rs, err = src.ParseWith(ref.ID, o)
			}
			if err != nil {
				return nil, fmt.Errorf(".sops.yaml line %d: %w", ref.Line, err)
			}
			group = append(group, rs...)
		}
		groups = append(groups, group)
	}
	return groups, nil
}

// FromStanza is the recipient a stanza of a file was wrapped for, with the
// settings the stanza records (a KMS key's role, context and profile), so
// that a new data key can be wrapped for the same key.
func FromStanza(s metadata.Stanza, o Options) (keysources.Recipient, error) {
	if s.Type == cloudkey.KMS {
		ctx := map[string]string{}
		if c := s.Fields.Get("context"); c != nil && c.Kind == formats.Mapping {
			for _, kv := range c.Children {
				if kv.Kind == formats.Scalar {
					ctx[kv.Key] = kv.Value
				}
			}
		}
		return o.Client().KMSRecipient(s.Get("arn"), s.Get("role"), ctx, s.Get("aws_profile"))
	}
	src, ok := Lookup(s.Type)
	if !ok {
		return nil, fmt.Errorf("%s keys are not supported by this version of hull", s.Type)
	}
	rs, err := src.ParseWith(metadata.StanzaID(s), o)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("not one %s key", s.Type)
	}
	return rs[0], nil
}
