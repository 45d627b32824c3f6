// Package vaulttest is an in-process HashiCorp Vault transit engine for
// tests: Vault's real HTTP wire protocol on loopback.
package vaulttest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Server is an in-process Vault transit engine (and KV engines, kv.go) on loopback: the real
// wire protocol (POST /v1/<mount>/encrypt|decrypt/<key>, X-Vault-Token,
// {"data": …} answers, {"errors": […]} failures), AES-256-GCM inside and
// "vault:v1:" ciphertexts.
type Server struct {
	// Srv is the HTTP server; Srv.URL is the Vault address.
	Srv *httptest.Server
	// Token is the only token accepted.
	Token string
	mount string
	mu    sync.Mutex
	keys  map[string]cipher.AEAD
	// Requests counts the requests received, Conns the TCP connections.
	Requests atomic.Int64
	Conns    atomic.Int64
	// Fail makes the next Fail requests answer FailCode.
	Fail     atomic.Int64
	FailCode int
	// KV engines (kv.go): version by mount, secrets by path below /v1/.
	kv      map[string]int
	secrets map[string]map[string]any
	// KVWrites counts the secrets written.
	KVWrites atomic.Int64
}

// New starts a transit engine mounted at mount with the named AES keys,
// on a loopback port; it stops when the test ends.
func New(t testing.TB, mount string, keys ...string) *Server {
	t.Helper()
	v := &Server{Token: "hvs.test-" + randHex(), mount: mount, keys: map[string]cipher.AEAD{}}
	for _, k := range keys {
		key := make([]byte, 32)
		rand.Read(key)
		b, _ := aes.NewCipher(key)
		v.keys[k], _ = cipher.NewGCM(b)
	}
	v.Srv = httptest.NewUnstartedServer(http.HandlerFunc(v.serve))
	v.Srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			v.Conns.Add(1)
		}
	}
	v.Srv.Start()
	t.Cleanup(v.Srv.Close)
	return v
}

func randHex() string {
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func (v *Server) errorf(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string][]string{"errors": {msg}})
}

func (v *Server) serve(w http.ResponseWriter, r *http.Request) {
	v.Requests.Add(1)
	if v.Fail.Load() > 0 {
		v.Fail.Add(-1)
		v.errorf(w, v.FailCode, "internal error")
		return
	}
	if v.serveKV(w, r) {
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		v.errorf(w, 405, "unsupported operation")
		return
	}
	if r.Header.Get("X-Vault-Token") != v.Token {
		v.errorf(w, 403, "permission denied")
		return
	}
	prefix := "/v1/" + v.mount + "/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	op, name, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		v.errorf(w, 404, "no handler for route")
		return
	}
	v.mu.Lock()
	aead := v.keys[name]
	v.mu.Unlock()
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		v.errorf(w, 400, "failed to parse JSON input")
		return
	}
	reply := func(data map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": data})
	}
	switch op {
	case "encrypt":
		if aead == nil {
			v.errorf(w, 400, "encryption key not found")
			return
		}
		pt, err := base64.StdEncoding.DecodeString(in["plaintext"])
		if err != nil {
			v.errorf(w, 400, "failed to base64-decode plaintext")
			return
		}
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		ct := aead.Seal(nonce, nonce, pt, nil)
		reply(map[string]string{"ciphertext": "vault:v1:" + base64.StdEncoding.EncodeToString(ct), "key_version": "1"})
	case "decrypt":
		if aead == nil {
			v.errorf(w, 400, "encryption key not found")
			return
		}
		b64, ok := strings.CutPrefix(in["ciphertext"], "vault:v1:")
		ct, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(ct) < aead.NonceSize() {
			v.errorf(w, 400, "invalid ciphertext: no prefix")
			return
		}
		pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
		if err != nil {
			v.errorf(w, 400, "cipher: message authentication failed")
			return
		}
		reply(map[string]string{"plaintext": base64.StdEncoding.EncodeToString(pt)})
	default:
		v.errorf(w, 404, "no handler for route")
	}
}

// URI is the key URI of a key.
func (v *Server) URI(name string) string { return v.Srv.URL + "/v1/" + v.mount + "/keys/" + name }
