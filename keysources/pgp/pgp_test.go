package pgp_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	fmtall "github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/metadata"
)

const (
	interop = "../../testdata/interop"
	fp1     = "842D725CEB1D378DAC9F2FA31390070CED3A532E" // pgp1, RSA
	fp2     = "6489222FA96FC24CF477BEF38A8987AE6F9426AB" // pgp2, ed25519/cv25519
	fpUp1   = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4" // sops functional tests
	fpUp2   = "D7229043384BCC60326C6FB9D8720D957C3D3074"
)

func key(name string) string { return filepath.Join(interop, "keys", name) }

var upstreamKeys = filepath.Join(interop, "upstream", "sops_functional_tests_key.asc")

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gnupgHome returns a new GnuPG home directory with the given key files
// imported. It is under /tmp with a short name, because gpg-agent's socket
// path must be short; the agent is stopped when the test ends.
func gnupgHome(t testing.TB, keyFiles ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Fatalf("these tests need GnuPG (gpg) on PATH: %v", err)
	}
	home, err := os.MkdirTemp("/tmp", "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("gpgconf --kill gpg-agent: %v\n%s", err, out)
		}
		os.RemoveAll(home)
	})
	for _, f := range keyFiles {
		gpg(t, home, nil, "--batch", "--import", f)
	}
	return home
}

