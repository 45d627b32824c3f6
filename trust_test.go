package hull

import (
	"errors"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

func trustDoc(kv ...string) *formats.File {
	m := formats.NewMapping()
	for i := 0; i+1 < len(kv); i += 2 {
		m.Children = append(m.Children, formats.NewString(kv[i], kv[i+1]))
	}
	return &formats.File{Docs: []*formats.Node{m}}
}

// docs/TRUST.md rule 11.
func TestCheckClearValues(t *testing.T) {
	weak := &metadata.Metadata{Rule: metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^password$"}}
	trusted := TrustedRuleFor(nil, "", weak, false) // unauthenticated: the default rule
	if trusted.Rule != (metadata.Rule{}).OrDefault() {
		t.Fatalf("trusted rule of an unauthenticated file = %v", trusted.Rule)
	}
	before := trustDoc("password", "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", "user", "admin")
	// unchanged clear value: allowed, but the rule is weaker
	weaker, err := CheckClearValues(trustDoc("password", "p", "user", "admin"), before, weak, trusted)
	if err != nil || !weaker {
		t.Errorf("unchanged clear value: weaker %v, %v", weaker, err)
	}
	// changed or new clear value: refused, naming the key and the rule
	for _, f := range []*formats.File{trustDoc("password", "p", "user", "root"), trustDoc("password", "p", "user", "admin", "token", "t")} {
		if _, err := CheckClearValues(f, before, weak, trusted); !errors.Is(err, ErrPolicy) {
			t.Errorf("new clear value: %v", err)
		}
	}
	// the _unencrypted suffix stays in clear under the default rule
	if _, err := CheckClearValues(trustDoc("password", "p", "note_unencrypted", "n"), nil, weak, trusted); err != nil {
		t.Errorf("_unencrypted value: %v", err)
	}
	// an authenticated file's own rule is trusted
	if _, err := CheckClearValues(trustDoc("password", "p", "user", "root"), before, weak, TrustedRuleFor(nil, "", weak, true)); err != nil {
		t.Errorf("authenticated rule: %v", err)
	}
	// a creation rule wins over the file's
	cr := metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^(password|user)$"}
	if _, err := CheckClearValues(trustDoc("password", "p", "user", "root"), before, weak, TrustedRuleFor(&cr, "rule", weak, true)); !errors.Is(err, ErrPolicy) {
		t.Errorf("creation rule: %v", err)
	}
}

// docs/TRUST.md rules 12 and 13.
func TestUnvouchedRecipients(t *testing.T) {
	m := &metadata.Metadata{KeyGroups: [][]metadata.Stanza{{
		metadata.NewStanza("age", "recipient", "age1a", "enc", "x"),
		metadata.NewStanza("age", "recipient", "age1b", "enc", "y"),
	}}}
	got := UnvouchedRecipients(m, [][]KeyID{{{Type: "age", ID: "age1a"}}})
	if len(got) != 1 || got[0].ID != "age1b" {
		t.Errorf("unvouched = %v", got)
	}
	if got := UnvouchedRecipients(m, [][]KeyID{{{Type: "age", ID: "age1a"}}}, [][]KeyID{{{Type: "age", ID: "age1b"}}}); len(got) != 0 {
		t.Errorf("all vouched, got %v", got)
	}
}

// docs/TRUST.md rule 13: a stanza without a wrapped key is set aside.
func TestStripUnusable(t *testing.T) {
	f := &formats.File{}
	meta := formats.NewMapping()
	age := &formats.Node{Kind: formats.Sequence, Key: "age", Children: []*formats.Node{
		{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("recipient", "age1x"), formats.NewString("enc", "")}},
	}}
	meta.Children = append(meta.Children, age)
	f.Meta = meta
	got := StripUnusable(f.Meta)
	if len(got) != 1 || got[0].ID.ID != "age1x" || len(age.Children) != 0 {
		t.Errorf("StripUnusable = %v, left %d", got, len(age.Children))
	}
	if err := CheckEnc(metadata.NewStanza("age", "recipient", "age1x", "enc", "not armored")); err == nil {
		t.Error("CheckEnc accepted a garbage age enc")
	}
}
