package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hullsecrets/hull/internal/kmsplugin"
	"github.com/hullsecrets/hull/internal/localkms"
	"github.com/hullsecrets/hull/internal/testservers"
	"github.com/hullsecrets/hull/internal/vaulttest"
	"github.com/hullsecrets/hull/keysources/azkv"
)

// The cloud_*.txtar scripts run hull against loopback key services that
// "cloud-server" starts in the test process for the script. The hull
// commands of a script are separate processes, and so is the hull-kms they
// start (this test binary, found in PATH): they find the services through
// the environment the command sets, as a user's hull would; only Azure
// needs a hook (companionMain), for its credential.

// The test binary is also hull-kms (TestMain registers companionMain):
// the cloud key sources run in it with test settings that the hull-kms
// command does not have, chosen by these variables of its environment.
const (
	// envAzureCred is "token" (the fake vault's token) or "fail" (a
	// credential that cannot get one).
	envAzureCred = "HULL_TEST_AZURE_CREDENTIAL"
	// envAzureAttempts, if set, is the attempts per Azure call.
	envAzureAttempts = "HULL_TEST_AZURE_ATTEMPTS"
	// envGCPInsecure, if set, makes GCP KMS use plaintext gRPC without
	// authentication (to a loopback fake).
	envGCPInsecure = "HULL_TEST_GCP_INSECURE"
)

// companionMain is hull-kms in the test binary.
func companionMain() {
	var o kmsplugin.Options
	switch os.Getenv(envAzureCred) {
	case "token":
		o.Azure = azureTestOptions(&testservers.AzureCredential{})
	case "fail":
		o.Azure = azureTestOptions(&testservers.AzureCredential{Err: errors.New("DefaultAzureCredential: no credential in the environment")})
	}
	if n, err := strconv.Atoi(os.Getenv(envAzureAttempts)); err == nil {
		o.Azure.MaxAttempts = n
	}
	if os.Getenv(envGCPInsecure) != "" {
		o.GCP.ClientOptions = []option.ClientOption{
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		}
	}
	o.Upload.S3PathStyle = os.Getenv(envS3PathStyle) != ""
	os.Exit(kmsplugin.Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv, hullVersion(), o))
}

// testCompanion is the path of hull-kms for hull run in process: this test
// binary under that name, which testscript.Main put in PATH.
func testCompanion(t testing.TB) string {
	p, err := exec.LookPath("hull-kms")
	if err != nil {
		t.Fatalf("the test binary is not in PATH as hull-kms: %v", err)
	}
	return p
}

func azureTestOptions(cred *testservers.AzureCredential) azkv.Options {
	return azkv.Options{
		Credential:                           cred,
		DisableChallengeResourceVerification: true, // the vault is 127.0.0.1
		Timeout:                              10 * time.Second,
		MaxAttempts:                          2,
	}
}

// scriptTB lets the test servers, written for a testing.TB, run for one
// script: failures and skips go to the script, clean-ups run when it ends.
type scriptTB struct {
	testing.TB // nil: the servers use only the methods below
	ts         *testscript.TestScript
	dir        string
}

func (s *scriptTB) Helper()                      {}
func (s *scriptTB) Cleanup(f func())             { s.ts.Defer(f) }
func (s *scriptTB) Fatal(args ...any)            { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s *scriptTB) Fatalf(f string, args ...any) { s.ts.Fatalf(f, args...) }
func (s *scriptTB) Skip(args ...any)             { s.ts.Value(scriptTKey{}).(testscript.T).Skip(args...) }
func (s *scriptTB) Logf(f string, args ...any)   { s.ts.Logf(f, args...) }
func (s *scriptTB) Errorf(f string, args ...any) { s.ts.Fatalf(f, args...) }
func (s *scriptTB) TempDir() string {
	d, err := os.MkdirTemp(s.dir, "server")
	s.ts.Check(err)
	return d
}

type scriptTKey struct{}

// setupCloudScript keeps the script's T, with which cloud-server skips a
// script when local-kms is not installed.
func setupCloudScript(e *testscript.Env) { e.Values[scriptTKey{}] = e.T() }

// writeCA writes the certificate of a TLS test server as PEM to path, for
// SSL_CERT_FILE: the hull processes trust it as a system root.
func writeCA(ts *testscript.TestScript, srv *httptest.Server, path string) {
	ts.Check(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644))
}

