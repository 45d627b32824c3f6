package all

import (
	"strings"
	"testing"

	"github.com/hullsecrets/hull/keysources"
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
	if strings.Join(Names(), ",") != "age" {
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
