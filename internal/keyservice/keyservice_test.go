package keyservice

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/keyservice/pb"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

const (
	testIdentity   = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
	testRecipient  = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	otherRecipient = "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
)

// TestKeyStanzaRoundTrip: every key type the protocol describes converts
// to the protocol's key and back to the same stanza fields.
func TestKeyStanzaRoundTrip(t *testing.T) {
	ctx := formats.NewMapping()
	ctx.Key = "context"
	ctx.Children = append(ctx.Children, formats.NewString("app", "web"), formats.NewString("env", "prod"))
	kms := metadata.NewStanza("kms", "arn", "arn:aws:kms:us-east-1:111122223333:key/k", "aws_profile", "dev", "role", "arn:aws:iam::111122223333:role/r")
	kms.Fields.Children = append(kms.Fields.Children, ctx)
	for _, s := range []metadata.Stanza{
		metadata.NewStanza("age", "recipient", testRecipient),
		metadata.NewStanza("pgp", "fp", "842D725CEB1D378DAC9F2FA31390070CED3A532E"),
		kms,
		metadata.NewStanza("gcp_kms", "resource_id", "projects/p/locations/l/keyRings/r/cryptoKeys/k"),
		metadata.NewStanza("azure_kv", "vault_url", "https://v.vault.azure.net", "name", "k", "version", "v1"),
		metadata.NewStanza("hc_vault", "vault_address", "https://vault:8200", "engine_path", "transit", "key_name", "k"),
	} {
		k, err := StanzaKey(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Type, err)
		}
		// Through the wire format.
		raw, err := proto.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		k = &pb.Key{}
		if err := proto.Unmarshal(raw, k); err != nil {
			t.Fatal(err)
		}
		back, err := KeyStanza(k)
		if err != nil {
			t.Fatalf("%s: %v", s.Type, err)
		}
		if metadata.StanzaID(back) != metadata.StanzaID(s) || back.Type != s.Type {
			t.Errorf("%s: got %s %q, want %q", s.Type, back.Type, metadata.StanzaID(back), metadata.StanzaID(s))
		}
		for _, f := range s.Fields.Children {
			if f.Kind == formats.Scalar && back.Get(f.Key) != f.Value {
				t.Errorf("%s: field %s = %q, want %q", s.Type, f.Key, back.Get(f.Key), f.Value)
			}
		}
	}
	if _, err := StanzaKey(metadata.NewStanza("hckms", "key_id", "x")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("hckms: %v", err)
	}
	if _, err := KeyStanza(&pb.Key{KeyType: &pb.Key_HckmsKey{HckmsKey: &pb.HckmsKey{KeyId: "x"}}}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("hckms: %v", err)
	}
	if _, err := KeyStanza(&pb.Key{}); err == nil {
		t.Error("a key without a type was accepted")
	}
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *logBuf) all() string  { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.lines, "\n") }

