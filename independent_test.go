package hull_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

// TestIndependentVerifier checks hull's encrypted YAML against an
// independent reading of FORMAT.md that shares no code with hull's walker
// or cipher: it walks the file with yaml.v3, rebuilds each value's AAD from
// the mapping keys (list indexes excluded, a trailing ':'), opens it with
// crypto/cipher directly, recomputes the SHA-512 MAC over the plaintext
// values in order and compares it with the decrypted sops.mac.
func TestIndependentVerifier(t *testing.T) {
	recips, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join(interop, "cases", "yaml-basic", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yf := formatFor(t, "x.yaml")
	f, err := yf.Parse(in, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := hull.Encrypt(f, hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}}); err != nil {
		t.Fatal(err)
	}
	out, err := yf.Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The data key, through hull's key source (the key wrapping is tested
	// against sops's own files elsewhere).
	parsed, _ := yf.Parse(out, formats.ParseOptions{Encrypted: true})
	m, err := metadata.Load(parsed.Meta)
	if err != nil {
		t.Fatal(err)
	}
	key, err := keysources.Recover(t.Context(), m.KeyGroups, m.ShamirThreshold, []keysources.Identity{identity(t, "age1")}, nil)
	if err != nil {
		t.Fatal(err)
	}

	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var plainDoc yamlv3.Node
	if err := yamlv3.Unmarshal(in, &plainDoc); err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCMWithNonceSize(block, 32)
	encRe := regexp.MustCompile(`^ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:([a-z]+)\]$`)
	open := func(s, aad string) (string, string) {
		mm := encRe.FindStringSubmatch(s)
		if mm == nil {
			t.Fatalf("not an ENC value at %q: %.40s", aad, s)
		}
		data, _ := base64.StdEncoding.DecodeString(mm[1])
		iv, _ := base64.StdEncoding.DecodeString(mm[2])
		tag, _ := base64.StdEncoding.DecodeString(mm[3])
		if len(iv) != 32 || len(tag) != 16 {
			t.Fatalf("iv %d tag %d bytes", len(iv), len(tag))
		}
		pt, err := gcm.Open(nil, iv, append(data, tag...), []byte(aad))
		if err != nil {
			t.Fatalf("AAD %q does not open the value: %v", aad, err)
		}
		return string(pt), mm[4]
	}

	h := sha512.New()
	ivs := map[string]bool{}
	var walk func(enc, plain *yamlv3.Node, path []string)
	walk = func(enc, plain *yamlv3.Node, path []string) {
		aad := strings.Join(path, ":") + ":"
		if enc.Kind != yamlv3.ScalarNode { // a scalar's comments belong to its mapping
			for _, line := range strings.Split(enc.HeadComment+"\n"+enc.LineComment+"\n"+enc.FootComment, "\n") {
				if c := strings.TrimPrefix(strings.TrimSpace(line), "#"); strings.HasPrefix(c, "ENC[") {
					if _, typ := open(c, aad); typ != "comment" {
						t.Errorf("comment at %q has type %s", aad, typ)
					}
				}
			}
		}
		switch enc.Kind {
		case yamlv3.DocumentNode:
			walk(enc.Content[0], plain.Content[0], path)
		case yamlv3.MappingNode:
			pi := 0
			for i := 0; i < len(enc.Content); i += 2 {
				k := enc.Content[i].Value
				if len(path) == 0 && k == "sops" {
					continue
				}
				if plain.Content[pi].Value != k {
					t.Fatalf("key order changed at %q: %s vs %s", aad, k, plain.Content[pi].Value)
				}
				comments := enc.Content[i].HeadComment
				if enc.Content[i+1].Kind == yamlv3.ScalarNode {
					// A value's line comment belongs to the enclosing mapping.
					comments += "\n" + enc.Content[i+1].LineComment
				}
				for _, line := range strings.Split(comments, "\n") {
					if c := strings.TrimPrefix(strings.TrimSpace(line), "#"); strings.HasPrefix(c, "ENC[") {
						open(c, aad)
					}
				}
				walk(enc.Content[i+1], plain.Content[pi+1], append(append([]string{}, path...), k))
				pi += 2
			}
		case yamlv3.SequenceNode:
			pi := 0
			for _, e := range enc.Content {
				if e.Kind == yamlv3.ScalarNode && strings.HasSuffix(e.Value, ",type:comment]") {
					open(e.Value, aad) // a comment inside a list: never hashed
					continue
				}
				walk(e, plain.Content[pi], path)
				pi++
			}
		case yamlv3.ScalarNode:
			if plain.Tag == "!!null" {
				if enc.Tag != "!!null" {
					t.Errorf("null at %q was changed", aad)
				}
				return
			}
			if plain.Value == "" {
				if enc.Value != "" {
					t.Errorf("empty value at %q was encrypted", aad)
				}
				return
			}
			want := canonical(plain)
			if strings.HasSuffix(path[len(path)-1], "_unencrypted") || containsSuffix(path) {
				if enc.Value != plain.Value {
					t.Errorf("clear value at %q changed", aad)
				}
				h.Write([]byte(want))
				return
			}
			mm := encRe.FindStringSubmatch(enc.Value)
			if mm == nil {
				t.Fatalf("value at %q is not encrypted", aad)
			}
			if ivs[mm[2]] {
				t.Errorf("IV reused at %q", aad)
			}
			ivs[mm[2]] = true
			pt, typ := open(enc.Value, aad)
			if pt != want || typ != typeOf(plain) {
				t.Errorf("value at %q: type %s, plaintext differs", aad, typ)
			}
			h.Write([]byte(pt))
		}
	}
	walk(&doc, &plainDoc, nil)

	// The MAC: uppercase hex of SHA-512, encrypted with lastmodified as AAD.
	sopsNode := doc.Content[0].Content[len(doc.Content[0].Content)-1]
	var mac, lastmod string
	for i := 0; i < len(sopsNode.Content); i += 2 {
		switch sopsNode.Content[i].Value {
		case "mac":
			mac = sopsNode.Content[i+1].Value
		case "lastmodified":
			lastmod = sopsNode.Content[i+1].Value
		}
	}
	got, typ := open(mac, lastmod)
	if want := fmt.Sprintf("%X", h.Sum(nil)); got != want || typ != "str" {
		t.Fatalf("MAC does not match an independent computation")
	}
	if !bytes.Contains(out, []byte("\nsops:\n    age:\n        - enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n")) {
		t.Error("metadata layout differs from sops's")
	}
}

func containsSuffix(path []string) bool {
	for _, p := range path {
		if strings.HasSuffix(p, "_unencrypted") {
			return true
		}
	}
	return false
}

func typeOf(n *yamlv3.Node) string {
	switch n.Tag {
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!bool":
		return "bool"
	case "!!timestamp":
		return "time"
	}
	return "str"
}

func canonical(n *yamlv3.Node) string {
	switch n.Tag {
	case "!!bool":
		if n.Value == "true" {
			return "True"
		}
		return "False"
	}
	return n.Value
}
