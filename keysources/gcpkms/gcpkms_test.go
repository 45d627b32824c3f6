package gcpkms_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hullsecrets/hull/internal/testservers"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/gcpkms"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	hullmeta "github.com/hullsecrets/hull/metadata"
)

const (
	key1    = "projects/p/locations/global/keyRings/r/cryptoKeys/k1"
	key2    = "projects/p/locations/global/keyRings/r/cryptoKeys/k2"
	missing = "projects/p/locations/global/keyRings/r/cryptoKeys/nope"
	token   = "ya29.test-secret-access-token"
)

// fakeKMS is the Cloud KMS fake of internal/testservers.
type fakeKMS = testservers.GCPKMS

func newFake(t *testing.T, names ...string) *fakeKMS { return testservers.NewGCPKMS(t, names...) }

// serve runs f on a loopback port and returns its address and server.
func serve(t *testing.T, f *fakeKMS, opts ...grpc.ServerOption) (string, *grpc.Server) {
	t.Helper()
	return f.Serve(t, opts...)
}

// options reach addr with the real client, without authentication, over
// plaintext gRPC.
func options(addr string) gcpkms.Options {
	return gcpkms.Options{
		Endpoint: addr,
		ClientOptions: []option.ClientOption{
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		},
		Timeout: 10 * time.Second,
	}
}

func recipient(t *testing.T, id string, o gcpkms.Options) keysources.Recipient {
	t.Helper()
	rs, err := gcpkms.ParseRecipients(id, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d recipients", len(rs))
	}
	return rs[0]
}

func TestConformance(t *testing.T) {
	addr, _ := serve(t, newFake(t, key1, key2))
	o := options(addr)
	id := gcpkms.NewIdentity(o)
	keysourcetest.Run(t, keysourcetest.Fixture{
		Recipient: recipient(t, key1, o),
		Identity:  id,
		Other:     id.Only(key2),
		Parse:     func(s string) ([]keysources.Recipient, error) { return gcpkms.ParseRecipients(s, o) },
	})
}

func TestStanzaLayout(t *testing.T) {
	f := newFake(t, key1)
	addr, _ := serve(t, f)
	o := options(addr)
	o.Now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)) }
	s, err := recipient(t, key1, o).Wrap(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Fields.Children {
		names = append(names, c.Key)
	}
	if got := strings.Join(names, ","); got != "resource_id,created_at,enc" {
		t.Errorf("fields %s", got)
	}
	if s.Type != "gcp_kms" || s.Get("resource_id") != key1 || s.Get("created_at") != "2024-01-02T02:04:05Z" {
		t.Errorf("stanza %s %+v", s.Type, s.Fields)
	}
	ct, err := base64.StdEncoding.DecodeString(s.Get("enc"))
	if err != nil || len(ct) != 12+32+16 {
		t.Errorf("enc is not the standard base64 of the ciphertext: %d bytes, %v", len(ct), err)
	}
	if got := hullmeta.StanzaID(s); got != key1 {
		t.Errorf("StanzaID %q", got)
	}
	// The fake checks the name of the key in every call.
	if strings.Join(f.Names(), ",") != key1 {
		t.Errorf("calls named %v", f.Names())
	}
}

func TestParseRecipients(t *testing.T) {
	rs, err := gcpkms.ParseRecipients(" "+key1+" , ,"+key2+",", gcpkms.Options{})
	if err != nil || len(rs) != 2 || rs[0].String() != key1 || rs[1].String() != key2 {
		t.Fatalf("ParseRecipients = %v, %v", rs, err)
	}
	if rs, err := gcpkms.ParseRecipients("", gcpkms.Options{}); err != nil || len(rs) != 0 {
		t.Errorf("empty list: %v, %v", rs, err)
	}
	for _, bad := range []string{
		"projects/p/locations/l/keyRings/r",
		"projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
		"https://cloudkms.googleapis.com/projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"projects//locations/l/keyRings/r/cryptoKeys/k",
	} {
		if _, err := gcpkms.ParseRecipients(key1+","+bad, gcpkms.Options{}); err == nil || !strings.Contains(err.Error(), "GCP KMS key 2") {
			t.Errorf("ParseRecipients(%q): %v", bad, err)
		}
	}
	if _, err := gcpkms.ParseRecipients(key1, gcpkms.Options{ClientType: "soap"}); err == nil {
		t.Errorf("unknown client type accepted")
	}
}

func TestKeyNotFound(t *testing.T) {
	addr, _ := serve(t, newFake(t, key1))
	o := options(addr)
	_, err := recipient(t, missing, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrKeyNotFound, missing)
	// A stanza of a key the service does not know.
	s, err := recipient(t, key1, o).Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s.Set("resource_id", missing)
	got, err := gcpkms.NewIdentity(o).Unwrap(s)
	if got != nil {
		t.Errorf("key returned with an error")
	}
	checkClass(t, err, keysources.ErrKeyNotFound, missing)
}

func TestInvalidCiphertext(t *testing.T) {
	addr, _ := serve(t, newFake(t, key1, key2))
	o := options(addr)
	s, err := recipient(t, key1, o).Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	// The ciphertext of key1 presented as key2's: the service refuses it.
	s.Set("resource_id", key2)
	_, err = gcpkms.NewIdentity(o).Unwrap(s)
	checkClass(t, err, keysources.ErrInvalidCiphertext, key2)
}

