package testservers

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"hash/crc32"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// GCPKMS implements Encrypt and Decrypt of the Cloud KMS API with
// AES-256-GCM keys chosen by the test. The ciphertext is nonce‖sealed, with
// the key's resource name as additional data.
type GCPKMS struct {
	kmspb.UnimplementedKeyManagementServiceServer
	keys map[string]cipher.AEAD
	// Fail, when not OK, is returned by every call.
	Fail codes.Code
	// Token, when set, must be the bearer token of every call.
	Token string
	// Calls counts the calls.
	Calls atomic.Int32
	mu    sync.Mutex
	names []string
}

// NewGCPKMS returns a fake with a random key for each resource name.
func NewGCPKMS(t testing.TB, names ...string) *GCPKMS {
	f := &GCPKMS{keys: map[string]cipher.AEAD{}}
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

// Names are the key names of the calls received, in order.
func (f *GCPKMS) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.names...)
}

func (f *GCPKMS) check(ctx context.Context, name string) (cipher.AEAD, error) {
	f.Calls.Add(1)
	f.mu.Lock()
	f.names = append(f.names, name)
	f.mu.Unlock()
	if f.Fail != codes.OK {
		return nil, status.Error(f.Fail, "injected failure")
	}
	if f.Token != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+f.Token {
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

// Encrypt is Cloud KMS's Encrypt.
func (f *GCPKMS) Encrypt(ctx context.Context, req *kmspb.EncryptRequest) (*kmspb.EncryptResponse, error) {
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

// Decrypt is Cloud KMS's Decrypt.
func (f *GCPKMS) Decrypt(ctx context.Context, req *kmspb.DecryptRequest) (*kmspb.DecryptResponse, error) {
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

// Serve runs f on a loopback port and returns its address and server,
// stopped when the test ends.
func (f *GCPKMS) Serve(t testing.TB, opts ...grpc.ServerOption) (string, *grpc.Server) {
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
