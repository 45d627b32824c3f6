package all

import (
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/metadata"
)

func TestTable(t *testing.T) {
	if err := validate(Sources); err != nil {
		t.Fatal(err)
	}
	for _, s := range Sources {
		known := false
		for _, typ := range metadata.StanzaTypes {
			known = known || typ == s.Name
		}
		if !known {
			t.Errorf("source %q is not a stanza type of the format", s.Name)
		}
		if got, ok := Lookup(s.Name); !ok || got.Name != s.Name {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got.Name, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	if strings.Join(Names(), ",") != "age,pgp,kms,hc_vault,gcp_kms,azure_kv" {
		t.Errorf("Names() = %q", Names())
	}
}

func TestAgeEntry(t *testing.T) {
	s, ok := Lookup("age")
	if !ok || s.Flag != "age" || s.Env != "SOPS_AGE_RECIPIENTS" {
		t.Fatalf("age entry %+v", s)
	}
	rs, err := s.Parse("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil || len(rs) != 1 || rs[0].Type() != "age" {
		t.Fatalf("Parse: %v, %v", rs, err)
	}
}

func TestPGPEntry(t *testing.T) {
	s, ok := Lookup("pgp")
	if !ok || s.Flag != "pgp" || s.Env != "SOPS_PGP_FP" {
		t.Fatalf("pgp entry %+v", s)
	}
	const fp = "842D725CEB1D378DAC9F2FA31390070CED3A532E"
	rs, err := s.ParseWith(fp, Options{PGP: pgp.Options{GPGExec: "/nonexistent"}})
	if err != nil || len(rs) != 1 || rs[0].Type() != "pgp" || rs[0].String() != fp {
		t.Fatalf("ParseWith: %v, %v", rs, err)
	}
	// The options reach the recipient: with no gpg, wrapping says so.
	if _, err := rs[0].Wrap(make([]byte, 32)); !errors.Is(err, pgp.ErrGPGNotFound) {
		t.Errorf("Wrap without gpg: %v", err)
	}
	if rs, err := s.Parse(fp); err != nil || len(rs) != 1 {
		t.Fatalf("Parse: %v, %v", rs, err)
	}
	age, _ := Lookup("age")
	if rs, err := age.ParseWith("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m", Options{}); err != nil || len(rs) != 1 {
		t.Fatalf("age ParseWith: %v, %v", rs, err)
	}
}

func TestValidate(t *testing.T) {
	parse := func(string) ([]keysources.Recipient, error) { return nil, nil }
	for _, c := range []struct {
		table []Source
		want  string
	}{
		{[]Source{{Name: "a", Flag: "a", Parse: parse}, {Name: "a", Flag: "b", Parse: parse}}, `duplicate key source name "a"`},
		{[]Source{{Name: "a", Flag: "a", Parse: parse}, {Name: "b", Flag: "a", Parse: parse}}, `duplicate key source flag "a"`},
		{[]Source{{Name: "a", Flag: "a", Env: "E", Parse: parse}, {Name: "b", Flag: "b", Env: "E", Parse: parse}}, `duplicate key source environment variable "E"`},
		{[]Source{{Name: "a", Flag: "a"}}, "needs a Name, a Flag and Parse"},
	} {
		if err := validate(c.table); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("validate = %v, want %q", err, c.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "duplicate") {
			t.Errorf("mustValid did not panic on a duplicate: %v", r)
		}
	}()
	mustValid([]Source{{Name: "a", Flag: "a", Parse: parse}, {Name: "a", Flag: "a", Parse: parse}})
}

func TestCloudEntries(t *testing.T) {
	for _, c := range []struct{ name, flag, env, key string }{
		{"kms", "kms", "SOPS_KMS_ARN", "arn:aws:kms:us-east-1:123456789012:key/abc+arn:aws:iam::123456789012:role/r"},
		{"hc_vault", "hc-vault-transit", "SOPS_VAULT_URIS", "https://vault.example.com:8200/v1/transit/keys/k"},
	} {
		s, ok := Lookup(c.name)
		if !ok || s.Flag != c.flag || s.Env != c.env {
			t.Fatalf("%s entry %+v", c.name, s)
		}
		rs, err := s.ParseWith(c.key, Options{})
		if err != nil || len(rs) != 1 || rs[0].Type() != c.name || rs[0].String() != c.key {
			t.Errorf("%s ParseWith: %v, %v", c.name, rs, err)
		}
	}
}

func TestGCPAzureEntries(t *testing.T) {
	for _, c := range []struct{ name, flag, env, id string }{
		{"gcp_kms", "gcp-kms", "SOPS_GCP_KMS_IDS", "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
		{"azure_kv", "azure-kv", "SOPS_AZURE_KEYVAULT_URLS", "https://v.vault.azure.net/keys/k/v1"},
	} {
		s, ok := Lookup(c.name)
		if !ok || s.Flag != c.flag || s.Env != c.env {
			t.Fatalf("%s entry %+v", c.name, s)
		}
		rs, err := s.ParseWith(c.id, Options{})
		if err != nil || len(rs) != 1 || rs[0].Type() != c.name || rs[0].String() != c.id {
			t.Errorf("%s ParseWith: %v, %v", c.name, rs, err)
		}
		if _, err := s.Parse("not a key"); err == nil {
			t.Errorf("%s Parse accepted a malformed key", c.name)
		}
	}
}