func TestStatusClasses(t *testing.T) {
	for _, c := range []struct {
		code     codes.Code
		class    error
		attempts int32
	}{
		{codes.PermissionDenied, keysources.ErrAccessDenied, 1},
		{codes.Unauthenticated, keysources.ErrNoCredentials, 1},
		{codes.FailedPrecondition, keysources.ErrKeyNotFound, 1},
		{codes.ResourceExhausted, keysources.ErrThrottled, 2},
		{codes.Unavailable, keysources.ErrUnreachable, 2},
	} {
		t.Run(c.code.String(), func(t *testing.T) {
			f := newFake(t, key1)
			f.Fail = c.code
			addr, _ := serve(t, f)
			o := options(addr)
			o.MaxAttempts = 2
			_, err := recipient(t, key1, o).Wrap(make([]byte, 32))
			checkClass(t, err, c.class, key1)
			if n := f.Calls.Load(); n != c.attempts {
				t.Errorf("%d calls, want %d (bounded retries)", n, c.attempts)
			}
			s := hullmeta.NewStanza("gcp_kms", "resource_id", key1, "enc", base64.StdEncoding.EncodeToString(make([]byte, 40)))
			_, err = gcpkms.NewIdentity(o).Unwrap(s)
			checkClass(t, err, c.class, key1)
		})
	}
}

// TestUnreachable: a stopped service fails fast, as unreachable.
func TestUnreachable(t *testing.T) {
	addr, srv := serve(t, newFake(t, key1))
	srv.Stop()
	o := options(addr)
	start := time.Now()
	_, err := recipient(t, key1, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrUnreachable, key1)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestTimeout: a service that does not answer is cut off by the timeout.
func TestTimeout(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, never answer
		}
	}()
	o := options(lis.Addr().String())
	o.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err = recipient(t, key1, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrUnreachable, key1)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestAccessToken: a static access token reaches the service over TLS,
// and never shows in errors.
func TestAccessToken(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil) // only for its certificate
	ts.StartTLS()
	cert := ts.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ts.Close()

	f := newFake(t, key1)
	f.Token = token
	addr, _ := serve(t, f, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	o := gcpkms.Options{
		Endpoint:    addr,
		AccessToken: token,
		ClientOptions: []option.ClientOption{
			option.WithGRPCDialOption(grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "example.com"}))),
		},
	}
	s, err := recipient(t, key1, o).Wrap(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gcpkms.NewIdentity(o).Unwrap(s); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{1}, 32)) {
		t.Fatalf("Unwrap: %x %v", got, err)
	}
	o.AccessToken = token + "-wrong"
	_, err = gcpkms.NewIdentity(o).Unwrap(s)
	checkClass(t, err, keysources.ErrNoCredentials, key1)
	if strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestCredentialsErrors(t *testing.T) {
	secret := `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nsecret"`
	for name, creds := range map[string]string{
		"bad JSON":     secret,
		"unknown type": `{"type": "weird", "private_key": "secret"}`,
		"no file":      "/nonexistent/secret-path-but-ok",
		"not a path":   "c2VjcmV0LWJhc2U2NC1rZXk=",
	} {
		t.Run(name, func(t *testing.T) {
			o := gcpkms.Options{Credentials: creds, Endpoint: "127.0.0.1:1"}
			_, err := recipient(t, key1, o).Wrap(make([]byte, 32))
			checkClass(t, err, keysources.ErrNoCredentials, key1)
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the credentials: %v", err)
			}
		})
	}
}

// TestLazy: nothing of the SDK is set up by parsing, by building an
// identity, or by unwrapping stanzas of other types.
func TestLazy(t *testing.T) {
	before := gcpkms.ClientsCreated()
	o := gcpkms.Options{Endpoint: "127.0.0.1:1"}
	if _, err := gcpkms.ParseRecipients(key1+","+key2, o); err != nil {
		t.Fatal(err)
	}
	id := gcpkms.NewIdentity(o)
	if _, err := id.Unwrap(hullmeta.NewStanza("age", "recipient", "age1x", "enc", "x")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Fatalf("Unwrap of an age stanza: %v", err)
	}
	if _, err := id.Only(key2).Unwrap(hullmeta.NewStanza("gcp_kms", "resource_id", key1, "enc", "AAAA")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Fatalf("Unwrap of another key's stanza: %v", err)
	}
	if n := gcpkms.ClientsCreated() - before; n != 0 {
		t.Errorf("%d clients built", n)
	}
}

// TestSharedClient: the recipients of one parse share one client.
func TestSharedClient(t *testing.T) {
	addr, _ := serve(t, newFake(t, key1, key2))
	rs, err := gcpkms.ParseRecipients(key1+","+key2, options(addr))
	if err != nil {
		t.Fatal(err)
	}
	before := gcpkms.ClientsCreated()
	for _, r := range rs {
		if _, err := r.Wrap(make([]byte, 32)); err != nil {
			t.Fatal(err)
		}
	}
	if n := gcpkms.ClientsCreated() - before; n != 1 {
		t.Errorf("%d clients built for 2 recipients", n)
	}
}

func checkClass(t *testing.T, err, class error, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", class)
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, class) {
		t.Errorf("error %q is not %q", err, class)
	}
	var ke *keysources.KeyError
	if !errors.As(err, &ke) || ke.Type != "gcp_kms" || ke.Key != key {
		t.Errorf("error %q does not name gcp_kms key %s", err, key)
	}
	if !strings.Contains(err.Error(), key) {
		t.Errorf("error %q does not name the key", err)
	}
}
