package age

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	agelib "filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/metadata"
)

const interop = "../../testdata/interop"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newX25519 returns a fresh identity, its recipient and its secret key text.
func newX25519(t testing.TB) (*Identity, *Recipient, string) {
	t.Helper()
	k, err := agelib.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return pair(t, k.String())
}

func pair(t testing.TB, secret string) (*Identity, *Recipient, string) {
	t.Helper()
	ids, err := ParseIdentities(strings.NewReader(secret+"\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0].(*Identity)
	rs, err := ParseRecipients(id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	return id, rs[0].(*Recipient), secret
}

func sshPair(t testing.TB, key any) (*Identity, *Recipient, string) {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(key, "test")
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(block)
	id, err := ParseSSHIdentity(pemBytes, "test key")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRecipients(id.(*Identity).Recipient())
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Split(string(pemBytes), "\n")[1] // a line of the private key
	return id.(*Identity), rs[0].(*Recipient), body
}

func TestConformance(t *testing.T) {
	t.Run("X25519", func(t *testing.T) {
		id, r, secret := newX25519(t)
		other, _, _ := newX25519(t)
		keysourcetest.Run(t, keysourcetest.Fixture{Recipient: r, Identity: id, Other: other, Parse: ParseRecipients, Secrets: []string{secret}})
	})
	t.Run("Hybrid", func(t *testing.T) {
		k, err := agelib.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		id, r, secret := pair(t, k.String())
		if !strings.HasPrefix(r.String(), "age1pq1") {
			t.Fatalf("hybrid recipient %.10s…", r)
		}
		other, _, _ := newX25519(t)
		keysourcetest.Run(t, keysourcetest.Fixture{Recipient: r, Identity: id, Other: other, Parse: ParseRecipients, Secrets: []string{secret}})
	})
	t.Run("SSHEd25519", func(t *testing.T) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		id, r, secret := sshPair(t, priv)
		_, priv2, _ := ed25519.GenerateKey(rand.Reader)
		other, _, _ := sshPair(t, priv2)
		keysourcetest.Run(t, keysourcetest.Fixture{Recipient: r, Identity: id, Other: other, Parse: ParseRecipients, Secrets: []string{secret}})
	})
	t.Run("SSHRSA", func(t *testing.T) {
		if testing.Short() {
			t.Skip("RSA key generation is slow")
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		id, r, secret := sshPair(t, k)
		if !strings.HasPrefix(r.String(), "ssh-rsa ") {
			t.Fatalf("RSA recipient %.10s…", r)
		}
		other, _, _ := newX25519(t)
		keysourcetest.Run(t, keysourcetest.Fixture{Recipient: r, Identity: id, Other: other, Parse: ParseRecipients, Secrets: []string{secret}})
	})
}

func TestArmorLayout(t *testing.T) {
	id, r, _ := newX25519(t)
	for _, n := range []int{1, 32, 33, 200} {
		key := bytes.Repeat([]byte{7}, n)
		s, err := r.Wrap(key)
		if err != nil {
			t.Fatal(err)
		}
		if s.Type != "age" || s.Get("recipient") != r.String() {
			t.Fatalf("stanza %s recipient %q", s.Type, s.Get("recipient"))
		}
		enc := s.Get("enc")
		if !strings.HasPrefix(enc, "-----BEGIN AGE ENCRYPTED FILE-----\n") {
			t.Fatalf("enc does not start with the armor header: %q", enc[:20])
		}
		if !strings.HasSuffix(enc, "\n-----END AGE ENCRYPTED FILE-----\n") {
			t.Fatalf("enc does not end with the footer and a newline")
		}
		lines := strings.Split(strings.TrimSuffix(enc, "\n"), "\n")
		body := lines[1 : len(lines)-1]
		for i, l := range body {
			if len(l) > 64 || len(l) == 0 || (i < len(body)-1 && len(l) != 64) {
				t.Errorf("%d-byte key: body line %d has %d characters", n, i+1, len(l))
			}
		}
		got, err := id.Unwrap(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("Unwrap = %x, %v", got, err)
		}
	}
}

func identities(t *testing.T, name string) []keysources.Identity {
	t.Helper()
	ids, err := ParseIdentities(bytes.NewReader(readFile(t, filepath.Join(interop, "keys", name))), name)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestInterop unwraps stanzas written by sops 3.13.3 and checks that the
// key opens the file's MAC.
func TestInterop(t *testing.T) {
	sshID, err := ParseSSHIdentity(readFile(t, filepath.Join(interop, "keys/ssh-ed25519")), "ssh-ed25519")
	if err != nil {
		t.Fatal(err)
	}
	age1, age2 := identities(t, "age1.txt"), identities(t, "age2.txt")
	for _, c := range []struct {
		file string
		id   keysources.Identity
	}{
		{"yaml-basic/encrypted.yaml", age1[0]},
		{"yaml-two-age/encrypted.yaml", age1[0]},
		{"yaml-two-age/encrypted.yaml", age2[0]},
		{"yaml-ssh-recipient/encrypted.yaml", sshID},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(interop, "cases", c.file)
			groups, _ := keysourcetest.SopsYAMLGroups(t, path)
			var key []byte
			for _, s := range groups[0] {
				k, err := c.id.Unwrap(s)
				if errors.Is(err, keysources.ErrIncorrectIdentity) {
					continue
				}
				if err != nil {
					t.Fatalf("Unwrap %s: %v", metadata.StanzaID(s), err)
				}
				if s.Get("recipient") != c.id.(*Identity).Recipient() {
					t.Errorf("unwrapped the stanza of %s with the identity of %s", s.Get("recipient"), c.id.(*Identity).Recipient())
				}
				key = k
			}
			if len(key) != 32 {
				t.Fatalf("recovered a %d-byte key", len(key))
			}
			keysourcetest.CheckDataKey(t, path, key)
		})
	}
	// Stanzas for other keys are not ours.
	groups, _ := keysourcetest.SopsYAMLGroups(t, filepath.Join(interop, "cases/yaml-basic/encrypted.yaml"))
	for _, id := range []keysources.Identity{age2[0], sshID} {
		if k, err := id.Unwrap(groups[0][0]); !errors.Is(err, keysources.ErrIncorrectIdentity) || k != nil {
			t.Errorf("%v: Unwrap = %d bytes, %v; want ErrIncorrectIdentity", id, len(k), err)
		}
	}
	// The pgp stanza of a mixed file is not ours either.
	groups, _ = keysourcetest.SopsYAMLGroups(t, filepath.Join(interop, "cases/yaml-mixed-age-pgp/encrypted.yaml"))
	for _, s := range groups[0] {
		if s.Type == "pgp" {
			if _, err := age1[0].Unwrap(s); !errors.Is(err, keysources.ErrIncorrectIdentity) {
				t.Errorf("Unwrap of a pgp stanza: %v", err)
			}
		}
	}
}

func TestSSHIdentity(t *testing.T) {
	id, err := ParseSSHIdentity(readFile(t, filepath.Join(interop, "keys/ssh-ed25519")), "ssh-ed25519")
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.Fields(string(readFile(t, filepath.Join(interop, "keys/ssh-ed25519.pub"))))
	if got := id.(*Identity).Recipient(); got != pub[0]+" "+pub[1] {
		t.Errorf("Recipient() = %q, want %q", got, pub[0]+" "+pub[1])
	}

	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	// A passphrase-protected key parses (it asks when used: see
	// interactive_test.go), with the public key from the file.
	eid, err := ParseSSHIdentity(pem.EncodeToMemory(block), "id_ed25519")
	if err != nil {
		t.Fatalf("encrypted key: %v", err)
	}
	spub, _ := ssh.NewPublicKey(priv.Public())
	if got, want := eid.(*Identity).Recipient(), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spub))); got != want || !eid.(*Identity).Interactive() {
		t.Errorf("encrypted key: recipient %q, want %q; interactive %v", got, want, eid.(*Identity).Interactive())
	}
	if id.(*Identity).Interactive() {
		t.Error("an unencrypted SSH key is interactive")
	}

	for _, bad := range [][]byte{nil, []byte("AGE-SECRET-KEY-1QQQQ"), readFile(t, filepath.Join(interop, "keys/ssh-ed25519.pub"))} {
		_, err := ParseSSHIdentity(bad, "k")
		if err == nil || !strings.HasPrefix(err.Error(), "k: ") {
			t.Errorf("ParseSSHIdentity(%.20q) = %v", bad, err)
		}
		if len(bad) > 0 && strings.Contains(err.Error(), string(bad[:10])) {
			t.Errorf("error echoes the input: %v", err)
		}
	}
}

