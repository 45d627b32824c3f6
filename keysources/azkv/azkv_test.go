package azkv_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/hullsecrets/hull/internal/testservers"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/azkv"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/metadata"
)

const (
	token    = testservers.AzureToken
	resource = testservers.AzureResource
)

// fakeVault is the Key Vault fake of internal/testservers.
type fakeVault = testservers.AzureKeyVault

func newVault(t *testing.T) *fakeVault { return testservers.NewAzureKeyVault(t) }

type testCred = testservers.AzureCredential

func options(f *fakeVault, cred azcore.TokenCredential) azkv.Options {
	return azkv.Options{
		Credential:                           cred,
		HTTPClient:                           f.Srv.Client(),
		DisableChallengeResourceVerification: true, // the vault is 127.0.0.1
		Timeout:                              10 * time.Second,
	}
}

func recipient(t *testing.T, u string, o azkv.Options) keysources.Recipient {
	t.Helper()
	rs, err := azkv.ParseRecipients(u, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d recipients", len(rs))
	}
	return rs[0]
}

func TestConformance(t *testing.T) {
	f := newVault(t)
	cred := &testCred{}
	o := options(f, cred)
	id := azkv.NewIdentity(o)
	for name, u := range map[string]string{"version": f.URL() + "/keys/k1/0001", "latest": f.URL() + "/keys/k1"} {
		t.Run(name, func(t *testing.T) {
			keysourcetest.Run(t, keysourcetest.Fixture{
				Recipient: recipient(t, u, o),
				Identity:  id,
				Other:     id.Only(f.URL() + "/keys/k2"),
				Parse:     func(s string) ([]keysources.Recipient, error) { return azkv.ParseRecipients(s, o) },
				Secrets:   []string{token},
			})
		})
	}
	for _, s := range cred.Scopes() {
		if s != resource+"/.default" {
			t.Errorf("token asked for scope %q", s)
		}
	}
	if f.Challenges.Load() == 0 || len(cred.Scopes()) == 0 {
		t.Errorf("%d challenges, %d token requests", f.Challenges.Load(), len(cred.Scopes()))
	}
}

func TestStanzaLayout(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	o.Now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -3600)) }
	s, err := recipient(t, f.URL()+"/keys/k1/0001", o).Wrap(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Fields.Children {
		names = append(names, c.Key)
	}
	if got := strings.Join(names, ","); got != "vault_url,name,version,created_at,enc" {
		t.Errorf("fields %s", got)
	}
	if s.Type != "azure_kv" || s.Get("vault_url") != f.URL() || s.Get("name") != "k1" || s.Get("version") != "0001" || s.Get("created_at") != "2024-01-02T04:04:05Z" {
		t.Errorf("stanza %s %+v", s.Type, s.Fields)
	}
	enc := s.Get("enc")
	ct, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(ct) != 256 || strings.ContainsAny(enc, "+/=") {
		t.Errorf("enc is not unpadded base64url of a 2048-bit RSA ciphertext: %d bytes, %v", len(ct), err)
	}
	// It is RSA-OAEP-256 of the data key under that version.
	pt, err := rsa.DecryptOAEP(sha256.New(), nil, f.PrivateKey("k1", "0001"), ct, nil)
	if err != nil || !bytes.Equal(pt, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("not RSA-OAEP-256 of the data key: %v", err)
	}
	if got, want := metadata.StanzaID(s), f.URL()+"/keys/k1/0001"; got != want {
		t.Errorf("StanzaID %q, want %q", got, want)
	}
	if strings.Join(f.Log, ",") != "POST /keys/k1/0001/encrypt" {
		t.Errorf("calls: %v", f.Log)
	}
}

