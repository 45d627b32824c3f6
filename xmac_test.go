package hull

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/metadata"
)

var updateXMACVector = flag.Bool("xmac.update", false, "rewrite testdata/vectors/xmac-v1.json from the current code")

const xmacTestRecipient = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"

// xmacTestMeta is metadata with one age stanza; the enc blob is never
// used (the tests hold the data key).
func xmacTestMeta(rule metadata.Rule) *metadata.Metadata {
	return &metadata.Metadata{
		KeyGroups: [][]metadata.Stanza{{metadata.NewStanza("age", "recipient", xmacTestRecipient, "enc", "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n")}},
		Rule:      rule,
	}
}

func xmacFormat(t testing.TB, name string) formats.Format {
	t.Helper()
	f, err := all.Registry().ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// xmacSeal encrypts plain (in format in) and writes it in format out,
// telling Seal the output format.
func xmacSeal(t testing.TB, in, out formats.Format, plain []byte, m *metadata.Metadata) ([]byte, error) {
	return xmacSealOpts(t, in, out, plain, m, SealOptions{Format: out})
}

func xmacSealOpts(t testing.TB, in, out formats.Format, plain []byte, m *metadata.Metadata, opts SealOptions) ([]byte, error) {
	t.Helper()
	f, err := in.Parse(plain, formats.ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := Seal(f, vectorKey(), m, opts); err != nil {
		return nil, err
	}
	return out.Emit(f, formats.EmitOptions{})
}

// xmacOpen parses and decrypts an encrypted file with the test key.
func xmacOpen(t testing.TB, fm formats.Format, data []byte, opts OpenOptions) (*formats.File, *Result, error) {
	t.Helper()
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatalf("parse encrypted: %v\n%s", err, data)
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	res, err := Open(f, vectorKey(), m, opts)
	return f, res, err
}

const xmacPlain = `# head comment
a_unencrypted: foo
b_unencrypted: bar
password: hunter2 # inline comment
pin: "12"
flag: "True"
empty: ""
nothing: null
creds:
    token: tok-secret-1
list:
    - one
    # a comment in a list
    - two
`

func TestExtendedMACWrittenAndVerified(t *testing.T) {
	yml := xmacFormat(t, "yaml")
	enc, err := xmacSeal(t, yml, yml, []byte(xmacPlain), xmacTestMeta(metadata.DefaultRule))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^    x_hull_mac: v1:[A-Za-z0-9+/]{43}=$`).Match(enc) {
		t.Fatalf("no x_hull_mac in the output:\n%s", enc)
	}
	f, res, err := xmacOpen(t, yml, enc, OpenOptions{RequireExtendedMAC: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.MACChecked || !res.ExtendedMACChecked || res.ExtendedMACMissing || len(res.Warnings) != 0 {
		t.Fatalf("result %+v", res)
	}
	f.Meta = nil
	out, _ := yml.Emit(f, formats.EmitOptions{})
	if string(out) != xmacPlain {
		t.Fatalf("round trip:\n%s", out)
	}
}

// TestExtendedMACAttacks applies each extended-MAC attack of the SECURITY.md checklist that
// the sops MAC misses to a file hull wrote, and checks that the sops MAC
// still passes, that the extended MAC fails, and what happens when the
// attacker also removes x_hull_mac.
func TestExtendedMACAttacks(t *testing.T) {
	yml := xmacFormat(t, "yaml")
	base, err := xmacSeal(t, yml, yml, []byte(xmacPlain), xmacTestMeta(metadata.DefaultRule))
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%q not in the file", old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	insert := func(line string) func(*testing.T, []byte) []byte {
		return replace("\nsops:\n", "\n"+line+"\nsops:\n")
	}
	retype := func(key, typ string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			re := regexp.MustCompile(`(?m)^(` + key + `: ENC\[[^\]]*,type:)str\]`)
			if !re.Match(b) {
				t.Fatalf("no str value at %s", key)
			}
			return re.ReplaceAll(b, []byte("${1}"+typ+"]"))
		}
	}
	line := func(prefix string) string {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `.*\n`).Find(base)
		if m == nil {
			t.Fatalf("no line starting with %q", prefix)
		}
		return string(m)
	}
	headComment := line("#ENC[")
	tokenLine := line("    token: ")
	inline := regexp.MustCompile(` #ENC\[[^\]]*\]`).Find(base)
	if inline == nil {
		t.Fatal("no inline encrypted comment")
	}

	attacks := []struct {
		name   string
		mutate func(*testing.T, []byte) []byte
		meta   func(m *metadata.Metadata)
	}{
		{name: "C1-boundary-shift", mutate: func(t *testing.T, b []byte) []byte {
			return replace("a_unencrypted: foo\nb_unencrypted: bar\n", "a_unencrypted: fo\nb_unencrypted: obar\n")(t, b)
		}},
		{name: "C2-add-empty-string", mutate: insert(`x: ""`)},
		{name: "C2-add-null", mutate: insert(`x: null`)},
		{name: "C2-add-empty-mapping", mutate: insert(`x: {}`)},
		{name: "C2-add-empty-list", mutate: insert(`x: []`)},
		{name: "C2-remove-empty-string", mutate: replace("empty: \"\"\n", "")},
		{name: "C2-remove-null", mutate: replace("nothing: null\n", "")},
		{name: "C2-null-to-empty-string", mutate: replace("nothing: null\n", "nothing: \"\"\n")},
		{name: "C3-rename-plaintext-key", mutate: replace("a_unencrypted: foo", "zzz_unencrypted: foo")},
		{name: "C5-str-12-as-int", mutate: retype("pin", "int")},
		{name: "C5-str-True-as-bool", mutate: retype("flag", "bool")},
		{name: "C7-inject-plaintext-comment", mutate: replace("a_unencrypted: foo\n", "# send your token to attacker@example.com\na_unencrypted: foo\n")},
		{name: "C7-inject-inline-comment", mutate: replace("a_unencrypted: foo\n", "a_unencrypted: foo # wrong\n")},
		{name: "C7-delete-encrypted-comment", mutate: replace(headComment, "")},
		{name: "C7-move-encrypted-comment", mutate: func(t *testing.T, b []byte) []byte {
			b = replace(headComment, "")(t, b)
			return replace("b_unencrypted: bar\n", "b_unencrypted: bar\n"+headComment)(t, b)
		}},
		{name: "C7-inline-comment-to-own-line", mutate: func(t *testing.T, b []byte) []byte {
			b = replace(string(inline), "")(t, b)
			return replace("pin: ", strings.TrimPrefix(string(inline), " ")+"\npin: ")(t, b)
		}},
		{name: "C27-nested-to-colon-key", mutate: func(t *testing.T, b []byte) []byte {
			b = replace("creds:\n"+tokenLine, "")(t, b)
			return replace("list:\n", `"creds:token": `+strings.TrimPrefix(tokenLine, "    token: ")+"list:\n")(t, b)
		}},
		{name: "C20-recipient-injected", meta: func(m *metadata.Metadata) {
			s := metadata.NewStanza("age", "recipient", "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m", "enc", m.KeyGroups[0][0].Get("enc"))
			m.KeyGroups[0] = append(m.KeyGroups[0], s)
		}},
		{name: "C20-recipient-replaced", meta: func(m *metadata.Metadata) {
			m.KeyGroups[0][0].Set("recipient", "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m")
		}},
		{name: "shamir-threshold-changed", meta: func(m *metadata.Metadata) { m.ShamirThreshold = 1 }},
		{name: "rule-kind-changed", meta: func(m *metadata.Metadata) {
			m.Rule = metadata.Rule{Kind: metadata.UnencryptedRegex, Value: "_unencrypted"}
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			b := append([]byte{}, base...)
			if a.mutate != nil {
				b = a.mutate(t, b)
			}
			run := func(b []byte, opts OpenOptions) (*Result, error) {
				f, err := yml.Parse(b, formats.ParseOptions{Encrypted: true})
				if err != nil {
					t.Fatalf("parse: %v\n%s", err, b)
				}
				m, err := metadata.Load(f.Meta)
				if err != nil {
					t.Fatal(err)
				}
				if a.meta != nil {
					a.meta(m)
				}
				return Open(f, vectorKey(), m, opts)
			}
			_, err := run(b, OpenOptions{})
			if !errors.Is(err, ErrExtendedMAC) || errors.Is(err, ErrMACMismatch) {
				t.Fatalf("got %v, want only ErrExtendedMAC", err)
			}
			for _, secret := range []string{"hunter2", "tok-secret-1", "foo", "bar"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error reveals %q: %v", secret, err)
				}
			}
			if strings.Contains(err.Error(), "v1:") {
				t.Errorf("the error shows the stored MAC: %v", err)
			}
			// The sops MAC alone misses every one of these attacks.
			if _, err := run(b, OpenOptions{IgnoreMAC: true}); err != nil {
				t.Fatalf("with IgnoreMAC: %v", err)
			}
			// An attacker who also removes x_hull_mac gets a warning only,
			// unless the caller requires the MAC.
			stripped := regexp.MustCompile(`(?m)^    x_hull_mac: .*\n`).ReplaceAll(b, nil)
			if bytes.Equal(stripped, b) {
				t.Fatal("x_hull_mac not removed")
			}
			res, err := run(stripped, OpenOptions{})
			if err != nil {
				t.Fatalf("stripped: %v", err)
			}
			if !res.ExtendedMACMissing || res.ExtendedMACChecked || len(res.Warnings) == 0 || res.Warnings[len(res.Warnings)-1] != WarnNoExtendedMAC {
				t.Fatalf("stripped: result %+v", res)
			}
			if _, err := run(stripped, OpenOptions{RequireExtendedMAC: true}); !errors.Is(err, ErrExtendedMAC) {
				t.Fatalf("stripped and required: got %v, want ErrExtendedMAC", err)
			}
		})
	}
}