// cloud-server kms|vault|gcp|azure: starts a loopback key service for the
// script and sets the environment that reaches it:
//
//	kms:   the local-kms emulator; AWS_* (static credentials, endpoint,
//	       empty config files), KMS_ARN and KMS_ARN2 (seeded keys).
//	vault: a transit engine at "transit" with key "sops"; VAULT_TOKEN,
//	       VAULT_URL (its address, not trusted by itself) and VAULT_URI.
//	gcp:   Cloud KMS over TLS with a bearer token; SOPS_GCP_KMS_ENDPOINT,
//	       GOOGLE_OAUTH_ACCESS_TOKEN, SSL_CERT_FILE and GCP_KEY.
//	azure: Key Vault over TLS; SSL_CERT_FILE, HULL_TEST_AZURE_CREDENTIAL
//	       and AZURE_KEY (a key URL with its version).
func cmdCloudServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: cloud-server kms|vault|gcp|azure")
	}
	work := ts.Getenv("WORK")
	tb := &scriptTB{ts: ts, dir: work}
	switch args[0] {
	case "kms":
		endpoint := localkms.Start(tb)
		aws := filepath.Join(work, ".aws")
		ts.Check(os.MkdirAll(aws, 0o700))
		for k, v := range map[string]string{
			"AWS_ACCESS_KEY_ID":           localkms.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY":       localkms.SecretAccessKey,
			"AWS_ENDPOINT_URL_KMS":        endpoint,
			"AWS_CONFIG_FILE":             filepath.Join(aws, "config"),
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(aws, "credentials"),
			"AWS_EC2_METADATA_DISABLED":   "true",
			"KMS_ARN":                     localkms.ARN(localkms.KeyID),
			"KMS_ARN2":                    localkms.ARN(localkms.Key2ID),
		} {
			ts.Setenv(k, v)
		}
	case "vault":
		v := vaulttest.New(tb, "transit", "sops")
		vaultServers.Store(work, v)
		ts.Setenv("VAULT_TOKEN", v.Token)
		ts.Setenv("VAULT_URL", v.Srv.URL)
		ts.Setenv("VAULT_URI", v.URI("sops"))
	case "gcp":
		const key = "projects/p/locations/global/keyRings/r/cryptoKeys/hull"
		certSrv := httptest.NewUnstartedServer(nil) // only for its certificate
		certSrv.StartTLS()
		cert := certSrv.TLS.Certificates[0]
		ca := filepath.Join(work, ".gcp-ca.pem")
		writeCA(ts, certSrv, ca)
		certSrv.Close()
		f := testservers.NewGCPKMS(tb, key)
		f.Token = "ya29.test-secret-access-token"
		addr, _ := f.Serve(tb, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
		ts.Setenv("SOPS_GCP_KMS_ENDPOINT", addr)
		ts.Setenv("GOOGLE_OAUTH_ACCESS_TOKEN", f.Token)
		ts.Setenv("SSL_CERT_FILE", ca)
		ts.Setenv("GCP_KEY", key)
	case "azure":
		f := testservers.NewAzureKeyVault(tb)
		ca := filepath.Join(work, ".azure-ca.pem")
		writeCA(ts, f.Srv, ca)
		ts.Setenv("SSL_CERT_FILE", ca)
		ts.Setenv(envAzureCred, "token")
		ts.Setenv("AZURE_KEY", f.URL()+"/keys/k1/0001")
	default:
		ts.Fatalf("cloud-server: unknown service %q", args[0])
	}
}

// vaultServers holds each script's Vault server, by $WORK.
var vaultServers sync.Map

// cmdVaultRequests checks how many requests the script's Vault server got:
// vault-requests N (the endpoint tests: nothing is sent to an address the
// user did not give).
func cmdVaultRequests(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: vault-requests N")
	}
	v, ok := vaultServers.Load(ts.Getenv("WORK"))
	if !ok {
		ts.Fatalf("vault-requests: no cloud-server vault in this script")
	}
	got := v.(*vaulttest.Server).Requests.Load()
	if (fmt.Sprint(got) == args[0]) == neg {
		ts.Fatalf("vault-requests: the server got %d requests, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
	}
}
