package localkeys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	agelib "filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/hullsecrets/hull/internal/agetest"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

var dataKey = bytes.Repeat([]byte{7}, 32)

func lookupOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// opens reports whether one of ids unwraps a stanza for recipient.
func opens(t *testing.T, ids []keysources.Identity, recipient string) bool {
	t.Helper()
	rs, err := age.ParseRecipients(recipient)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rs[0].Wrap(dataKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if k, err := id.Unwrap(st); err == nil && bytes.Equal(k, dataKey) {
			return true
		}
	}
	return false
}

func newAge(t *testing.T) (*agelib.X25519Identity, string) {
	id, err := agelib.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id, id.String() + "\n"
}

func write(t *testing.T, p, s string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func sshKey(t *testing.T) (pemText string, recipient string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agessh.NewEd25519Recipient(sp); err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func load(t *testing.T, env map[string]string) *Set {
	t.Helper()
	s, err := Load(context.Background(), Env{Lookup: lookupOf(env), CommandEnv: []string{"PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func TestEachSource(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	inline, inlineText := newAge(t)
	file, fileText := newAge(t)
	cmdID, cmdText := newAge(t)
	def, defText := newAge(t)
	sshPEM, sshRecipient := sshKey(t)
	sshCmdPEM, sshCmdRecipient := sshKey(t)
	homePEM, homeRecipient := sshKey(t)

	env := map[string]string{
		"HOME":                          home,
		"SOPS_AGE_KEY":                  inlineText,
		"SOPS_AGE_KEY_FILE":             write(t, filepath.Join(dir, "file.txt"), fileText, 0o600),
		"SOPS_AGE_KEY_CMD":              "cat '" + write(t, filepath.Join(dir, "cmd key.txt"), cmdText, 0o600) + "'",
		"SOPS_AGE_SSH_PRIVATE_KEY_FILE": write(t, filepath.Join(dir, "ssh"), sshPEM, 0o600),
		"SOPS_AGE_SSH_PRIVATE_KEY_CMD":  "cat " + write(t, filepath.Join(dir, "sshcmd"), sshCmdPEM, 0o600),
	}
	write(t, filepath.Join(home, ".config", "sops", "age", "keys.txt"), defText, 0o600)
	write(t, filepath.Join(home, ".ssh", "id_ed25519"), homePEM, 0o600)
	s := load(t, env)
	for name, r := range map[string]string{
		"SOPS_AGE_KEY": inline.Recipient().String(), "SOPS_AGE_KEY_FILE": file.Recipient().String(),
		"SOPS_AGE_KEY_CMD": cmdID.Recipient().String(), "keys.txt": def.Recipient().String(),
		"SOPS_AGE_SSH_PRIVATE_KEY_FILE": sshRecipient, "SOPS_AGE_SSH_PRIVATE_KEY_CMD": sshCmdRecipient,
		"~/.ssh/id_ed25519": homeRecipient,
	} {
		if !opens(t, s.Identities, r) {
			t.Errorf("%s: no identity opens a stanza for its recipient", name)
		}
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings for 0600 files: %q", s.Warnings)
	}
	want := []string{"SOPS_AGE_SSH_PRIVATE_KEY_FILE=", "SOPS_AGE_SSH_PRIVATE_KEY_CMD", "id_ed25519", "id_rsa", "SOPS_AGE_KEY",
		"SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY_CMD", "keys.txt", "gpg (GNUPGHOME=gpg's default)"}
	if len(s.Searched) != len(want) {
		t.Fatalf("searched %q, want %d places", s.Searched, len(want))
	}
	for i, w := range want {
		if !strings.Contains(s.Searched[i], w) {
			t.Errorf("searched[%d] = %q, want it to name %s", i, s.Searched[i], w)
		}
	}

	// XDG_CONFIG_HOME moves the default keys.txt: the one under HOME is
	// no longer read.
	s = load(t, map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(dir, "xdg")})
	if opens(t, s.Identities, def.Recipient().String()) {
		t.Error("XDG_CONFIG_HOME set: ~/.config/sops/age/keys.txt was read")
	}
	if got := DefaultAgeKeyFile(lookupOf(map[string]string{"HOME": "/h"}), "darwin"); got != "/h/Library/Application Support/sops/age/keys.txt" {
		t.Errorf("darwin default = %q", got)
	}
}

func TestNamedSourcesMustWork(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, filepath.Join(dir, "bad.txt"), "not a key\n", 0o600)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(dir, "missing")}, "age identity file " + filepath.Join(dir, "missing") + " not found"},
		{map[string]string{"SOPS_AGE_KEY_FILE": bad}, bad},
		{map[string]string{"SOPS_AGE_KEY": "AGE-SECRET-KEY-1NOPE"}, "SOPS_AGE_KEY"},
		{map[string]string{"SOPS_AGE_KEY_CMD": "false"}, "SOPS_AGE_KEY_CMD failed: exit status 1"},
		{map[string]string{"SOPS_AGE_KEY_CMD": "cat 'unterminated"}, "SOPS_AGE_KEY_CMD cannot be split into words"},
		{map[string]string{"SOPS_AGE_KEY_CMD": "cat " + bad}, "the output of SOPS_AGE_KEY_CMD"},
		{map[string]string{"SOPS_AGE_SSH_PRIVATE_KEY_CMD": "cat " + bad}, "SOPS_AGE_SSH_PRIVATE_KEY_CMD"},
		{map[string]string{"SOPS_AGE_SSH_PRIVATE_KEY_FILE": filepath.Join(dir, "nossh")}, "SSH key " + filepath.Join(dir, "nossh")},
		{map[string]string{"HULL_PGP_KEY_FILE": filepath.Join(dir, "nopgp")}, "pgp key file " + filepath.Join(dir, "nopgp") + " not found"},
	} {
		_, err := Load(context.Background(), Env{Lookup: lookupOf(tc.env), CommandEnv: []string{"PATH=" + os.Getenv("PATH")}})
		if !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want ErrSource naming %q", tc.env, err, tc.want)
		}
	}
	// Default places that are absent or unusable are skipped.
	home := filepath.Join(dir, "home")
	write(t, filepath.Join(home, ".ssh", "id_rsa"), "not a key\n", 0o600)
	s := load(t, map[string]string{"HOME": home})
	if len(s.Identities) != 1 { // gpg only
		t.Errorf("identities = %d, want gpg's only", len(s.Identities))
	}
}