// startServer serves an age identity on a unix socket in a temp dir.
func startServer(t *testing.T, network string) (uri string, log *logBuf) {
	t.Helper()
	ids, err := age.ParseIdentities(strings.NewReader(testIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	log = &logBuf{}
	srv := &Server{
		Identities: ids,
		Recipient: func(k metadata.Stanza) (keysources.Recipient, error) {
			rs, err := age.ParseRecipients(k.Get("recipient"))
			if err != nil {
				return nil, err
			}
			return rs[0], nil
		},
		Log: log.add,
	}
	var l net.Listener
	if network == "unix" {
		p := filepath.Join(t.TempDir(), "ks.sock")
		l, err = net.Listen("unix", p)
		uri = "unix://" + p
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			uri = "tcp://" + l.Addr().String()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, srv) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return uri, log
}

// TestClientServer: hull's client and hull's server, on a unix socket and
// on TCP (loopback): wrap, unwrap, the log, and the failures.
func TestClientServer(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			uri, log := startServer(t, network)
			c := &Client{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
			defer c.Close()
			ctx := context.Background()
			dataKey := bytes.Repeat([]byte{0x5a}, 32)
			key := metadata.NewStanza("age", "recipient", testRecipient)

			st, err := c.Wrap(ctx, []string{uri}, key, dataKey)
			if err != nil {
				t.Fatal(err)
			}
			if st.Type != "age" || st.Get("recipient") != testRecipient || !strings.HasPrefix(st.Get("enc"), "-----BEGIN AGE ENCRYPTED FILE-----") || st.Get("created_at") != "" {
				t.Fatalf("wrapped stanza: %+v", st.Fields)
			}
			got, err := c.Unwrap(ctx, []string{uri}, st)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, dataKey) {
				t.Fatal("unwrapped a different key")
			}

			// A service that is down is skipped; its failure is reported
			// only when no service answers.
			down := "unix://" + filepath.Join(t.TempDir(), "down.sock")
			if got, err := c.Unwrap(ctx, []string{down, uri}, st); err != nil || !bytes.Equal(got, dataKey) {
				t.Fatalf("down then up: %v", err)
			}
			_, err = c.Unwrap(ctx, []string{down}, st)
			var se *ServiceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "key service "+down+": cannot connect: ") {
				t.Fatalf("down: %v", err)
			}

			// A key the service does not hold.
			other, err := age.ParseRecipients(otherRecipient)
			if err != nil {
				t.Fatal(err)
			}
			ost, err := other[0].Wrap(dataKey)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Unwrap(ctx, []string{uri}, ost)
			if err == nil || !strings.Contains(err.Error(), "key service "+uri+": this key service holds no identity for the key (age key "+otherRecipient+")") {
				t.Fatalf("other key: %v", err)
			}
			// A tampered ciphertext.
			bad := metadata.Stanza{Type: st.Type, Fields: st.Fields.Clone()}
			bad.Set("enc", "not age")
			if _, err := c.Unwrap(ctx, []string{uri}, bad); err == nil {
				t.Fatal("a malformed enc was unwrapped")
			}

			logged := log.all()
			for _, want := range []string{
				"encrypt age key " + testRecipient + ": ok",
				"decrypt age key " + testRecipient + ": ok",
				"decrypt age key " + otherRecipient + ": failed: this key service holds no identity for the key",
			} {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
			for _, secret := range []string{"AGE-SECRET-KEY", "BEGIN AGE", "ZZZZ", "WlpaWl", string(dataKey)} {
				if strings.Contains(logged, secret) {
					t.Errorf("log holds key material (%q):\n%s", secret, logged)
				}
			}
		})
	}
}

// TestServerRejects: requests without a key, and keys hull does not run,
// answer NotFound as sops's server does.
func TestServerRejects(t *testing.T) {
	s := &Server{}
	for _, k := range []*pb.Key{nil, {}, {KeyType: &pb.Key_HckmsKey{HckmsKey: &pb.HckmsKey{KeyId: "x"}}}} {
		_, err := s.Decrypt(context.Background(), &pb.DecryptRequest{Key: k})
		if status.Code(err) != codes.NotFound {
			t.Errorf("decrypt %v: %v", k, err)
		}
		_, err = s.Encrypt(context.Background(), &pb.EncryptRequest{Key: k})
		if status.Code(err) != codes.NotFound {
			t.Errorf("encrypt %v: %v", k, err)
		}
	}
	// --prompt: a refusal is PermissionDenied, and nothing is unwrapped.
	s.Confirm = func(op, key string) (bool, error) { return false, nil }
	_, err := s.Decrypt(context.Background(), &pb.DecryptRequest{Key: &pb.Key{KeyType: &pb.Key_AgeKey{AgeKey: &pb.AgeKey{Recipient: testRecipient}}}})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("refused: %v", err)
	}
}

func TestParseURI(t *testing.T) {
	for _, c := range []struct{ uri, network, addr, err string }{
		{"unix:///tmp/ks.sock", "unix", "/tmp/ks.sock", ""},
		{"tcp://127.0.0.1:5000", "tcp", "127.0.0.1:5000", ""},
		{"tcp6://[::1]:5000", "tcp6", "[::1]:5000", ""},
		{"unix://", "", "", "no socket path"},
		{"tcp://", "", "", "no host:port"},
		{"http://h:1", "", "", `unknown scheme "http"`},
	} {
		n, a, err := ParseURI(c.uri)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.uri, err, c.err)
			}
			continue
		}
		if err != nil || n != c.network || a != c.addr {
			t.Errorf("%s: %s %s %v", c.uri, n, a, err)
		}
	}
}

// TestWireNames: the service and its methods have sops's names (no
// protobuf package), which the gRPC paths carry.
func TestWireNames(t *testing.T) {
	if pb.KeyService_Encrypt_FullMethodName != "/KeyService/Encrypt" || pb.KeyService_Decrypt_FullMethodName != "/KeyService/Decrypt" {
		t.Errorf("methods %s %s", pb.KeyService_Encrypt_FullMethodName, pb.KeyService_Decrypt_FullMethodName)
	}
	if n := (&pb.Key{}).ProtoReflect().Descriptor().FullName(); n != "Key" {
		t.Errorf("message Key is %s", n)
	}
}
