package main

import (
	"google.golang.org/api/option"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/azkv"
	"github.com/hullsecrets/hull/keysources/gcpkms"
)

// gcpKMSOptions are the GCP KMS settings from the environment, as sops
// reads them: GOOGLE_CREDENTIALS (a credentials file or its JSON), else
// GOOGLE_OAUTH_ACCESS_TOKEN, else application default credentials;
// SOPS_GCP_KMS_ENDPOINT, SOPS_GCP_KMS_UNIVERSE_DOMAIN and
// SOPS_GCP_KMS_CLIENT_TYPE (grpc or rest). Nothing is read from disk here:
// a credentials file is read when a gcp_kms key is first used.
func (r *runner) gcpKMSOptions() gcpkms.Options {
	return gcpkms.Options{
		Credentials:    r.env.get("GOOGLE_CREDENTIALS"),
		AccessToken:    r.env.get("GOOGLE_OAUTH_ACCESS_TOKEN"),
		Endpoint:       r.env.get("SOPS_GCP_KMS_ENDPOINT"),
		UniverseDomain: r.env.get("SOPS_GCP_KMS_UNIVERSE_DOMAIN"),
		ClientType:     r.env.get("SOPS_GCP_KMS_CLIENT_TYPE"),
		ClientOptions:  testOnlyGCPKMSClientOptions,
	}
}

// testOnlyGCPKMSClientOptions are added to the GCP KMS client options by
// tests: plaintext gRPC to a loopback fake, without authentication.
var testOnlyGCPKMSClientOptions []option.ClientOption

// azureKVOptions are the Azure Key Vault settings: the zero value, whose
// DefaultAzureCredential reads the AZURE_* environment itself when an
// azure_kv key is first used.
func (r *runner) azureKVOptions() azkv.Options { return testOnlyAzureKVOptions }

// testOnlyAzureKVOptions replace the zero options in tests: a static
// credential, and no challenge resource check (the fake vault is
// 127.0.0.1, outside the Key Vault domain).
var testOnlyAzureKVOptions azkv.Options

// gcpAzureIdentities are the GCP KMS and Azure Key Vault identities. Making
// them costs nothing: each sets up its SDK (credentials, connections) only
// when a stanza of its type is unwrapped, so an age-only file never does.
func (r *runner) gcpAzureIdentities() []keysources.Identity {
	return []keysources.Identity{
		gcpkms.NewIdentity(r.gcpKMSOptions()),
		azkv.NewIdentity(r.azureKVOptions()),
	}
}
