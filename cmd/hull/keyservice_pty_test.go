//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hullsecrets/hull/keysources/age"
)

// keyserviceOnPTY starts hull keyservice on a unix socket in dir, on a
// pseudo-terminal of its own, and waits until it listens.
func keyserviceOnPTY(t *testing.T, dir string, env []string) (srv *ptyRun, sock string) {
	t.Helper()
	sock = filepath.Join(dir, "ks.sock")
	srv = startOnPTY(t, env, "keyservice", "--network", "unix", "--address", sock)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return srv, sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key service does not listen; stderr %q", srv.stderr.String())
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
	env := isolated(dir)
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := protectedKeyFile(t, dir, "correct horse", content)
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY_FILE="+keyFile))
	done := decryptThrough(env, sock, enc)
	srv.answer(t, fmt.Sprintf("[KEYSERVICE] Enter passphrase for identity '%s':", keyFile), "correct horse")
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("decrypt through the key service: %q, %v; terminal %q", r.out, r.err, srv.screen.String())
	}
	if r := <-decryptThrough(env, sock, enc); r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("second decrypt: %q, %v", r.out, r.err)
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

// TestKeyserviceConfirmOnPTY: an age plugin's confirmation, asked by the
// key service on its terminal as hull asks it (type 1 or 2, as age).
func TestKeyserviceConfirmOnPTY(t *testing.T) {
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	id, recipient, err := agePluginKeys(p, "confirm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(isolated(dir), "PATH="+filepath.Dir(p)+string(os.PathListSeparator)+os.Getenv("PATH"))
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY="+id))
	const question = `[KEYSERVICE] age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no") `
	done := decryptThrough(env, sock, enc)
	srv.screen.waitFor(t, question)
	srv.master.Write([]byte("1\r"))
	if r := <-done; r.err != nil || r.out != "token: t0k3n\n" {
		t.Fatalf("confirmed: %q, %v; terminal %q", r.out, r.err, srv.screen.String())
	}
	done = decryptThrough(env, sock, enc)
	for deadline := time.Now().Add(20 * time.Second); strings.Count(srv.screen.String(), question) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not asked again: %q", srv.screen.String())
		}
	}
	srv.master.Write([]byte("2\r"))
	if r := <-done; r.err == nil {
		t.Fatalf("declined, and decrypted: %q", r.out)
	}
}

// TestKeyserviceInterruptedOnPTY: Ctrl-C at the key service's passphrase
// prompt ends it by SIGINT with echo on again.
func TestKeyserviceInterruptedOnPTY(t *testing.T) {
	dir := t.TempDir()
	env := isolated(dir)
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := protectedKeyFile(t, dir, "correct horse", content)
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
	srv, sock := keyserviceOnPTY(t, dir, append(env, "SOPS_AGE_KEY_FILE="+keyFile))
	done := decryptThrough(env, sock, enc)
	srv.ready(t, "[KEYSERVICE] Enter passphrase for identity")
	if _, err := srv.master.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	srv.wait(t)
	ws, ok := srv.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("state %v, stderr %q", srv.cmd.ProcessState, srv.stderr.String())
	}
	tio, err := unix.IoctlGetTermios(int(srv.master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo is still off after Ctrl-C")
	}
	if r := <-done; r.err == nil {
		t.Errorf("decrypted through a key service that died: %q", r.out)
	}
}
