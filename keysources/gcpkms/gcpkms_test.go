package gcpkms_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

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

// fakeKMS implements Encrypt and Decrypt of the Cloud KMS API with
// AES-256-GCM keys chosen by the test. The ciphertext is nonce‖sealed, with
// the key's resource name as additional data.
type fakeKMS struct {
	kmspb.UnimplementedKeyManagementServiceServer
	keys map[string]cipher.AEAD
	// fail, when not OK, is returned by every call.
	fail codes.Code
	// token, when set, must be the bearer token of every call.
	token string
	calls atomic.Int32
	mu    sync.Mutex
	names []string
}

func newFake(t *testing.T, names ...string) *fakeKMS {
	f := &fakeKMS{keys: map[string]cipher.AEAD{}}
	for _, n := range names {
		k := make([]byte, 32)
		rand.Read(k)
		b, err := aes.NewCipher(k)
		if err != nil {
			t.Fatal(err)
		}
		f.keys[n], _ = cipher.NewGCM(b)
	}
	return f
}

func (f *fakeKMS) check(ctx context.Context, name string) (cipher.AEAD, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.names = append(f.names, name)
	f.mu.Unlock()
	if f.fail != codes.OK {
		return nil, status.Error(f.fail, "injected failure")
	}
	if f.token != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+f.token {
			return nil, status.Error(codes.Unauthenticated, "Request had invalid authentication credentials.")
		}
	}
	a, ok := f.keys[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "CryptoKey %s not found.", name)
	}
	return a, nil
}

var table = crc32.MakeTable(crc32.Castagnoli)

func sum(b []byte) *wrapperspb.Int64Value { return wrapperspb.Int64(int64(crc32.Checksum(b, table))) }

func (f *fakeKMS) Encrypt(ctx context.Context, req *kmspb.EncryptRequest) (*kmspb.EncryptResponse, error) {
	a, err := f.check(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	verified := false
	if c := req.GetPlaintextCrc32C(); c != nil {
		if c.GetValue() != sum(req.GetPlaintext()).GetValue() {
			return nil, status.Error(codes.InvalidArgument, "plaintext_crc32c did not match")
		}
		verified = true
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	ct := a.Seal(nonce, nonce, req.GetPlaintext(), []byte(req.GetName()))
	return &kmspb.EncryptResponse{Name: req.GetName() + "/cryptoKeyVersions/1", Ciphertext: ct, CiphertextCrc32C: sum(ct), VerifiedPlaintextCrc32C: verified}, nil
}

func (f *fakeKMS) Decrypt(ctx context.Context, req *kmspb.DecryptRequest) (*kmspb.DecryptResponse, error) {
	a, err := f.check(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	ct := req.GetCiphertext()
	if c := req.GetCiphertextCrc32C(); c != nil && c.GetValue() != sum(ct).GetValue() {
		return nil, status.Error(codes.InvalidArgument, "ciphertext_crc32c did not match")
	}
	if len(ct) < a.NonceSize() {
		return nil, status.Error(codes.InvalidArgument, "Decryption failed: the ciphertext is invalid.")
	}
	pt, err := a.Open(nil, ct[:a.NonceSize()], ct[a.NonceSize():], []byte(req.GetName()))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "Decryption failed: the ciphertext is invalid.")
	}
	return &kmspb.DecryptResponse{Plaintext: pt, PlaintextCrc32C: sum(pt)}, nil
}

// serve runs f on a loopback port and returns its address and server.
func serve(t *testing.T, f *fakeKMS, opts ...grpc.ServerOption) (string, *grpc.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	kmspb.RegisterKeyManagementServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String(), s
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
	if strings.Join(f.names, ",") != key1 {
		t.Errorf("calls named %v", f.names)
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
			f.fail = c.code
			addr, _ := serve(t, f)
			o := options(addr)
			o.MaxAttempts = 2
			_, err := recipient(t, key1, o).Wrap(make([]byte, 32))
			checkClass(t, err, c.class, key1)
			if n := f.calls.Load(); n != c.attempts {
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
	f.token = token
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
