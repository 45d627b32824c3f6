package kmsplugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/keyservice/pb"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

const (
	testIdentity  = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
	testRecipient = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
)

func lookupOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestKeyServerVaultAllowlist: the key service wraps with Vault transit
// only at the addresses of its own SOPS_HC_VAULT_ALLOWLIST, so a client
// cannot make it send its token elsewhere; nothing is contacted.
func TestKeyServerVaultAllowlist(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "VAULT_TOKEN": "s.secret-token", "SOPS_GPG_EXEC": "/nonexistent/gpg"}
	srv, err := NewKeyServer(context.Background(), lookupOf(env), Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := metadata.NewStanza("hc_vault", "vault_address", "https://attacker.example:8200", "engine_path", "transit", "key_name", "k")
	_, err = srv.Recipient(key)
	if !errors.Is(err, keysources.ErrEndpointNotAllowed) {
		t.Fatalf("got %v, want endpoint not allowed", err)
	}
	env["SOPS_HC_VAULT_ALLOWLIST"] = "https://vault.internal:8200"
	srv, err = NewKeyServer(context.Background(), lookupOf(env), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Recipient(key); !errors.Is(err, keysources.ErrEndpointNotAllowed) {
		t.Fatalf("attacker address with an allowlist: %v", err)
	}
	key.Set("vault_address", "https://vault.internal:8200")
	if _, err := srv.Recipient(key); err != nil {
		t.Fatalf("allowed address: %v", err)
	}
	// The same through the protocol: the request fails, naming the cause.
	srv, _ = NewKeyServer(context.Background(), lookupOf(map[string]string{"VAULT_TOKEN": "s.secret-token"}), Options{})
	_, err = srv.Encrypt(context.Background(), &pb.EncryptRequest{
		Key:       &pb.Key{KeyType: &pb.Key_VaultKey{VaultKey: &pb.VaultKey{VaultAddress: "https://attacker.example:8200", EnginePath: "transit", KeyName: "k"}}},
		Plaintext: make([]byte, 32),
	})
	if err == nil || !contains(err.Error(), "not in the key service's SOPS_HC_VAULT_ALLOWLIST") || contains(err.Error(), "s.secret-token") {
		t.Fatalf("encrypt: %v", err)
	}
}

// TestKeyServerIdentities: the server reads the age identities of its
// environment and fails to start on a named file it cannot read.
func TestKeyServerIdentities(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(p, []byte(testIdentity+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewKeyServer(context.Background(), lookupOf(map[string]string{"HOME": dir, "SOPS_AGE_KEY_FILE": p}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := srv.Recipient(metadata.NewStanza("age", "recipient", testRecipient))
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := srv.Decrypt(context.Background(), &pb.DecryptRequest{
		Key:        &pb.Key{KeyType: &pb.Key_AgeKey{AgeKey: &pb.AgeKey{Recipient: testRecipient}}},
		Ciphertext: []byte(st.Get("enc")),
	})
	if err != nil || len(rsp.GetPlaintext()) != 32 {
		t.Fatalf("decrypt: %v", err)
	}
	_, err = NewKeyServer(context.Background(), lookupOf(map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(dir, "missing.txt")}), Options{})
	if err == nil || !contains(err.Error(), "missing.txt") {
		t.Fatalf("missing key file: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
