package keysourcetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Fixture is what a key source gives the suite.
type Fixture struct {
	// Recipient and Identity are a matching pair.
	Recipient keysources.Recipient
	Identity  keysources.Identity
	// Other is an identity of the same key type that Recipient does not
	// address.
	Other keysources.Identity
	// Parse, if set, parses a recipient string (Recipient.String()).
	Parse func(string) ([]keysources.Recipient, error)
	// Secrets are strings (private keys, tokens) that must never appear in
	// String, %v, %#v or error text.
	Secrets []string
}

var checks = []struct {
	name string
	run  func(*testing.T, Fixture)
}{
	{"RoundTrip", testRoundTrip},
	{"StanzaType", testStanzaType},
	{"WrongIdentity", testWrongIdentity},
	{"OtherType", testOtherType},
	{"Corrupted", testCorrupted},
	{"ParseString", testParseString},
	{"NoSecrets", testNoSecrets},
}

// Run runs every check against f.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	if f.Recipient == nil || f.Identity == nil || f.Other == nil {
		t.Fatal("keysourcetest: Fixture needs Recipient, Identity and Other")
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, f) })
	}
}

// keys are the data keys wrapped: a data key, a Shamir part, odd sizes.
var keys = [][]byte{
	bytes.Repeat([]byte{0xa5}, 32),
	append(bytes.Repeat([]byte{0x3c}, 32), 0x02),
	{0x00},
	[]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
}

func wrap(t *testing.T, r keysources.Recipient, key []byte) metadata.Stanza {
	t.Helper()
	in := bytes.Clone(key)
	s, err := r.Wrap(in)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	if !bytes.Equal(in, key) {
		t.Fatal("Wrap modified the data key")
	}
	return s
}

func testRoundTrip(t *testing.T, f Fixture) {
	for _, key := range keys {
		s := wrap(t, f.Recipient, key)
		if s.Get("enc") == "" {
			t.Errorf("stanza has no enc field")
		}
		if strings.Contains(s.Get("enc"), string(key)) {
			t.Errorf("enc contains the data key in clear")
		}
		got, err := f.Identity.Unwrap(s)
		if err != nil {
			t.Fatalf("Unwrap of a %d-byte key: %v", len(key), err)
		}
		if !bytes.Equal(got, key) {
			t.Fatalf("Unwrap = %x, want %x", got, key)
		}
	}
	// Two wraps are independent: the second still unwraps after the first.
	s1, s2 := wrap(t, f.Recipient, keys[0]), wrap(t, f.Recipient, keys[1])
	for i, s := range []metadata.Stanza{s1, s2} {
		got, err := f.Identity.Unwrap(s)
		if err != nil || !bytes.Equal(got, keys[i]) {
			t.Errorf("Unwrap of stanza %d = %x, %v", i+1, got, err)
		}
	}
}

func testStanzaType(t *testing.T, f Fixture) {
	s := wrap(t, f.Recipient, keys[0])
	if s.Type != f.Recipient.Type() {
		t.Errorf("stanza type %q, Recipient.Type() %q", s.Type, f.Recipient.Type())
	}
	if id := metadata.StanzaID(s); id == "" || id == "?" {
		t.Errorf("StanzaID of the stanza = %q", id)
	}
	if s.Fields == nil {
		t.Errorf("stanza has no fields")
	}
}

func testWrongIdentity(t *testing.T, f Fixture) {
	s := wrap(t, f.Recipient, keys[0])
	got, err := f.Other.Unwrap(s)
	if !errors.Is(err, keysources.ErrIncorrectIdentity) {
		t.Errorf("Unwrap with another identity: %v, want ErrIncorrectIdentity", err)
	}
	if got != nil {
		t.Errorf("Unwrap returned %d bytes with an error", len(got))
	}
}

func testOtherType(t *testing.T, f Fixture) {
	s := wrap(t, f.Recipient, keys[0])
	other := metadata.NewStanza("hull_test_other", "enc", s.Get("enc"))
	for _, c := range s.Fields.Children {
		other.Set(c.Key, c.Value)
	}
	got, err := f.Identity.Unwrap(other)
	if !errors.Is(err, keysources.ErrIncorrectIdentity) || got != nil {
		t.Errorf("Unwrap of a %q stanza = %d bytes, %v; want ErrIncorrectIdentity", other.Type, len(got), err)
	}
}

// testCorrupted damages enc in several ways: every result must be an error
// with no key, or (if the damage is harmless to the encoding) the right key.
func testCorrupted(t *testing.T, f Fixture) {
	s := wrap(t, f.Recipient, keys[0])
	enc := s.Get("enc")
	mid := len(enc) / 2
	flip := func(i int) string {
		b := []byte(enc)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, e := range map[string]string{
		"empty":     "",
		"truncated": enc[:mid],
		"flipped":   flip(mid),
		"garbage":   "not a wrapped key",
	} {
		c := metadata.NewStanza(s.Type)
		for _, ch := range s.Fields.Children {
			c.Set(ch.Key, ch.Value)
		}
		c.Set("enc", e)
		got, err := f.Identity.Unwrap(c)
		if err == nil {
			if name == "empty" || name == "garbage" || !bytes.Equal(got, keys[0]) {
				t.Errorf("%s enc: Unwrap succeeded with %x", name, got)
			}
			continue
		}
		if got != nil {
			t.Errorf("%s enc: Unwrap returned %d bytes with an error", name, len(got))
		}
		checkNoSecret(t, f, name+" enc error", err.Error())
	}
}

func testParseString(t *testing.T, f Fixture) {
	if f.Parse == nil {
		t.Skip("no Parse in the Fixture")
	}
	rs, err := f.Parse(f.Recipient.String())
	if err != nil {
		t.Fatalf("Parse(String()): %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("Parse(String()) gave %d recipients", len(rs))
	}
	if rs[0].String() != f.Recipient.String() || rs[0].Type() != f.Recipient.Type() {
		t.Errorf("Parse(String()) = %s %q, want %s %q", rs[0].Type(), rs[0], f.Recipient.Type(), f.Recipient)
	}
	got, err := f.Identity.Unwrap(wrap(t, rs[0], keys[0]))
	if err != nil || !bytes.Equal(got, keys[0]) {
		t.Errorf("Unwrap of a stanza from the parsed recipient: %x, %v", got, err)
	}
}

func testNoSecrets(t *testing.T, f Fixture) {
	checkNoSecret(t, f, "Recipient.String()", f.Recipient.String())
	for _, v := range []any{f.Recipient, f.Identity, f.Other} {
		checkNoSecret(t, f, "%v", fmt.Sprintf("%v", v))
		checkNoSecret(t, f, "%+v", fmt.Sprintf("%+v", v))
		checkNoSecret(t, f, "%#v", fmt.Sprintf("%#v", v))
	}
	s := wrap(t, f.Recipient, keys[0])
	for _, c := range s.Fields.Children {
		checkNoSecret(t, f, "stanza field "+c.Key, c.Value)
	}
	_, err := f.Other.Unwrap(s)
	if err != nil {
		checkNoSecret(t, f, "error", err.Error())
	}
}

func checkNoSecret(t *testing.T, f Fixture, what, text string) {
	t.Helper()
	for _, s := range f.Secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s shows a secret", what)
		}
	}
	if len(text) >= 32 && strings.Contains(text, string(keys[0])) {
		t.Errorf("%s shows the data key", what)
	}
}
