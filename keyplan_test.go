package hull_test

import (
	"errors"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

const otherAge = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

func TestResolveEntries(t *testing.T) {
	f := encryptedYAML(t, "a: 1\n", metadata.Rule{})
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	fromStanza := func(s metadata.Stanza) (keysources.Recipient, error) {
		rs, err := age.ParseRecipients(metadata.StanzaID(s))
		if err != nil {
			return nil, err
		}
		return rs[0], nil
	}
	yes := func(string) bool { return true }
	entries := hull.EntriesFromFile(m, nil)
	rs, err := hull.ResolveEntries("f", entries, yes, fromStanza)
	if err != nil || len(rs) != 1 || len(rs[0]) != 1 || hull.RecipientKeyID(rs[0][0]) != entries[0][0].ID {
		t.Fatalf("the file's keys: %v, %v", rs, err)
	}
	if _, err := hull.ResolveEntries("f", entries, func(string) bool { return false }, fromStanza); !errors.As(err, new(*hull.UnsupportedKeyError)) {
		t.Errorf("unsupported type: %v", err)
	}
	injected := hull.EntriesFromFile(m, []hull.UnusableStanza{{Group: 0, ID: hull.KeyID{Type: "age", ID: otherAge}, Why: "enc is empty: it holds no key"}})
	if _, err := hull.ResolveEntries("f", injected, yes, fromStanza); !errors.Is(err, hull.ErrPolicy) {
		t.Errorf("a stanza without a key: %v", err)
	}
}

func TestPlanKeysAndVouching(t *testing.T) {
	f := encryptedYAML(t, "a: 1\n", metadata.Rule{})
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	have := hull.StanzaKeyIDs(m.KeyGroups)
	if p := hull.PlanKeys(m, nil, have, 0); !p.UpToDate() || p.Removed {
		t.Errorf("same keys: %+v", p)
	}
	other := [][]hull.KeyID{{{Type: "age", ID: otherAge}}}
	if p := hull.PlanKeys(m, nil, other, 0); p.UpToDate() || !p.Removed || p.Stricter {
		t.Errorf("replaced key: %+v", p)
	}
	two := [][]hull.KeyID{have[0], other[0]}
	if p := hull.PlanKeys(m, nil, two, 2); !p.Stricter || p.Threshold != 2 {
		t.Errorf("two groups, both needed: %+v", p)
	}
	if got := hull.UnvouchedWanted(m, have); len(got) != 1 {
		t.Errorf("nobody vouches: %v", got)
	}
	if got := hull.UnvouchedWanted(m, have, have); len(got) != 0 {
		t.Errorf("the rule vouches: %v", got)
	}
	if got := hull.UnvouchedWanted(m, other); len(got) != 0 {
		t.Errorf("a key not wanted is not listed: %v", got)
	}
}
