package hull_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
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

func TestKeyFileRewrapRotateDelete(t *testing.T) {
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	if err != nil {
		t.Fatal(err)
	}
	open := func() *hull.KeyFile {
		cipher := encryptedYAML(t, "a: 1\n", metadata.Rule{})
		data, err := yaml.New().Emit(cipher, formats.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := yaml.New().Parse(data, formats.ParseOptions{Encrypted: true})
		o, err := hull.Decrypt(context.Background(), plain, hull.DecryptOptions{Identities: ids})
		if err != nil {
			t.Fatal(err)
		}
		return &hull.KeyFile{Original: data, Plain: plain, Cipher: cipher, Opened: o}
	}
	other, err := age.ParseRecipients(otherAge)
	if err != nil {
		t.Fatal(err)
	}
	kf := open()
	mine := hull.StanzaKeyIDs(kf.Opened.Meta.KeyGroups)
	if d := kf.RecipientChange(mine, 0); d != "" {
		t.Errorf("no change: %q", d)
	}
	if d := kf.RecipientChange(hull.RecipientKeyIDs([][]keysources.Recipient{other}), 0); !strings.Contains(d, "+++ age:"+otherAge) {
		t.Errorf("change: %q", d)
	}
	before := string(kf.Original)
	valueLine := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	out, err := kf.Rewrapped([][]keysources.Recipient{other}, 0, nil, yaml.New(), formats.EmitOptions{})
	if err != nil || !strings.Contains(string(out), otherAge) || valueLine(string(out)) != valueLine(before) {
		t.Errorf("rewrapped: the value must keep its ciphertext: %v\n%s", err, out)
	}
	kf = open()
	out, err = kf.Rotated([][]keysources.Recipient{other}, 0, hull.SealOptions{Format: yaml.New(), InputFormat: yaml.New()}, formats.EmitOptions{})
	if err != nil || valueLine(string(out)) == valueLine(before) {
		t.Errorf("rotated: the value must get new ciphertext: %v\n%s", err, out)
	}
	kf.Wipe()
	groups := [][]hull.KeyEntry{{{ID: hull.KeyID{Type: "age", ID: "a"}}}, {{ID: hull.KeyID{Type: "age", ID: "b"}}}}
	if g, err := hull.DeleteGroup("f", groups, 0, 1); err != nil || len(g) != 1 || g[0][0].ID.ID != "b" || len(groups) != 2 {
		t.Errorf("delete: %v, %v", g, err)
	}
	for _, c := range []struct{ idx, t int }{{2, 1}, {0, 2}} {
		if _, err := hull.DeleteGroup("f", groups, c.idx, c.t); err == nil {
			t.Errorf("delete %d with threshold %d was accepted", c.idx, c.t)
		}
	}
	if _, err := hull.DeleteGroup("f", groups[:1], 0, 0); err == nil {
		t.Error("deleting the only group was accepted")
	}
}

func TestKeyPlanDescribe(t *testing.T) {
	f := encryptedYAML(t, "a: 1\n", metadata.Rule{})
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	p := hull.PlanKeys(m, nil, [][]hull.KeyID{{{Type: "age", ID: otherAge}}}, 0)
	var b strings.Builder
	p.Describe(&b, true)
	if s := b.String(); !strings.Contains(s, "+++ age:"+otherAge) || !strings.Contains(s, "A key is removed") {
		t.Errorf("rotate: %q", s)
	}
	b.Reset()
	p.Describe(&b, false)
	if strings.Contains(b.String(), "rotated") {
		t.Errorf("no rotation: %q", b.String())
	}
}