// gpg runs gpg in home and returns its output.
func gpg(t testing.TB, home string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("gpg", append([]string{"--homedir", home}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func parse(t testing.TB, s string, o pgp.Options) *pgp.Recipient {
	t.Helper()
	rs, err := pgp.ParseRecipients(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("ParseRecipients(%q) gave %d recipients", s, len(rs))
	}
	return rs[0].(*pgp.Recipient)
}

func keyFileIdentity(t testing.TB, path string) keysources.Identity {
	t.Helper()
	id, err := pgp.ParseSecretKeyFile(readFile(t, path), filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// secretLine is a line from the middle of a secret key file: it must never
// show up in any output.
func secretLine(t testing.TB, path string) string {
	lines := strings.Split(string(readFile(t, path)), "\n")
	return lines[len(lines)/2]
}

func TestConformance(t *testing.T) {
	t.Parallel()
	home1 := gnupgHome(t, key("pgp1.sec.asc"), key("pgp2.pub.asc"))
	home2 := gnupgHome(t, key("pgp2.sec.asc"))
	o1, o2 := pgp.Options{GnuPGHome: home1}, pgp.Options{GnuPGHome: home2}
	parse1 := func(s string) ([]keysources.Recipient, error) { return pgp.ParseRecipients(s, o1) }
	secrets := []string{secretLine(t, key("pgp1.sec.asc")), secretLine(t, key("pgp2.sec.asc"))}

	t.Run("GPG", func(t *testing.T) {
		keysourcetest.Run(t, keysourcetest.Fixture{
			Recipient: parse(t, fp1, o1),
			Identity:  pgp.NewGPGIdentity(o1),
			Other:     pgp.NewGPGIdentity(o2),
			Parse:     parse1,
			Secrets:   secrets,
		})
	})
	t.Run("KeyFile", func(t *testing.T) {
		keysourcetest.Run(t, keysourcetest.Fixture{
			Recipient: parse(t, key("pgp2.pub.asc"), o1),
			Identity:  keyFileIdentity(t, key("pgp2.sec.asc")),
			Other:     keyFileIdentity(t, key("pgp1.sec.asc")),
			Parse:     parse1, // pgp2's public key is in home1
			Secrets:   secrets,
		})
	})
	t.Run("KeyFileRSA", func(t *testing.T) {
		keysourcetest.Run(t, keysourcetest.Fixture{
			Recipient: parse(t, key("pgp1.pub.asc"), pgp.Options{}),
			Identity:  keyFileIdentity(t, key("pgp1.sec.asc")),
			Other:     keyFileIdentity(t, upstreamKeys),
			Parse:     parse1,
			Secrets:   secrets,
		})
	})
}

var armorRE = regexp.MustCompile(`^-----BEGIN PGP MESSAGE-----\n\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{1,63}={0,2}\n=[A-Za-z0-9+/]{4}\n-----END PGP MESSAGE-----$`)

// TestArmorLayout checks enc is what sops writes: no armor headers, 64
// column lines, a checksum and no trailing newline.
func TestArmorLayout(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 15, 49, 6, 0, time.FixedZone("", 3600))
	r := parse(t, key("pgp1.pub.asc"), pgp.Options{Now: func() time.Time { return now }})
	if r.String() != fp1 {
		t.Fatalf("String() = %q", r.String())
	}
	id := keyFileIdentity(t, key("pgp1.sec.asc"))
	for _, n := range []int{1, 32, 33, 200} {
		k := bytes.Repeat([]byte{7}, n)
		s, err := r.Wrap(k)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range s.Fields.Children {
			names = append(names, c.Key)
		}
		if s.Type != "pgp" || strings.Join(names, ",") != "created_at,enc,fp" {
			t.Fatalf("stanza %s with fields %q", s.Type, names)
		}
		if s.Get("created_at") != "2026-11-27T14:49:06Z" || s.Get("fp") != fp1 || metadata.StanzaID(s) != fp1 {
			t.Errorf("created_at %q fp %q", s.Get("created_at"), s.Get("fp"))
		}
		enc := s.Get("enc")
		if !armorRE.MatchString(enc) {
			t.Errorf("%d-byte key: enc is not laid out as sops writes it:\n%s", n, enc)
		}
		got, err := id.Unwrap(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Fatalf("Unwrap = %x, %v", got, err)
		}
	}
}

// TestOtherImplementations decrypts what hull wrapped with gpg itself and
// with go-crypto directly, and checks the literal data packet.
func TestOtherImplementations(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp1.sec.asc"), key("pgp2.sec.asc"))
	dataKey := []byte("0123456789abcdef0123456789abcdef")
	for _, r := range []*pgp.Recipient{parse(t, fp1, pgp.Options{GnuPGHome: home}), parse(t, key("pgp2.pub.asc"), pgp.Options{})} {
		s, err := r.Wrap(dataKey)
		if err != nil {
			t.Fatal(err)
		}
		enc := []byte(s.Get("enc"))
		if got := gpg(t, home, enc, "--batch", "--quiet", "-d"); !bytes.Equal(got, dataKey) {
			t.Errorf("%s: gpg -d = %q", r, got)
		}
		status := string(gpg(t, home, enc, "--batch", "--quiet", "--status-fd", "1", "--list-packets"))
		if !strings.Contains(status, "literal data packet") && !strings.Contains(status, ":literal data packet:") {
			t.Errorf("%s: no literal data packet:\n%s", r, status)
		}
		if !strings.Contains(status, "mode b ") {
			t.Errorf("%s: the literal data is not marked binary:\n%s", r, status)
		}
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(readFile(t, key(map[string]string{fp1: "pgp1.sec.asc", fp2: "pgp2.sec.asc"}[r.String()]))))
		if err != nil {
			t.Fatal(err)
		}
		block, err := armor.Decode(bytes.NewReader(enc))
		if err != nil {
			t.Fatal(err)
		}
		md, err := openpgp.ReadMessage(block.Body, el, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(md.UnverifiedBody)
		if err != nil || !bytes.Equal(got, dataKey) || !md.IsEncrypted || md.IsSigned {
			t.Errorf("%s: go-crypto read %q, %v", r, got, err)
		}
	}
}

type fixture struct {
	path string
	ids  []string // pgp identities that open it; age1/age2 too for Shamir
}

func fixtures(t *testing.T) []fixture {
	fs := []fixture{
		{"cases/yaml-pgp/encrypted.yaml", []string{"pgp1"}},
		{"cases/json-pgp-two/encrypted.json", []string{"pgp1"}},
		{"cases/json-pgp-two/encrypted.json", []string{"pgp2"}},
		{"cases/yaml-mixed-age-pgp/encrypted.yaml", []string{"pgp2"}},
		{"cases/yaml-shamir-2of3/encrypted.yaml", []string{"pgp1", "age1"}},
		{"cases/yaml-shamir-2of3/encrypted.yaml", []string{"pgp1", "age2"}},
	}
	up, _ := filepath.Glob(filepath.Join(interop, "upstream", "*"))
	n := 0
	for _, p := range up {
		b := readFile(t, p)
		if !bytes.Contains(b, []byte("BEGIN PGP MESSAGE")) {
			continue
		}
		n++
		rel, _ := filepath.Rel(interop, p)
		// Every upstream file opens with either functional-test key.
		for _, fp := range []string{fpUp1, fpUp2} {
			if bytes.Contains(b, []byte(fp)) {
				fs = append(fs, fixture{rel, []string{fp}})
			}
		}
	}
	if n < 12 {
		t.Fatalf("only %d upstream PGP fixtures found", n)
	}
	return fs
}

// TestInterop decrypts every sops-written PGP fixture, through gpg and
// through the key files, and checks that the whole file then decrypts with
// its MAC.
func TestInterop(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp1.sec.asc"), key("pgp2.sec.asc"), upstreamKeys)
	gpgID := pgp.NewGPGIdentity(pgp.Options{GnuPGHome: home})
	keyFiles := map[string]keysources.Identity{
		"pgp1": keyFileIdentity(t, key("pgp1.sec.asc")),
		"pgp2": keyFileIdentity(t, key("pgp2.sec.asc")),
	}
	// One identity per functional-test key (the upstream file holds both),
	// so that each is shown to open every file on its own.
	for _, fp := range []string{fpUp1, fpUp2} {
		id, err := pgp.ParseSecretKeyFile(gpg(t, home, nil, "--batch", "--export-secret-keys", fp), fp)
		if err != nil {
			t.Fatal(err)
		}
		keyFiles[fp] = id
	}
	for _, fx := range fixtures(t) {
		t.Run(fx.path+"/"+strings.Join(fx.ids, "+"), func(t *testing.T) {
			path := filepath.Join(interop, fx.path)
			f := parseFixture(t, path)
			m, err := metadata.Load(f.Meta)
			if err != nil {
				t.Fatal(err)
			}
			var ages []keysources.Identity
			for _, name := range fx.ids[1:] {
				ids, err := age.ParseIdentities(bytes.NewReader(readFile(t, key(name+".txt"))), name)
				if err != nil {
					t.Fatal(err)
				}
				ages = append(ages, ids...)
			}
			// Stanza by stanza: both identities agree, and only on the
			// stanzas of their key.
			opened := 0
			for _, g := range m.KeyGroups {
				for _, s := range g {
					if s.Type != "pgp" {
						continue
					}
					k1, err1 := gpgID.Unwrap(s)
					k2, err2 := keyFiles[fx.ids[0]].Unwrap(s)
					mine := slices.Contains(keyFiles[fx.ids[0]].(*pgp.KeyFileIdentity).Fingerprints(), strings.ToUpper(s.Get("fp")))
					switch {
					case mine && (err1 != nil || err2 != nil):
						t.Fatalf("stanza %s: gpg: %v; key file: %v", s.Get("fp"), err1, err2)
					case mine:
						if !bytes.Equal(k1, k2) || (len(k1) != 32 && len(k1) != 33) {
							t.Fatalf("stanza %s: gpg gave %d bytes, the key file %d", s.Get("fp"), len(k1), len(k2))
						}
						opened++
					case !errors.Is(err2, keysources.ErrIncorrectIdentity):
						t.Errorf("stanza %s with the key file of %s: %v", s.Get("fp"), fx.ids[0], err2)
					}
				}
			}
			if opened == 0 {
				t.Fatalf("no stanza for %s", fx.ids[0])
			}
			for _, id := range []keysources.Identity{gpgID, keyFiles[fx.ids[0]]} {
				f := parseFixture(t, path)
				_, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{
					Identities: append([]keysources.Identity{id}, ages...),
					IgnoreMAC:  strings.HasSuffix(path, "no_mac.yaml"),
				})
				if err != nil {
					t.Errorf("decrypt with %v: %v", id, err)
				}
			}
		})
	}
}

func parseFixture(t *testing.T, path string) *formats.File {
	t.Helper()
	f, _ := fmtall.Registry().ForPath(path, "binary")
	file, err := f.Parse(readFile(t, path), formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return file
}

// TestOldMessages: sops before 3.7 wrote a trailing newline, and gpg-made
// messages carry a Version header; both decrypt.
func TestOldMessages(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp1.sec.asc"))
	r := parse(t, key("pgp1.pub.asc"), pgp.Options{})
	s, err := r.Wrap([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	enc := s.Get("enc")
	gpgArmored := string(gpg(t, home, []byte("k2"), "--batch", "--quiet", "--trust-model", "always", "--armor", "--encrypt", "-r", fp1))
	for name, e := range map[string]string{
		"newline": enc + "\n",
		"version": strings.Replace(enc, "-----\n\n", "-----\nVersion: GnuPG v2\nComment: test\n\n", 1),
		"both":    strings.Replace(enc, "-----\n\n", "-----\nVersion: GnuPG v1\n\n", 1) + "\n",
		"crlf":    strings.ReplaceAll(enc, "\n", "\r\n"),
	} {
		for _, id := range []keysources.Identity{pgp.NewGPGIdentity(pgp.Options{GnuPGHome: home}), keyFileIdentity(t, key("pgp1.sec.asc"))} {
			got, err := id.Unwrap(metadata.NewStanza("pgp", "created_at", "x", "enc", e, "fp", fp1))
			if err != nil || string(got) != "k" {
				t.Errorf("%s with %v: %q, %v", name, id, got, err)
			}
		}
	}
	// A message gpg wrote (with its trailing newline) opens too.
	got, err := keyFileIdentity(t, key("pgp1.sec.asc")).Unwrap(metadata.NewStanza("pgp", "enc", gpgArmored, "fp", fp1))
	if err != nil || string(got) != "k2" {
		t.Errorf("gpg's message: %q, %v", got, err)
	}
}

func TestNotInKeyring(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp1.pub.asc"))
	r := parse(t, fp2, pgp.Options{GnuPGHome: home})
	_, err := r.Wrap(make([]byte, 32))
	if err == nil || !strings.Contains(err.Error(), "pgp key "+fp2+" is not in the gpg keyring (GNUPGHOME="+home+")") {
		t.Fatalf("Wrap = %v", err)
	}
	// The key that is there works, in lower case too.
	if _, err := parse(t, strings.ToLower(fp1), pgp.Options{GnuPGHome: home}).Wrap(make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
}

// TestGPGMissing: without gpg, the gpg identity says so and the next
// identity is still tried; recipients fall back to a legacy keyring.
func TestGPGMissing(t *testing.T) {
	t.Parallel()
	missing := pgp.Options{GPGExec: "/nonexistent/gpg"}
	path := filepath.Join(interop, "cases/yaml-pgp/encrypted.yaml")
	groups, _ := keysourcetest.SopsYAMLGroups(t, path)

	_, err := pgp.NewGPGIdentity(missing).Unwrap(groups[0][0])
	if !errors.Is(err, pgp.ErrGPGNotFound) || !strings.Contains(err.Error(), "gpg not found (set SOPS_GPG_EXEC)") {
		t.Fatalf("Unwrap = %v", err)
	}
	noPath := pgp.Options{GPGExec: "hull-no-such-gpg"}
	if _, err := pgp.NewGPGIdentity(noPath).Unwrap(groups[0][0]); !errors.Is(err, pgp.ErrGPGNotFound) {
		t.Fatalf("Unwrap = %v", err)
	}

	ids := []keysources.Identity{pgp.NewGPGIdentity(missing), keyFileIdentity(t, key("pgp1.sec.asc"))}
	k, err := keysources.Recover(context.Background(), groups, 0, ids, nil)
	if err != nil {
		t.Fatalf("Recover with the key file after a missing gpg: %v", err)
	}
	keysourcetest.CheckDataKey(t, path, k)
	_, err = keysources.Recover(context.Background(), groups, 0, ids[:1], nil)
	var re *keysources.RecoverError
	if !errors.As(err, &re) || !errors.Is(err, pgp.ErrGPGNotFound) || !strings.Contains(err.Error(), "pgp "+fp1+": pgp stanza for "+fp1+": gpg not found (set SOPS_GPG_EXEC)") {
		t.Fatalf("Recover with a missing gpg only: %v", err)
	}

	// Wrapping needs a legacy keyring then.
	_, err = parse(t, fp1, missing).Wrap(make([]byte, 32))
	if !errors.Is(err, pgp.ErrGPGNotFound) {
		t.Fatalf("Wrap = %v", err)
	}
	dir := t.TempDir()
	home := gnupgHome(t, key("pgp1.pub.asc"))
	if err := os.WriteFile(filepath.Join(dir, "pubring.gpg"), gpg(t, home, nil, "--export", fp1), 0o600); err != nil {
		t.Fatal(err)
	}
	legacy := pgp.Options{GPGExec: "/nonexistent/gpg", GnuPGHome: dir}
	s, err := parse(t, fp1, legacy).Wrap([]byte("k"))
	if err != nil {
		t.Fatalf("Wrap from pubring.gpg: %v", err)
	}
	if got, err := ids[1].Unwrap(s); err != nil || string(got) != "k" {
		t.Fatalf("Unwrap = %q, %v", got, err)
	}
	_, err = parse(t, fp2, legacy).Wrap([]byte("k"))
	if err == nil || !strings.Contains(err.Error(), "the key is not in the legacy keyring") {
		t.Fatalf("Wrap of a key not in pubring.gpg: %v", err)
	}
}

// newEntity makes an ed25519/cv25519 key with go-crypto.
func newEntity(t *testing.T, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	if cfg == nil {
		cfg = &packet.Config{}
	}
	cfg.Algorithm = packet.PubKeyAlgoEdDSA
	e, err := openpgp.NewEntity("test", "", "test@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func writeArmored(t *testing.T, e *openpgp.Entity, private bool, passphrase string) string {
	t.Helper()
	var buf bytes.Buffer
	typ := openpgp.PublicKeyType
	if private {
		typ = openpgp.PrivateKeyType
	}
	w, err := armor.Encode(&buf, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case private && passphrase != "":
		// A cheap S2K: the default count makes gpg-agent take seconds.
		cheap := &packet.Config{S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65536}}
		if err := e.EncryptPrivateKeys([]byte(passphrase), cheap); err != nil {
			t.Fatal(err)
		}
		err = e.SerializePrivateWithoutSigning(w, nil)
	case private:
		err = e.SerializePrivate(w, nil)
	default:
		err = e.Serialize(w)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnusableKeys(t *testing.T) {
	t.Parallel()
	expiring := newEntity(t, &packet.Config{KeyLifetimeSecs: 3600})
	fp := fmt.Sprintf("%X", expiring.PrimaryKey.Fingerprint)
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	r := parse(t, writeArmored(t, expiring, false, ""), pgp.Options{Now: later})
	if _, err := r.Wrap(make([]byte, 32)); err == nil || err.Error() != "pgp key "+fp+" has expired" {
		t.Errorf("expired: %v", err)
	}
	if _, err := parse(t, writeArmored(t, expiring, false, ""), pgp.Options{}).Wrap(make([]byte, 32)); err != nil {
		t.Errorf("before expiry: %v", err)
	}

	revoked := newEntity(t, nil)
	if err := revoked.RevokeKey(packet.KeyCompromised, "test", nil); err != nil {
		t.Fatal(err)
	}
	fp = fmt.Sprintf("%X", revoked.PrimaryKey.Fingerprint)
	if _, err := parse(t, writeArmored(t, revoked, false, ""), pgp.Options{}).Wrap(make([]byte, 32)); err == nil || err.Error() != "pgp key "+fp+" is revoked" {
		t.Errorf("revoked: %v", err)
	}
}

func TestParseRecipients(t *testing.T) {
	t.Parallel()
	spaced := "842D 725C EB1D 378D AC9F  2FA3 1390 070C ED3A 532E"
	for _, c := range []struct {
		in   string
		want []string
	}{
		{fp1, []string{fp1}},
		{fp1 + "," + fp2, []string{fp1, fp2}},
		{" " + fp1 + " ,, " + fp2 + " , ", []string{fp1, fp2}},
		{spaced, []string{fp1}},
		{strings.ToLower(fp1), []string{strings.ToLower(fp1)}},
		{"", nil},
		{" , ", nil},
		{key("pgp2.pub.asc"), []string{fp2}},
		{" " + key("pgp1.pub.asc") + " ," + fp2, []string{fp1, fp2}},
	} {
		rs, err := pgp.ParseRecipients(c.in, pgp.Options{})
		if err != nil {
			t.Errorf("ParseRecipients(%q): %v", c.in, err)
			continue
		}
		var got []string
		for _, r := range rs {
			if r.Type() != "pgp" {
				t.Errorf("Type() = %q", r.Type())
			}
			got = append(got, r.String())
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("ParseRecipients(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	for _, c := range []struct {
		in, want, hidden string
	}{
		{fp1 + ",hunter2-password", "pgp recipient 2: not a PGP fingerprint; accepted are", "hunter2"},
		{"1390070CED3A532E", "pgp recipient 1: a key ID is not enough: give the full 40-hex-digit fingerprint", ""},
		{"ED3A532E", "pgp recipient 1: a key ID is not enough", ""},
		{"0x" + fp1, "pgp recipient 1: write the fingerprint without the 0x prefix", ""},
		{fp1[:39], "pgp recipient 1: not a PGP fingerprint", ""},
		{fp1 + "0", "pgp recipient 1: not a PGP fingerprint", ""},
		{"G" + fp1[1:], "pgp recipient 1: not a PGP fingerprint", ""},
		{"./missing.asc", "pgp recipient 1: public key file ./missing.asc not found", ""},
		{key("pgp1.sec.asc"), "is a secret key file: give the public key", ""},
		{upstreamKeys, "holds 3 keys", ""},
		{key("age1.txt"), "no-such", ""},
	} {
		rs, err := pgp.ParseRecipients(c.in, pgp.Options{})
		if err == nil {
			t.Errorf("ParseRecipients(%q) = %v, want an error", c.in, rs)
			continue
		}
		if c.want == "no-such" {
			continue // any error will do
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseRecipients(%q) error %q, want %q", c.in, err, c.want)
		}
		if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
			t.Errorf("error echoes the input: %q", err)
		}
	}
	// A key file's content never appears in its errors.
	_, err := pgp.ParseRecipients(key("age1.txt"), pgp.Options{})
	if err == nil || strings.Contains(err.Error(), "AGE-SECRET-KEY") {
		t.Errorf("age key file: %v", err)
	}
}

func TestParseSecretKeyFile(t *testing.T) {
	t.Parallel()
	id := keyFileIdentity(t, upstreamKeys).(*pgp.KeyFileIdentity)
	if got := strings.Join(id.Fingerprints(), ","); got != fpUp1+","+fpUp2 {
		t.Errorf("Fingerprints() = %s", got)
	}
	for _, v := range []string{id.String(), fmt.Sprintf("%v %+v %#v %s", id, id, id, id)} {
		if strings.Contains(v, secretLine(t, upstreamKeys)) || !strings.Contains(v, fpUp1) {
			t.Errorf("String: %s", v)
		}
	}
	// Binary secret keys work too.
	home := gnupgHome(t, key("pgp2.sec.asc"))
	bin := gpg(t, home, nil, "--batch", "--export-secret-keys", fp2)
	bid, err := pgp.ParseSecretKeyFile(bin, "binary")
	if err != nil || bid.(*pgp.KeyFileIdentity).Fingerprints()[0] != fp2 {
		t.Fatalf("binary key: %v", err)
	}

	protected := writeArmored(t, newEntity(t, nil), true, "hunter2")
	for _, c := range []struct {
		data []byte
		want string
	}{
		{readFile(t, key("pgp1.pub.asc")), "k.asc: no pgp secret key found"},
		{readFile(t, protected), "k.asc: passphrase-protected pgp keys are not supported without gpg"},
		{[]byte("AGE-SECRET-KEY-1QQQQ\n"), "k.asc: not an OpenPGP key file"},
		{nil, "k.asc: no pgp secret key found"},
		{[]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nAAAA\n-----END PGP PRIVATE KEY BLOCK-----\n"), "k.asc: armored block 1"},
		{[]byte("-----BEGIN PGP MESSAGE-----\n\nAAAA\n=AAAA\n-----END PGP MESSAGE-----\n"), "k.asc: armored block 1"},
	} {
		_, err := pgp.ParseSecretKeyFile(c.data, "k.asc")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseSecretKeyFile(%.30q) = %v, want %q", c.data, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "AGE-SECRET") || strings.Contains(err.Error(), "AAAA")) {
			t.Errorf("error echoes the input: %v", err)
		}
	}
}

func TestUnwrapErrors(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp1.sec.asc"))
	r := parse(t, key("pgp1.pub.asc"), pgp.Options{})
	s, err := r.Wrap(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	enc := s.Get("enc")
	lines := strings.Split(enc, "\n")
	lines[4] = strings.Repeat("A", len(lines[4])) // damage the encrypted data
	damaged := strings.Join(lines, "\n")
	gpgID := pgp.NewGPGIdentity(pgp.Options{GnuPGHome: home})
	fileID := keyFileIdentity(t, key("pgp1.sec.asc"))
	for _, c := range []struct {
		name string
		s    metadata.Stanza
		want string // "" means ErrIncorrectIdentity
	}{
		{"age", metadata.NewStanza("age", "recipient", "age1x", "enc", enc), ""},
		{"empty", metadata.NewStanza("pgp", "fp", fp1, "enc", ""), "pgp stanza for " + fp1 + ": enc is empty"},
		{"missing", metadata.NewStanza("pgp", "fp", fp1), "enc is empty"},
		{"no fp", metadata.NewStanza("pgp", "enc", " \n"), "pgp stanza for (no fingerprint): enc is empty"},
		{"not armored", metadata.NewStanza("pgp", "fp", fp1, "enc", "hQGMA09OZo6dtYACAQv8"), "pgp stanza for " + fp1 + ": enc is malformed"},
		{"age armor", metadata.NewStanza("pgp", "fp", fp1, "enc", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"), "enc is malformed"},
		{"damaged", metadata.NewStanza("pgp", "fp", fp1, "enc", damaged), "pgp stanza for " + fp1 + ":"},
	} {
		for _, id := range []keysources.Identity{gpgID, fileID} {
			k, err := id.Unwrap(c.s)
			if k != nil {
				t.Errorf("%s: returned a key with error %v", c.name, err)
			}
			switch {
			case c.want == "" && !errors.Is(err, keysources.ErrIncorrectIdentity):
				t.Errorf("%s with %v: %v, want ErrIncorrectIdentity", c.name, id, err)
			case c.want != "" && (err == nil || errors.Is(err, keysources.ErrIncorrectIdentity) || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s with %v: %v, want %q", c.name, id, err, c.want)
			}
		}
	}
}

// TestConcurrent unwraps from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t, key("pgp2.sec.asc"))
	r := parse(t, key("pgp2.pub.asc"), pgp.Options{})
	var stanzas []metadata.Stanza
	for i := range 8 {
		s, err := r.Wrap([]byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		stanzas = append(stanzas, s)
	}
	ids := []keysources.Identity{pgp.NewGPGIdentity(pgp.Options{GnuPGHome: home}), keyFileIdentity(t, key("pgp2.sec.asc"))}
	var wg sync.WaitGroup
	for i, s := range stanzas {
		for _, id := range ids {
			wg.Go(func() {
				if k, err := id.Unwrap(s); err != nil || !bytes.Equal(k, []byte{byte(i)}) {
					t.Errorf("%v: %x, %v", id, k, err)
				}
			})
		}
	}
	wg.Wait()
}

// TestPinentry: a passphrase-protected key in gpg is used through
// gpg-agent's pinentry (here a stand-in that answers the passphrase), which
// --batch does not stop.
func TestPinentry(t *testing.T) {
	t.Parallel()
	home := gnupgHome(t)
	pinentry := filepath.Join(home, "pinentry.sh")
	script := "#!/bin/sh\necho OK ready\nwhile read cmd rest; do\n  case \"$cmd\" in\n    GETPIN) echo 'D hunter2'; echo OK;;\n    BYE) echo OK; exit 0;;\n    *) echo OK;;\n  esac\ndone\n"
	if err := os.WriteFile(pinentry, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("pinentry-program "+pinentry+"\ns2k-count 65536\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEntity(t, nil)
	gpg(t, home, nil, "--batch", "--import", writeArmored(t, e, false, ""))
	gpg(t, home, nil, "--batch", "--pinentry-mode", "loopback", "--passphrase", "hunter2", "--import", writeArmored(t, e, true, "hunter2"))
	fp := fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
	s, err := parse(t, fp, pgp.Options{GnuPGHome: home}).Wrap([]byte("pinned"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgp.NewGPGIdentity(pgp.Options{GnuPGHome: home}).Unwrap(s)
	if err != nil || string(got) != "pinned" {
		t.Fatalf("Unwrap = %q, %v", got, err)
	}
}

var recipientNumRE = regexp.MustCompile(`^pgp recipient [0-9]+: `)

func FuzzParseRecipients(f *testing.F) {
	n := 0
	for _, s := range []string{fp1, fp1 + "," + fp2, "842D 725C EB1D 378D AC9F 2FA3 1390 070C ED3A 532E", "", " , ,", "0x" + fp1, "1390070CED3A532E", "ED3A532E", "no/such/file", "x.asc", strings.ToLower(fp2) + ",\t" + fp1} {
		f.Add(s)
		n++
	}
	if n == 0 {
		f.Fatal("no fuzz seeds")
	}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.Contains(in, "/") || strings.Contains(strings.ToLower(in), ".asc") {
			return // file names: the fuzzer must not read files
		}
		rs, err := pgp.ParseRecipients(in, pgp.Options{GPGExec: "/nonexistent"})
		if err != nil {
			if rs != nil {
				t.Fatal("recipients returned with an error")
			}
			// The error is one of the fixed messages: it never echoes input.
			msg := recipientNumRE.ReplaceAllString(err.Error(), "")
			for _, known := range []string{"not a PGP fingerprint;", "a key ID is not enough:", "write the fingerprint without the 0x prefix"} {
				if strings.HasPrefix(msg, known) {
					return
				}
			}
			t.Fatalf("unexpected error %q", err)
		}
		for _, r := range rs {
			s := r.String()
			if len(s) != 40 || strings.ContainsAny(s, " ,") {
				t.Fatalf("recipient %q", s)
			}
			again, err := pgp.ParseRecipients(s, pgp.Options{})
			if err != nil || len(again) != 1 || again[0].String() != s {
				t.Fatalf("Parse(String()) of %q: %v", s, err)
			}
		}
	})
}
