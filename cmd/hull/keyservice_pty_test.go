//go:build linux

package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	agelib "filippo.io/age"
	"filippo.io/age/armor"

	"github.com/hullsecrets/hull/keysources/age"
)

// hull keyservice with a passphrase-protected identity file asks for the
// passphrase on its own terminal when a request first needs it, once, and
// serves the client.
func TestKeyservicePassphraseOnPTY(t *testing.T) {
	dir := t.TempDir()
	env := isolated(dir)
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sr, err := agelib.NewScryptRecipient("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(10)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, _ := agelib.Encrypt(aw, sr)
	w.Write(content)
	w.Close()
	aw.Close()
	keyFile := filepath.Join(dir, "protected.txt")
	if err := os.WriteFile(keyFile, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
	sock := filepath.Join(dir, "ks.sock")
	srv := startOnPTY(t, append(env, "SOPS_AGE_KEY_FILE="+keyFile), "keyservice", "--network", "unix", "--address", sock)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key service does not listen; stderr %q", srv.stderr.String())
		}
	}
	decrypt := func() (string, error) {
		c := exec.Command("hull", "decrypt", "--keyservice", "unix://"+sock, "--enable-local-keyservice=false", enc)
		c.Env = append(os.Environ(), env...)
		out, err := c.Output()
		return string(out), err
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() { out, err := decrypt(); done <- result{out, err} }()
	srv.answer(t, fmt.Sprintf("[KEYSERVICE] Enter passphrase for identity '%s':", keyFile), "correct horse")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("decrypt through the key service: %q, %v; terminal %q", r.out, r.err, srv.screen.String())
	}
	if out, err := decrypt(); err != nil || out != "token: t0k3n\n" {
		t.Fatalf("second decrypt: %q, %v", out, err)
	}
	if n := strings.Count(srv.screen.String(), "Enter passphrase"); n != 1 {
		t.Errorf("asked %d times: %q", n, srv.screen.String())
	}
	if strings.Contains(srv.screen.String(), "correct horse") {
		t.Errorf("the passphrase was echoed: %q", srv.screen.String())
	}
	srv.cmd.Process.Signal(syscall.SIGINT)
	if code := srv.wait(t); code != 0 {
		t.Errorf("the key service exited %d; stderr %q", code, srv.stderr.String())
	}
}
