package hull_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

// unauthenticatedKeyFile is a file opened for a key command whose hull MAC
// was not checked (as one sops wrote): its recipients are not vouched for.
func unauthenticatedKeyFile(t *testing.T) *hull.KeyFile {
	t.Helper()
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "example")
	if err != nil {
		t.Fatal(err)
	}
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
	hull.DropExtendedMAC(o.Meta)
	o.Result.ExtendedMACChecked = false
	return &hull.KeyFile{Original: data, Plain: plain, Cipher: cipher, Opened: o}
}

func ageSources() hull.KeySources {
	return hull.KeySources{
		Supported: func(typ string) bool { return typ == "age" },
		FromStanza: func(s metadata.Stanza) (keysources.Recipient, error) {
			rs, err := age.ParseRecipients(metadata.StanzaID(s))
			if err != nil {
				return nil, err
			}
			return rs[0], nil
		},
	}
}

// docs/TRUST.md: a key of an unauthenticated file gets a data key only when
// the creation rule, the command line or the user (asked) vouches for it,
// or --keep-recipients.
func TestVouch(t *testing.T) {
	kf := unauthenticatedKeyFile(t)
	mine := hull.StanzaKeyIDs(kf.Opened.Meta.KeyGroups)
	pol := &hull.Policy{}
	var asked string
	err := pol.Vouch("f.yaml", kf, nil, mine, nil, func(msg string) bool { asked = msg; return false })
	if !errors.Is(err, hull.ErrPolicy) || !strings.Contains(err.Error(), mine[0][0].String()) || !strings.HasPrefix(asked, "f.yaml: the file has no valid hull MAC") {
		t.Fatalf("nobody vouches: %v (asked %q)", err, asked)
	}
	if err := pol.Vouch("f.yaml", kf, nil, mine, nil, func(string) bool { return true }); err != nil {
		t.Errorf("the user keeps them: %v", err)
	}
	if err := pol.Vouch("f.yaml", kf, nil, mine, mine, nil); err != nil {
		t.Errorf("the command line names them: %v", err)
	}
	if err := (&hull.Policy{KeepRecipients: true}).Vouch("f.yaml", kf, nil, mine, nil, nil); err != nil {
		t.Errorf("--keep-recipients: %v", err)
	}
	kf.Opened.Result.ExtendedMACChecked = true
	if err := pol.Vouch("f.yaml", kf, nil, mine, nil, nil); err != nil {
		t.Errorf("an authenticated file: %v", err)
	}
}

func TestPolicyRotateAndRegroup(t *testing.T) {
	other, err := age.ParseRecipients(otherAge)
	if err != nil {
		t.Fatal(err)
	}
	pol := &hull.Policy{}
	kf := unauthenticatedKeyFile(t)
	mine := hull.StanzaKeyIDs(kf.Opened.Meta.KeyGroups)
	var notes []string
	ch := hull.KeyChange{Want: kf.Entries(), Named: mine, Notify: func(m string) { notes = append(notes, m) }}
	ch.Want[0] = append(ch.Want[0], hull.EntriesFromRecipients([][]keysources.Recipient{other})[0]...)

	// The endpoint check refuses before anything is wrapped.
	refuse := ageSources()
	refuse.Allow = func([][]keysources.Recipient) error { return keysources.ErrEndpointNotAllowed }
	so := hull.SealOptions{Format: yaml.New(), InputFormat: yaml.New()}
	if _, err := pol.Rotate("f.yaml", kf, ch, refuse, so, formats.EmitOptions{}); !errors.Is(err, keysources.ErrEndpointNotAllowed) || len(notes) != 0 {
		t.Fatalf("Allow refuses: %v, notes %q", err, notes)
	}
	routed := 0
	ks := ageSources()
	ks.Route = func(g [][]keysources.Recipient) [][]keysources.Recipient { routed++; return g }
	out, err := pol.Rotate("f.yaml", kf, ch, ks, so, formats.EmitOptions{})
	if err != nil || !strings.Contains(string(out), otherAge) || routed != 1 {
		t.Fatalf("Rotate = %v, routed %d:\n%s", err, routed, out)
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "the recipients change:\n") || !strings.Contains(notes[0], "+++ age:"+otherAge) {
		t.Errorf("notes = %q", notes)
	}

	// groups add: the file's recipients are not vouched for by the new
	// group, so they are refused unless named.
	kf = unauthenticatedKeyFile(t)
	ch = hull.KeyChange{Want: kf.Entries(), Add: other, Threshold: 2, Notify: func(m string) { notes = append(notes, m) }}
	if _, err := pol.Regroup("f.yaml", kf, ch, ageSources(), yaml.New(), formats.EmitOptions{}); !errors.Is(err, hull.ErrPolicy) {
		t.Fatalf("Regroup of unvouched recipients = %v", err)
	}
	ch.Named = mine
	notes = nil
	out, err = pol.Regroup("f.yaml", kf, ch, ageSources(), yaml.New(), formats.EmitOptions{})
	if err != nil || strings.Count(string(out), "recipient: age1") != 2 || !strings.Contains(string(out), otherAge) {
		t.Fatalf("Regroup = %v:\n%s", err, out)
	}
	if len(notes) != 1 || notes[0] != "re-wrapping for the file's recipients: "+mine[0][0].String() {
		t.Errorf("notes = %q", notes)
	}
}

