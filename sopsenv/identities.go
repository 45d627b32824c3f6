package sopsenv

import (
	"context"
	"strings"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/localkeys"
)

// Identities are the identities of a sops run, in the order they are
// tried: those of the environment in sops's places (localkeys.Load with
// local()), the GCP KMS and Azure Key Vault ones through hull-kms (c),
// then the key services named by services (through hull-kms), as sops
// asks its local key service first. With noLocal
// (--enable-local-keyservice=false) there are only the key services.
func Identities(ctx context.Context, c *Client, local func() localkeys.Env, services []string, noLocal bool) (*localkeys.Set, error) {
	var svc []keysources.Identity
	if len(services) > 0 {
		svc = []keysources.Identity{c.ServiceIdentity(services)}
	}
	if noLocal {
		return &localkeys.Set{Identities: svc, Searched: []string{"key services " + strings.Join(services, ", ") + " (--enable-local-keyservice=false)"}}, nil
	}
	s, err := localkeys.Load(ctx, local())
	if err != nil {
		return nil, err
	}
	s.Identities = append(append(s.Identities, GCPAzureIdentities(c)...), svc...)
	return s, nil
}
