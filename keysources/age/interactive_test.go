package age

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	agelib "filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/hullsecrets/hull/internal/agetest"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
)

// options connect the age key source to u.
func options(u *agetest.User) Options { return Options{UI: u.UI()} }

// passphraseFile returns content encrypted with passphrase, as age -p
// (armored with -a) writes it.
func passphraseFile(t testing.TB, passphrase, content string, armored bool) []byte {
	return agetest.Protect(t, passphrase, []byte(content), armored)
}

func TestPassphraseIdentityFile(t *testing.T) {
	inner, r, secret := newX25519(t)
	other, otherR, _ := newX25519(t)
	content := "# created: 2026-01-01T00:00:00Z\n# public key: " + inner.Recipient() + "\n" + secret + "\n"
	key := bytes.Repeat([]byte{7}, 32)
	mine, err := r.Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	notMine, err := otherR.Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	_ = other

	for _, armored := range []bool{true, false} {
		file := passphraseFile(t, "correct horse", content, armored)
		ui := &agetest.User{Answer: "correct horse"}
		ids, err := ParseIdentitiesWith(bytes.NewReader(file), "keys.txt", options(ui))
		if err != nil {
			t.Fatalf("armored=%v: %v", armored, err)
		}
		if len(ids) != 1 || !ids[0].(*Identity).Interactive() {
			t.Fatalf("armored=%v: %d identities", armored, len(ids))
		}
		id := ids[0]
		if ui.Asked() != 0 {
			t.Fatal("asked for the passphrase before it was needed")
		}
		if s := id.(*Identity).String(); s != "age identity for passphrase-protected identity file keys.txt" {
			t.Errorf("String() = %q", s)
		}
		// Not the recipient: decrypted (asked once), then not addressed.
		if _, err := id.Unwrap(notMine); !errors.Is(err, keysources.ErrIncorrectIdentity) {
			t.Fatalf("armored=%v: other stanza: %v", armored, err)
		}
		got, err := id.Unwrap(mine)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("armored=%v: Unwrap = %x, %v", armored, got, err)
		}
		if q := ui.Questions(); len(q) != 1 || q[0] != (agetest.Question{Prompt: "Enter passphrase for identity 'keys.txt':", Secret: true}) {
			t.Errorf("armored=%v: questions %+v, want one", armored, q)
		}
	}

	file := passphraseFile(t, "correct horse", content, true)

	// A wrong passphrase: ErrIncorrectPassphrase, asked once only.
	ui := &agetest.User{Answer: "wrong"}
	ids, err := ParseIdentitiesWith(bytes.NewReader(file), "keys.txt", options(ui))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := ids[0].Unwrap(mine)
		if !errors.Is(err, ErrIncorrectPassphrase) || err.Error() != "passphrase-protected age identity file keys.txt: incorrect passphrase" {
			t.Fatalf("wrong passphrase: %v", err)
		}
	}
	if ui.Asked() != 1 {
		t.Errorf("asked %d times, want once", ui.Asked())
	}

	// No terminal (the UI cannot ask) and no UI at all.
	noTTY := errors.New("no terminal here")
	ui = &agetest.User{Err: noTTY}
	ids, _ = ParseIdentitiesWith(bytes.NewReader(file), "keys.txt", options(ui))
	if _, err := ids[0].Unwrap(mine); !errors.Is(err, noTTY) || !strings.Contains(err.Error(), "keys.txt: cannot ask for its passphrase: no terminal here") {
		t.Errorf("UI error: %v", err)
	}
	ids, _ = ParseIdentities(bytes.NewReader(file), "keys.txt")
	if _, err := ids[0].Unwrap(mine); err == nil || !strings.Contains(err.Error(), "cannot ask for its passphrase: no terminal to ask on") {
		t.Errorf("no UI: %v", err)
	}

	// An age file encrypted to a recipient is not a protected identity file.
	var buf bytes.Buffer
	w, _ := agelib.Encrypt(&buf, otherR.r)
	w.Write([]byte(content))
	w.Close()
	ui = &agetest.User{Answer: "x"}
	ids, err = ParseIdentitiesWith(&buf, "keys.txt", options(ui))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids[0].Unwrap(mine); err == nil || !strings.Contains(err.Error(), "encrypted to recipients, not with a passphrase") || ui.Asked() != 0 {
		t.Errorf("recipient-encrypted file: %v (asked %d)", err, ui.Asked())
	}

	// Inside, the same rules as a plain identity file.
	ui = &agetest.User{Answer: "p"}
	ids, _ = ParseIdentitiesWith(bytes.NewReader(passphraseFile(t, "p", "hunter2\n", true)), "keys.txt", options(ui))
	if _, err := ids[0].Unwrap(mine); err == nil || err.Error() != "keys.txt: line 1: not an age secret key (AGE-SECRET-KEY-1…)" {
		t.Errorf("bad content: %v", err)
	}
	ids, _ = ParseIdentitiesWith(bytes.NewReader(passphraseFile(t, "p", string(file), false)), "keys.txt", options(ui))
	if _, err := ids[0].Unwrap(mine); err == nil || !strings.Contains(err.Error(), "holds another encrypted file") {
		t.Errorf("nested: %v", err)
	}
}

