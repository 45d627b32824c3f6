package vault_test

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull/internal/vaulttest"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/metadata"
)

func opts(v *vaulttest.Server) vault.Options {
	return vault.Options{Token: v.Token, Allowlist: vault.Allowlist{}.With(v.Srv.URL), Backoff: time.Millisecond, Timeout: 5 * time.Second}
}

func newTransit(t *testing.T, mount string, keys ...string) *vaulttest.Server {
	return vaulttest.New(t, mount, keys...)
}

func recipient(t *testing.T, uri string, o vault.Options) *vault.Recipient {
	t.Helper()
	rs, err := vault.ParseRecipients(uri, o)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0].(*vault.Recipient)
}

func TestConformance(t *testing.T) {
	v := newTransit(t, "sops/transit", "k1", "k2")
	o := opts(v)
	r := recipient(t, v.URI("k1"), o)
	k2, _ := vault.ParseKey(v.URI("k2"))
	id := vault.NewIdentity(o)
	keysourcetest.Run(t, keysourcetest.Fixture{
		Recipient: r,
		Identity:  id,
		Other:     id.Only(k2),
		Parse:     func(s string) ([]keysources.Recipient, error) { return vault.ParseRecipients(s, o) },
		Secrets:   []string{v.Token},
	})
}

func TestStanza(t *testing.T) {
	v := newTransit(t, "sops/transit", "k1")
	o := opts(v)
	o.Now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }
	s, err := recipient(t, v.URI("k1"), o).Wrap(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Fields.Children {
		names = append(names, c.Key)
	}
	if got := strings.Join(names, ","); got != "created_at,enc,engine_path,key_name,vault_address" {
		t.Errorf("fields %s", got)
	}
	if s.Get("vault_address") != v.Srv.URL || s.Get("engine_path") != "sops/transit" || s.Get("key_name") != "k1" ||
		s.Get("created_at") != "2024-01-02T03:04:05Z" || !strings.HasPrefix(s.Get("enc"), "vault:v1:") {
		t.Errorf("stanza %v", s.Fields)
	}
	if got := metadata.StanzaID(s); got != v.URI("k1") {
		t.Errorf("StanzaID %q, want %q", got, v.URI("k1"))
	}
}

func TestParseKey(t *testing.T) {
	for _, c := range []struct{ in, addr, engine, name string }{
		{"https://vault.example.com:8200/v1/transit/keys/k", "https://vault.example.com:8200", "transit", "k"},
		{"http://127.0.0.1:8200/v1/sops/team/transit/keys/my-key", "http://127.0.0.1:8200", "sops/team/transit", "my-key"},
		{"https://vault/v1/transit/keys/k/", "https://vault", "transit", "k"},
	} {
		k, err := vault.ParseKey(c.in)
		if err != nil || k.Address != c.addr || k.EnginePath != c.engine || k.Name != c.name {
			t.Errorf("ParseKey(%q) = %+v, %v", c.in, k, err)
		}
	}
	for _, bad := range []string{
		"vault.example.com/v1/transit/keys/k",
		"https://vault/prefix/v1/transit/keys/k",
		"https://vault/v1/transit/k",
		"https://vault/v1/keys/k",
		"https://vault/v2/transit/keys/k",
		"https://user:pw@vault/v1/transit/keys/k",
		"https://vault/v1/transit/keys/k?x=1",
		"https://vault/v1/../keys/k",
		"ftp://vault/v1/transit/keys/k",
	} {
		if k, err := vault.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) = %+v, want an error", bad, k)
		}
	}
	rs, err := vault.ParseRecipients(" https://a/v1/t/keys/x , ,https://b:1/v1/t/keys/y", vault.Options{})
	if err != nil || len(rs) != 2 || rs[1].String() != "https://b:1/v1/t/keys/y" {
		t.Errorf("ParseRecipients: %v %v", rs, err)
	}
}

