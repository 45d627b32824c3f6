package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	agelib "filippo.io/age"

	"github.com/hullsecrets/hull/internal/localkms"
	"github.com/hullsecrets/hull/internal/vaulttest"
)

// runMain runs hull in-process with an environment map.
func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"hull"}, args...), strings.NewReader(""), &stdout, &stderr,
		func(k string) (string, bool) {
			v, ok := env[k]
			if !ok && k == envCompanion {
				// The cloud keys go through this test binary as hull-kms.
				return testCompanion(t), true
			}
			return v, ok
		})
	return code, stdout.String(), stderr.String()
}

// isolateAWS gives the AWS SDK, which reads the process environment, the
// static test credentials, the emulator's endpoint and empty config files.
func isolateAWS(t *testing.T, endpoint string) {
	dir := t.TempDir()
	for _, v := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", localkms.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", localkms.SecretAccessKey)
	t.Setenv("AWS_ENDPOINT_URL_KMS", endpoint)
}

// TestKMSCommandLine encrypts with --kms against the KMS emulator and
// decrypts, through the SDK's default chain and AWS_ENDPOINT_URL_KMS.
func TestKMSCommandLine(t *testing.T) {
	endpoint := localkms.Start(t)
	isolateAWS(t, endpoint)
	dir := t.TempDir()
	plain := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(plain, []byte("user: admin\npassword: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config")}
	arn := localkms.ARN(localkms.KeyID)

	code, out, stderr := runMain(t, env, "encrypt", "--kms", arn, "--encryption-context", "app:hull,env:test", plain)
	if code != 0 {
		t.Fatalf("encrypt: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"kms:", "arn: " + arn, `aws_profile: ""`, "app: hull", "env: test", "enc: "} {
		if !strings.Contains(out, want) {
			t.Errorf("encrypted output lacks %q:\n%s", want, out)
		}
	}
	enc := filepath.Join(dir, "s.enc.yaml")
	if err := os.WriteFile(enc, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runMain(t, env, "decrypt", enc)
	if code != 0 || out != "user: admin\npassword: hunter2\n" {
		t.Fatalf("decrypt: exit %d: %q %s", code, out, stderr)
	}

	// SOPS_KMS_ARN works like --kms.
	env["SOPS_KMS_ARN"] = arn
	if code, _, stderr = runMain(t, env, "encrypt", plain); code != 0 {
		t.Errorf("encrypt with SOPS_KMS_ARN: exit %d: %s", code, stderr)
	}
	delete(env, "SOPS_KMS_ARN")

	// A malformed context is exit 6, as in sops.
	if code, _, stderr = runMain(t, env, "encrypt", "--kms", arn, "--encryption-context", "nocolon", plain); code != exitInvalidKMSContext {
		t.Errorf("bad --encryption-context: exit %d, want %d: %s", code, exitInvalidKMSContext, stderr)
	}

	// A dead endpoint: exit 128, the key and the class are named, and the
	// secret access key is not shown.
	t.Setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1")
	code, _, stderr = runMain(t, env, "decrypt", enc)
	if code != exitCouldNotRetrieveKey || !strings.Contains(stderr, arn) || !strings.Contains(stderr, "service unreachable") {
		t.Errorf("dead endpoint: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, localkms.SecretAccessKey) {
		t.Error("the error shows the secret access key")
	}
}

// TestKMSConfig: a .sops.yaml key group with role-less kms entries, a
// context and a profile-free key.
func TestKMSConfig(t *testing.T) {
	endpoint := localkms.Start(t)
	isolateAWS(t, endpoint)
	dir := t.TempDir()
	t.Chdir(dir) // .sops.yaml is found from the working directory
	arn := localkms.ARN(localkms.KeyID)
	cfg := "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: " + arn + "\n            context:\n              team: core\n"
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "s.json")
	if err := os.WriteFile(plain, []byte(`{"a": "b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config")}
	code, out, stderr := runMain(t, env, "encrypt", plain)
	if code != 0 || !strings.Contains(out, `"team": "core"`) {
		t.Fatalf("encrypt with .sops.yaml: exit %d: %s\n%s", code, stderr, out)
	}
	enc := filepath.Join(dir, "s.enc.json")
	os.WriteFile(enc, []byte(out), 0o600)
	if code, out, stderr = runMain(t, env, "decrypt", enc); code != 0 || !strings.Contains(out, `"a": "b"`) {
		t.Errorf("decrypt: exit %d: %s %s", code, out, stderr)
	}
}

// TestVaultCommandLine: encrypt with --hc-vault-transit, then decrypt: an
// address not trusted is refused with exit 33 and no connection; VAULT_ADDR
// or SOPS_HC_VAULT_ALLOWLIST trust it.
func TestVaultCommandLine(t *testing.T) {
	v := vaulttest.New(t, "transit", "sops")
	dir := t.TempDir()
	plain := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(plain, []byte("password: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "VAULT_TOKEN": v.Token}
	code, out, stderr := runMain(t, env, "encrypt", "--hc-vault-transit", v.URI("sops"), plain)
	if code != 0 || !strings.Contains(out, "vault_address: "+v.Srv.URL) || !strings.Contains(out, "enc: vault:v1:") {
		t.Fatalf("encrypt: exit %d: %s\n%s", code, stderr, out)
	}
	if strings.Contains(out, v.Token) {
		t.Fatal("the token is in the file")
	}
	enc := filepath.Join(dir, "s.enc.yaml")
	os.WriteFile(enc, []byte(out), 0o600)

	// SECURITY.md row 41: the address comes only from the file.
	v.Requests.Store(0)
	v.Conns.Store(0)
	code, _, stderr = runMain(t, env, "decrypt", enc)
	if code != exitEndpointNotAllowed || !strings.Contains(stderr, "endpoint not allowed") {
		t.Errorf("untrusted address: exit %d, want %d: %s", code, exitEndpointNotAllowed, stderr)
	}
	if n, c := v.Requests.Load(), v.Conns.Load(); n != 0 || c != 0 {
		t.Errorf("%d requests, %d connections to a refused address", n, c)
	}
	if strings.Contains(stderr, v.Token) {
		t.Error("the error shows the token")
	}
	env["SOPS_HC_VAULT_ALLOWLIST"] = "https://vault.example.com"
	if code, _, _ = runMain(t, env, "decrypt", enc); code != exitEndpointNotAllowed {
		t.Errorf("other allowlist: exit %d", code)
	}
	delete(env, "SOPS_HC_VAULT_ALLOWLIST")

	for name, extra := range map[string][2]string{
		"VAULT_ADDR":      {"VAULT_ADDR", v.Srv.URL},
		"allowlist":       {"SOPS_HC_VAULT_ALLOWLIST", v.Srv.URL},
		"allowlist all":   {"SOPS_HC_VAULT_ALLOWLIST", "all"},
		"SOPS_VAULT_URIS": {"SOPS_VAULT_URIS", v.URI("sops")},
	} {
		env[extra[0]] = extra[1]
		code, out, stderr := runMain(t, env, "decrypt", enc)
		if code != 0 || out != "password: hunter2\n" {
			t.Errorf("%s: exit %d: %q %s", name, code, out, stderr)
		}
		delete(env, extra[0])
	}

	// A wrong token: access denied, exit 128.
	env["VAULT_ADDR"], env["VAULT_TOKEN"] = v.Srv.URL, "hvs.wrong"
	if code, _, stderr = runMain(t, env, "decrypt", enc); code != exitCouldNotRetrieveKey || !strings.Contains(stderr, "access denied") {
		t.Errorf("wrong token: exit %d: %s", code, stderr)
	}
	// The token from ~/.vault-token.
	delete(env, "VAULT_TOKEN")
	os.WriteFile(filepath.Join(dir, ".vault-token"), []byte(v.Token+"\n"), 0o600)
	if code, _, stderr = runMain(t, env, "decrypt", enc); code != 0 {
		t.Errorf("~/.vault-token: exit %d: %s", code, stderr)
	}
}

// TestAgeOnlyNoCompanion: encrypting and decrypting an age-only file
// never starts hull-kms (the cloud identities are there, but lazy); a
// file with a kms stanza does.
func TestAgeOnlyNoCompanion(t *testing.T) {
	dir := t.TempDir()
	k, err := agelib.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	secret, recipient := k.String(), k.Recipient().String()
	plain := filepath.Join(dir, "s.yaml")
	os.WriteFile(plain, []byte("a: b\n"), 0o600)
	marker := filepath.Join(dir, "started")
	fake := filepath.Join(dir, "hull-kms")
	os.WriteFile(fake, []byte("#!/bin/sh\ntouch '"+marker+"'\nexit 1\n"), 0o700)
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "SOPS_AGE_KEY": secret,
		envCompanion: fake, "GOOGLE_CREDENTIALS": filepath.Join(dir, "missing.json")}
	code, out, stderr := runMain(t, env, "encrypt", "--age", recipient, plain)
	if code != 0 {
		t.Fatalf("encrypt: exit %d: %s", code, stderr)
	}
	enc := filepath.Join(dir, "s.enc.yaml")
	os.WriteFile(enc, []byte(out), 0o600)
	if code, out, stderr = runMain(t, env, "decrypt", enc); code != 0 || out != "a: b\n" {
		t.Fatalf("decrypt: exit %d: %q %s", code, out, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an age-only encrypt and decrypt started hull-kms")
	}
	// The same file with a kms stanza too: decrypting it with the age key
	// still needs no companion (local keys first) …
	code, out, stderr = runMain(t, env, "encrypt", "--age", recipient, "--kms", "arn:aws:kms:eu-west-1:123456789012:key/k", plain)
	if code == 0 {
		t.Fatalf("encrypt with a kms key and a failing hull-kms succeeded: %s", out)
	}
	// … but wrapping for a kms key starts it.
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("a kms recipient did not start hull-kms: %s", stderr)
	}
}