func TestPassphraseIdentityConformance(t *testing.T) {
	inner, r, secret := newX25519(t)
	other, _, _ := newX25519(t)
	file := passphraseFile(t, "s3cret-passphrase", secret+"\n", true)
	ids, err := ParseIdentitiesWith(bytes.NewReader(file), "keys.txt", options(&agetest.User{Answer: "s3cret-passphrase"}))
	if err != nil {
		t.Fatal(err)
	}
	_ = inner
	keysourcetest.Run(t, keysourcetest.Fixture{Recipient: r, Identity: ids[0], Other: other, Parse: ParseRecipients, Secrets: []string{secret, "s3cret-passphrase"}})
}

func TestPassphraseSSHKey(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	protected := pem.EncodeToMemory(block)
	_, otherR, _ := newX25519(t)
	key := bytes.Repeat([]byte{9}, 32)
	notMine, _ := otherR.Wrap(key)

	ui := &agetest.User{Answer: "hunter2"}
	id, err := ParseSSHIdentityWith(protected, nil, "/home/u/.ssh/id_ed25519", options(ui))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRecipients(id.(*Identity).Recipient())
	if err != nil {
		t.Fatal(err)
	}
	mine, err := rs[0].Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	// A stanza for another key: no question.
	if _, err := id.Unwrap(notMine); !errors.Is(err, keysources.ErrIncorrectIdentity) || ui.Asked() != 0 {
		t.Fatalf("other stanza: %v, asked %d", err, ui.Asked())
	}
	for range 2 {
		got, err := id.Unwrap(mine)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("Unwrap = %x, %v", got, err)
		}
	}
	if q := ui.Questions(); len(q) != 1 || q[0] != (agetest.Question{Prompt: `Enter passphrase for "/home/u/.ssh/id_ed25519":`, Secret: true}) {
		t.Errorf("questions %+v", q)
	}

	// A wrong passphrase, asked once.
	ui = &agetest.User{Answer: "hunter3"}
	id, _ = ParseSSHIdentityWith(protected, nil, "id_ed25519", options(ui))
	for range 2 {
		_, err := id.Unwrap(mine)
		if !errors.Is(err, ErrIncorrectPassphrase) || err.Error() != "passphrase-protected SSH key id_ed25519: incorrect passphrase" {
			t.Fatalf("wrong passphrase: %v", err)
		}
	}
	if ui.Asked() != 1 {
		t.Errorf("asked %d times", ui.Asked())
	}
	// No way to ask.
	id, _ = ParseSSHIdentity(protected, "id_ed25519")
	if _, err := id.Unwrap(mine); err == nil || err.Error() != "passphrase-protected SSH key id_ed25519: cannot ask for its passphrase: no terminal to ask on" {
		t.Errorf("no UI: %v", err)
	}
}