func TestBadToken(t *testing.T) {
	v := newTransit(t, "transit", "k1")
	s, err := recipient(t, v.URI("k1"), opts(v)).Wrap(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	o := opts(v)
	o.Token = "hvs.wrong-token-value"
	_, err = vault.NewIdentity(o).Unwrap(s)
	if !errors.Is(err, keysources.ErrAccessDenied) {
		t.Fatalf("wrong token: %v, want access denied", err)
	}
	if strings.Contains(err.Error(), o.Token) || strings.Contains(err.Error(), v.Token) {
		t.Errorf("error shows a token: %v", err)
	}
	if !strings.Contains(err.Error(), v.URI("k1")) {
		t.Errorf("error does not name the key: %v", err)
	}
	o.Token = ""
	if _, err = vault.NewIdentity(o).Unwrap(s); !errors.Is(err, keysources.ErrNoCredentials) {
		t.Errorf("no token: %v, want no credentials", err)
	}
}

func TestRetries(t *testing.T) {
	v := newTransit(t, "transit", "k1")
	o := opts(v)
	o.MaxAttempts = 3
	s, err := recipient(t, v.URI("k1"), o).Wrap(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	id := vault.NewIdentity(o)

	// Two failures, then success: retried.
	v.FailCode = 500
	v.Fail.Store(2)
	v.Requests.Store(0)
	if _, err := id.Unwrap(s); err != nil {
		t.Fatalf("after two 500s: %v", err)
	}
	if n := v.Requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	// Always failing: exactly MaxAttempts requests, then unreachable.
	v.Fail.Store(100)
	v.Requests.Store(0)
	_, err = id.Unwrap(s)
	if !errors.Is(err, keysources.ErrUnreachable) {
		t.Errorf("500s: %v, want service unreachable", err)
	}
	if n := v.Requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (bounded retries)", n)
	}

	v.FailCode = 429
	v.Fail.Store(100)
	if _, err = id.Unwrap(s); !errors.Is(err, keysources.ErrThrottled) {
		t.Errorf("429s: %v, want throttled", err)
	}
	v.Fail.Store(0)

	// A missing key is not retried.
	v.Requests.Store(0)
	bad := s
	bad.Fields = s.Fields.Clone()
	bad.Set("key_name", "gone")
	if _, err = id.Unwrap(bad); !errors.Is(err, keysources.ErrKeyNotFound) {
		t.Errorf("missing key: %v, want key not found", err)
	}
	if n := v.Requests.Load(); n != 1 {
		t.Errorf("%d requests for a missing key, want 1", n)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	o := vault.Options{Token: "t", Allowlist: vault.AllowAll(), Backoff: time.Millisecond, Timeout: 2 * time.Second}
	s := metadata.NewStanza("hc_vault", "created_at", "2024-01-02T03:04:05Z", "enc", "vault:v1:AAAA", "engine_path", "transit", "key_name", "k", "vault_address", addr)
	start := time.Now()
	_, err = vault.NewIdentity(o).Unwrap(s)
	if !errors.Is(err, keysources.ErrUnreachable) {
		t.Errorf("closed port: %v, want unreachable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestAllowlist is SECURITY.md row 41: a stanza pointing at a listener
// that is not allowed gets "endpoint not allowed" and no connection.
func TestAllowlist(t *testing.T) {
	v := newTransit(t, "transit", "k1")
	s, err := recipient(t, v.URI("k1"), opts(v)).Wrap(bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	v.Requests.Store(0)
	v.Conns.Store(0)
	for name, al := range map[string]vault.Allowlist{
		"zero":        {},
		"none":        must(vault.ParseAllowlist("none")),
		"other host":  must(vault.ParseAllowlist("https://vault.example.com:8200")),
		"port prefix": vault.Allowlist{}.With("http://127.0.0.1:1"),
	} {
		o := opts(v)
		o.Allowlist = al
		_, err := vault.NewIdentity(o).Unwrap(s)
		if !errors.Is(err, keysources.ErrEndpointNotAllowed) {
			t.Errorf("%s: %v, want endpoint not allowed", name, err)
		}
		if err != nil && strings.Contains(err.Error(), v.Token) {
			t.Errorf("%s: error shows the token", name)
		}
	}
	if n, c := v.Requests.Load(), v.Conns.Load(); n != 0 || c != 0 {
		t.Errorf("%d requests, %d connection events to a refused address", n, c)
	}
	for name, al := range map[string]vault.Allowlist{
		"all":    must(vault.ParseAllowlist("all")),
		"listed": must(vault.ParseAllowlist("https://x.example, " + v.Srv.URL)),
		"slash":  must(vault.ParseAllowlist(v.Srv.URL + "/")),
	} {
		o := opts(v)
		o.Allowlist = al
		if _, err := vault.NewIdentity(o).Unwrap(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := vault.ParseAllowlist("https://a,,https://b"); err == nil {
		t.Error("an empty allowlist entry was accepted")
	}
}

// TestNoRedirect: a redirect is not followed, so the token never reaches
// the other server.
func TestNoRedirect(t *testing.T) {
	v := newTransit(t, "transit", "k1")
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, v.Srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	s, _ := recipient(t, v.URI("k1"), opts(v)).Wrap(bytes.Repeat([]byte{5}, 32))
	s.Set("vault_address", redirector.URL)
	v.Requests.Store(0)
	o := opts(v)
	o.Allowlist = vault.AllowAll()
	if _, err := vault.NewIdentity(o).Unwrap(s); err == nil {
		t.Error("a redirect was followed")
	}
	if n := v.Requests.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func must(a vault.Allowlist, err error) vault.Allowlist {
	if err != nil {
		panic(err)
	}
	return a
}
