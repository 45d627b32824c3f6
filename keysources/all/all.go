// Package all is the table of key sources hull knows: one entry per source,
// in the order they are documented. Adding a source is one line in Sources.
//
// The table is explicit on purpose: no init() registration, no blank
// imports. cmd/ reads Flag and Env to build its flags and configuration;
// this package reads neither.
package all

import (
	"fmt"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// Source describes one key source.
type Source struct {
	// Name is the stanza type ("age", "pgp", …) and the name used in
	// --decryption-order.
	Name string
	// Flag is the command-line flag that takes its recipients ("age" for
	// --age).
	Flag string
	// Env is the environment variable that holds its recipients, as in sops.
	Env string
	// Parse parses a comma-separated list of recipients.
	Parse func(string) ([]keysources.Recipient, error)
}

// Sources lists every key source. Keep Name unique: the table is checked
// when the package is loaded and by its tests.
var Sources = mustValid([]Source{
	{Name: "age", Flag: "age", Env: "SOPS_AGE_RECIPIENTS", Parse: age.ParseRecipients},
})

// Lookup returns the source with the given name.
func Lookup(name string) (Source, bool) {
	for _, s := range Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Names returns the names of all sources, in table order, for messages
// such as "unknown key type, want one of age, pgp".
func Names() []string {
	out := make([]string, len(Sources))
	for i, s := range Sources {
		out[i] = s.Name
	}
	return out
}

func validate(sources []Source) error {
	names, flags, envs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, s := range sources {
		switch {
		case s.Name == "" || s.Flag == "" || s.Parse == nil:
			return fmt.Errorf("key source %d (%q) needs a Name, a Flag and Parse", i+1, s.Name)
		case names[s.Name]:
			return fmt.Errorf("duplicate key source name %q", s.Name)
		case flags[s.Flag]:
			return fmt.Errorf("duplicate key source flag %q", s.Flag)
		case s.Env != "" && envs[s.Env]:
			return fmt.Errorf("duplicate key source environment variable %q", s.Env)
		}
		names[s.Name], flags[s.Flag], envs[s.Env] = true, true, true
	}
	return nil
}

// mustValid panics on a malformed table: a programming error, caught by
// any test that loads the package.
func mustValid(sources []Source) []Source {
	if err := validate(sources); err != nil {
		panic("keysources/all: " + err.Error())
	}
	return sources
}