func TestPassphraseSSHKeyPEM(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA key generation is slow")
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the legacy PEM encryption is what ssh-keygen -m PEM writes
	block, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k), []byte("pw"), x509.PEMCipherAES128)
	if err != nil {
		t.Fatal(err)
	}
	protected := pem.EncodeToMemory(block)
	// The PEM file does not hold the public key: the .pub is needed.
	if _, err := ParseSSHIdentityWith(protected, nil, "id_rsa", Options{}); err == nil || !strings.Contains(err.Error(), "put the public key in id_rsa.pub") {
		t.Errorf("no .pub: %v", err)
	}
	if _, err := ParseSSHIdentityWith(protected, []byte("ssh-rsa nonsense"), "id_rsa", Options{}); err == nil || !strings.HasPrefix(err.Error(), "id_rsa.pub: not an SSH public key") {
		t.Errorf("bad .pub: %v", err)
	}
	spub, _ := ssh.NewPublicKey(&k.PublicKey)
	ui := &agetest.User{Answer: "pw"}
	id, err := ParseSSHIdentityWith(protected, ssh.MarshalAuthorizedKey(spub), "id_rsa", options(ui))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRecipients(id.(*Identity).Recipient())
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{3}, 32)
	s, err := rs[0].Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := id.Unwrap(s); err != nil || !bytes.Equal(got, key) || ui.Asked() != 1 {
		t.Errorf("Unwrap = %x, %v (asked %d)", got, err, ui.Asked())
	}
}

// testPlugin builds internal/agetestplugin as age-plugin-hulltest in a
// directory it puts first on PATH, and returns the plugin's path.
func testPlugin(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the test plugin")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "age-plugin-hulltest")
	if out, err := exec.Command("go", "build", "-o", p, "github.com/hullsecrets/hull/internal/agetestplugin").CombinedOutput(); err != nil {
		t.Fatalf("building the test plugin: %v\n%s", err, out)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return p
}

func pluginKeys(t *testing.T, p, pin string) (id, recipient string) {
	t.Helper()
	args := []string{"--generate"}
	if pin != "" {
		args = append(args, "--pin", pin)
	}
	out, err := exec.Command(p, args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	return f[0], f[1]
}

func TestPlugin(t *testing.T) {
	p := testPlugin(t)
	secret, recipient := pluginKeys(t, p, "")
	ids, err := ParseIdentities(strings.NewReader(secret), "SOPS_AGE_KEY")
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0].(*Identity)
	if !id.Interactive() || id.Recipient() != "age plugin identity (age-plugin-hulltest)" {
		t.Errorf("identity %v, interactive %v", id, id.Interactive())
	}
	rs, err := ParseRecipients(recipient)
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, _ := pluginKeys(t, p, "")
	others, _ := ParseIdentities(strings.NewReader(otherSecret), "k")
	keysourcetest.Run(t, keysourcetest.Fixture{Recipient: rs[0], Identity: id, Other: others[0], Parse: ParseRecipients, Secrets: []string{secret, otherSecret}})

	// A plugin identity also opens stanzas of other types: it says no.
	_, xr, _ := newX25519(t)
	key := bytes.Repeat([]byte{1}, 32)
	xs, _ := xr.Wrap(key)
	if _, err := id.Unwrap(xs); !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("X25519 stanza: %v", err)
	}

	// The PIN goes through the UI.
	pinSecret, pinRecipient := pluginKeys(t, p, "1234")
	rs, _ = ParseRecipients(pinRecipient)
	s, err := rs[0].Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		answer, err string
	}{
		{"1234", ""},
		{"0000", "hulltest plugin: incorrect PIN"},
	} {
		ui := &agetest.User{Answer: c.answer}
		ids, _ := ParseIdentitiesWith(strings.NewReader(pinSecret), "k", options(ui))
		got, err := ids[0].Unwrap(s)
		if c.err == "" && (err != nil || !bytes.Equal(got, key)) || c.err != "" && (err == nil || err.Error() != c.err) {
			t.Errorf("PIN %s: %x, %v", c.answer, got, err)
		}
		if q := ui.Questions(); len(q) != 1 || q[0] != (agetest.Question{Name: "hulltest", Prompt: "Enter the hulltest PIN:", Secret: true}) {
			t.Errorf("PIN %s: questions %+v", c.answer, q)
		}
	}
	ids, _ = ParseIdentities(strings.NewReader(pinSecret), "k")
	if _, err := ids[0].Unwrap(s); err == nil || err.Error() != "hulltest plugin: the PIN is needed and the client could not ask for it (it asked for input, and hull could not ask you: no terminal to ask on)" {
		t.Errorf("PIN without a UI: %v", err)
	}

	// The plugin missing from PATH.
	t.Setenv("PATH", t.TempDir())
	if _, err := rs[0].Wrap(key); !errors.Is(err, ErrPluginNotFound) || !strings.Contains(err.Error(), "age plugin not found: age-plugin-hulltest is not in PATH") {
		t.Errorf("Wrap without the plugin: %v", err)
	}
	ids, _ = ParseIdentities(strings.NewReader(secret), "k")
	for range 2 {
		if _, err := ids[0].Unwrap(s); !errors.Is(err, ErrPluginNotFound) {
			t.Errorf("Unwrap without the plugin: %v", err)
		}
	}
}

