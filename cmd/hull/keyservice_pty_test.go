//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hullsecrets/hull/internal/ptytest"
)

// keyserviceOnPTY starts hull keyservice on a unix socket in dir, on a
// pseudo-terminal of its own, and waits until it listens.
func keyserviceOnPTY(t *testing.T, dir string, env []string) (srv *ptytest.Run, sock string) {
	t.Helper()
	sock = filepath.Join(dir, "ks.sock")
	srv = startOnPTY(t, env, "keyservice", "--network", "unix", "--address", sock)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return srv, sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key service does not listen; stderr %q", srv.Stderr.String())
		}
	}
}

// decryptResult is what hull decrypt through a key service printed.
type decryptResult struct {
	out string
	err error
}

// decryptThrough runs hull decrypt of enc with the key service at sock
// only, in the background.
func decryptThrough(env []string, sock, enc string) <-chan decryptResult {
	done := make(chan decryptResult, 1)
	go func() {
		c := exec.Command("hull", "decrypt", "--keyservice", "unix://"+sock, "--enable-local-keyservice=false", enc)
		c.Env = append(os.Environ(), env...)
		out, err := c.Output()
		done <- decryptResult{string(out), err}
	}()
	return done
}

// hull keyservice with a passphrase-protected identity file asks for the
// passphrase on its own terminal when a request first needs it, once, and
// serves the client.
func TestKeyservicePassphraseOnPTY(t *testing.T) {
	dir := t.TempDir()
	env, keyFile, enc := protectedFixture(t, dir)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY_FILE="+keyFile))
	done := decryptThrough(env, sock, enc)
	srv.Answer(t, fmt.Sprintf("[KEYSERVICE] Enter passphrase for identity '%s':", keyFile), "correct horse")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("decrypt through the key service: %q, %v; terminal %q", r.out, r.err, srv.Screen.String())
	}
	if r := <-decryptThrough(env, sock, enc); r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("second decrypt: %q, %v", r.out, r.err)
	}
	if n := srv.Screen.Count("Enter passphrase"); n != 1 {
		t.Errorf("asked %d times: %q", n, srv.Screen.String())
	}
	if strings.Contains(srv.Screen.String(), "correct horse") {
		t.Errorf("the passphrase was echoed: %q", srv.Screen.String())
	}
	srv.Cmd.Process.Signal(syscall.SIGINT)
	if code := srv.Wait(t); code != 0 {
		t.Errorf("the key service exited %d; stderr %q", code, srv.Stderr.String())
	}
}

// TestKeyserviceWrongPassphraseOnPTY: a wrong passphrase typed at the key
// service fails only that request, with an error to the client that says
// why and names no secret; the next request asks again, and once the
// right passphrase is typed it is kept for the server's lifetime.
func TestKeyserviceWrongPassphraseOnPTY(t *testing.T) {
	dir := t.TempDir()
	env, keyFile, enc := protectedFixture(t, dir)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY_FILE="+keyFile))
	prompt := fmt.Sprintf("[KEYSERVICE] Enter passphrase for identity '%s':", keyFile)
	for n, wrong := range []string{"battery staple", "Tr0ub4dor"} {
		done := decryptThrough(env, sock, enc)
		srv.Screen.WaitFor(t, prompt, n+1)
		srv.Type(t, wrong)
		r := <-done
		var ee *exec.ExitError
		if !errors.As(r.err, &ee) || r.out != "" {
			t.Fatalf("wrong passphrase %d: decrypt gave %q, %v", n+1, r.out, r.err)
		}
		msg := string(ee.Stderr)
		if !strings.Contains(msg, "passphrase-protected age identity file "+keyFile+": incorrect passphrase") {
			t.Errorf("wrong passphrase %d: the client's error does not say why: %q", n+1, msg)
		}
		for _, secret := range []string{wrong, "AGE-SECRET-KEY", "correct horse"} {
			if strings.Contains(msg, secret) {
				t.Errorf("wrong passphrase %d: %q in the client's error %q", n+1, secret, msg)
			}
		}
	}
	done := decryptThrough(env, sock, enc)
	srv.Screen.WaitFor(t, prompt, 3)
	srv.Type(t, "correct horse")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("right passphrase: %q, %v; terminal %q", r.out, r.err, srv.Screen.String())
	}
	if r := <-decryptThrough(env, sock, enc); r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("after the right passphrase: %q, %v", r.out, r.err)
	}
	if n := srv.Screen.Count("Enter passphrase"); n != 3 {
		t.Errorf("asked %d times, want 3 (two wrong, one right, then kept): %q", n, srv.Screen.String())
	}
	srv.Cmd.Process.Signal(syscall.SIGINT)
	if code := srv.Wait(t); code != 0 {
		t.Errorf("the key service exited %d; stderr %q", code, srv.Stderr.String())
	}
	// The server's log is read once it has exited (its buffer is written
	// by exec's copier while it runs).
	for _, secret := range []string{"battery staple", "Tr0ub4dor", "AGE-SECRET-KEY", "correct horse"} {
		if strings.Contains(srv.Stderr.String(), secret) {
			t.Errorf("%q in the server's log", secret)
		}
	}
}

// TestKeyserviceConfirmOnPTY: an age plugin's confirmation, asked by the
// key service on its terminal as hull asks it (type 1 or 2, as age).
func TestKeyserviceConfirmOnPTY(t *testing.T) {
	dir := t.TempDir()
	env, id, enc := pluginFixture(t, dir, "confirm")
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY="+id))
	const question = `[KEYSERVICE] age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no") `
	done := decryptThrough(env, sock, enc)
	srv.Screen.WaitFor(t, question)
	srv.Type(t, "1")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("confirmed: %q, %v; terminal %q", r.out, r.err, srv.Screen.String())
	}
	done = decryptThrough(env, sock, enc)
	srv.Screen.WaitFor(t, question, 2)
	srv.Type(t, "2")
	if r := <-done; r.err == nil {
		t.Fatalf("declined, and decrypted: %q", r.out)
	}
	// Declining fails that request only: the next one asks again.
	done = decryptThrough(env, sock, enc)
	srv.Screen.WaitFor(t, question, 3)
	srv.Type(t, "1")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("confirmed after a decline: %q, %v; terminal %q", r.out, r.err, srv.Screen.String())
	}
}

// TestKeyserviceInterruptedOnPTY: Ctrl-C at the key service's passphrase
// prompt ends it by SIGINT with echo on again; the client's request fails.
func TestKeyserviceInterruptedOnPTY(t *testing.T) {
	dir := t.TempDir()
	env, keyFile, enc := protectedFixture(t, dir)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY_FILE="+keyFile))
	done := decryptThrough(env, sock, enc)
	interrupt(t, srv, "[KEYSERVICE] Enter passphrase for identity")
	if r := <-done; r.err == nil {
		t.Errorf("decrypted through a key service that died: %q", r.out)
	}
}
