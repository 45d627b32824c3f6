// Package all is the table of key sources hull knows: one entry per source,
// in the order they are documented. Adding a source is one line in Sources.
//
// The table is explicit on purpose: no init() registration, no blank
// imports. cmd/ reads Flag and Env to build its flags and configuration;
// this package reads neither.
package all

import (
	"fmt"
	"sync"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/companion"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
)

// Source describes one key source.
type Source struct {
	// Name is the stanza type ("age", "pgp", …) and the name used in
	// --decryption-order.
	Name string
	// Flag is the command-line flag that takes its recipients ("age" for
	// --age).
	Flag string
	// Env is the environment variable that holds its recipients, as in sops.
	Env string
	// Parse parses a comma-separated list of recipients with the default
	// settings.
	Parse func(string) ([]keysources.Recipient, error)
	// ParseOpts, if set, parses with the settings in Options (which cmd/
	// fills from the environment); sources without settings leave it nil.
	// Call Source.ParseWith rather than either field.
	ParseOpts func(string, Options) ([]keysources.Recipient, error)
}

// Options are the settings some key sources take from the environment.
// This package reads no environment: cmd/ fills Options. The zero value
// is the defaults.
type Options struct {
	// Age reaches the user for age plugins (PINs, confirmations).
	Age age.Options
	// PGP says how to reach gpg (SOPS_GPG_EXEC, GNUPGHOME).
	PGP pgp.Options
	// KMS holds the AWS settings of recipients (--aws-profile,
	// --encryption-context).
	KMS KMSOptions
	// Vault holds the Vault token and namespace.
	Vault vault.Options
	// Companion runs the cloud key sources (kms, gcp_kms, azure_kv): they
	// live in the hull-kms executable, so that programs parsing this table
	// link no cloud SDK. nil runs "hull-kms" from PATH when a cloud key is
	// first used. (Library users who want the SDKs in process use the
	// packages awskms, gcpkms and azkv directly.)
	Companion *companion.Client
}

// KMSOptions are the settings of AWS KMS recipients.
type KMSOptions struct {
	// Profile is the AWS profile (sops's --aws-profile).
	Profile string
	// Context is the encryption context (sops's --encryption-context).
	Context map[string]string
}

// defaultCompanion is the client of Options without one.
var defaultCompanion = sync.OnceValue(func() *companion.Client { return companion.New(companion.Config{}) })

// Client is o.Companion, or the default client when it is nil.
func (o Options) Client() *companion.Client {
	if o.Companion != nil {
		return o.Companion
	}
	return defaultCompanion()
}

// ParseWith parses a comma-separated list of recipients with o.
func (s Source) ParseWith(v string, o Options) ([]keysources.Recipient, error) {
	if s.ParseOpts != nil {
		return s.ParseOpts(v, o)
	}
	return s.Parse(v)
}

// Sources lists every key source. Keep Name unique: the table is checked
// when the package is loaded and by its tests.
var Sources = mustValid([]Source{
	{Name: "age", Flag: "age", Env: "SOPS_AGE_RECIPIENTS", Parse: age.ParseRecipients, ParseOpts: parseAgeOpts},
	{Name: "pgp", Flag: "pgp", Env: "SOPS_PGP_FP", Parse: parsePGP, ParseOpts: parsePGPOpts},
	{Name: "kms", Flag: "kms", Env: "SOPS_KMS_ARN", Parse: parseKMS, ParseOpts: parseKMSOpts},
	{Name: "hc_vault", Flag: "hc-vault-transit", Env: "SOPS_VAULT_URIS", Parse: parseVault, ParseOpts: parseVaultOpts},
	{Name: "gcp_kms", Flag: "gcp-kms", Env: "SOPS_GCP_KMS_IDS", Parse: parseGCPKMS, ParseOpts: parseGCPKMSOpts},
	{Name: "azure_kv", Flag: "azure-kv", Env: "SOPS_AZURE_KEYVAULT_URLS", Parse: parseAzureKV, ParseOpts: parseAzureKVOpts},
})

func parseAgeOpts(s string, o Options) ([]keysources.Recipient, error) {
	return age.ParseRecipientsWith(s, o.Age)
}

func parsePGP(s string) ([]keysources.Recipient, error) { return pgp.ParseRecipients(s, pgp.Options{}) }

func parsePGPOpts(s string, o Options) ([]keysources.Recipient, error) {
	return pgp.ParseRecipients(s, o.PGP)
}

func parseKMS(s string) ([]keysources.Recipient, error) { return parseKMSOpts(s, Options{}) }

func parseKMSOpts(s string, o Options) ([]keysources.Recipient, error) {
	return o.Client().ParseKMS(s, o.KMS.Context, o.KMS.Profile)
}

func parseVault(s string) ([]keysources.Recipient, error) {
	return vault.ParseRecipients(s, vault.Options{})
}

func parseVaultOpts(s string, o Options) ([]keysources.Recipient, error) {
	return vault.ParseRecipients(s, o.Vault)
}

func parseGCPKMS(s string) ([]keysources.Recipient, error) { return parseGCPKMSOpts(s, Options{}) }

func parseGCPKMSOpts(s string, o Options) ([]keysources.Recipient, error) {
	return o.Client().ParseGCPKMS(s)
}

func parseAzureKV(s string) ([]keysources.Recipient, error) { return parseAzureKVOpts(s, Options{}) }

func parseAzureKVOpts(s string, o Options) ([]keysources.Recipient, error) {
	return o.Client().ParseAzureKV(s)
}

// Lookup returns the source with the given name.
func Lookup(name string) (Source, bool) {
	for _, s := range Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Names returns the names of all sources, in table order, for messages
// such as "unknown key type, want one of age, pgp".
func Names() []string {
	out := make([]string, len(Sources))
	for i, s := range Sources {
		out[i] = s.Name
	}
	return out
}

func validate(sources []Source) error {
	names, flags, envs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, s := range sources {
		switch {
		case s.Name == "" || s.Flag == "" || s.Parse == nil:
			return fmt.Errorf("key source %d (%q) needs a Name, a Flag and Parse", i+1, s.Name)
		case names[s.Name]:
			return fmt.Errorf("duplicate key source name %q", s.Name)
		case flags[s.Flag]:
			return fmt.Errorf("duplicate key source flag %q", s.Flag)
		case s.Env != "" && envs[s.Env]:
			return fmt.Errorf("duplicate key source environment variable %q", s.Env)
		}
		names[s.Name], flags[s.Flag], envs[s.Env] = true, true, true
	}
	return nil
}

// mustValid panics on a malformed table: a programming error, caught by
// any test that loads the package.
func mustValid(sources []Source) []Source {
	if err := validate(sources); err != nil {
		panic("keysources/all: " + err.Error())
	}
	return sources
}
