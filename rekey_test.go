package hull

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

const (
	rkRecipient1 = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	rkIdentity1  = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
	rkRecipient2 = "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
	rkIdentity2  = "AGE-SECRET-KEY-12YZKCDTJXZP9D5V0XJ20VQ7MN9U985JUDDEMDX3T8HMJQWW7ZGWSJT8FFV"
)

var yamlFmt = yaml.New()

func rkRecipients(t *testing.T, s string) []keysources.Recipient {
	t.Helper()
	rs, err := age.ParseRecipients(s)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func rkIdentities(t *testing.T, s string) []keysources.Identity {
	t.Helper()
	ids, err := age.ParseIdentities(strings.NewReader(s), "test")
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// rkEncrypted returns a YAML file encrypted for recipient 1.
func rkEncrypted(t *testing.T) []byte {
	t.Helper()
	out, err := EncryptData([]byte("a: secret\nb:\n    - 1\n    - true\nc_unencrypted: x\n"), "yaml",
		EncryptOptions{Groups: [][]keysources.Recipient{rkRecipients(t, rkRecipient1)}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rkOpen parses and decrypts data with ids, returning the plaintext file,
// the untouched encrypted file and what Decrypt returned.
func rkOpen(t *testing.T, data []byte, ids []keysources.Identity) (plain, enc *formats.File, o *Opened) {
	t.Helper()
	var err error
	if plain, err = yamlFmt.Parse(data, formats.ParseOptions{Encrypted: true}); err != nil {
		t.Fatal(err)
	}
	if enc, err = yamlFmt.Parse(data, formats.ParseOptions{Encrypted: true}); err != nil {
		t.Fatal(err)
	}
	if o, err = Decrypt(context.Background(), plain, DecryptOptions{Identities: ids}); err != nil {
		t.Fatal(err)
	}
	return plain, enc, o
}

// encLines are the lines of values and of the sops MAC and lastmodified.
func encLines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "ENC[") || strings.Contains(l, "lastmodified") {
			out = append(out, l)
		}
	}
	return out
}

func TestRekeyKeepsValues(t *testing.T) {
	data := rkEncrypted(t)
	plain, enc, o := rkOpen(t, data, rkIdentities(t, rkIdentity1))
	both := append(rkRecipients(t, rkRecipient1), rkRecipients(t, rkRecipient2)...)
	if err := Rekey(plain, o.Meta, o.Key, [][]keysources.Recipient{both}, 0, nil); err != nil {
		t.Fatal(err)
	}
	enc.Meta = o.Meta.Node()
	out, err := yamlFmt.Emit(enc, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(encLines(data), encLines(out)) {
		t.Errorf("values, MAC or lastmodified changed:\n%s\n---\n%s", data, out)
	}
	// The new recipient reads it; the extended MAC (which covers the
	// recipients) was refreshed, so the check passes.
	for _, id := range []string{rkIdentity1, rkIdentity2} {
		pt, err := DecryptData(context.Background(), out, "yaml", DecryptOptions{Identities: rkIdentities(t, id), RequireExtendedMAC: true})
		if err != nil {
			t.Fatalf("decrypt after Rekey: %v", err)
		}
		if !bytes.Contains(pt, []byte("a: secret")) {
			t.Errorf("plaintext %q", pt)
		}
	}
}

func TestRekeyShamir(t *testing.T) {
	data := rkEncrypted(t)
	plain, enc, o := rkOpen(t, data, rkIdentities(t, rkIdentity1))
	groups := [][]keysources.Recipient{rkRecipients(t, rkRecipient1), rkRecipients(t, rkRecipient2)}
	if err := Rekey(plain, o.Meta, o.Key, groups, 0, nil); err != nil {
		t.Fatal(err)
	}
	if o.Meta.ShamirThreshold != 2 || len(o.Meta.KeyGroups) != 2 {
		t.Fatalf("threshold %d, %d groups", o.Meta.ShamirThreshold, len(o.Meta.KeyGroups))
	}
	enc.Meta = o.Meta.Node()
	out, err := yamlFmt.Emit(enc, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptData(context.Background(), out, "yaml", DecryptOptions{Identities: rkIdentities(t, rkIdentity1)}); !errors.Is(err, ErrNoKey) {
		t.Errorf("one group of two decrypted: %v", err)
	}
	if _, err := DecryptData(context.Background(), out, "yaml", DecryptOptions{Identities: rkIdentities(t, rkIdentity1+"\n"+rkIdentity2)}); err != nil {
		t.Errorf("both groups: %v", err)
	}
}

func TestRekeyErrorsLeaveMetadata(t *testing.T) {
	data := rkEncrypted(t)
	plain, _, o := rkOpen(t, data, rkIdentities(t, rkIdentity1))
	before := o.Meta.Node()
	groups := [][]keysources.Recipient{rkRecipients(t, rkRecipient1), nil}
	if err := Rekey(plain, o.Meta, o.Key, groups, 0, nil); err == nil {
		t.Fatal("an empty group was accepted")
	}
	if err := Rekey(plain, o.Meta, o.Key[:16], groups[:1], 0, nil); err == nil {
		t.Fatal("a short key was accepted")
	}
	if !reflect.DeepEqual(before, o.Meta.Node()) {
		t.Error("metadata changed on error")
	}
}

func TestRotate(t *testing.T) {
	data := rkEncrypted(t)
	plain, _, o := rkOpen(t, data, rkIdentities(t, rkIdentity1))
	oldKey := append([]byte(nil), o.Key...)
	version := o.Meta.Version
	if _, err := Rotate(plain, o.Meta, [][]keysources.Recipient{rkRecipients(t, rkRecipient2)}, 0, SealOptions{Stash: NewStash()}); err == nil {
		t.Fatal("Rotate accepted a stash")
	}
	newKey, err := Rotate(plain, o.Meta, [][]keysources.Recipient{rkRecipients(t, rkRecipient2)}, 0, SealOptions{Format: yamlFmt})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(newKey, oldKey) || len(newKey) != keysources.DataKeySize {
		t.Fatal("the data key did not change")
	}
	if o.Meta.Version != version {
		t.Errorf("version %q, want %q", o.Meta.Version, version)
	}
	out, err := yamlFmt.Emit(plain, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]bool{}
	for _, l := range encLines(data) {
		old[l] = true
	}
	for _, l := range encLines(out) {
		if old[l] && strings.Contains(l, "ENC[") {
			t.Errorf("line kept after rotation: %s", l)
		}
	}
	if _, err := DecryptData(context.Background(), out, "yaml", DecryptOptions{Identities: rkIdentities(t, rkIdentity1)}); !errors.Is(err, ErrNoKey) {
		t.Errorf("the removed identity still decrypts: %v", err)
	}
	pt, err := DecryptData(context.Background(), out, "yaml", DecryptOptions{Identities: rkIdentities(t, rkIdentity2), RequireExtendedMAC: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DecryptData(context.Background(), data, "yaml", DecryptOptions{Identities: rkIdentities(t, rkIdentity1)})
	if !bytes.Equal(pt, want) {
		t.Errorf("plaintext changed:\n%s\n---\n%s", pt, want)
	}
	// The old key no longer opens the values.
	f, _ := yamlFmt.Parse(out, formats.ParseOptions{Encrypted: true})
	m, _ := metadata.Load(f.Meta)
	if _, err := Open(f, oldKey, m, OpenOptions{}); err == nil {
		t.Error("the old key opens the rotated file")
	}
}

func TestDiffGroups(t *testing.T) {
	a, b, c := KeyID{"age", "a"}, KeyID{"age", "b"}, KeyID{"pgp", "c"}
	have := [][]KeyID{{a, b}, {c}}
	want := [][]KeyID{{b, a, c}}
	got := DiffGroups(have, want)
	exp := []GroupDiff{
		{Common: []KeyID{b, a}, Added: []KeyID{c}},
		{Removed: []KeyID{c}},
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("DiffGroups = %+v, want %+v", got, exp)
	}
	if d := DiffGroups(want, want); d[0].Changed() {
		t.Errorf("same groups differ: %+v", d)
	}
	// The type is part of the identity.
	if d := DiffGroups([][]KeyID{{{"age", "x"}}}, [][]KeyID{{{"pgp", "x"}}}); !d[0].Changed() {
		t.Error("age:x and pgp:x compare equal")
	}
	if s := c.String(); s != "pgp:c" {
		t.Errorf("KeyID.String = %q", s)
	}
}

func TestEffectiveThreshold(t *testing.T) {
	for _, tc := range []struct{ t, n, want int }{{0, 1, 0}, {2, 1, 0}, {0, 3, 3}, {2, 3, 2}} {
		if got := EffectiveThreshold(tc.t, tc.n); got != tc.want {
			t.Errorf("EffectiveThreshold(%d, %d) = %d, want %d", tc.t, tc.n, got, tc.want)
		}
	}
}

func TestNewThresholdAndDiffOutput(t *testing.T) {
	if NewThreshold(2, 3, 1) != 2 || NewThreshold(0, 3, 2) != 2 || GroupsNeeded(0, 1) != 1 {
		t.Error("NewThreshold/GroupsNeeded")
	}
	var b strings.Builder
	WriteGroupDiff(&b, []GroupDiff{{Common: []KeyID{{"age", "a"}}, Added: []KeyID{{"age", "b"}}}}, []UnusableStanza{{Group: 0, ID: KeyID{"age", "c"}, Why: "enc is empty"}}, 0, 0)
	want := "Group 1\n    age:a\n+++ age:b\n--- age:c (enc is empty)\n"
	if b.String() != want {
		t.Errorf("WriteGroupDiff = %q, want %q", b.String(), want)
	}
	if !AnyChanged([]GroupDiff{{Added: []KeyID{{"age", "b"}}}}) || AnyRemoved([]GroupDiff{{Added: []KeyID{{"age", "b"}}}}) {
		t.Error("AnyChanged/AnyRemoved")
	}
}

func TestKeyChangesApply(t *testing.T) {
	groups := [][]KeyEntry{{{ID: KeyID{"age", "a"}}, {ID: KeyID{"kms", "arn:x|role"}}}}
	got, unmatched := KeyChanges{Remove: []KeyID{{"kms", "arn:x"}, {"age", "zz"}}}.Apply(groups)
	if ids := EntryIDs(got); len(ids[0]) != 1 || ids[0][0] != (KeyID{"age", "a"}) {
		t.Errorf("Apply = %v", ids)
	}
	if len(unmatched) != 1 || unmatched[0].ID != "zz" {
		t.Errorf("unmatched = %v", unmatched)
	}
}
