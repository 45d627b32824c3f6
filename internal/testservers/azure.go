package testservers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
)

// AzureToken is the only bearer token AzureKeyVault accepts; AzureResource
// is the resource of its authentication challenge.
const (
	AzureToken    = "eyJ0eXAi.test-secret-bearer-token"
	AzureResource = "https://vault.azure.net"
)

// AzureKeyVault implements the Key Vault REST calls azkeys makes for the
// azure_kv key source: Get Key, Encrypt, Decrypt, Wrap Key and Unwrap Key
// with RSA-OAEP-256, behind the bearer challenge Key Vault answers an
// unauthenticated request with. Its keys: "k1" (versions 0001, 0002) and
// "k2" (version aaaa).
type AzureKeyVault struct {
	// Srv is the TLS server; Srv.Certificate() its certificate.
	Srv *httptest.Server

	// Mu guards the fields below while the server runs.
	Mu   sync.Mutex
	keys map[string][]azureVersion // name → versions, oldest first
	// Deny lists the operations ("encrypt", "wrapkey", …) answered 403.
	Deny map[string]bool
	// Status, when set, answers every authenticated request.
	Status int
	// Resource is the challenge's resource.
	Resource string
	// Log lists "METHOD path" of the authenticated calls.
	Log []string

	// Challenges counts the unauthenticated requests, Calls the others.
	Challenges, Calls atomic.Int32
}

type azureVersion struct {
	id  string
	key *rsa.PrivateKey
}

var rsaKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	var ks []*rsa.PrivateKey
	for range 3 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks = append(ks, k)
	}
	return ks
})

// NewAzureKeyVault starts a fake vault on a loopback TLS port; it stops
// when the test ends.
func NewAzureKeyVault(t testing.TB) *AzureKeyVault {
	f := &AzureKeyVault{keys: map[string][]azureVersion{}, Deny: map[string]bool{}, Resource: AzureResource}
	ks := rsaKeys()
	f.keys["k1"] = []azureVersion{{"0001", ks[0]}, {"0002", ks[1]}}
	f.keys["k2"] = []azureVersion{{"aaaa", ks[2]}}
	f.Srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Srv.Close)
	return f
}

// URL is the vault URL.
func (f *AzureKeyVault) URL() string { return f.Srv.URL }

// KID is the key ID of a key version.
func (f *AzureKeyVault) KID(name, ver string) string { return f.Srv.URL + "/keys/" + name + "/" + ver }

func kvError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (f *AzureKeyVault) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("api-version") == "" {
		kvError(w, 400, "BadParameter", "api-version missing")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+AzureToken {
		f.Challenges.Add(1)
		f.Mu.Lock()
		res := f.Resource
		f.Mu.Unlock()
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="%s"`, res))
		kvError(w, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	f.Calls.Add(1)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Log = append(f.Log, r.Method+" "+r.URL.Path)
	if f.Status != 0 {
		kvError(w, f.Status, http.StatusText(f.Status), "injected failure")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "keys" {
		kvError(w, 404, "NotFound", "no such route")
		return
	}
	versions, ok := f.keys[parts[1]]
	if !ok {
		kvError(w, 404, "KeyNotFound", fmt.Sprintf("A key with (name/id) %s was not found in this key vault.", parts[1]))
		return
	}
	v := versions[len(versions)-1]
	if len(parts) >= 3 && parts[2] != "" {
		found := false
		for _, x := range versions {
			if x.id == parts[2] {
				v, found = x, true
			}
		}
		if !found {
			kvError(w, 404, "KeyNotFound", fmt.Sprintf("A key with (name/id) %s/%s was not found in this key vault.", parts[1], parts[2]))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && len(parts) <= 3:
		kid := azkeys.ID(f.KID(parts[1], v.id))
		kty := azkeys.KeyTypeRSA
		json.NewEncoder(w).Encode(azkeys.KeyBundle{Key: &azkeys.JSONWebKey{
			KID: &kid, Kty: &kty, N: v.key.N.Bytes(), E: big.NewInt(int64(v.key.E)).Bytes(),
		}})
	case r.Method == http.MethodPost && len(parts) == 4:
		op := parts[3]
		if f.Deny[op] {
			kvError(w, 403, "Forbidden", fmt.Sprintf("The user, group or application does not have keys %s permission on key vault.", op))
			return
		}
		var p azkeys.KeyOperationParameters
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Algorithm == nil || *p.Algorithm != azkeys.EncryptionAlgorithmRSAOAEP256 {
			kvError(w, 400, "BadParameter", "Property alg is required and must be RSA-OAEP-256.")
			return
		}
		var out []byte
		var err error
		switch op {
		case "encrypt", "wrapkey":
			out, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, &v.key.PublicKey, p.Value, nil)
		case "decrypt", "unwrapkey":
			out, err = rsa.DecryptOAEP(sha256.New(), nil, v.key, p.Value, nil)
		default:
			kvError(w, 404, "NotFound", "no such operation")
			return
		}
		if err != nil {
			kvError(w, 400, "BadParameter", "Bad Request")
			return
		}
		kid := azkeys.ID(f.KID(parts[1], v.id))
		json.NewEncoder(w).Encode(azkeys.KeyOperationResult{KID: &kid, Result: out})
	default:
		kvError(w, 405, "MethodNotAllowed", "method not allowed")
	}
}

// AzureCredential is a credential with the static token AzureToken, or
// the error Err; it records the scopes asked for.
type AzureCredential struct {
	mu     sync.Mutex
	scopes []string
	Err    error
}

// GetToken is azcore.TokenCredential's.
func (c *AzureCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes...)
	if c.Err != nil {
		return azcore.AccessToken{}, c.Err
	}
	return azcore.AccessToken{Token: AzureToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Scopes are the scopes asked for so far.
func (c *AzureCredential) Scopes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.scopes...)
}

// PrivateKey is the RSA key of a key version, or nil.
func (f *AzureKeyVault) PrivateKey(name, ver string) *rsa.PrivateKey {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for _, v := range f.keys[name] {
		if v.id == ver {
			return v.key
		}
	}
	return nil
}
