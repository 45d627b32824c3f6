//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hullsecrets/hull/internal/agetest"
	"github.com/hullsecrets/hull/internal/ptytest"
	"github.com/hullsecrets/hull/keysources/age"
)

// startOnPTY starts hull (the test binary, which testscript.Main put on
// PATH as "hull") on a pseudo-terminal of its own, with env added to the
// test's environment. Its standard input, output and error are not the
// terminal: a passphrase must be read from /dev/tty.
func startOnPTY(t *testing.T, env []string, args ...string) *ptytest.Run {
	t.Helper()
	return ptytest.Start(t, "hull", append(os.Environ(), env...), args...)
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
	p := filepath.Join(dir, "protected.txt")
	if err := os.WriteFile(p, agetest.Protect(t, passphrase, content, true), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolated is an environment without the user's identities.
func isolated(dir string) []string {
	return []string{"HOME=" + filepath.Join(dir, "home"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"SOPS_AGE_KEY=", "SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY_CMD=", "SOPS_AGE_SSH_PRIVATE_KEY_FILE=", "GNUPGHOME=" + filepath.Join(dir, "gnupg"), goraceEnv()}
}

// protectedFixture is an isolated environment, an identity file in dir
// protected with the passphrase "correct horse" (not named in env), and
// the fixture encrypted for it.
func protectedFixture(t *testing.T, dir string) (env []string, keyFile, enc string) {
	t.Helper()
	env = isolated(dir)
	content, recipient, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyFile = protectedKeyFile(t, dir, "correct horse", content)
	return env, keyFile, ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
}

// pluginFixture is an isolated environment with the test age plugin in
// PATH, a key of the plugin (with pin), and the fixture encrypted for it.
func pluginFixture(t *testing.T, dir, pin string) (env []string, id, enc string) {
	t.Helper()
	p, err := buildAgePlugin()
	if err != nil {
		t.Fatal(err)
	}
	id, recipient, err := agePluginKeys(p, pin)
	if err != nil {
		t.Fatal(err)
	}
	env = append(isolated(dir), "PATH="+filepath.Dir(p)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return env, id, ptyEncryptTo(t, env, ptyFixture(t, dir), recipient)
}

// decryptsOnPTY: hull decrypt of enc asks prompt, and once typed is typed
// prints the fixture, with nothing on stderr and typed not echoed.
func decryptsOnPTY(t *testing.T, env []string, enc, prompt, typed string) *ptytest.Run {
	t.Helper()
	r := startOnPTY(t, env, "decrypt", enc)
	r.Answer(t, prompt, typed)
	if code := r.Wait(t); code != 0 || r.Stdout.String() != "token: t0k3n\n" || r.Stderr.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, r.Stdout.String(), r.Stderr.String())
	}
	if strings.Contains(r.Screen.String(), typed) {
		t.Errorf("the secret was echoed: %q", r.Screen.String())
	}
	return r
}

// interrupt types Ctrl-C at r's prompt: the program dies of SIGINT, and
// the terminal echoes again.
func interrupt(t *testing.T, r *ptytest.Run, prompt string) {
	t.Helper()
	r.Ready(t, prompt)
	if _, err := r.Master.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	r.Wait(t)
	if !r.Signaled(syscall.SIGINT) || r.Stdout.Len() != 0 {
		t.Fatalf("state %v, stdout %q, stderr %q", r.Cmd.ProcessState, r.Stdout.String(), r.Stderr.String())
	}
	if !ptytest.Echo(t, r.Master) {
		t.Error("echo is still off after Ctrl-C")
	}
}

func TestPassphraseIdentityFileOnPTY(t *testing.T) {
	env, keyFile, enc := protectedFixture(t, t.TempDir())
	env = append(env, "SOPS_AGE_KEY_FILE="+keyFile)
	prompt := fmt.Sprintf("Enter passphrase for identity '%s':", keyFile)

	t.Run("right", func(t *testing.T) { decryptsOnPTY(t, env, enc, prompt, "correct horse") })
	t.Run("two files", func(t *testing.T) {
		// Identities are loaded once per file; the passphrase is asked once.
		r := startOnPTY(t, env, "decrypt", enc, enc)
		r.Answer(t, prompt, "correct horse")
		if code := r.Wait(t); code != 0 || r.Stdout.String() != "token: t0k3n\n---\ntoken: t0k3n\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.Stdout.String(), r.Stderr.String())
		}
		if n := strings.Count(r.Screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.Screen.String())
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		// Ctrl-C at the prompt: hull dies of SIGINT, and echo is on again.
		interrupt(t, startOnPTY(t, env, "decrypt", enc), prompt)
	})
	t.Run("wrong", func(t *testing.T) {
		r := startOnPTY(t, env, "decrypt", enc)
		r.Answer(t, prompt, "wrong horse")
		code := r.Wait(t)
		if code != exitCouldNotRetrieveKey || !strings.Contains(r.Stderr.String(), "passphrase-protected age identity file "+keyFile+": incorrect passphrase") ||
			!strings.Contains(r.Stderr.String(), "hint: run the command again to retype the passphrase") || r.Stdout.Len() != 0 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, r.Stdout.String(), r.Stderr.String())
		}
		if n := strings.Count(r.Screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.Screen.String())
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
	keyFile := protectedKeyFile(t, dir, "right", content)
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
		r := ptytest.Start(t, prog, env, "decrypt", enc)
		r.Screen.WaitFor(t, "Enter passphrase")
		r.Type(t, "wrong")
		if code := r.Wait(t); code != exitCouldNotRetrieveKey {
			t.Errorf("%s, wrong passphrase: exit %d, stderr %q", filepath.Base(prog), code, r.Stderr.String())
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
		decryptsOnPTY(t, env, enc, prompt, "ssh pass")
	})
	t.Run("wrong", func(t *testing.T) {
		r := startOnPTY(t, append(env, "SOPS_AGE_SSH_PRIVATE_KEY_FILE="+key), "decrypt", enc)
		r.Answer(t, prompt, "not it")
		code := r.Wait(t)
		if code != exitCouldNotRetrieveKey || !strings.Contains(r.Stderr.String(), "passphrase-protected SSH key "+key+": incorrect passphrase") {
			t.Fatalf("exit %d, stderr %q", code, r.Stderr.String())
		}
		// The key is also the default ~/.ssh/id_ed25519: asked once.
		if n := strings.Count(r.Screen.String(), "Enter passphrase"); n != 1 {
			t.Errorf("asked %d times: %q", n, r.Screen.String())
		}
	})
}

