//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	agelib "filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/sys/unix"

	"github.com/hullsecrets/hull/keysources/age"
)

// openPTY returns a new pseudo-terminal: the master side, read and written
// by the test as the user, and the terminal itself.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// screen collects what hull writes on the terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the terminal shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows %q", want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type ptyRun struct {
	screen         *screen
	master         *os.File
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

// startOnPTY starts hull (the test binary, which testscript.Main put on
// PATH as "hull") in a new session whose controlling terminal is a
// pseudo-terminal. Its standard input, output and error are not the
// terminal: the passphrase must be read from /dev/tty.
func startOnPTY(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	return startProgOnPTY(t, "hull", append(os.Environ(), env...), args...)
}

// startProgOnPTY is startOnPTY for any program, with the whole environment.
func startProgOnPTY(t *testing.T, prog string, env []string, args ...string) *ptyRun {
	t.Helper()
	master, tty := openPTY(t)
	r := &ptyRun{screen: &screen{}, master: master}
	r.cmd = exec.Command(prog, args...)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	r.cmd.ExtraFiles = []*os.File{tty} // fd 3
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 3}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	go func() {
		b := make([]byte, 1024)
		for {
			n, err := master.Read(b)
			r.screen.mu.Lock()
			r.screen.buf.Write(b[:n])
			r.screen.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	return r
}

// answer waits for prompt and types line.
func (r *ptyRun) answer(t *testing.T, prompt, line string) {
	t.Helper()
	r.ready(t, prompt)
	if _, err := r.master.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
}

// ready waits, as a person would before typing, for the prompt and for
// hull to turn echo off for a secret.
func (r *ptyRun) ready(t *testing.T, prompt string) {
	t.Helper()
	r.screen.waitFor(t, prompt)
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(r.master.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("echo is still on after the prompt %q", prompt)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wait returns hull's exit code.
func (r *ptyRun) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		t.Fatalf("hull did not exit; terminal: %q, stderr: %q", r.screen.String(), r.stderr.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

// ptyFixture writes a plaintext file and returns its path.
func ptyFixture(t *testing.T, dir string) (plain string) {
	plain = filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(plain, []byte("token: t0k3n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return plain
}

// ptyEncryptTo encrypts plain for recipient with hull and returns the path.
func ptyEncryptTo(t *testing.T, env []string, plain, recipient string) string {
	t.Helper()
	c := exec.Command("hull", "encrypt", "--age", recipient, plain)
	c.Env = append(os.Environ(), env...)
	out, err := c.Output()
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	p := plain + ".enc.yaml"
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// protectedKeyFile writes the age identity content to dir/protected.txt,
// encrypted with passphrase as age -p -a writes it, and returns its path.
func protectedKeyFile(t *testing.T, dir, passphrase string, content []byte) string {
	t.Helper()
	sr, err := agelib.NewScryptRecipient(passphrase)
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
	p := filepath.Join(dir, "protected.txt")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolated is an environment without the user's identities.
func isolated(dir string) []string {
	return []string{"HOME=" + filepath.Join(dir, "home"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"SOPS_AGE_KEY=", "SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY_CMD=", "SOPS_AGE_SSH_PRIVATE_KEY_FILE=", "GNUPGHOME=" + filepath.Join(dir, "gnupg"), goraceEnv()}
}

func TestPassphraseIdentityFileOnPTY(t *testing.T) {
	dir := t.TempDir()
	env := isolated(dir)
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// As age -p -a writes it.
	sr, err := agelib.NewScryptRecipient("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(12)
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
	env = append(env, "SOPS_AGE_KEY_FILE="+keyFile)
	prompt := fmt.Sprintf("Enter passphrase for identity '%s':", keyFile)

	t.Run("right", func(t *testing.T) {
		r := startOnPTY(t, env, "decrypt", enc)
		r.answer(t, prompt, "correct horse")
		if code := r.wait(t); code != 0 || r.stdout.String() != "token: t0k3n\n" || r.stderr.Len() != 0 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.stdout.String(), r.stderr.String())
		}
		if strings.Contains(r.screen.String(), "correct horse") {
			t.Errorf("the passphrase was echoed: %q", r.screen.String())
		}
	})
	t.Run("two files", func(t *testing.T) {
		// Identities are loaded once per file; the passphrase is asked once.
		r := startOnPTY(t, env, "decrypt", enc, enc)
		r.answer(t, prompt, "correct horse")
		if code := r.wait(t); code != 0 || r.stdout.String() != "token: t0k3n\n---\ntoken: t0k3n\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.stdout.String(), r.stderr.String())
		}
		if n := strings.Count(r.screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.screen.String())
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		// Ctrl-C at the prompt: hull dies of SIGINT, and echo is on again.
		r := startOnPTY(t, env, "decrypt", enc)
		r.ready(t, prompt)
		if _, err := r.master.Write([]byte{3}); err != nil {
			t.Fatal(err)
		}
		r.wait(t)
		ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT || r.stdout.Len() != 0 {
			t.Fatalf("state %v, stdout %q, stderr %q", r.cmd.ProcessState, r.stdout.String(), r.stderr.String())
		}
		tio, err := unix.IoctlGetTermios(int(r.master.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			t.Error("echo is still off after Ctrl-C")
		}
	})
	t.Run("wrong", func(t *testing.T) {
		r := startOnPTY(t, env, "decrypt", enc)
		r.answer(t, prompt, "wrong horse")
		code := r.wait(t)
		if code != exitCouldNotRetrieveKey || !strings.Contains(r.stderr.String(), "passphrase-protected age identity file "+keyFile+": incorrect passphrase") ||
			!strings.Contains(r.stderr.String(), "hint: run the command again to retype the passphrase") || r.stdout.Len() != 0 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.stdout.String(), r.stderr.String())
		}
		if n := strings.Count(r.screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.screen.String())
		}
	})
}

// TestPassphraseSopsExitCodes: with a wrong passphrase, and with no
// terminal, hull exits as the reference sops does (.tools/bin/sops,
// installed by make tools; skipped without it). GNUPGHOME points to an
// empty directory, so sops finds no gpg-agent and asks on the terminal.
func TestPassphraseSopsExitCodes(t *testing.T) {
	sops, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin", "sops"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sops); err != nil {
		t.Skip("no reference sops in .tools/bin (make tools)")
	}
	dir := t.TempDir()
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sr, _ := agelib.NewScryptRecipient("right")
	sr.SetWorkFactor(12)
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
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOPS_") && !strings.HasPrefix(kv, "HULL_") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "GNUPGHOME="+filepath.Join(dir, "gnupg"))
	enc := ptyEncryptTo(t, nil, ptyFixture(t, dir), recipient)
	env = append(env, "SOPS_AGE_KEY_FILE="+keyFile)
	for _, prog := range []string{sops, "hull"} {
		// A wrong passphrase.
		r := startProgOnPTY(t, prog, env, "decrypt", enc)
		r.screen.waitFor(t, "Enter passphrase")
		r.master.Write([]byte("wrong\r"))
		if code := r.wait(t); code != exitCouldNotRetrieveKey {
			t.Errorf("%s, wrong passphrase: exit %d, stderr %q", filepath.Base(prog), code, r.stderr.String())
		}
		// No terminal.
		nt := exec.Command(prog, "decrypt", enc)
		nt.Env = env
		nt.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		err := nt.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitCouldNotRetrieveKey {
			t.Errorf("%s, no terminal: %v", filepath.Base(prog), err)
		}
	}
}

func TestPassphraseSSHKeyOnPTY(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen")
	}
	dir := t.TempDir()
	env := isolated(dir)
	sshDir := filepath.Join(dir, "home", ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(sshDir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "ssh pass", "-C", "test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), f[0]+" "+f[1])
	prompt := fmt.Sprintf("Enter passphrase for %q:", key)

	t.Run("right", func(t *testing.T) {
		// The default ~/.ssh/id_ed25519, found without any variable.
		r := startOnPTY(t, env, "decrypt", enc)
		r.answer(t, prompt, "ssh pass")
		if code := r.wait(t); code != 0 || r.stdout.String() != "token: t0k3n\n" || r.stderr.Len() != 0 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.stdout.String(), r.stderr.String())
		}
		if strings.Contains(r.screen.String(), "ssh pass") {
			t.Errorf("the passphrase was echoed: %q", r.screen.String())
		}
	})
	t.Run("wrong", func(t *testing.T) {
		r := startOnPTY(t, append(env, "SOPS_AGE_SSH_PRIVATE_KEY_FILE="+key), "decrypt", enc)
		r.answer(t, prompt, "not it")
		code := r.wait(t)
		if code != exitCouldNotRetrieveKey || !strings.Contains(r.stderr.String(), "passphrase-protected SSH key "+key+": incorrect passphrase") {
			t.Fatalf("exit %d, stderr %q", code, r.stderr.String())
		}
		// The key is also the default ~/.ssh/id_ed25519: asked once.
		if n := strings.Count(r.screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.screen.String())
		}
	})
}

// TestAgePluginOnPTY: a plugin's PIN request and message reach the
// terminal, not stdout or stderr.
func TestAgePluginOnPTY(t *testing.T) {
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	id, recipient, err := agePluginKeys(p, "4321")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(isolated(dir), "PATH="+filepath.Dir(p)+string(os.PathListSeparator)+os.Getenv("PATH"))
	enc := ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
	env = append(env, "SOPS_AGE_KEY="+id)

	r := startOnPTY(t, env, "decrypt", enc)
	r.answer(t, "age-plugin-hulltest: Enter the hulltest PIN:", "4321")
	if code := r.wait(t); code != 0 || r.stdout.String() != "token: t0k3n\n" || r.stderr.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, r.stdout.String(), r.stderr.String())
	}
	r.screen.waitFor(t, "age-plugin-hulltest: unwrapping with the hulltest key")
	if strings.Contains(r.screen.String(), "4321") {
		t.Errorf("the PIN was echoed: %q", r.screen.String())
	}

	r = startOnPTY(t, env, "decrypt", enc)
	r.answer(t, "age-plugin-hulltest: Enter the hulltest PIN:", "0000")
	if code := r.wait(t); code != exitCouldNotRetrieveKey || !strings.Contains(r.stderr.String(), "hulltest plugin: incorrect PIN") {
		t.Fatalf("exit %d, stderr %q", code, r.stderr.String())
	}
}