func TestParseRecipients(t *testing.T) {
	age1 := "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	age2 := "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
	sshPub := strings.TrimSpace(string(readFile(t, filepath.Join(interop, "keys/ssh-ed25519.pub"))))
	sshShort := strings.Join(strings.Fields(sshPub)[:2], " ")
	k, err := agelib.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	pq := k.Recipient().String()
	for _, c := range []struct {
		in   string
		want []string
	}{
		{age1, []string{age1}},
		{age1 + "," + age2, []string{age1, age2}},
		{" " + age1 + " ,, " + age2 + " , ", []string{age1, age2}},
		{"", nil},
		{" , ", nil},
		{sshPub, []string{sshPub}},
		{sshShort + "," + age1, []string{sshShort, age1}},
		{pq, []string{pq}},
	} {
		rs, err := ParseRecipients(c.in)
		if err != nil {
			t.Errorf("ParseRecipients(%q): %v", c.in, err)
			continue
		}
		var got []string
		for _, r := range rs {
			if r.Type() != "age" {
				t.Errorf("Type() = %q", r.Type())
			}
			got = append(got, r.String())
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("ParseRecipients(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	secret := "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
	for _, c := range []struct {
		in, want, hidden string
	}{
		{age1 + ",nonsense-password", "age recipient 2: unknown recipient type; accepted are age1…", "nonsense-password"},
		{secret, "age recipient 1: this is an age secret key, not a recipient", secret[15:]},
		{age1 + "x", "age recipient 1: malformed recipient", ""},
		{"age1yubikey1qwerty", "age recipient 1: malformed age plugin recipient (age1NAME1…)", ""},
		{"ssh-ed25519 AAAAnotbase64", "age recipient 1: malformed SSH recipient", ""},
		{"ssh-dss AAAAB3NzaC1kc3M=", "age recipient 1:", ""},
		{age2 + "," + age1[:20], "age recipient 2: malformed recipient", ""},
	} {
		rs, err := ParseRecipients(c.in)
		if err == nil {
			t.Errorf("ParseRecipients(%q) = %v, want an error", c.in, rs)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseRecipients(%q) error %q, want prefix %q", c.in, err, c.want)
		}
		if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
			t.Errorf("ParseRecipients error echoes the input: %q", err)
		}
	}
}

func TestParseIdentities(t *testing.T) {
	ids := identities(t, "age1.txt")
	if len(ids) != 1 || ids[0].(*Identity).Recipient() != "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m" {
		t.Fatalf("age1.txt: %v", ids)
	}
	k1, k2 := readSecret(t, "age1.txt"), readSecret(t, "age2.txt")
	ids, err := ParseIdentities(strings.NewReader("# keys\r\n\r\n  "+k1+"\r\n"+k1+" \t"+k2+"\n"), "SOPS_AGE_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[2].(*Identity).Recipient() != "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m" {
		t.Fatalf("got %d identities", len(ids))
	}

	bad := k1[:len(k1)-1] + "Q" // bad checksum
	for _, c := range []struct {
		in, want string
	}{
		{"# a\n" + bad + "\n", "keys.txt: line 2: malformed age secret key"},
		{k1 + "\n\n" + k1 + " " + bad + "\n", "keys.txt: line 3: malformed age secret key"},
		{"# nothing\n\n", "keys.txt: no age identities found"},
		{"", "keys.txt: no age identities found"},
		{"AGE-PLUGIN-YUBIKEY-1QQQ\n", "keys.txt: line 1: malformed age plugin identity (AGE-PLUGIN-NAME-1…)"},
		{"age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n", "keys.txt: line 1: this is a public key"},
		{"hunter2\n", "keys.txt: line 1: not an age secret key"},
		{"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n", "keys.txt: looks like a passphrase-protected age identity file, but its age header is malformed"},
		{"-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n", "keys.txt: looks like a passphrase-protected age identity file, but is not a valid armored age file"},
		{"age-encryption.org/v1\n-> X25519 AAAA\n", "keys.txt: looks like a passphrase-protected age identity file, but its age header is malformed"},
		{"AGE-SECRET-KEY-PQ-1QQQQ\n", "keys.txt: line 1: malformed post-quantum age secret key"},
		{strings.Repeat("A", 70000) + "\n", "keys.txt: line 1:"},
	} {
		_, err := ParseIdentities(strings.NewReader(c.in), "keys.txt")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseIdentities(%.30q) = %v, want prefix %q", c.in, err, c.want)
			continue
		}
		for _, secret := range []string{k1[16:], bad[16:], "hunter2", "YUBIKEY-1QQQ", "AAAAAAAA"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q echoes the input", err)
			}
		}
	}
}