// TestRetry: with Options.Retry (the key service) a wrong passphrase, or
// no way to ask, fails only that Unwrap and the next asks again; a right
// passphrase is then kept and not asked for again. Identity files and SSH
// keys alike.
func TestRetry(t *testing.T) {
	inner, r, secret := newX25519(t)
	key := bytes.Repeat([]byte{5}, 32)
	mine, err := r.Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	file := passphraseFile(t, "correct horse", "# public key: "+inner.Recipient()+"\n"+secret+"\n", true)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"identity file", "ssh key"} {
		ui := &agetest.User{Answer: "wrong"}
		o := Options{UI: ui.UI(), Retry: true}
		var id keysources.Identity
		stanza := mine
		if kind == "ssh key" {
			id, err = ParseSSHIdentityWith(pem.EncodeToMemory(block), nil, "id_ed25519", o)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ParseRecipients(id.(*Identity).Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if stanza, err = rs[0].Wrap(key); err != nil {
				t.Fatal(err)
			}
		} else {
			ids, err := ParseIdentitiesWith(bytes.NewReader(file), "keys.txt", o)
			if err != nil {
				t.Fatal(err)
			}
			id = ids[0]
		}
		for n := 1; n <= 2; n++ {
			if _, err := id.Unwrap(stanza); !errors.Is(err, ErrIncorrectPassphrase) || strings.Contains(err.Error(), "wrong") {
				t.Fatalf("%s: wrong passphrase %d: %v", kind, n, err)
			}
			if ui.Asked() != n {
				t.Fatalf("%s: asked %d times after %d wrong passphrases", kind, ui.Asked(), n)
			}
		}
		ui.Answer, ui.Err = "", errors.New("no terminal here")
		if _, err := id.Unwrap(stanza); err == nil || !strings.Contains(err.Error(), "no terminal here") {
			t.Fatalf("%s: cannot ask: %v", kind, err)
		}
		ui.Answer, ui.Err = "correct horse", nil
		for range 2 {
			got, err := id.Unwrap(stanza)
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("%s: right passphrase: %x, %v", kind, got, err)
			}
		}
		if ui.Asked() != 4 {
			t.Errorf("%s: asked %d times, want 4 (2 wrong, 1 failed, 1 right, then kept)", kind, ui.Asked())
		}
	}
}