// TestAgePluginQuestionsOnPTY: a plugin's confirmation and its request for
// a value that is not secret (shown as typed).
func TestAgePluginQuestionsOnPTY(t *testing.T) {
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(isolated(dir), "PATH="+filepath.Dir(p)+string(os.PathListSeparator)+os.Getenv("PATH"))
	plain := ptyFixture(t, dir)
	for _, c := range []struct {
		pin, prompt, typed, err string
	}{
		{"confirm", `age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no")`, "1", ""},
		{"confirm", `age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no")`, "2", "hulltest plugin: declined"},
		{"public:SN-77", "age-plugin-hulltest: Enter the hulltest serial:", "SN-77", ""},
		{"public:SN-77", "age-plugin-hulltest: Enter the hulltest serial:", "SN-78", "hulltest plugin: wrong serial"},
	} {
		id, recipient, err := agePluginKeys(p, c.pin)
		if err != nil {
			t.Fatal(err)
		}
		enc := ptyEncryptTo(t, env, plain, recipient)
		r := startOnPTY(t, append(env, "SOPS_AGE_KEY="+id), "decrypt", enc)
		r.screen.waitFor(t, c.prompt)
		if _, err := r.master.Write([]byte(c.typed + "\r")); err != nil {
			t.Fatal(err)
		}
		code := r.wait(t)
		if c.err == "" && (code != 0 || r.stdout.String() != "token: t0k3n\n") ||
			c.err != "" && (code != exitCouldNotRetrieveKey || !strings.Contains(r.stderr.String(), c.err)) {
			t.Errorf("%s, typed %s: exit %d, stdout %q, stderr %q", c.pin, c.typed, code, r.stdout.String(), r.stderr.String())
		}
		if strings.HasPrefix(c.pin, "public:") {
			r.screen.waitFor(t, c.prompt+" "+c.typed) // echoed: not a secret
		}
	}
}
