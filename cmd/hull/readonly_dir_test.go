//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInPlaceReadOnlyDir: encrypt -i, set and edit rewrite a writable file
// whose directory is not writable (hull cannot create its temporary file
// there), as sops does, in place. The commands run as an unprivileged user:
// as root the test drops privileges to nobody (root could write the
// directory anyway), otherwise it runs as the current user.
func TestInPlaceReadOnlyDir(t *testing.T) {
	t.Parallel()
	hullExe, err := exec.LookPath("hull") // installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "hull-rodir-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		os.RemoveAll(base)
	})
	asRoot := os.Getuid() == 0
	uid, gid := os.Getuid(), os.Getgid()
	if asRoot {
		uid, gid = 65534, 65534 // nobody
	}
	// Everything the unprivileged user needs: the binaries, a home, the key.
	bin := filepath.Join(base, "bin")
	home := filepath.Join(base, "home")
	ro := filepath.Join(base, "ro")
	for _, d := range []string{bin, home, ro} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hull", "fake-editor"} {
		copyFile(t, hullExe, filepath.Join(bin, name), 0o755)
	}
	key, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "keys", "age1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(home, "key.txt"):  string(key),
		filepath.Join(ro, "plain.yaml"): "password: hunter2\nport: 5432\n",
		filepath.Join(ro, "app.yaml"):   "token: t0k3n\n",
	}
	for p, content := range files {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + "/usr/bin:/bin",
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"SOPS_AGE_KEY_FILE=" + filepath.Join(home, "key.txt"),
		"SOPS_AGE_RECIPIENTS=age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m",
		"EDITOR=fake-editor", "TMPDIR=" + home, goraceEnv(),
	}
	run := func(stdin string, extraEnv []string, args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(bin, "hull"), args...)
		cmd.Dir, cmd.Env = ro, append(append([]string(nil), env...), extraEnv...)
		cmd.Stdin = strings.NewReader(stdin)
		if asRoot {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The directory: read and search only, for everyone.
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	// Check that the user really cannot create a file there.
	if out, err := run("", nil, "encrypt", "--output", "new.yaml", "plain.yaml"); err == nil {
		t.Fatalf("the directory is writable for uid %d, the test proves nothing:\n%s", uid, out)
	} else if errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot run a process as uid %d here: %v", uid, err)
	}

	if out, err := run("", nil, "encrypt", "-i", "plain.yaml"); err != nil {
		t.Fatalf("encrypt -i: %v\n%s", err, out)
	}
	if out, err := run("", nil, "encrypt", "-i", "app.yaml"); err != nil {
		t.Fatalf("encrypt -i: %v\n%s", err, out)
	}
	if out, err := run("", nil, "set", "plain.yaml", `["port"]`, "6543"); err != nil {
		t.Fatalf("set: %v\n%s", err, out)
	}
	if out, err := run("", []string{"FAKE_EDITOR_FROM=token: t0k3n", "FAKE_EDITOR_TO=token: n3w"}, "edit", "app.yaml"); err != nil {
		t.Fatalf("edit: %v\n%s", err, out)
	}
	for name, want := range map[string][]string{
		"plain.yaml": {"password: hunter2", "port: 6543"},
		"app.yaml":   {"token: n3w"},
	} {
		raw, err := os.ReadFile(filepath.Join(ro, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("hunter2")) || bytes.Contains(raw, []byte("n3w")) || !bytes.Contains(raw, []byte("ENC[AES256_GCM,")) {
			t.Fatalf("%s is not encrypted:\n%s", name, raw)
		}
		out, err := run("", nil, "decrypt", name)
		if err != nil {
			t.Fatalf("decrypt %s: %v\n%s", name, err, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s decrypts to %q, want %q in it", name, out, w)
			}
		}
		fi, err := os.Stat(filepath.Join(ro, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600 kept", name, fi.Mode().Perm(), err)
		}
	}
	ents, err := os.ReadDir(ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("the directory holds %d entries, want the 2 files: %v", len(ents), ents)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
