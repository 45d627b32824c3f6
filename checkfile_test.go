package hull_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

func kinds(res hull.CheckResult) string {
	var k []string
	for _, f := range res.Findings {
		k = append(k, f.Kind)
	}
	return strings.Join(k, ",")
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, config.FileName)
	os.WriteFile(cfgPath, []byte("creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^pw\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n"), 0o600)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cr := cfg.CreationRules[0]
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, f *formats.File) string {
		out, err := yaml.New().Emit(f, formats.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, out, 0o600)
		return p
	}
	want := func(cr *config.CreationRule, _ string) ([][]hull.KeyID, error) {
		return [][]hull.KeyID{{{Type: "age", ID: "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"}}}, nil
	}
	opts := hull.CheckOptions{Config: cfg, Rule: &cr, WantKeys: want, Identities: ids}

	clean := write("clean.yaml", encryptedYAML(t, "pw: s\nname: n\n", metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^pw"}))
	if res := hull.CheckFile(context.Background(), clean, opts); res.Status != "ok" || !res.Verified {
		t.Errorf("clean: %+v", res)
	}
	drift := write("drift.yaml", encryptedYAML(t, "pw: s\nname: n\n", metadata.Rule{}))
	if res := hull.CheckFile(context.Background(), drift, opts); res.Status != "drift" || kinds(res) != hull.FindRuleDrift {
		t.Errorf("rule drift: %+v", res)
	}
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("pw: s\n"), 0o600)
	if res := hull.CheckFile(context.Background(), plain, opts); res.Status != "plaintext" {
		t.Errorf("plaintext: %+v", res)
	}
	data, _ := os.ReadFile(clean)
	tampered := filepath.Join(dir, "tampered.yaml")
	os.WriteFile(tampered, []byte(strings.Replace(string(data), "name: \"n\"", "name: \"x\"", 1)), 0o600)
	if d, _ := os.ReadFile(tampered); string(d) == string(data) {
		t.Fatalf("not tampered:\n%s", d)
	}
	if res := hull.CheckFile(context.Background(), tampered, opts); res.Status != "tampered" {
		t.Errorf("tampered: %+v", res)
	}
	o := opts
	o.NoDecrypt = true
	if res := hull.CheckFile(context.Background(), tampered, o); res.Status != "ok" || res.Verified {
		t.Errorf("structure only: %+v", res)
	}
	o = opts
	o.Identities, o.RequireKeys = nil, true
	if res := hull.CheckFile(context.Background(), clean, o); res.Status != "no-key" {
		t.Errorf("no key, required: %+v", res)
	}
	o.RequireKeys = false
	o.Rule, o.WantKeys = nil, nil
	if res := hull.CheckFile(context.Background(), clean, o); res.Status != "uncovered" {
		t.Errorf("uncovered: %+v", res)
	}
}

func TestRecipientDrift(t *testing.T) {
	f := encryptedYAML(t, "a: 1\n", metadata.Rule{})
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	have := hull.StanzaKeyIDs(m.KeyGroups)
	if d := hull.RecipientDrift(f.Meta, m, 0, have); d != "" {
		t.Errorf("same keys: %q", d)
	}
	other := [][]hull.KeyID{{{Type: "age", ID: "age1other"}}}
	if d := hull.RecipientDrift(f.Meta, m, 0, other); !strings.Contains(d, "+age:age1other") || !strings.Contains(d, "-age:age1mnudwt") {
		t.Errorf("changed keys: %q", d)
	}
}

func TestIsEncryptedFile(t *testing.T) {
	dir := t.TempDir()
	enc, err := yaml.New().Emit(encryptedYAML(t, "a: 1\n", metadata.Rule{}), formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"enc.yaml": string(enc), "plain.yaml": "a: 1\n", "plain.bin": "\x00\x01", "bad.json": "{"}
	for name, content := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	for name, want := range map[string]bool{"enc.yaml": true, "plain.yaml": false, "plain.bin": false} {
		if got, err := hull.IsEncryptedFile(filepath.Join(dir, name)); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := hull.IsEncryptedFile(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("a JSON file that does not parse was taken for plaintext")
	}
	if _, err := hull.IsEncryptedFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file was taken for plaintext")
	}
}