// TestAgePluginOnPTY: a plugin's PIN request and message reach the
// terminal, not stdout or stderr.
func TestAgePluginOnPTY(t *testing.T) {
	env, id, enc := pluginFixture(t, t.TempDir(), "4321")
	env = append(env, "SOPS_AGE_KEY="+id)
	r := decryptsOnPTY(t, env, enc, "age-plugin-hulltest: Enter the hulltest PIN:", "4321")
	r.Screen.WaitFor(t, "age-plugin-hulltest: unwrapping with the hulltest key")

	r = startOnPTY(t, env, "decrypt", enc)
	r.Answer(t, "age-plugin-hulltest: Enter the hulltest PIN:", "0000")
	if code := r.Wait(t); code != exitCouldNotRetrieveKey || !strings.Contains(r.Stderr.String(), "hulltest plugin: incorrect PIN") {
		t.Fatalf("exit %d, stderr %q", code, r.Stderr.String())
	}
}

// TestAgePluginQuestionsOnPTY: a plugin's confirmation and its request for
// a value that is not secret (shown as typed).
func TestAgePluginQuestionsOnPTY(t *testing.T) {
	for _, c := range []struct {
		pin, prompt, typed, err string
	}{
		{"confirm", `age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no")`, "1", ""},
		{"confirm", `age-plugin-hulltest: Use the hulltest key? (type 1 for "yes" or 2 for "no")`, "2", "hulltest plugin: declined"},
		{"public:SN-77", "age-plugin-hulltest: Enter the hulltest serial:", "SN-77", ""},
		{"public:SN-77", "age-plugin-hulltest: Enter the hulltest serial:", "SN-78", "hulltest plugin: wrong serial"},
	} {
		env, id, enc := pluginFixture(t, t.TempDir(), c.pin)
		r := startOnPTY(t, append(env, "SOPS_AGE_KEY="+id), "decrypt", enc)
		r.Screen.WaitFor(t, c.prompt)
		r.Type(t, c.typed)
		code := r.Wait(t)
		if c.err == "" && (code != 0 || r.Stdout.String() != "token: t0k3n\n") ||
			c.err != "" && (code != exitCouldNotRetrieveKey || !strings.Contains(r.Stderr.String(), c.err)) {
			t.Errorf("%s, typed %s: exit %d, stdout %q, stderr %q", c.pin, c.typed, code, r.Stdout.String(), r.Stderr.String())
		}
		if strings.HasPrefix(c.pin, "public:") {
			r.Screen.WaitFor(t, c.prompt+" "+c.typed) // echoed: not a secret
		}
	}
}
