package companion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	agelib "filippo.io/age"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/metadata"
)

// The tests run the protocol between two processes: this test binary is
// also the companion (TestMain, with HULL_COMPANION_TEST set), serving a
// "kms" backend that wraps with age instead of AWS, so that the pipe,
// the handshake, concurrency, errors and cancellation are tested without
// a network. The real key sources run through the companion in cmd/hull's
// tests.

const testVersion = "1.2.3-test"

func TestMain(m *testing.M) {
	switch os.Getenv("HULL_COMPANION_TEST") {
	case "":
		os.Exit(m.Run())
	case "serve":
		if err := Serve(os.Stdin, os.Stdout, envOr("HULL_COMPANION_TEST_VERSION", testVersion), testBackends()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "upload":
		up := dirUploader(os.Getenv("HULL_COMPANION_TEST_DIR"))
		if err := ServeUploads(os.Stdin, os.Stdout, testVersion, testBackends(), nil, up); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "upload1":
		// A hull-kms that takes the upload request only.
		fmt.Printf(`{"protocol":1,"hull_kms":%q,"types":["kms"]}`+"\n", testVersion)
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	case "protocol2":
		io.ReadAll(io.LimitReader(os.Stdin, 10))
		fmt.Println(`{"protocol":2,"hull_kms":"9.0.0"}`)
		os.Exit(0)
	case "silent":
		os.Exit(0)
	case "hang":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// The age key of the test backend (a fixed test key).
const testAgeKey = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"

type ageKMS struct{ key cloudkey.KMSKey }

func (r ageKMS) Type() string   { return "kms" }
func (r ageKMS) String() string { return r.key.String() }
func (r ageKMS) Wrap(dk []byte) (metadata.Stanza, error) {
	if strings.Contains(r.key.ARN, "denied") {
		return metadata.Stanza{}, &keysources.KeyError{Type: "kms", Key: r.key.ARN, Op: "wrap", Class: keysources.ErrAccessDenied, Err: errors.New("injected")}
	}
	id, _ := agelib.ParseX25519Identity(testAgeKey)
	var buf bytes.Buffer
	w, _ := agelib.Encrypt(&buf, id.Recipient())
	w.Write(dk)
	w.Close()
	s := metadata.NewStanza("kms", "arn", r.key.ARN, "aws_profile", r.key.Profile)
	if len(r.key.Context) > 0 {
		c := formats.NewMapping()
		c.Key = "context"
		for k, v := range r.key.Context {
			c.Children = append(c.Children, formats.NewString(k, v))
		}
		s.Fields.Children = append(s.Fields.Children, c)
	}
	s.Set("enc", fmt.Sprintf("%x", buf.Bytes()))
	return s, nil
}

type ageKMSIdentity struct{}

func (ageKMSIdentity) UnwrapContext(ctx context.Context, s metadata.Stanza) ([]byte, error) {
	arn := s.Get("arn")
	switch {
	case strings.Contains(arn, "slow"):
		<-ctx.Done()
		return nil, ctx.Err()
	case strings.Contains(arn, "crash"):
		os.Exit(3)
	case strings.Contains(arn, "other"):
		return nil, keysources.ErrIncorrectIdentity
	case strings.Contains(arn, "plain"):
		return nil, errors.New("plain failure")
	}
	if c := s.Fields.Get("context"); c == nil || c.Kind != formats.Mapping || len(c.Children) != 1 || c.Children[0].Value != "v" {
		return nil, errors.New("the context did not cross the pipe")
	}
	var ct []byte
	fmt.Sscanf(s.Get("enc"), "%x", &ct)
	id, _ := agelib.ParseX25519Identity(testAgeKey)
	r, err := agelib.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return nil, &keysources.KeyError{Type: "kms", Key: arn, Op: "unwrap", Class: keysources.ErrInvalidCiphertext, Err: err}
	}
	return io.ReadAll(r)
}

func (i ageKMSIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	return i.UnwrapContext(context.Background(), s)
}

func testBackends() map[string]Backend {
	return map[string]Backend{"kms": {
		Recipient: func(key []byte) (keysources.Recipient, error) {
			var k cloudkey.KMSKey
			if err := json.Unmarshal(key, &k); err != nil {
				return nil, err
			}
			return ageKMS{k}, nil
		},
		Identity: ageKMSIdentity{},
	}}
}

// testClient runs this binary as the companion in mode.
func testClient(t *testing.T, mode, version string, env ...string) *Client {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := New(Config{
		Find:    func() (string, error) { return exe, nil },
		Env:     append(append(os.Environ(), "HULL_COMPANION_TEST="+mode), env...),
		Version: version,
		Hint:    "; see the test",
		Stderr:  os.Stderr,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

const arn = "arn:aws:kms:eu-west-1:123456789012:key/abc"

func TestRoundTripConcurrent(t *testing.T) {
	c := testClient(t, "serve", testVersion)
	rs, err := c.ParseKMS(arn+","+arn+"+arn:aws:iam::1:role/r", map[string]string{"k": "v"}, "prof")
	if err != nil || len(rs) != 2 {
		t.Fatal(rs, err)
	}
	if got := rs[1].String(); got != arn+"+arn:aws:iam::1:role/r|k:v|prof" {
		t.Errorf("String = %q", got)
	}
	if c.Started() {
		t.Fatal("parsing started the companion")
	}
	ids := c.Identities()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dk := bytes.Repeat([]byte{byte(i)}, 32)
			s, err := rs[i%2].Wrap(dk)
			if err != nil {
				t.Error(err)
				return
			}
			if s.Type != "kms" || s.Get("arn") != arn || s.Get("aws_profile") != "prof" {
				t.Errorf("stanza %+v", s)
			}
			var got []byte
			for _, id := range ids {
				got, err = id.Unwrap(s)
				if !errors.Is(err, keysources.ErrIncorrectIdentity) {
					break
				}
			}
			if err != nil || !bytes.Equal(got, dk) {
				t.Errorf("unwrap: %x, %v", got, err)
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestErrors(t *testing.T) {
	c := testClient(t, "serve", testVersion)
	// Other types are not this identity's: nothing starts.
	gcp := c.Identities()[1]
	if _, err := gcp.Unwrap(metadata.NewStanza("age", "recipient", "x")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("age stanza: %v", err)
	}
	if c.Started() {
		t.Fatal("an age stanza started the companion")
	}
	r, _ := c.KMSRecipient("arn:aws:kms:eu-west-1:1:key/denied", "", nil, "")
	_, err := r.Wrap(make([]byte, 32))
	var ke *keysources.KeyError
	if !errors.As(err, &ke) || !errors.Is(err, keysources.ErrAccessDenied) ||
		err.Error() != "kms key arn:aws:kms:eu-west-1:1:key/denied: wrap: access denied: injected" {
		t.Errorf("denied: %v", err)
	}
	kms := c.Identities()[0]
	if _, err := kms.Unwrap(metadata.NewStanza("kms", "arn", "arn:aws:kms:eu-west-1:1:key/other")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("other key: %v", err)
	}
	_, err = kms.Unwrap(metadata.NewStanza("kms", "arn", "arn:aws:kms:eu-west-1:1:key/plain"))
	if err == nil || err.Error() != "kms key arn:aws:kms:eu-west-1:1:key/plain: unwrap: plain failure" {
		t.Errorf("plain failure: %v", err)
	}
	// The gcp backend is not in this companion.
	if _, err := gcp.Unwrap(metadata.NewStanza("gcp_kms", "resource_id", "projects/p/locations/l/keyRings/r/cryptoKeys/k")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("gcp stanza: %v", err)
	}
}

func TestCancel(t *testing.T) {
	c := testClient(t, "serve", testVersion)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	id := c.Identities()[0].(*Identity)
	_, err := id.UnwrapContext(ctx, metadata.NewStanza("kms", "arn", "arn:aws:kms:eu-west-1:1:key/slow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow unwrap: %v", err)
	}
	// The session goes on, and Close does not wait for the cancelled call.
	r, _ := c.KMSRecipient(arn, "", map[string]string{"k": "v"}, "")
	s, err := r.Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := id.Unwrap(s); err != nil {
		t.Error(err)
	}
}

func TestCompanionExits(t *testing.T) {
	c := testClient(t, "serve", testVersion)
	id := c.Identities()[0]
	_, err := id.Unwrap(metadata.NewStanza("kms", "arn", "arn:aws:kms:eu-west-1:1:key/crash"))
	if err == nil || !strings.Contains(err.Error(), "hull-kms exited") {
		t.Errorf("crash: %v", err)
	}
	if _, err := id.Unwrap(metadata.NewStanza("kms", "arn", arn)); err == nil {
		t.Error("a call after the crash succeeded")
	}
}

func TestNotInstalled(t *testing.T) {
	c := New(Config{Find: func() (string, error) { return "", errors.New(`"hull-kms" not found next to hull or in PATH`) }, Hint: "; install it"})
	r, _ := c.ParseGCPKMS("projects/p/locations/l/keyRings/r/cryptoKeys/k")
	_, err := r[0].Wrap(make([]byte, 32))
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "gcp_kms key projects/p/locations/l/keyRings/r/cryptoKeys/k: wrap: hull-kms is not installed") ||
		!strings.HasSuffix(err.Error(), "; install it") {
		t.Errorf("not installed: %v", err)
	}
	c = New(Config{Find: func() (string, error) { return "/nonexistent/hull-kms", nil }})
	if _, err := c.Identities()[0].Unwrap(metadata.NewStanza("kms", "arn", arn)); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("missing file: %v", err)
	}
}

func TestMismatch(t *testing.T) {
	for _, c := range []struct {
		name, mode string
		env        []string
		want       string
	}{
		{"version", "serve", []string{"HULL_COMPANION_TEST_VERSION=1.0.0"}, "is hull-kms 1.0.0 (protocol 1), this hull is " + testVersion + " (protocol 1)"},
		{"protocol", "protocol2", nil, "is hull-kms 9.0.0 (protocol 2), this hull is " + testVersion + " (protocol 1)"},
		{"not a companion", "silent", nil, "did not answer the handshake"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := testClient(t, c.mode, testVersion, c.env...)
			_, err := cl.Identities()[0].Unwrap(metadata.NewStanza("kms", "arn", arn))
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	// A program that never answers: an error after HandshakeTimeout.
	defer func(d time.Duration) { HandshakeTimeout = d }(HandshakeTimeout)
	HandshakeTimeout = 200 * time.Millisecond
	cl := testClient(t, "hang", testVersion)
	if _, err := cl.Identities()[0].Unwrap(metadata.NewStanza("kms", "arn", arn)); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "did not answer the handshake within 200ms") {
		t.Errorf("hang: %v", err)
	}
	// Without a version, any companion of the protocol will do.
	cl = testClient(t, "serve", "", "HULL_COMPANION_TEST_VERSION=1.0.0")
	r, _ := cl.KMSRecipient(arn, "", nil, "")
	if _, err := r.Wrap(make([]byte, 32)); err != nil {
		t.Error(err)
	}
}

// TestWireStanza: fields, nested mappings and empty values cross the wire
// in order.
func TestWireStanza(t *testing.T) {
	s := metadata.NewStanza("kms", "arn", "a", "aws_profile", "")
	c := formats.NewMapping()
	c.Key = "context"
	c.Children = append(c.Children, formats.NewString("b", "2"), formats.NewString("a", "1"))
	s.Fields.Children = append(s.Fields.Children, c, formats.NewMapping())
	s.Fields.Children[3].Key = "empty"
	b, _ := json.Marshal(stanzaToWire(s))
	var w wireStanza
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	got := stanzaFromWire(&w)
	b2, _ := json.Marshal(stanzaToWire(got))
	if !bytes.Equal(b, b2) || got.Fields.Get("context").Children[0].Key != "b" || got.Fields.Get("empty").Kind != formats.Mapping {
		t.Errorf("%s\n%s", b, b2)
	}
}