// TestLatestVersion: a URL without a version wraps with the latest one,
// looked up once, and records it.
func TestLatestVersion(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	for _, u := range []string{f.URL() + "/keys/k1", f.URL() + "/keys/k1/"} {
		r := recipient(t, u, o)
		if r.String() != f.URL()+"/keys/k1/" {
			t.Errorf("String() = %q", r)
		}
		f.Log = nil
		for range 2 {
			s, err := r.Wrap(make([]byte, 32))
			if err != nil {
				t.Fatal(err)
			}
			if s.Get("version") != "0002" {
				t.Errorf("version %q, want the latest, 0002", s.Get("version"))
			}
		}
		if got := strings.Join(f.Log, ","); got != "GET /keys/k1/,POST /keys/k1/0002/encrypt,POST /keys/k1/0002/encrypt" {
			t.Errorf("calls: %s", got)
		}
	}
}

// TestWrapKeyFallback: an identity allowed only wrapKey and unwrapKey (the
// "Key Vault Crypto Service Encryption User" role) still wraps and
// unwraps, and the result is the same RSA-OAEP-256 ciphertext: what Wrap
// Key produced, Decrypt opens, and the other way round.
func TestWrapKeyFallback(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	u := f.URL() + "/keys/k1/0001"
	f.Deny = map[string]bool{"encrypt": true, "decrypt": true}
	s, err := recipient(t, u, o).Wrap(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	got, err := azkv.NewIdentity(o).Unwrap(s)
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{3}, 32)) {
		t.Fatalf("Unwrap with unwrapKey only: %x %v", got, err)
	}
	if got := strings.Join(f.Log, ","); !strings.Contains(got, "/wrapkey") || !strings.Contains(got, "/unwrapkey") {
		t.Errorf("calls: %s", got)
	}
	// Wrapped with Wrap Key, unwrapped with Decrypt.
	f.Deny = map[string]bool{"unwrapkey": true}
	if got, err := azkv.NewIdentity(o).Unwrap(s); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{3}, 32)) {
		t.Fatalf("Decrypt of a Wrap Key ciphertext: %x %v", got, err)
	}
	// Wrapped with Encrypt, unwrapped with Unwrap Key.
	f.Deny = map[string]bool{"wrapkey": true}
	s, err = recipient(t, u, o).Wrap(bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f.Deny = map[string]bool{"decrypt": true}
	if got, err := azkv.NewIdentity(o).Unwrap(s); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{4}, 32)) {
		t.Fatalf("Unwrap Key of an Encrypt ciphertext: %x %v", got, err)
	}
	// Nothing allowed: access denied, with Key Vault's message.
	f.Deny = map[string]bool{"decrypt": true, "unwrapkey": true, "encrypt": true, "wrapkey": true}
	_, err = azkv.NewIdentity(o).Unwrap(s)
	checkClass(t, err, keysources.ErrAccessDenied, u)
	if !strings.Contains(err.Error(), "does not have keys decrypt permission") {
		t.Errorf("error %q lacks the service's message", err)
	}
	_, err = recipient(t, u, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrAccessDenied, u)
}

func TestKeyNotFound(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	_, err := recipient(t, f.URL()+"/keys/nope", o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrKeyNotFound, f.URL()+"/keys/nope/")
	_, err = recipient(t, f.URL()+"/keys/k1/9999", o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrKeyNotFound, f.URL()+"/keys/k1/9999")
	s, err := recipient(t, f.URL()+"/keys/k1/0001", o).Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s.Set("name", "gone")
	_, err = azkv.NewIdentity(o).Unwrap(s)
	checkClass(t, err, keysources.ErrKeyNotFound, f.URL()+"/keys/gone/0001")
}

func TestStatusClasses(t *testing.T) {
	for _, c := range []struct {
		status   int
		class    error
		attempts int32
	}{
		{401, keysources.ErrNoCredentials, 1},
		{403, keysources.ErrAccessDenied, 2}, // Encrypt, then Wrap Key
		{429, keysources.ErrThrottled, 2},
		{503, keysources.ErrUnreachable, 2},
	} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			f := newVault(t)
			o := options(f, &testCred{})
			o.MaxAttempts = 2
			u := f.URL() + "/keys/k1/0001"
			f.Status = c.status
			_, err := recipient(t, u, o).Wrap(make([]byte, 32))
			checkClass(t, err, c.class, u)
			if n := f.Calls.Load(); n != c.attempts {
				t.Errorf("%d authenticated calls, want %d", n, c.attempts)
			}
		})
	}
}

