package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/testservers"
)

// TestGCPKMSCommandLine encrypts with --gcp-kms and decrypts through
// SOPS_GCP_KMS_ENDPOINT, against a loopback Cloud KMS.
func TestGCPKMSCommandLine(t *testing.T) {
	const key = "projects/p/locations/global/keyRings/r/cryptoKeys/hull"
	addr, srv := testservers.NewGCPKMS(t, key).Serve(t)
	t.Setenv(envGCPInsecure, "1")

	dir := t.TempDir()
	plain := filepath.Join(dir, "s.yaml")
	os.WriteFile(plain, []byte("user: admin\npassword: hunter2\n"), 0o600)
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "SOPS_GCP_KMS_ENDPOINT": addr}
	code, out, stderr := runMain(t, env, "encrypt", "--gcp-kms", key, plain)
	if code != 0 {
		t.Fatalf("encrypt: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"gcp_kms:", "resource_id: " + key, "enc: "} {
		if !strings.Contains(out, want) {
			t.Errorf("encrypted output lacks %q:\n%s", want, out)
		}
	}
	enc := filepath.Join(dir, "s.enc.yaml")
	os.WriteFile(enc, []byte(out), 0o600)
	if code, out, stderr = runMain(t, env, "decrypt", enc); code != 0 || out != "user: admin\npassword: hunter2\n" {
		t.Fatalf("decrypt: exit %d: %q %s", code, out, stderr)
	}

	// SOPS_GCP_KMS_IDS works like --gcp-kms.
	env["SOPS_GCP_KMS_IDS"] = key
	if code, _, stderr = runMain(t, env, "encrypt", plain); code != 0 {
		t.Errorf("encrypt with SOPS_GCP_KMS_IDS: exit %d: %s", code, stderr)
	}
	delete(env, "SOPS_GCP_KMS_IDS")

	// The service stopped: decryption fails, naming the key and the cause.
	srv.Stop()
	code, _, stderr = runMain(t, env, "decrypt", enc)
	if code == 0 || !strings.Contains(stderr, key) || !strings.Contains(stderr, "service unreachable") {
		t.Errorf("decrypt with the service down: exit %d: %s", code, stderr)
	}
	t.Logf("service down: exit %d: %s", code, stderr)
}
