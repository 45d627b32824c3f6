package hull_test

import (
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

func keyCommand(t *testing.T, pol *hull.Policy, notes *[]string) *hull.KeyCommand {
	kf := unauthenticatedKeyFile(t)
	return &hull.KeyCommand{Policy: pol, File: kf, Display: "f.yaml", Name: "f.yaml", Sources: ageSources(),
		In: yaml.New(), Out: yaml.New(), Emit: formats.EmitOptions{},
		Notify: func(m string) { *notes = append(*notes, m) }}
}

// rotate: a key the command adds vouches for itself, the file's own keys
// must be vouched for (here by the user, asked); a key to remove that the
// file lacks is told before anything else.
func TestKeyCommandRotate(t *testing.T) {
	other, err := age.ParseRecipients(otherAge)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	kc := keyCommand(t, &hull.Policy{}, &notes)
	missing, _ := age.ParseRecipients("age1cy0su9fwf3gf9mw868g5yut09p6nytfmmnktexz2ya5uqg9vl9sss4euqm")
	changes := hull.KeyChanges{Add: other, Remove: hull.RecipientKeyIDs([][]keysources.Recipient{missing})[0]}
	_, err = kc.Rotate(changes, func(k hull.KeyID) { notes = append(notes, "unmatched "+k.ID) })
	if !errors.Is(err, hull.ErrPolicy) || len(notes) != 1 || !strings.HasPrefix(notes[0], "unmatched age1cy0su9") {
		t.Fatalf("the file's key is not vouched for: %v, notes %q", err, notes)
	}
	if strings.Contains(err.Error(), otherAge) {
		t.Errorf("the added key vouches for itself, but is listed: %v", err)
	}
	kc.Confirm = func(string) bool { return true }
	notes = nil
	out, err := kc.Rotate(changes, nil)
	if err != nil || strings.Count(string(out), "recipient: age1") != 2 || !strings.Contains(string(out), otherAge) {
		t.Fatalf("Rotate = %v:\n%s", err, out)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "+++ age:"+otherAge) {
		t.Errorf("notes = %q", notes)
	}
}

// groups add and delete: the threshold is the file's unless given; the
// deleted group must exist and leave the threshold reachable.
func TestKeyCommandGroups(t *testing.T) {
	other, err := age.ParseRecipients(otherAge)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	pol := &hull.Policy{KeepRecipients: true}
	kc := keyCommand(t, pol, &notes)
	if _, err := kc.AddGroup(nil, 0); !errors.Is(err, hull.ErrNoRecipients) {
		t.Errorf("an empty group: %v", err)
	}
	out, err := kc.AddGroup(other, 2)
	if err != nil || !strings.Contains(string(out), "shamir_threshold: 2") || !strings.Contains(string(out), otherAge) {
		t.Fatalf("AddGroup = %v:\n%s", err, out)
	}

	// A file with two groups and threshold 2: deleting one leaves too few.
	two, err := yaml.New().Parse(out, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	kc = keyCommand(t, pol, &notes)
	kc.File.Cipher = two
	if kc.File.Opened.Meta, err = metadata.Load(two.Meta); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.DeleteGroup(0, 0); err == nil || !strings.Contains(err.Error(), "Shamir threshold is 2") {
		t.Errorf("the file's threshold: %v", err)
	}
	if _, err := kc.DeleteGroup(2, 1); err == nil || !strings.Contains(err.Error(), "there is no key group 2") {
		t.Errorf("no such group: %v", err)
	}
	out, err = kc.DeleteGroup(0, 1)
	if err != nil || strings.Count(string(out), "recipient: age1") != 1 || !strings.Contains(string(out), otherAge) {
		t.Fatalf("DeleteGroup = %v:\n%s", err, out)
	}
}

func TestKeyUpdateReport(t *testing.T) {
	changed := hull.KeyPlan{Diffs: []hull.GroupDiff{{Added: []hull.KeyID{{Type: "age", ID: "x"}}}}}
	removed := changed
	removed.Removed = true
	for _, c := range []struct {
		u            hull.KeyUpdate
		msg, warning string
	}{
		{hull.KeyUpdate{}, "File f already up to date", ""},
		{hull.KeyUpdate{Plan: changed}, "", ""},
		{hull.KeyUpdate{Plan: removed, Written: true, Rotated: true}, "File f synced with new keys; the data key was rotated and every value re-encrypted", ""},
		{hull.KeyUpdate{Plan: removed, Written: true}, "File f synced with new keys; the data key was kept (--no-rotate)", "f: whoever could decrypt it before still can, and can read every later version, until 'hull rotate -i f'"},
		{hull.KeyUpdate{Plan: changed, Written: true}, "File f synced with new keys; the data key was kept (values, MAC and lastmodified unchanged)", ""},
	} {
		if msg, warning := c.u.Report("f"); msg != c.msg || warning != c.warning {
			t.Errorf("%+v: %q, %q", c.u, msg, warning)
		}
	}
}
