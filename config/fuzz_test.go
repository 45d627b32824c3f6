package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	n := 0
	add := func(b []byte) { f.Add(b); n++ }
	for _, p := range []string{
		filepath.Join("..", ".sops.yaml.example"),
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "interop", "cases", "*", FileName))
	if len(paths) == 0 {
		f.Fatal("no interop .sops.yaml seeds found")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
	for _, tc := range validConfigs {
		add([]byte(tc.text))
	}
	for _, tc := range invalidConfigs {
		add([]byte(tc.text))
	}
	if n == 0 {
		f.Fatal("no seeds found")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "/cfg/.sops.yaml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Msg == "" {
				t.Fatalf("Parse error %v (%T) is not an *Error", err, err)
			}
			if c != nil {
				t.Fatal("Parse returned a config and an error")
			}
			return
		}
		for i := range c.CreationRules {
			r := &c.CreationRules[i]
			if len(r.KeyGroups) == 0 {
				t.Fatal("a rule without key groups")
			}
			if err := r.Rule.Validate(); err != nil {
				t.Fatalf("an accepted rule does not validate: %v", err)
			}
			for _, g := range r.KeyGroups {
				for _, k := range g {
					if k.ID == "" || k.Type == "" {
						t.Fatalf("empty key %+v", k)
					}
				}
			}
		}
		c.RuleFor("/cfg/a/b.yaml")
		c.RuleFor("/elsewhere/b.yaml")
		c.DestinationFor("a/b.yaml")
	})
}
