package publish

import (
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/metadata"
)

func TestKeyChanges(t *testing.T) {
	age := func(id string) hull.KeyID { return hull.KeyID{Type: "age", ID: id} }
	kms := func(id string) hull.KeyID { return hull.KeyID{Type: "kms", ID: id} }
	// The file's keys as sops loads them (kms before age), the rule's in
	// its order; a group on one side only.
	have := [][]hull.KeyID{{age("age1a"), kms("arn:k"), age("age1b")}, {age("age1a")}}
	want := [][]hull.KeyID{{age("age1b"), age("age1c")}}
	got := KeyChanges(have, want)
	wantText := "The following changes will be made to the file's key groups:\n" +
		"Group 1\n    age1b\n+++ age1c\n--- arn:k\n--- age1a\n" +
		"Group 2\n--- age1a\n"
	if got != wantText {
		t.Errorf("KeyChanges =\n%s\nwant\n%s", got, wantText)
	}
	// Nothing added or removed: nothing to print, whatever the order.
	if got := KeyChanges([][]hull.KeyID{{age("age1a"), age("age1b")}}, [][]hull.KeyID{{age("age1b"), age("age1a")}}); got != "" {
		t.Errorf("no change: %q", got)
	}
}

func TestRecreate(t *testing.T) {
	file := metadata.Metadata{ShamirThreshold: 2, Rule: metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^pw"}, MACOnlyEncrypted: true, Version: "3.7.3"}
	for _, c := range []struct {
		rule   metadata.Rule
		t      int
		binary bool
		want   metadata.Rule
	}{
		{metadata.Rule{Kind: metadata.UnencryptedSuffix, Value: "_plain"}, 0, false, metadata.Rule{Kind: metadata.UnencryptedSuffix, Value: "_plain"}},
		{metadata.Rule{Kind: metadata.EncryptedSuffix, Value: "_enc"}, 3, false, metadata.Rule{Kind: metadata.EncryptedSuffix, Value: "_enc"}},
		{metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^x"}, 0, false, metadata.Rule{}},
		{metadata.Rule{}, 0, false, metadata.Rule{}},
		{metadata.Rule{Kind: metadata.EncryptedSuffix, Value: "_enc"}, 0, true, metadata.Rule{}},
	} {
		m := file
		rr := &config.CreationRule{Rule: c.rule, ShamirThreshold: c.t, MACOnlyEncrypted: true, KeyGroups: []config.KeyGroup{{{Type: "age", ID: "age1x"}}}}
		if !Recreates(rr) {
			t.Fatal("a rule with keys does not recreate")
		}
		Recreate(&m, rr, c.binary)
		if m.Rule != c.want || m.ShamirThreshold != c.t || m.MACOnlyEncrypted || m.Version != metadata.Version {
			t.Errorf("rule %v binary %v: %+v", c.rule, c.binary, m)
		}
	}
	for _, rr := range []*config.CreationRule{nil, {KeyGroups: []config.KeyGroup{{}}}, {KeyGroups: []config.KeyGroup{{}, {{Type: "age", ID: "age1x"}}}}} {
		if Recreates(rr) {
			t.Errorf("%+v recreates", rr)
		}
	}
}
