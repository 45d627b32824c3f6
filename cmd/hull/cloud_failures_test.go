package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	agelib "filippo.io/age"
	"google.golang.org/grpc/codes"

	"github.com/hullsecrets/hull/internal/localkms"
	"github.com/hullsecrets/hull/internal/testservers"
	"github.com/hullsecrets/hull/internal/vaulttest"
)

// The failure classes of the cloud key sources as the user sees them, and
// Shamir key groups mixing a cloud key and an age key.

// writeTestFile writes a test file.
func writeTestFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// encryptTo encrypts plain with the environment and writes the result to
// enc.
func encryptTo(t *testing.T, env map[string]string, plain, enc string, args ...string) string {
	t.Helper()
	code, out, stderr := runMain(t, env, append(append([]string{"encrypt"}, args...), plain)...)
	if code != 0 {
		t.Fatalf("encrypt: exit %d: %s", code, stderr)
	}
	writeTestFile(t, enc, out)
	return out
}

// wantKeyFailure decrypts enc and checks the failure: exit 128, a report
// line "<type> key <key>: unwrap: <class>", and none of the secrets.
func wantKeyFailure(t *testing.T, env map[string]string, enc, typ, key string, class error, secrets ...string) {
	t.Helper()
	code, out, stderr := runMain(t, env, "decrypt", enc)
	if code != exitCouldNotRetrieveKey {
		t.Errorf("exit %d, want %d: %s", code, exitCouldNotRetrieveKey, stderr)
	}
	if out != "" {
		t.Errorf("output on failure: %q", out)
	}
	line := "\n  " + typ + " "
	re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(typ) + ` \S+: ` + regexp.QuoteMeta(typ+" key "+key+": unwrap: "+class.Error()) + `(: |$)`)
	if !strings.Contains(stderr, line) || !re.MatchString(stderr) {
		t.Errorf("stderr lacks %q:\n%s", re, stderr)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(stderr, s) {
			t.Errorf("stderr shows the secret %q:\n%s", s, stderr)
		}
	}
}

var (
	errNoCreds     = errors.New("no credentials")
	errDenied      = errors.New("access denied")
	errNotFound    = errors.New("key not found")
	errUnreachable = errors.New("service unreachable")
	errThrottled   = errors.New("throttled")
)

// kmsErrorServer answers every KMS call with the AWS JSON error code.
func kmsErrorServer(t *testing.T, status int, code string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":"injected %s"}`, code, code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestKMSFailureClasses: each failure class of AWS KMS, as hull reports it.
func TestKMSFailureClasses(t *testing.T) {
	endpoint := localkms.Start(t)
	isolateAWS(t, endpoint)
	dir := t.TempDir()
	arn := localkms.ARN(localkms.KeyID)
	plain, enc := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "s.enc.yaml")
	writeTestFile(t, plain, "password: hunter2\n")
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config")}
	encryptTo(t, env, plain, enc, "--kms", arn)

	t.Run("access denied", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_KMS", kmsErrorServer(t, 400, "AccessDeniedException"))
		wantKeyFailure(t, env, enc, "kms", arn, errDenied, localkms.SecretAccessKey)
	})
	t.Run("key not found", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_KMS", kmsErrorServer(t, 400, "NotFoundException"))
		wantKeyFailure(t, env, enc, "kms", arn, errNotFound, localkms.SecretAccessKey)
	})
	t.Run("throttled", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_KMS", kmsErrorServer(t, 400, "ThrottlingException"))
		wantKeyFailure(t, env, enc, "kms", arn, errThrottled, localkms.SecretAccessKey)
	})
	t.Run("unreachable", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1")
		wantKeyFailure(t, env, enc, "kms", arn, errUnreachable, localkms.SecretAccessKey)
	})
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		os.Unsetenv("AWS_ACCESS_KEY_ID")
		os.Unsetenv("AWS_SECRET_ACCESS_KEY")
		wantKeyFailure(t, env, enc, "kms", arn, errNoCreds, localkms.SecretAccessKey)
	})
}