func TestPermissions(t *testing.T) {
	dir := t.TempDir()
	_, text := newAge(t)
	p := write(t, filepath.Join(dir, "k.txt"), text, 0o644)
	s := load(t, map[string]string{"SOPS_AGE_KEY_FILE": p})
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "chmod 600 "+p) {
		t.Errorf("warnings = %q", s.Warnings)
	}
	_, err := Load(context.Background(), Env{Lookup: lookupOf(map[string]string{"SOPS_AGE_KEY_FILE": p, "HULL_STRICT_PERMS": "1"})})
	if !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), "HULL_STRICT_PERMS") {
		t.Errorf("strict: err = %v", err)
	}
}

// A passphrase-protected identity file asks through the UI it is given,
// when it is first needed, and only then.
func TestPassphraseIdentity(t *testing.T) {
	dir := t.TempDir()
	id, text := newAge(t)
	p := write(t, filepath.Join(dir, "protected.age"), string(agetest.Protect(t, "correct horse", []byte(text), true)), 0o600)
	user := &agetest.User{Answer: "correct horse"}
	s, err := Load(context.Background(), Env{Lookup: lookupOf(map[string]string{"SOPS_AGE_KEY_FILE": p}), Age: age.Options{UI: user.UI()}})
	if err != nil {
		t.Fatal(err)
	}
	if user.Asked() != 0 {
		t.Fatal("asked for the passphrase before it was needed")
	}
	if !opens(t, s.Identities, id.Recipient().String()) || !opens(t, s.Identities, id.Recipient().String()) {
		t.Fatal("the protected identity does not open its stanza")
	}
	if q := user.Questions(); len(q) != 1 || !q[0].Secret || q[0].Name != "" || !strings.Contains(q[0].Prompt, p) {
		t.Errorf("questions %+v, want one for %s", q, p)
	}
	// Without a UI it fails, saying so, instead of hanging.
	s = load(t, map[string]string{"SOPS_AGE_KEY_FILE": p})
	if opens(t, s.Identities, id.Recipient().String()) {
		t.Error("opened without a passphrase")
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string]string{
		`a b`: "a|b", `'a b' c`: "a b|c", `"a \"b\"" c\ d`: `a "b"|c d`, `  x  `: "x", `a''b`: "ab",
	} {
		got, err := SplitWords(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`'a`, `"a`} {
		if _, err := SplitWords(in); err == nil {
			t.Errorf("SplitWords(%q): no error", in)
		}
	}
}

func TestNoIdentityError(t *testing.T) {
	cause := errors.New("no key could decrypt")
	err := error(&NoIdentityError{File: "s.yaml", Err: cause, Searched: []string{"SOPS_AGE_KEY", "/home/u/keys.txt"}})
	if !errors.Is(err, cause) || err.Error() != "s.yaml: no key could decrypt\nno age identity was found; hull looked in: SOPS_AGE_KEY, /home/u/keys.txt" {
		t.Errorf("NoIdentityError: %v", err)
	}
}
