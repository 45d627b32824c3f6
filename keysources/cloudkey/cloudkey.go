// Package cloudkey is the syntax of the keys of the cloud key sources (AWS
// KMS, GCP Cloud KMS, Azure Key Vault): parsing and printing key
// references, without their SDKs.
//
// Both sides of the hull-kms companion use it: the SDK key sources
// (keysources/awskms, gcpkms, azkv), which the companion runs, and the
// proxies of keysources/companion, which the hull binary uses to parse
// --kms, --gcp-kms, --azure-kv and .sops.yaml keys without linking any
// cloud SDK. One parser for both keeps their errors identical.
package cloudkey

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The patterns are compiled on first use: hull links this package, and
// most runs never see a cloud key.
var (
	arnRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$`) })
	regionRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })
	resourceRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`)
	})
	urlRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$`) })
)

// The stanza types of the cloud key sources.
const (
	KMS     = "kms"
	GCPKMS  = "gcp_kms"
	AzureKV = "azure_kv"
)

// Region returns the region of a KMS key ARN: sops's ARN pattern, and a
// region that is a host label, so that an ARN in a file cannot steer the
// endpoint to another host.
func Region(arn string) (string, error) {
	m := arnRE().FindStringSubmatch(arn)
	if m == nil {
		return "", fmt.Errorf("%q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id> or …:alias/<name>)", arn)
	}
	if !regionRE().MatchString(m[1]) {
		return "", fmt.Errorf("KMS key ARN %q has an invalid region %q", arn, m[1])
	}
	return m[1], nil
}

// ParseContext parses an encryption context written "k1:v1,k2:v2", as
// sops's --encryption-context. "" gives a nil map. Each pair must have
// exactly one ':'; sops then ignores the whole context with a warning
// (and its CLI exits with code 6), hull returns an error.
func ParseContext(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for i, kv := range strings.Split(s, ",") {
		parts := strings.Split(kv, ":")
		if len(parts) != 2 {
			return nil, fmt.Errorf("invalid encryption context: pair %d is not key:value", i+1)
		}
		out[parts[0]] = parts[1]
	}
	return out, nil
}

// KMSKey is an AWS KMS key as a recipient: its ARN, the role to assume
// ("" for none), the encryption context (nil for none) and the AWS
// profile ("" for none).
type KMSKey struct {
	ARN     string            `json:"arn"`
	Role    string            `json:"role,omitempty"`
	Context map[string]string `json:"context,omitempty"`
	Profile string            `json:"aws_profile,omitempty"`
}

// NewKMSKey checks a KMS key: the ARN has a valid region and the role, if
// any, is an ARN. The context is copied.
func NewKMSKey(arn, role string, context map[string]string, profile string) (KMSKey, error) {
	if _, err := Region(arn); err != nil {
		return KMSKey{}, err
	}
	if role != "" && !strings.HasPrefix(role, "arn:") {
		return KMSKey{}, fmt.Errorf("KMS key %s: role %q is not an ARN", arn, role)
	}
	var ctx map[string]string
	if len(context) > 0 {
		ctx = maps.Clone(context)
	}
	return KMSKey{ARN: arn, Role: role, Context: ctx, Profile: profile}, nil
}

// ParseKMS parses a comma-separated list of KMS key ARNs, each optionally
// followed by "+<role ARN>", as sops's --kms and SOPS_KMS_ARN. All spaces
// are removed and empty entries skipped. context and profile apply to
// every key.
func ParseKMS(s string, context map[string]string, profile string) ([]KMSKey, error) {
	var out []KMSKey
	for i, part := range strings.Split(strings.ReplaceAll(s, " ", ""), ",") {
		if part == "" {
			continue
		}
		arn, role := part, ""
		// ARN paths cannot contain ':', so "+arn:" separates the two ARNs.
		if j := strings.Index(part, "+arn:"); j >= 0 {
			arn, role = part[:j], part[j+1:]
		}
		k, err := NewKMSKey(arn, role, context, profile)
		if err != nil {
			return nil, fmt.Errorf("KMS key %d: %w", i+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// String is the key as sops's ToString writes it: arn[+role], then
// "|k:v,…" (keys sorted) and "|profile" when set.
func (k KMSKey) String() string {
	s := k.ARN
	if k.Role != "" {
		s += "+" + k.Role
	}
	ctx := ContextString(k.Context)
	switch {
	case k.Profile != "":
		return s + "|" + ctx + "|" + k.Profile
	case ctx != "":
		return s + "|" + ctx
	}
	return s
}

// ContextString writes an encryption context "k:v,…", keys sorted.
func ContextString(c map[string]string) string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + c[k]
	}
	return strings.Join(parts, ",")
}

// CheckResourceID checks a GCP KMS key resource ID.
func CheckResourceID(id string) error {
	if !resourceRE().MatchString(id) {
		return fmt.Errorf("%q is not a GCP KMS key resource ID (projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>)", id)
	}
	return nil
}

// ParseGCPKMS parses a comma-separated list of GCP KMS resource IDs, as
// sops's --gcp-kms and SOPS_GCP_KMS_IDS: spaces removed, empty entries
// skipped.
func ParseGCPKMS(s string) ([]string, error) {
	var out []string
	for i, part := range strings.Split(strings.ReplaceAll(s, " ", ""), ",") {
		if part == "" {
			continue
		}
		if err := CheckResourceID(part); err != nil {
			return nil, fmt.Errorf("GCP KMS key %d: %w", i+1, err)
		}
		out = append(out, part)
	}
	return out, nil
}

// ParseKeyURL splits an Azure Key Vault key URL
// (https://<vault>/keys/<name>[/<version>]).
func ParseKeyURL(u string) (vaultURL, name, version string, err error) {
	m := urlRE().FindStringSubmatch(u)
	if m == nil {
		return "", "", "", fmt.Errorf("%q is not an Azure Key Vault key URL (https://<vault>/keys/<name>[/<version>])", u)
	}
	return m[1], m[2], strings.TrimPrefix(m[3], "/"), nil
}

// KeyID is the key URL of a vault, name and version ("" for the latest,
// which leaves a trailing slash, as sops writes it).
func KeyID(vaultURL, name, version string) string {
	return fmt.Sprintf("%s/keys/%s/%s", vaultURL, name, version)
}

// AzureKey is an Azure Key Vault key as a recipient; Version "" means the
// latest version, looked up when wrapping.
type AzureKey struct {
	VaultURL string `json:"vault_url"`
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
}

// String is the key URL.
func (k AzureKey) String() string { return KeyID(k.VaultURL, k.Name, k.Version) }

// NewAzureKey checks an Azure Key Vault key.
func NewAzureKey(vaultURL, name, version string) (AzureKey, error) {
	if _, _, _, err := ParseKeyURL(KeyID(vaultURL, name, version)); err != nil {
		return AzureKey{}, err
	}
	return AzureKey{VaultURL: vaultURL, Name: name, Version: version}, nil
}

// ParseAzureKV parses a comma-separated list of Azure Key Vault key URLs,
// as sops's --azure-kv and SOPS_AZURE_KEYVAULT_URLS.
func ParseAzureKV(s string) ([]AzureKey, error) {
	var out []AzureKey
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, n, ver, err := ParseKeyURL(part)
		if err != nil {
			return nil, fmt.Errorf("Azure Key Vault key %d: %w", i+1, err)
		}
		out = append(out, AzureKey{VaultURL: v, Name: n, Version: ver})
	}
	return out, nil
}