// updatekeys: adding a recipient re-wraps the key, removing one rotates it
// (unless KeepKey); nothing is written unless confirmed, or over a file
// that changed meanwhile.
func TestUpdateKeys(t *testing.T) {
	other, err := age.ParseRecipients(otherAge)
	if err != nil {
		t.Fatal(err)
	}
	cr := &config.CreationRule{}
	path := filepath.Join(t.TempDir(), "s.yaml")
	setup := func() *hull.KeyFile {
		kf := unauthenticatedKeyFile(t)
		if err := os.WriteFile(path, kf.Original, 0o600); err != nil {
			t.Fatal(err)
		}
		return kf
	}
	o := hull.UpdateOptions{In: yaml.New(), Out: yaml.New()}
	kf := setup()
	mine, err := hull.ResolveEntries("f", kf.Entries(), func(string) bool { return true }, ageSources().FromStanza)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := kf.UpdateKeys(path, cr, mine, ageSources(), o); err != nil || !u.Plan.UpToDate() || u.Written {
		t.Errorf("same keys: %+v, %v", u, err)
	}
	both := [][]keysources.Recipient{append(append([]keysources.Recipient(nil), mine[0]...), other...)}
	no := o
	no.Confirm = func(hull.KeyPlan, bool) (bool, error) { return false, nil }
	if u, err := kf.UpdateKeys(path, cr, both, ageSources(), no); err != nil || u.Written {
		t.Errorf("not confirmed: %+v, %v", u, err)
	}
	if now, _ := os.ReadFile(path); string(now) != string(kf.Original) {
		t.Error("written without confirmation")
	}
	u, err := kf.UpdateKeys(path, cr, both, ageSources(), o)
	if now, _ := os.ReadFile(path); err != nil || !u.Written || u.Rotated || !strings.Contains(string(now), otherAge) {
		t.Errorf("added: %+v, %v", u, err)
	}
	only := [][]keysources.Recipient{other}
	kf = setup()
	if u, err := kf.UpdateKeys(path, cr, only, ageSources(), o); err != nil || !u.Rotated || !u.Plan.Removed {
		t.Errorf("removed: %+v, %v", u, err)
	}
	kf = setup()
	keep := o
	keep.KeepKey = true
	if u, err := kf.UpdateKeys(path, cr, only, ageSources(), keep); err != nil || u.Rotated || !u.Written {
		t.Errorf("removed, KeepKey: %+v, %v", u, err)
	}
	// The file changed since it was read (the last update): refused.
	_, err = kf.UpdateKeys(path, cr, both, ageSources(), o)
	if re := (*hull.RewriteError)(nil); !errors.As(err, &re) || !errors.Is(err, hull.ErrConcurrentModification) {
		t.Errorf("changed meanwhile: %v", err)
	}
}

// An embedder rotates a file as hull rotate does: OpenKeyFile, then
// Policy.Rotate, whose recipients the creation rule must vouch for when
// the file has no valid hull MAC.
func TestOpenKeyFileRotate(t *testing.T) {
	for _, c := range []struct {
		rule string
		ok   bool
	}{{pipelineRecipient, true}, {otherAge, false}} {
		dir, pol, ids := repo(t, "creation_rules:\n  - age: "+c.rule+"\n", "password: hunter2\n")
		p := filepath.Join(dir, "s.yaml")
		tamper(t, p, "")
		kf, err := hull.OpenKeyFile(context.Background(), p, hull.OpenFileOptions{Policy: pol, Identities: ids})
		if err != nil {
			t.Fatal(err)
		}
		cr, _, _ := pol.CreationRule(p)
		out, err := pol.Rotate(p, kf, hull.KeyChange{Want: kf.Entries(), Rule: cr}, ageSources(), hull.SealOptions{Format: yaml.New(), InputFormat: yaml.New()}, formats.EmitOptions{})
		kf.Wipe()
		if !c.ok {
			if !errors.Is(err, hull.ErrPolicy) || !strings.Contains(err.Error(), pipelineRecipient) {
				t.Errorf("a recipient the rule does not name: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := hull.Commit(p, kf.Original, out, false); err != nil {
			t.Fatal(err)
		}
		f, err := hull.OpenFile(context.Background(), p, hull.OpenFileOptions{Policy: pol, Identities: ids})
		if err != nil || f.Plain.Docs[0].Get("password").Value != "hunter2" || string(out) == string(kf.Original) {
			t.Fatalf("the rotated file: %v", err)
		}
		f.Close()
	}
}
