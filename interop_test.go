package hull_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/metadata"
)

const interop = "testdata/interop"

// identity loads one of the interop test identities by its case.txt name.
func identity(t *testing.T, name string) keysources.Identity {
	t.Helper()
	switch {
	case strings.HasPrefix(name, "age"):
		b, err := os.ReadFile(filepath.Join(interop, "keys", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		ids, err := age.ParseIdentities(bytes.NewReader(b), name)
		if err != nil || len(ids) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		return ids[0]
	case strings.HasPrefix(name, "pgp"):
		// The key file, in Go: these tests need no gpg (keysources/pgp
		// runs the same fixtures through gpg).
		b, err := os.ReadFile(filepath.Join(interop, "keys", name+".sec.asc"))
		if err != nil {
			t.Fatal(err)
		}
		id, err := pgp.ParseSecretKeyFile(b, name)
		if err != nil {
			t.Fatal(err)
		}
		return id
	case name == "ssh-ed25519":
		b, err := os.ReadFile(filepath.Join(interop, "keys", name))
		if err != nil {
			t.Fatal(err)
		}
		id, err := age.ParseSSHIdentity(b, name)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	return nil
}

type interopCase struct {
	name       string
	dir        string
	ext        string
	identities []string // age, ssh and pgp names from "decrypts with:"
	// againstInput: hull's round trip is compared with the input, not with
	// sops's decryption ("hull round trip: input" in case.txt), where sops
	// cannot read back what it wrote (a comment it keeps encrypted).
	againstInput bool
}

func interopCases(t *testing.T) []interopCase {
	dirs, _ := filepath.Glob(filepath.Join(interop, "cases", "*"))
	if len(dirs) < 20 {
		t.Fatalf("only %d interop cases found", len(dirs))
	}
	var out []interopCase
	for _, d := range dirs {
		enc, _ := filepath.Glob(filepath.Join(d, "encrypted.*"))
		if len(enc) != 1 {
			t.Fatalf("%s: %d encrypted files", d, len(enc))
		}
		c := interopCase{name: filepath.Base(d), dir: d, ext: filepath.Ext(enc[0])}
		txt, err := os.ReadFile(filepath.Join(d, "case.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(txt), "\n") {
			if line == "hull round trip: input" {
				c.againstInput = true
			}
			if rest, ok := strings.CutPrefix(line, "decrypts with:"); ok {
				for _, n := range strings.Fields(strings.ReplaceAll(rest, ",", " ")) {
					if strings.HasPrefix(n, "age") || strings.HasPrefix(n, "pgp") || n == "ssh-ed25519" {
						c.identities = append(c.identities, n)
					}
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func formatFor(t *testing.T, path string) formats.Format {
	f, _ := all.Registry().ForPath(path, "binary")
	return f
}

// clearInline drops the Inline flag: sops moves inline comments above
// their key when it decrypts, hull keeps them inline; the trees are
// otherwise the same.
func clearInline(n *formats.Node) *formats.Node {
	c := n.Clone()
	var walk func(*formats.Node)
	walk = func(n *formats.Node) {
		n.Inline = false
		n.Line = 0
		for _, ch := range n.Children {
			walk(ch)
		}
	}
	walk(c)
	return c
}

func decryptFile(t *testing.T, path string, ids []keysources.Identity) (*formats.File, *hull.Opened, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := formatFor(t, path).Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	o, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{Identities: ids})
	return f, o, err
}

// TestInteropDecrypt decrypts every sops-written case with each identity
// that can open it (age, ssh, pgp) and compares it with what sops printed.
func TestInteropDecrypt(t *testing.T) {
	for _, c := range interopCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if len(c.identities) == 0 {
				t.Fatal("case.txt names no identity")
			}
			for _, idName := range c.identities {
				f, _, err := decryptFile(t, filepath.Join(c.dir, "encrypted"+c.ext), []keysources.Identity{identity(t, idName)})
				if c.name == "yaml-shamir-2of3" {
					// One group of three is below the threshold of two.
					if err == nil {
						t.Fatalf("%s alone opened a 2-of-3 file", idName)
					}
					continue
				}
				if err != nil {
					t.Fatalf("decrypt with %s: %v", idName, err)
				}
				compareDecrypted(t, c, f)
			}
			if c.name == "yaml-shamir-2of3" {
				// Any two of the three groups' identities open it.
				for i, a := range c.identities {
					for _, b := range c.identities[i+1:] {
						f, _, err := decryptFile(t, filepath.Join(c.dir, "encrypted"+c.ext), []keysources.Identity{identity(t, a), identity(t, b)})
						if err != nil {
							t.Fatalf("%s+%s: %v", a, b, err)
						}
						compareDecrypted(t, c, f)
					}
				}
			}
		})
	}
}

func compareDecrypted(t *testing.T, c interopCase, f *formats.File) {
	t.Helper()
	decPaths, _ := filepath.Glob(filepath.Join(c.dir, "decrypted.*"))
	want, err := os.ReadFile(decPaths[0])
	if err != nil {
		t.Fatal(err)
	}
	outFmt := formatFor(t, decPaths[0])
	got, err := outFmt.Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	// Not byte-identical: the only allowed difference is the position of
	// inline comments, which hull keeps and sops moves.
	wf, err := outFmt.Parse(want, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gf, err := outFmt.Parse(got, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wf.Docs {
		if !formats.Equal(clearInline(wf.Docs[i]), clearInline(gf.Docs[i])) {
			t.Fatalf("decrypted tree differs from sops's output\n--- hull\n%s\n--- sops\n%s", got, want)
		}
	}
	if !hasInline(gf.Docs) {
		t.Fatalf("output differs from sops's without an inline comment to explain it\n--- hull\n%s\n--- sops\n%s", got, want)
	}
}

func hasInline(docs []*formats.Node) bool {
	var found bool
	var walk func(*formats.Node)
	walk = func(n *formats.Node) {
		if n.Kind == formats.Comment && n.Inline {
			found = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return found
}

// TestInteropReencrypt encrypts every case's input with hull and checks
// that it decrypts to the same tree as sops's own file, and that the
// metadata follows the format (rule written, version, sorted fields).
func TestInteropReencrypt(t *testing.T) {
	a1 := identity(t, "age1")
	recips, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range interopCases(t) {
		if len(c.identities) == 0 || c.name == "yaml-shamir-2of3" || c.name == "yaml-after-set" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			inPaths, _ := filepath.Glob(filepath.Join(c.dir, "input.*"))
			in, err := os.ReadFile(inPaths[0])
			if err != nil {
				t.Fatal(err)
			}
			inFmt := formatFor(t, inPaths[0])
			f, err := inFmt.Parse(in, formats.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Take the rule from sops's file, as a user would pass the flag.
			sopsFile, _, err := decryptFile(t, filepath.Join(c.dir, "encrypted"+c.ext), []keysources.Identity{identity(t, c.identities[0])})
			if err != nil {
				t.Fatal(err)
			}
			encData, _ := os.ReadFile(filepath.Join(c.dir, "encrypted"+c.ext))
			encParsed, _ := formatFor(t, "x"+c.ext).Parse(encData, formats.ParseOptions{Encrypted: true})
			sm, err := metadata.Load(encParsed.Meta)
			if err != nil {
				t.Fatal(err)
			}
			outFmt := formatFor(t, "x"+c.ext)
			opts := hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}, Rule: sm.Rule, MACOnlyEncrypted: sm.MACOnlyEncrypted, Format: outFmt}
			if outFmt.Name() == "binary" {
				opts.NoRule, opts.Rule = true, metadata.Rule{}
			}
			if err := hull.Encrypt(f, opts); err != nil {
				t.Fatal(err)
			}
			out, err := outFmt.Emit(f, formats.EmitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sm.Rule == metadata.DefaultRule && (bytes.Contains(out, []byte("s3cr3t")) || bytes.Contains(out, []byte("tok-alpha"))) {
				t.Fatal("a secret value is in the encrypted output")
			}
			back, err := outFmt.Parse(out, formats.ParseOptions{Encrypted: true})
			if err != nil {
				t.Fatalf("parse hull's output: %v\n%s", err, out)
			}
			m, err := metadata.Load(back.Meta)
			if err != nil {
				t.Fatal(err)
			}
			if m.Version != metadata.Version || m.Rule != sm.Rule || m.MACOnlyEncrypted != sm.MACOnlyEncrypted {
				t.Errorf("metadata: version %q rule %v mac-only %v; sops wrote rule %v", m.Version, m.Rule, m.MACOnlyEncrypted, sm.Rule)
			}
			if _, err := hull.Decrypt(context.Background(), back, hull.DecryptOptions{Identities: []keysources.Identity{a1}}); err != nil {
				t.Fatalf("hull cannot decrypt its own output: %v", err)
			}
			if c.againstInput {
				if sopsFile, err = inFmt.Parse(in, formats.ParseOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if len(back.Docs) != len(sopsFile.Docs) {
				t.Fatalf("%d documents, sops has %d", len(back.Docs), len(sopsFile.Docs))
			}
			for i := range back.Docs {
				if !formats.Equal(normalizeFloats(clearInline(back.Docs[i])), normalizeFloats(clearInline(sopsFile.Docs[i]))) {
					t.Errorf("document %d differs from sops's after a hull round trip", i)
				}
			}
		})
	}
}

// normalizeFloats rewrites every float as sops prints it after a round trip
// (shortest form): hull keeps the written literal ("1.0", a 20-digit
// integer), sops does not; and a float that sops wrote in clear as an
// integer (1.0 as 1) reads back as an int, where hull keeps the float.
func normalizeFloats(n *formats.Node) *formats.Node {
	if n.Kind == formats.Scalar && n.Type == formats.Int {
		n.Type = formats.Float
	}
	if n.Kind == formats.Scalar && n.Type == formats.Float {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			n.Value = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	for _, c := range n.Children {
		normalizeFloats(c)
	}
	return n
}