// TestExtendedMACRuleSwap is C8 / row 35: the rule is replaced by one that
// reads the existing values the same way (so the sops MAC passes) but
// would leave new keys in clear.
func TestExtendedMACRuleSwap(t *testing.T) {
	yml := xmacFormat(t, "yaml")
	enc, err := xmacSeal(t, yml, yml, []byte("password: hunter2\nnote_unencrypted: hello\n"), xmacTestMeta(metadata.DefaultRule))
	if err != nil {
		t.Fatal(err)
	}
	swapped := bytes.Replace(enc, []byte("unencrypted_suffix: _unencrypted"), []byte("encrypted_regex: ^password$"), 1)
	if bytes.Equal(swapped, enc) {
		t.Fatal("rule not found")
	}
	if _, _, err := xmacOpen(t, yml, swapped, OpenOptions{IgnoreMAC: true}); err != nil {
		t.Fatalf("the swapped rule should read the values: %v", err)
	}
	if _, _, err := xmacOpen(t, yml, swapped, OpenOptions{}); !errors.Is(err, ErrExtendedMAC) || errors.Is(err, ErrMACMismatch) {
		t.Fatalf("got %v, want ErrExtendedMAC", err)
	}
}

func TestExtendedMACMissingAndMalformed(t *testing.T) {
	yml := xmacFormat(t, "yaml")
	enc, err := xmacSeal(t, yml, yml, []byte("password: hunter2\n"), xmacTestMeta(metadata.DefaultRule))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^    x_hull_mac: (.*)$`)
	stored := string(re.FindSubmatch(enc)[1])
	tag, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(stored, "v1:"))
	flipped := append([]byte{}, tag...)
	flipped[0] ^= 1
	for _, v := range []string{
		"v2:" + strings.TrimPrefix(stored, "v1:"),
		"v1:" + base64.StdEncoding.EncodeToString(flipped),
		"v1:" + base64.StdEncoding.EncodeToString(tag[:31]),
		"v1:" + base64.RawStdEncoding.EncodeToString(tag),
		stored + "x",
		strings.TrimPrefix(stored, "v1:"),
		`""`,
		"{}",
	} {
		b := re.ReplaceAll(enc, []byte("    x_hull_mac: "+v))
		if _, _, err := xmacOpen(t, yml, b, OpenOptions{}); !errors.Is(err, ErrExtendedMAC) {
			t.Errorf("x_hull_mac %s: got %v, want ErrExtendedMAC", v, err)
		}
		if _, _, err := xmacOpen(t, yml, b, OpenOptions{IgnoreMAC: true}); err != nil {
			t.Errorf("x_hull_mac %s with IgnoreMAC: %v", v, err)
		}
	}
}

// TestExtendedMACFormats checks that every file hull writes verifies when
// read back: every sample of every format, written in every format that
// can hold it, with several rules.
func TestExtendedMACFormats(t *testing.T) {
	reg := all.Registry()
	var samples []string
	for _, g := range []string{"formats/*/testdata/*", "testdata/interop/cases/*/input.*"} {
		m, _ := filepath.Glob(g)
		samples = append(samples, m...)
	}
	rules := []struct {
		name    string
		rule    metadata.Rule
		macOnly bool
	}{
		{"default", metadata.DefaultRule, false},
		{"mac-only", metadata.DefaultRule, true},
		{"encrypted-regex", metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^(password|data|key|token|user|a)$"}, false},
		{"unencrypted-comment-regex", metadata.Rule{Kind: metadata.UnencryptedCommentRegex, Value: "sops:nocrypt"}, false},
		{"encrypted-comment-regex", metadata.Rule{Kind: metadata.EncryptedCommentRegex, Value: "secret"}, true},
	}
	checked := 0
	for _, p := range samples {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || strings.Contains(p, ".enc.") || strings.Contains(p, "golden") {
			continue
		}
		in, ok := reg.ForPath(p, "")
		if !ok || in.Name() == "binary" {
			continue
		}
		data, _ := os.ReadFile(p)
		if _, err := in.Parse(data, formats.ParseOptions{}); err != nil {
			continue // an error sample
		}
		for _, outName := range []string{"yaml", "json", "dotenv", "ini", "binary"} {
			out := xmacFormat(t, outName)
			for _, r := range rules {
				m := xmacTestMeta(r.rule)
				m.MACOnlyEncrypted = r.macOnly
				if outName == "binary" {
					m.Rule = metadata.Rule{}
				}
				enc, err := xmacSeal(t, in, out, data, m)
				switch {
				case errors.Is(err, formats.ErrUnsupported):
					continue // the output format cannot hold this tree
				case errors.Is(err, ErrNothingEncrypted):
					continue // this rule encrypts nothing in this sample
				case errors.Is(err, ErrEncrypt):
					// The file would not decrypt even without the extended
					// MAC: a format problem that Seal now reports instead
					// of writing the file.
					t.Logf("%s -> %s (%s): not written: %v", p, outName, r.name, err)
					continue
				case err != nil:
					t.Errorf("%s -> %s (%s): %v", p, outName, r.name, err)
					continue
				}
				_, res, err := xmacOpen(t, out, enc, OpenOptions{RequireExtendedMAC: true})
				switch {
				case errors.Is(err, ErrExtendedMAC):
					t.Errorf("%s -> %s (%s): hull cannot verify its own file: %v", p, outName, r.name, err)
					continue
				case err != nil:
					// Not the extended MAC: sops's MAC after a lossy
					// conversion (a bool in dotenv, several documents in
					// JSON). The extended MAC must still verify.
					t.Logf("%s -> %s (%s): %v", p, outName, r.name, err)
					if _, res, err = xmacOpen(t, out, enc, OpenOptions{IgnoreMAC: true}); err != nil {
						t.Errorf("%s -> %s (%s): %v", p, outName, r.name, err)
						continue
					}
					f, _ := out.Parse(enc, formats.ParseOptions{Encrypted: true})
					fm, _ := metadata.Load(f.Meta)
					if _, err := Open(f, vectorKey(), fm, OpenOptions{IgnoreMAC: true}); err != nil {
						t.Fatal(err)
					}
					res = &Result{}
					if err := checkExtendedMAC(f.Docs, vectorKey(), fm, true, res); err != nil {
						t.Errorf("%s -> %s (%s): hull cannot verify its own file: %v", p, outName, r.name, err)
						continue
					}
				}
				if !res.ExtendedMACChecked {
					t.Errorf("%s -> %s (%s): extended MAC not checked", p, outName, r.name)
				}
				checked++
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d files checked", checked)
	}
}

// TestExtendedMACSealWithoutFormat: without SealOptions.Format the MAC
// covers the tree as given, which verifies when the file is written in
// the format it came from.
func TestExtendedMACSealWithoutFormat(t *testing.T) {
	for _, name := range []string{"yaml", "json", "dotenv", "ini"} {
		fm := xmacFormat(t, name)
		p, _ := filepath.Glob("testdata/interop/cases/*/input." + map[string]string{"yaml": "yaml", "json": "json", "dotenv": "env", "ini": "ini"}[name])
		if len(p) == 0 {
			t.Fatalf("no %s sample", name)
		}
		data, _ := os.ReadFile(p[0])
		enc, err := xmacSealOpts(t, fm, fm, data, xmacTestMeta(metadata.DefaultRule), SealOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, res, err := xmacOpen(t, fm, enc, OpenOptions{}); err != nil || !res.ExtendedMACChecked {
			t.Errorf("%s: %v %+v", name, err, res)
		}
	}
}

func TestRefreshExtendedMAC(t *testing.T) {
	yml := xmacFormat(t, "yaml")
	enc, err := xmacSeal(t, yml, yml, []byte(xmacPlain), xmacTestMeta(metadata.DefaultRule))
	if err != nil {
		t.Fatal(err)
	}
	// A pure re-wrap: a recipient is added without re-encrypting.
	f, err := yml.Parse(enc, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := metadata.Load(f.Meta)
	updated, _ := metadata.Load(f.Meta)
	updated.KeyGroups[0] = append(updated.KeyGroups[0], metadata.NewStanza("age", "recipient", "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m", "enc", "x"))
	f.Meta = updated.Node()
	rewrapped, _ := yml.Emit(f, formats.EmitOptions{})
	if _, _, err := xmacOpen(t, yml, rewrapped, OpenOptions{}); !errors.Is(err, ErrExtendedMAC) {
		t.Fatalf("re-wrap without refresh: got %v, want ErrExtendedMAC", err)
	}
	if _, err := RefreshExtendedMACEncrypted(f, vectorKey(), old, updated, OpenOptions{}); err != nil {
		t.Fatal(err)
	}
	refreshed, _ := yml.Emit(f, formats.EmitOptions{})
	if _, res, err := xmacOpen(t, yml, refreshed, OpenOptions{RequireExtendedMAC: true}); err != nil || !res.ExtendedMACChecked {
		t.Fatalf("after refresh: %v", err)
	}
	if a, b := regexp.MustCompile(`mac: ENC.*`).Find(enc), regexp.MustCompile(`mac: ENC.*`).Find(refreshed); !bytes.Equal(a, b) {
		t.Error("the refresh changed the sops MAC")
	}
	// A tampered file is never vouched for.
	f2, _ := yml.Parse(bytes.Replace(enc, []byte("a_unencrypted: foo\nb_unencrypted: bar"), []byte("a_unencrypted: fo\nb_unencrypted: obar"), 1), formats.ParseOptions{Encrypted: true})
	old2, _ := metadata.Load(f2.Meta)
	if _, err := RefreshExtendedMACEncrypted(f2, vectorKey(), old2, old2, OpenOptions{}); !errors.Is(err, ErrExtendedMAC) {
		t.Fatalf("refresh of a tampered file: got %v, want ErrExtendedMAC", err)
	}
	// RefreshExtendedMAC on a plaintext tree gives the tag Seal gives.
	plain, _ := yml.Parse([]byte(xmacPlain), formats.ParseOptions{})
	m := xmacTestMeta(metadata.DefaultRule)
	if err := RefreshExtendedMAC(plain, vectorKey(), m); err != nil {
		t.Fatal(err)
	}
	if got, want := storedExtendedMAC(m).Value, string(regexp.MustCompile(`x_hull_mac: (.*)`).FindSubmatch(enc)[1]); got != want {
		t.Errorf("RefreshExtendedMAC %s, Seal %s", got, want)
	}
}

// ---- golden vector -------------------------------------------------------

// xmacVector is testdata/vectors/xmac-v1.json.
type xmacVector struct {
	Comment          string     `json:"comment"`
	Key              string     `json:"key_hex"`
	Tree             string     `json:"tree_yaml"`
	Rule             [2]string  `json:"rule"`
	MACOnlyEncrypted bool       `json:"mac_only_encrypted"`
	ShamirThreshold  int        `json:"shamir_threshold"`
	KeyGroups        [][]string `json:"key_groups"` // "type:id"
	HMACKey          string     `json:"hmac_key_hex"`
	Encoding         string     `json:"encoding_hex"`
	Tag              string     `json:"tag_hex"`
	Stored           string     `json:"x_hull_mac"`
}

const xmacVectorTree = `# top
name: alice
count: 42
ratio: 0.50
flag: true
when: 2024-01-02T03:04:05Z
empty: ""
nothing: null
map: {}
seq: []
nested:
    a:b: x # inline
    list:
        - 1
        # in a list
        - two
keep_unencrypted: visible
---
doc: 2
`

func xmacVectorInputs(t *testing.T) (*formats.File, []byte, *metadata.Metadata) {
	f, err := xmacFormat(t, "yaml").Parse([]byte(xmacVectorTree), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := &metadata.Metadata{
		Rule:            metadata.DefaultRule,
		ShamirThreshold: 2,
		KeyGroups: [][]metadata.Stanza{
			{metadata.NewStanza("pgp", "fp", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "enc", "x"), metadata.NewStanza("age", "recipient", xmacTestRecipient, "enc", "x")},
			{metadata.NewStanza("age", "recipient", "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m", "enc", "y")},
		},
	}
	return f, vectorKey(), m
}

func TestExtendedMACVector(t *testing.T) {
	f, key, m := xmacVectorInputs(t)
	var enc bytes.Buffer
	if err := encodeExtendedMAC(&enc, f.Docs, key, m); err != nil {
		t.Fatal(err)
	}
	hk, _ := xmacKey(key)
	tag, err := extendedMAC(f.Docs, key, m)
	if err != nil {
		t.Fatal(err)
	}
	got := xmacVector{
		Comment:          "hull extended MAC v1 (docs/FORMAT.md §8): tree_yaml parsed as YAML, the metadata below, key_hex as the data key; key_groups lists type:StanzaID per stanza, in the order they are encoded",
		Key:              hex.EncodeToString(key),
		Tree:             xmacVectorTree,
		Rule:             [2]string{m.Rule.Kind, m.Rule.Value},
		MACOnlyEncrypted: m.MACOnlyEncrypted,
		ShamirThreshold:  m.ShamirThreshold,
		HMACKey:          hex.EncodeToString(hk),
		Encoding:         hex.EncodeToString(enc.Bytes()),
		Tag:              hex.EncodeToString(tag),
		Stored:           formatExtendedMAC(tag),
	}
	for _, g := range m.KeyGroups {
		var ids []string
		g = append([]metadata.Stanza(nil), g...)
		sort.SliceStable(g, func(i, j int) bool { return g[i].Type < g[j].Type })
		for _, s := range g {
			ids = append(ids, s.Type+":"+metadata.StanzaID(s))
		}
		got.KeyGroups = append(got.KeyGroups, ids)
	}
	path := filepath.Join("testdata", "vectors", "xmac-v1.json")
	if *updateXMACVector {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExtendedMACVector -xmac.update)", err)
	}
	var want xmacVector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if want.Tree != got.Tree || want.Key != got.Key {
		t.Fatal("the vector's inputs differ from the test's")
	}
	if want.HMACKey != got.HMACKey {
		t.Errorf("HMAC key\n got %s\nwant %s", got.HMACKey, want.HMACKey)
	}
	if want.Encoding != got.Encoding {
		t.Errorf("encoding\n got %s\nwant %s", got.Encoding, want.Encoding)
	}
	if want.Tag != got.Tag || want.Stored != got.Stored {
		t.Errorf("tag\n got %s\nwant %s", got.Tag, want.Tag)
	}
	// The stanza order inside a group does not matter across types (the
	// metadata is always read back grouped by type) but does within one.
	m.KeyGroups[0][0], m.KeyGroups[0][1] = m.KeyGroups[0][1], m.KeyGroups[0][0]
	if tag2, _ := extendedMAC(f.Docs, key, m); !bytes.Equal(tag, tag2) {
		t.Error("the order of stanzas of different types changes the tag")
	}
}

// ---- fuzzing -------------------------------------------------------------

// xmacNodes lists every node below the document roots, with its parent.
func xmacNodes(docs []*formats.Node) (nodes, parents []*formats.Node) {
	var walk func(p *formats.Node)
	walk = func(p *formats.Node) {
		for _, c := range p.Children {
			nodes, parents = append(nodes, c), append(parents, p)
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return nodes, parents
}

// FuzzExtendedMAC checks that any single-byte change to a value, key,
// comment or type of a decrypted tree changes the tag.
func FuzzExtendedMAC(f *testing.F) {
	f.Add([]byte(xmacVectorTree), uint(0), uint(0), byte('x'), uint8(0))
	f.Add([]byte(xmacPlain), uint(3), uint(1), byte(0), uint8(1))
	f.Add([]byte(xmacPlain), uint(7), uint(0), byte('a'), uint8(2))
	f.Add([]byte("a: {b: ''}\nc: [null, '', 0]\n"), uint(2), uint(0), byte(':'), uint8(0))
	yml := xmacFormat(f, "yaml")
	f.Fuzz(func(t *testing.T, src []byte, which, pos uint, b byte, what uint8) {
		file, err := yml.Parse(src, formats.ParseOptions{Limits: formats.Limits{MaxBytes: 1 << 16, MaxNodes: 1 << 12}})
		if err != nil || len(file.Docs) == 0 {
			return
		}
		for _, d := range file.Docs {
			if d.Kind != formats.Mapping {
				return
			}
		}
		nodes, parents := xmacNodes(file.Docs)
		if len(nodes) == 0 {
			return
		}
		n, parent := nodes[which%uint(len(nodes))], parents[which%uint(len(nodes))]
		for _, macOnly := range []bool{false, true} {
			m := xmacTestMeta(metadata.DefaultRule)
			m.MACOnlyEncrypted = macOnly
			before, err := extendedMAC(file.Docs, vectorKey(), m)
			if err != nil {
				t.Fatal(err)
			}
			saved := *n
			changed := false
			edit := func(s string) string {
				if len(s) == 0 {
					changed = true
					return string([]byte{b})
				}
				i := pos % uint(len(s))
				if s[i] == b {
					return s
				}
				changed = true
				return s[:i] + string([]byte{b}) + s[i+1:]
			}
			switch what % 3 {
			case 0: // the value of a scalar or the text of a comment
				if (n.Kind == formats.Scalar && n.Type != formats.Null) || n.Kind == formats.Comment {
					n.Value = edit(n.Value)
				}
			case 1: // a mapping key
				if parent.Kind == formats.Mapping && n.Kind != formats.Comment {
					n.Key = edit(n.Key)
				}
			case 2: // the type of a scalar
				if n.Kind == formats.Scalar {
					if t := formats.Type(b % 6); t != n.Type {
						n.Type, changed = t, true
						if t == formats.Null {
							n.Value = ""
						}
					}
				}
			}
			if changed {
				after, err := extendedMAC(file.Docs, vectorKey(), m)
				if err != nil {
					t.Fatal(err)
				}
				// With mac_only_encrypted only encrypted slots are covered;
				// a change that touches no encrypted slot may keep the tag.
				if bytes.Equal(before, after) && !macOnly {
					t.Fatalf("a one-byte change (%d) to a %s node does not change the tag", what%3, n.Kind)
				}
				if bytes.Equal(before, after) && macOnly && xmacCovered(file.Docs, n) {
					t.Fatalf("mac-only: a one-byte change (%d) to a covered %s node does not change the tag", what%3, n.Kind)
				}
			}
			*n = saved
		}
	})
}

// xmacCovered reports whether n is in an encrypted slot under the default
// rule, checked both before and after the change: no key on its path ends
// with _unencrypted.
func xmacCovered(docs []*formats.Node, target *formats.Node) bool {
	var found, covered bool
	var walk func(n *formats.Node, enc bool)
	walk = func(n *formats.Node, enc bool) {
		for _, c := range n.Children {
			e := enc && (c.Kind == formats.Comment || !strings.HasSuffix(c.Key, "_unencrypted"))
			if c == target {
				found, covered = true, e
				return
			}
			walk(c, e)
			if found {
				return
			}
		}
	}
	for _, d := range docs {
		walk(d, true)
	}
	return found && covered && target.Kind != formats.Mapping && target.Kind != formats.Sequence
}

func TestResultNotices(t *testing.T) {
	r := &Result{Warnings: []string{"other", WarnNoExtendedMAC}}
	if got := r.Notices(false, false); len(got) != 1 || got[0] != "other" {
		t.Errorf("read-only, quiet: %q", got)
	}
	if got := r.Notices(false, true); len(got) != 2 || got[1] != WarnNoExtendedMAC {
		t.Errorf("read-only, verbose: %q", got)
	}
	for _, verbose := range []bool{false, true} {
		if got := r.Notices(true, verbose); len(got) != 2 || got[1] != warnNoExtendedMACRewrite {
			t.Errorf("rewriting (verbose %t): %q", verbose, got)
		}
	}
}