func TestInvalidCiphertext(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	s, err := recipient(t, f.URL()+"/keys/k1/0001", o).Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s.Set("version", "0002") // another key pair
	_, err = azkv.NewIdentity(o).Unwrap(s)
	checkClass(t, err, keysources.ErrInvalidCiphertext, f.URL()+"/keys/k1/0002")
}

func TestNoCredentials(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{Err: errors.New("no managed identity endpoint")})
	u := f.URL() + "/keys/k1/0001"
	_, err := recipient(t, u, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrNoCredentials, u)
	if f.Calls.Load() != 0 {
		t.Errorf("%d authenticated calls", f.Calls.Load())
	}
}

func TestUnreachable(t *testing.T) {
	f := newVault(t)
	o := options(f, &testCred{})
	u := f.URL() + "/keys/k1/0001"
	f.Srv.Close()
	o.MaxAttempts = 2
	start := time.Now()
	_, err := recipient(t, u, o).Wrap(make([]byte, 32))
	checkClass(t, err, keysources.ErrUnreachable, u)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestChallengeVerification: with the SDK's check on (the default), a
// server whose challenge names a resource outside its own domain gets no
// token: a file cannot send a Key Vault token to another host (B6).
func TestChallengeVerification(t *testing.T) {
	f := newVault(t)
	cred := &testCred{}
	o := options(f, cred)
	o.DisableChallengeResourceVerification = false
	u := f.URL() + "/keys/k1/0001"
	_, err := recipient(t, u, o).Wrap(make([]byte, 32))
	if err == nil {
		t.Fatal("wrapped through a server with a foreign challenge resource")
	}
	checkClass(t, err, keysources.ErrEndpointNotAllowed, u)
	if len(cred.Scopes()) != 0 || f.Calls.Load() != 0 {
		t.Errorf("%d token requests, %d authenticated calls", len(cred.Scopes()), f.Calls.Load())
	}
}

func TestParseRecipients(t *testing.T) {
	rs, err := azkv.ParseRecipients(" https://v.vault.azure.net/keys/a/1 ,, https://v.vault.azure.net/keys/b ,", azkv.Options{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("ParseRecipients = %v, %v", rs, err)
	}
	if rs[0].String() != "https://v.vault.azure.net/keys/a/1" || rs[1].String() != "https://v.vault.azure.net/keys/b/" {
		t.Errorf("Strings %q %q", rs[0], rs[1])
	}
	for _, bad := range []string{
		"http://v.vault.azure.net/keys/a/1",
		"https://v.vault.azure.net/secrets/a/1",
		"https://v.vault.azure.net/keys/a/1/2",
		"https://v.vault.azure.net/keys/",
		"v.vault.azure.net/keys/a",
	} {
		if _, err := azkv.ParseRecipients("https://v.vault.azure.net/keys/a,"+bad, azkv.Options{}); err == nil || !strings.Contains(err.Error(), "key 2") {
			t.Errorf("ParseRecipients(%q): %v", bad, err)
		}
	}
}

// TestLazy: nothing of the SDK is set up by parsing, by making an
// identity, or by unwrapping stanzas of other types.
func TestLazy(t *testing.T) {
	before := azkv.ClientsCreated()
	if _, err := azkv.ParseRecipients("https://v.vault.azure.net/keys/a/1", azkv.Options{}); err != nil {
		t.Fatal(err)
	}
	id := azkv.NewIdentity(azkv.Options{})
	if _, err := id.Unwrap(metadata.NewStanza("age", "recipient", "age1x", "enc", "x")); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Fatalf("Unwrap of an age stanza: %v", err)
	}
	if n := azkv.ClientsCreated() - before; n != 0 {
		t.Errorf("%d clients made", n)
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
	if !errors.As(err, &ke) || ke.Type != "azure_kv" || ke.Key != key {
		t.Errorf("error %q does not name azure_kv key %s", err, key)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error shows the token or is a multi-line dump: %q", err)
	}
}