// TestVaultFailureClasses: each failure class of Vault transit.
func TestVaultFailureClasses(t *testing.T) {
	v := vaulttest.New(t, "transit", "sops")
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "s.enc.yaml")
	writeTestFile(t, plain, "password: hunter2\n")
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "VAULT_TOKEN": v.Token, "VAULT_ADDR": v.Srv.URL}
	encryptTo(t, env, plain, enc, "--hc-vault-transit", v.URI("sops"))
	key := v.URI("sops")

	t.Run("no credentials", func(t *testing.T) {
		e := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"], "VAULT_ADDR": v.Srv.URL}
		wantKeyFailure(t, e, enc, "hc_vault", key, errNoCreds, v.Token)
	})
	t.Run("access denied", func(t *testing.T) {
		e := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"], "VAULT_ADDR": v.Srv.URL, "VAULT_TOKEN": "hvs.wrong"}
		wantKeyFailure(t, e, enc, "hc_vault", key, errDenied, v.Token, "hvs.wrong")
	})
	for _, c := range []struct {
		name  string
		code  int
		class error
	}{{"key not found", 404, errNotFound}, {"throttled", 429, errThrottled}, {"server error", 503, errUnreachable}} {
		t.Run(c.name, func(t *testing.T) {
			v.FailCode = c.code
			v.Fail.Store(100)
			defer v.Fail.Store(0)
			wantKeyFailure(t, env, enc, "hc_vault", key, c.class, v.Token)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		e := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": env["XDG_CONFIG_HOME"], "VAULT_TOKEN": v.Token, "SOPS_HC_VAULT_ALLOWLIST": "all"}
		v.Srv.Close()
		wantKeyFailure(t, e, enc, "hc_vault", key, errUnreachable, v.Token)
	})
}

// TestGCPKMSFailureClasses: each failure class of GCP KMS.
func TestGCPKMSFailureClasses(t *testing.T) {
	const key = "projects/p/locations/global/keyRings/r/cryptoKeys/hull"
	f := testservers.NewGCPKMS(t, key)
	addr, srv := f.Serve(t)
	t.Setenv(envGCPInsecure, "1")
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "s.enc.yaml")
	writeTestFile(t, plain, "password: hunter2\n")
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "SOPS_GCP_KMS_ENDPOINT": addr}
	encryptTo(t, env, plain, enc, "--gcp-kms", key)

	for _, c := range []struct {
		name  string
		code  codes.Code
		class error
	}{
		{"no credentials", codes.Unauthenticated, errNoCreds},
		{"access denied", codes.PermissionDenied, errDenied},
		{"key not found", codes.NotFound, errNotFound},
		{"throttled", codes.ResourceExhausted, errThrottled},
		{"server error", codes.Unavailable, errUnreachable},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.Fail = c.code
			defer func() { f.Fail = codes.OK }()
			wantKeyFailure(t, env, enc, "gcp_kms", key, c.class)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv.Stop()
		wantKeyFailure(t, env, enc, "gcp_kms", key, errUnreachable)
	})
}

// TestAzureKVFailureClasses: each failure class of Azure Key Vault.
func TestAzureKVFailureClasses(t *testing.T) {
	f := testservers.NewAzureKeyVault(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writeTestFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Srv.Certificate().Raw})))
	t.Setenv("SSL_CERT_FILE", ca)
	t.Setenv(envAzureCred, "token")
	t.Setenv(envAzureAttempts, "1")
	plain, enc := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "s.enc.yaml")
	writeTestFile(t, plain, "password: hunter2\n")
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config")}
	key := f.URL() + "/keys/k1/0001"
	encryptTo(t, env, plain, enc, "--azure-kv", key)

	t.Run("no credentials", func(t *testing.T) {
		t.Setenv(envAzureCred, "fail")
		wantKeyFailure(t, env, enc, "azure_kv", key, errNoCreds, testservers.AzureToken)
	})
	for _, c := range []struct {
		name   string
		status int
		class  error
	}{{"access denied", 403, errDenied}, {"key not found", 404, errNotFound}, {"throttled", 429, errThrottled}, {"server error", 503, errUnreachable}} {
		t.Run(c.name, func(t *testing.T) {
			f.Mu.Lock()
			f.Status = c.status
			f.Mu.Unlock()
			defer func() { f.Mu.Lock(); f.Status = 0; f.Mu.Unlock() }()
			wantKeyFailure(t, env, enc, "azure_kv", key, c.class, testservers.AzureToken)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		f.Srv.Close()
		wantKeyFailure(t, env, enc, "azure_kv", key, errUnreachable, testservers.AzureToken)
	})
}