func readSecret(t *testing.T, name string) string {
	for _, l := range strings.Split(string(readFile(t, filepath.Join(interop, "keys", name))), "\n") {
		if strings.HasPrefix(l, "AGE-SECRET-KEY-") {
			return l
		}
	}
	t.Fatalf("%s: no secret key", name)
	return ""
}

func TestUnwrapErrors(t *testing.T) {
	id, r, _ := newX25519(t)
	s, err := r.Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	who := r.String()
	enc := s.Get("enc")
	for _, c := range []struct {
		name string
		s    metadata.Stanza
		want string // "" means ErrIncorrectIdentity
	}{
		{"pgp", metadata.NewStanza("pgp", "fp", "ABCD", "enc", enc), ""},
		{"empty", metadata.NewStanza("age", "recipient", who, "enc", ""), "age stanza for " + who + ": enc is empty"},
		{"spaces", metadata.NewStanza("age", "recipient", who, "enc", " \n"), "enc is empty"},
		{"missing", metadata.NewStanza("age", "recipient", who), "enc is empty"},
		{"no armor", metadata.NewStanza("age", "recipient", who, "enc", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCg=="), "age stanza for " + who + ": enc is malformed"},
		{"bad header", metadata.NewStanza("age", "recipient", who, "enc", "-----BEGIN AGE ENCRYPTED FILE-----\naGVsbG8K\n-----END AGE ENCRYPTED FILE-----\n"), "enc is malformed: invalid age header"},
		{"truncated", metadata.NewStanza("age", "recipient", who, "enc", enc[:60]+"\n-----END AGE ENCRYPTED FILE-----\n"), "enc is malformed"},
	} {
		k, err := id.Unwrap(c.s)
		if k != nil {
			t.Errorf("%s: returned a key with error %v", c.name, err)
		}
		switch {
		case c.want == "" && !errors.Is(err, keysources.ErrIncorrectIdentity):
			t.Errorf("%s: %v, want ErrIncorrectIdentity", c.name, err)
		case c.want != "" && (err == nil || errors.Is(err, keysources.ErrIncorrectIdentity) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}

	// A damaged payload (the last base64 line) is a real decryption failure.
	lines := strings.Split(enc, "\n")
	last := lines[len(lines)-3]
	lines[len(lines)-3] = strings.Repeat("A", len(last)-4) + last[len(last)-4:]
	k, err := id.Unwrap(metadata.NewStanza("age", "recipient", who, "enc", strings.Join(lines, "\n")))
	if err == nil || errors.Is(err, keysources.ErrIncorrectIdentity) || k != nil {
		t.Errorf("damaged payload: %x, %v", k, err)
	}
}

func TestGenerateIdentity(t *testing.T) {
	now := time.Date(2026, 11, 27, 14, 34, 37, 0, time.FixedZone("", 3600))
	content, recipient, err := GenerateIdentity(now)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(content), "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("got %d lines", len(lines))
	}
	if lines[0] != "# created: 2026-11-27T14:34:37+01:00" {
		t.Errorf("line 1 = %q", lines[0])
	}
	if lines[1] != "# public key: "+recipient || !strings.HasPrefix(recipient, "age1") {
		t.Errorf("line 2 = %q, recipient %q", lines[1], recipient)
	}
	if !strings.HasPrefix(lines[2], "AGE-SECRET-KEY-1") {
		t.Errorf("line 3 is not a secret key")
	}
	ids, err := ParseIdentities(bytes.NewReader(content), "new")
	if err != nil || len(ids) != 1 || ids[0].(*Identity).Recipient() != recipient {
		t.Fatalf("ParseIdentities of the generated file: %v, %v", ids, err)
	}
	rs, err := ParseRecipients(recipient)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rs[0].Wrap([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ids[0].Unwrap(s); err != nil || string(k) != "k" {
		t.Errorf("round trip: %q, %v", k, err)
	}
	if c2, _, _ := GenerateIdentity(now); bytes.Equal(c2, content) {
		t.Error("two generated identities are equal")
	}
}

func fuzzSeeds(f *testing.F) {
	n := 0
	for _, name := range []string{"age1.txt", "age2.txt", "ssh-ed25519.pub", "ssh-ed25519"} {
		b, err := os.ReadFile(filepath.Join(interop, "keys", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
		n++
	}
	for _, s := range []string{"", "#\n", "age1,ssh-", "AGE-SECRET-KEY-PQ-1", "age1a1b", " , ,", "AGE-PLUGIN-X-1Q",
		"AGE-PLUGIN-HULLTEST-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGP9PQKLW",
		"-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNjcnlwdCB2QUdwM3o3K0RyTjZFb3hi\n-----END AGE ENCRYPTED FILE-----\n",
		"age-encryption.org/v1\n-> scrypt AAAA 10\nAAAA\n--- AAAA\n"} {
		f.Add(s)
		n++
	}
	if n == 0 {
		f.Fatal("no fuzz seeds")
	}
}

// withoutFixed is msg with each of the package's fixed sentences replaced
// by a NUL (so that the text on either side does not join): an input that
// happens to occur in them is not an echo.
func withoutFixed(msg string, fixed ...string) string {
	for _, f := range fixed {
		msg = strings.ReplaceAll(msg, f, "\x00")
	}
	return msg
}

func FuzzParseIdentities(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		ids, err := ParseIdentities(strings.NewReader(in), "fuzz")
		if err != nil {
			if ids != nil {
				t.Fatal("identities returned with an error")
			}
			// No error may quote a line that looks like a secret key. The
			// package's fixed words are no echo.
			msg := withoutFixed(err.Error(), "the passphrase-protected identity file holds another encrypted file, not identities", "malformed age plugin identity (AGE-PLUGIN-NAME-1…)", "not an age secret key (AGE-SECRET-KEY-1…)")
			for _, l := range strings.Fields(in) {
				if len(l) >= 16 && strings.Contains(msg, l) {
					t.Fatalf("error %q echoes input %q", err, l)
				}
			}
			return
		}
		for _, id := range ids {
			r := id.(*Identity).Recipient()
			if !strings.HasPrefix(r, "age1") && !strings.HasPrefix(r, "age plugin identity (age-plugin-") && r != "passphrase-protected identity file fuzz" {
				t.Fatalf("identity with recipient %q", id.(*Identity).Recipient())
			}
		}
	})
}

func FuzzParseRecipients(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		rs, err := ParseRecipients(in)
		if err != nil {
			// Secret keys and unknown text are never echoed. Public
			// recipients may be, so their echo (raw or quoted) is cut out
			// first: a secret part that merely occurs inside it is no leak.
			parts := strings.Split(in, ",")
			// The package's own fixed sentences are no echo either, even
			// where an input part happens to occur in them ("blic key").
			msg := withoutFixed(err.Error(), "age recipient ", "unknown recipient type; accepted are ", "this is an age secret key, not a recipient: use its public key (age1…); accepted are ", "malformed age plugin recipient (age1NAME1…)", accepted)
			for _, p := range parts {
				p = strings.TrimSpace(p)
				if strings.HasPrefix(p, "age1") || strings.HasPrefix(p, "ssh-") {
					msg = strings.ReplaceAll(msg, strconv.Quote(p), "")
					msg = strings.ReplaceAll(msg, p, "")
				}
			}
			for _, p := range parts {
				p = strings.TrimSpace(p)
				if len(p) >= 8 && !strings.HasPrefix(p, "age1") && !strings.HasPrefix(p, "ssh-") && strings.Contains(msg, p) {
					t.Fatalf("error %q echoes input %q", err, p)
				}
			}
			return
		}
		for _, r := range rs {
			if r.String() == "" || r.String() != strings.TrimSpace(r.String()) || strings.Contains(r.String(), ",") {
				t.Fatalf("recipient %q", r)
			}
			again, err := ParseRecipients(r.String())
			if err != nil || len(again) != 1 || again[0].String() != r.String() {
				t.Fatalf("Parse(String()) of %q: %v", r, err)
			}
		}
	})
}
