package kmsplugin

import (
	"crypto/tls"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/tlstest"
)

// handshake connects a client with cc to a server with sc over loopback
// and returns the errors of both sides.
func handshake(t *testing.T, sc, cc *tls.Config) (server, client error) {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).Handshake()
		if err == nil {
			_, err = c.Write([]byte("ok"))
		}
		done <- err
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), cc)
	if err == nil {
		// TLS 1.3: the server checks the client's certificate after the
		// client's handshake; reading shows its verdict.
		_, err = io.ReadAll(c)
		c.Close()
	}
	return <-done, err
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	if err := tlstest.Write(dir); err != nil {
		t.Fatal(err)
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	sc, err := ServerTLS(env("HULL_KEYSERVICE_CERT", f(tlstest.ServerCert), "HULL_KEYSERVICE_KEY", f(tlstest.ServerKey), "HULL_KEYSERVICE_CLIENT_CA", f(tlstest.CA)))
	if err != nil || sc == nil {
		t.Fatalf("ServerTLS: %v, %v", sc, err)
	}
	client := func(ca, cert, key string) *tls.Config {
		c, err := ClientTLS(env("HULL_KEYSERVICE_CA", f(ca), "HULL_KEYSERVICE_CLIENT_CERT", f(cert), "HULL_KEYSERVICE_CLIENT_KEY", f(key)))
		if err != nil || c == nil {
			t.Fatalf("ClientTLS: %v, %v", c, err)
		}
		c.ServerName = "127.0.0.1"
		return c
	}
	if serr, cerr := handshake(t, sc, client(tlstest.CA, tlstest.ClientCert, tlstest.ClientKey)); serr != nil || cerr != nil {
		t.Fatalf("the right certificates: server %v, client %v", serr, cerr)
	}
	// A client certificate of another CA: the server refuses it.
	if serr, _ := handshake(t, sc, client(tlstest.CA, tlstest.OtherClientCert, tlstest.OtherClientKey)); serr == nil || !strings.Contains(serr.Error(), "certificate") {
		t.Errorf("another CA's client: server %v", serr)
	}
	// No client certificate.
	noCert := &tls.Config{RootCAs: client(tlstest.CA, tlstest.ClientCert, tlstest.ClientKey).RootCAs, ServerName: "127.0.0.1"}
	if serr, _ := handshake(t, sc, noCert); serr == nil {
		t.Error("a client without a certificate was served")
	}
	// A server the client's CA did not sign.
	if _, cerr := handshake(t, sc, client(tlstest.OtherCA, tlstest.ClientCert, tlstest.ClientKey)); cerr == nil || !strings.Contains(cerr.Error(), "unknown authority") {
		t.Errorf("unknown server: client %v", cerr)
	}

	// None set: no TLS. Some set: an error naming the others. Bad files.
	if c, err := ClientTLS(env()); c != nil || err != nil {
		t.Errorf("nothing set: %v, %v", c, err)
	}
	if _, err := ServerTLS(env("HULL_KEYSERVICE_KEY", f(tlstest.ServerKey))); err == nil || !strings.Contains(err.Error(), "HULL_KEYSERVICE_KEY set without HULL_KEYSERVICE_CERT, HULL_KEYSERVICE_CLIENT_CA") {
		t.Errorf("half set: %v", err)
	}
	if _, err := ClientTLS(env("HULL_KEYSERVICE_CA", f(tlstest.ClientKey), "HULL_KEYSERVICE_CLIENT_CERT", f(tlstest.ClientCert), "HULL_KEYSERVICE_CLIENT_KEY", f(tlstest.ClientKey))); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a key as the CA: %v", err)
	}
	if _, err := ClientTLS(env("HULL_KEYSERVICE_CA", f(tlstest.CA), "HULL_KEYSERVICE_CLIENT_CERT", f(tlstest.ClientCert), "HULL_KEYSERVICE_CLIENT_KEY", f(tlstest.ServerKey))); err == nil || !strings.Contains(err.Error(), "not a matching") || strings.Contains(err.Error(), "PRIVATE") {
		t.Errorf("another key: %v", err)
	}
	if _, err := ServerTLS(env("HULL_KEYSERVICE_CERT", f("missing.pem"), "HULL_KEYSERVICE_KEY", f(tlstest.ServerKey), "HULL_KEYSERVICE_CLIENT_CA", f(tlstest.CA))); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("a missing file: %v", err)
	}
}