// TestShamirCloudAndAge: key groups of a cloud key (AWS KMS) and an age
// key under a threshold of 2 round-trip; with one group missing the
// report names both groups and the failure; with 2 of 3 (a Vault group
// too) any two groups do.
func TestShamirCloudAndAge(t *testing.T) {
	endpoint := localkms.Start(t)
	isolateAWS(t, endpoint)
	v := vaulttest.New(t, "transit", "sops")
	k, err := agelib.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	arn := localkms.ARN(localkms.KeyID)
	dir := t.TempDir()
	t.Chdir(dir) // .sops.yaml is found from the working directory
	plain, enc := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "s.enc.yaml")
	writeTestFile(t, plain, "user: admin\npassword: hunter2\n")
	base := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, ".config"), "VAULT_TOKEN": v.Token}
	with := func(kv ...string) map[string]string {
		e := map[string]string{}
		for k, v := range base {
			e[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	decrypt := func(env map[string]string) (int, string, string) { return runMain(t, env, "decrypt", enc) }
	deadKMS := func(t *testing.T) { t.Setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1") }

	t.Run("2 of 2", func(t *testing.T) {
		writeTestFile(t, filepath.Join(dir, ".sops.yaml"), "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"+
			"      - kms:\n          - arn: "+arn+"\n"+
			"      - age:\n          - "+k.Recipient().String()+"\n")
		out := encryptTo(t, base, plain, enc)
		if !strings.Contains(out, "shamir_threshold: 2") || !strings.Contains(out, "arn: "+arn) || !strings.Contains(out, "recipient: "+k.Recipient().String()) {
			t.Fatalf("not a two-group file:\n%s", out)
		}
		if code, out, stderr := decrypt(with("SOPS_AGE_KEY", k.String())); code != 0 || out != "user: admin\npassword: hunter2\n" {
			t.Fatalf("decrypt with both: exit %d: %q %s", code, out, stderr)
		}
		// Without the age key: group 1 recovered, group 2 has no identity.
		code, _, stderr := decrypt(base)
		for _, want := range []string{"group 1 of 2: recovered", "group 2 of 2: failed", "  age " + k.Recipient().String() + ": no identity for this key type", "1 of 2 key groups recovered, 2 needed"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("without the age key: stderr lacks %q:\n%s", want, stderr)
			}
		}
		if code != exitCouldNotRetrieveKey {
			t.Errorf("without the age key: exit %d", code)
		}
		// Without KMS: group 1 failed with its class, group 2 recovered.
		t.Run("kms down", func(t *testing.T) {
			deadKMS(t)
			code, _, stderr := decrypt(with("SOPS_AGE_KEY", k.String()))
			for _, want := range []string{"group 1 of 2: failed", "kms key " + arn + ": unwrap: service unreachable", "group 2 of 2: recovered", "1 of 2 key groups recovered, 2 needed"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("kms down: stderr lacks %q:\n%s", want, stderr)
				}
			}
			if code != exitCouldNotRetrieveKey || strings.Contains(stderr, localkms.SecretAccessKey) || strings.Contains(stderr, k.String()) {
				t.Errorf("kms down: exit %d, or a secret shown: %s", code, stderr)
			}
		})
	})

	t.Run("2 of 3", func(t *testing.T) {
		writeTestFile(t, filepath.Join(dir, ".sops.yaml"), "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"+
			"      - kms:\n          - arn: "+arn+"\n"+
			"      - hc_vault:\n          - "+v.URI("sops")+"\n"+
			"      - age:\n          - "+k.Recipient().String()+"\n")
		// The user gives the Vault address; the config alone is not
		// trusted to name it (TRUST.md).
		base["VAULT_ADDR"] = v.Srv.URL
		out := encryptTo(t, base, plain, enc)
		if !strings.Contains(out, "shamir_threshold: 2") {
			t.Fatalf("no threshold:\n%s", out)
		}
		// kms + vault, without age.
		if code, out, stderr := decrypt(base); code != 0 || out != "user: admin\npassword: hunter2\n" {
			t.Errorf("kms and vault: exit %d: %q %s", code, out, stderr)
		}
		t.Run("kms down", func(t *testing.T) {
			deadKMS(t)
			// vault + age.
			if code, out, stderr := decrypt(with("SOPS_AGE_KEY", k.String())); code != 0 || out != "user: admin\npassword: hunter2\n" {
				t.Errorf("vault and age: exit %d: %q %s", code, out, stderr)
			}
			// vault only: 1 of 3.
			code, _, stderr := decrypt(with("VAULT_TOKEN", "hvs.wrong"))
			for _, want := range []string{"group 1 of 3: failed", "service unreachable", "group 2 of 3: failed", "access denied", "group 3 of 3: failed", "0 of 3 key groups recovered, 2 needed"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("nothing works: stderr lacks %q:\n%s", want, stderr)
				}
			}
			if code != exitCouldNotRetrieveKey || strings.Contains(stderr, v.Token) || strings.Contains(stderr, "hvs.wrong") {
				t.Errorf("nothing works: exit %d, or a token shown: %s", code, stderr)
			}
		})
	})
}
