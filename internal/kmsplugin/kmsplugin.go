// Package kmsplugin is the program hull-kms: the companion executable
// that runs the cloud key sources (AWS KMS, GCP Cloud KMS, Azure Key
// Vault) for hull, over the protocol of keysources/companion. cmd/hull-kms
// calls Main; hull's tests call it too, to run their test binary as the
// companion with test settings (Options).
package kmsplugin

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"github.com/hullsecrets/hull/keysources/age"
	"io"

	"github.com/hullsecrets/hull/internal/keyservice"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/awskms"
	"github.com/hullsecrets/hull/keysources/azkv"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/companion"
	"github.com/hullsecrets/hull/keysources/gcpkms"
)

// Options are the settings of the key sources that do not come from the
// environment: the zero value in hull-kms, test settings in tests.
type Options struct {
	AWS   awskms.Options
	GCP   gcpkms.Options
	Azure azkv.Options
	// Age and Stderr are the key service server's: how age plugins and
	// protected identities reach the user (default: /dev/tty), and the
	// key commands' stderr (default: the server's).
	Age    age.Options
	Stderr io.Writer
	// Upload are the settings of hull publish's uploads.
	Upload UploadOptions
}

const usage = `usage: hull-kms
       hull-kms keyservice [--network tcp|unix] [--address ADDR] [--prompt] [--verbose]

hull-kms runs the AWS KMS, GCP KMS and Azure Key Vault key sources for hull,
and the sops key service (gRPC), client and server. hull starts it when a
file or a rule names such a key, or a --keyservice is given; it is not meant
to be run by hand. It speaks the protocol of hull's docs/COMPANION.md on its
standard input and output, and reads the cloud credentials from its
environment as the cloud SDKs do. "hull keyservice" runs "hull-kms
keyservice", the key service server.
`

// Main runs hull-kms and returns its exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool), version string, o Options) int {
	if len(args) > 1 {
		switch args[1] {
		case "keyservice":
			return KeyService(args[2:], stdin, stdout, stderr, lookup, o)
		case "--version", "-v", "version":
			fmt.Fprintf(stdout, "hull-kms %s (protocol %d)\n", version, companion.ProtocolVersion)
			return 0
		case "--help", "-h", "help":
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprint(stderr, usage)
		return 2
	}
	get := func(k string) string { v, _ := lookup(k); return v }
	ks := &keyservice.Client{TLS: func() (*tls.Config, error) { return ClientTLS(get) }}
	defer ks.Close()
	if err := companion.ServeUploads(stdin, stdout, version, Backends(o.AWS, gcpOptions(o, get), o.Azure), ks, uploader{o.Upload}); err != nil {
		fmt.Fprintf(stderr, "hull-kms: %v\n", err)
		return 1
	}
	return 0
}

// gcpOptions are o.GCP with the settings of the environment.
func gcpOptions(o Options, get func(string) string) gcpkms.Options {
	g := o.GCP
	g.Credentials = get("GOOGLE_CREDENTIALS")
	g.AccessToken = get("GOOGLE_OAUTH_ACCESS_TOKEN")
	g.Endpoint = get("SOPS_GCP_KMS_ENDPOINT")
	g.UniverseDomain = get("SOPS_GCP_KMS_UNIVERSE_DOMAIN")
	g.ClientType = get("SOPS_GCP_KMS_CLIENT_TYPE")
	return g
}

// Backends are the key sources of hull-kms with their options.
func Backends(aws awskms.Options, gcp gcpkms.Options, az azkv.Options) map[string]companion.Backend {
	return map[string]companion.Backend{
		cloudkey.KMS: {
			Recipient: func(key []byte) (keysources.Recipient, error) {
				var k cloudkey.KMSKey
				if err := json.Unmarshal(key, &k); err != nil {
					return nil, fmt.Errorf("malformed kms key: %v", err)
				}
				return awskms.NewRecipient(k.ARN, k.Role, k.Context, k.Profile, aws)
			},
			Identity: awskms.NewIdentity(aws),
		},
		cloudkey.GCPKMS: {
			Recipient: func(key []byte) (keysources.Recipient, error) {
				var k struct {
					ResourceID string `json:"resource_id"`
				}
				if err := json.Unmarshal(key, &k); err != nil {
					return nil, fmt.Errorf("malformed gcp_kms key: %v", err)
				}
				return gcpkms.NewRecipient(k.ResourceID, gcp)
			},
			Identity: gcpkms.NewIdentity(gcp),
		},
		cloudkey.AzureKV: {
			Recipient: func(key []byte) (keysources.Recipient, error) {
				var k cloudkey.AzureKey
				if err := json.Unmarshal(key, &k); err != nil {
					return nil, fmt.Errorf("malformed azure_kv key: %v", err)
				}
				return azkv.NewRecipient(k.VaultURL, k.Name, k.Version, az)
			},
			Identity: azkv.NewIdentity(az),
		},
	}
}
