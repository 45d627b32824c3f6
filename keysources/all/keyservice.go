package all

import (
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/companion"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/metadata"
)

// KeyStanza is the key of a recipient as the sops key service protocol
// describes it (a stanza without enc); false for a recipient the protocol
// cannot describe.
func KeyStanza(rc keysources.Recipient) (metadata.Stanza, bool) {
	switch rc := rc.(type) {
	case *age.Recipient:
		return metadata.NewStanza(age.Type, "recipient", rc.String()), true
	case *pgp.Recipient:
		return metadata.NewStanza(pgp.Type, "fp", rc.String()), true
	case *vault.Recipient:
		k := rc.Key()
		return metadata.NewStanza(vault.Type, "vault_address", k.Address, "engine_path", k.EnginePath, "key_name", k.Name), true
	case *companion.Recipient:
		return rc.KeyStanza(), true
	}
	return metadata.Stanza{}, false
}

// ViaKeyServices makes the recipients wrap through the sops key services
// (hull-kms asks them): the local key first unless noLocal, then each
// service in order. Without services the groups are returned as they are.
func ViaKeyServices(c *companion.Client, groups [][]keysources.Recipient, services []string, noLocal bool) [][]keysources.Recipient {
	if len(services) == 0 {
		return groups
	}
	out := make([][]keysources.Recipient, len(groups))
	for i, g := range groups {
		out[i] = make([]keysources.Recipient, len(g))
		for j, rc := range g {
			key, ok := KeyStanza(rc)
			if !ok {
				out[i][j] = rc
				continue
			}
			local := rc
			if noLocal {
				local = nil
			}
			out[i][j] = c.ServiceRecipient(local, key, services)
		}
	}
	return out
}
