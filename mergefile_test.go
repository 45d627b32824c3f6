package hull_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// side encrypts plain (or, with from, rewrites from's file with plain
// under the same key) and opens it again as a merge side.
func mergeSide(t *testing.T, enc []byte, ids []keysources.Identity) *hull.MergeSide {
	t.Helper()
	y, _ := all.Registry().ByName("yaml")
	f, err := y.Parse(enc, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	st := hull.NewStash()
	o, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{Identities: ids, Stash: st})
	if err != nil {
		t.Fatal(err)
	}
	return &hull.MergeSide{File: f, Opened: o, Stash: st}
}

func TestMergeFiles(t *testing.T) {
	rs, err := age.ParseRecipients(pipelineRecipient)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(pipelineIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	y, _ := all.Registry().ByName("yaml")
	base, err := hull.EncryptData([]byte("a: 1\nb: 2\nc: 3\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	// ours and theirs change the base under its data key.
	change := func(set map[string]string) []byte {
		s := mergeSide(t, base, ids)
		for _, n := range s.File.Docs[0].Children {
			if v, ok := set[n.Key]; ok {
				n.Value = v
			}
		}
		if err := hull.Seal(s.File, s.Opened.Key, s.Opened.Meta, hull.SealOptions{Stash: s.Stash, Format: y}); err != nil {
			t.Fatal(err)
		}
		out, err := y.Emit(s.File, formats.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ours, theirs := change(map[string]string{"a": "10"}), change(map[string]string{"b": "20"})
	checked := 0
	o := hull.MergeFilesOptions{Format: y, Check: func(*hull.Opened, *formats.File) (bool, error) { checked++; return false, nil }}
	m, err := hull.MergeFiles(mergeSide(t, base, ids), mergeSide(t, ours, ids), mergeSide(t, theirs, ids), o)
	if err != nil || len(m.Conflicts) != 0 || checked != 1 {
		t.Fatalf("MergeFiles = %+v, %v (checked %d)", m, err, checked)
	}
	// c kept its ciphertext; the merged file decrypts to both changes.
	line := func(b []byte, key string) string {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, key+":") {
				return l
			}
		}
		return ""
	}
	if line(m.Data, "c") != line(base, "c") {
		t.Errorf("c was re-encrypted")
	}
	plain, err := hull.DecryptData(context.Background(), m.Data, "yaml", hull.DecryptOptions{Identities: ids})
	if err != nil || !bytes.HasPrefix(plain, []byte("a: 10\nb: 20\nc: 3\n")) {
		t.Errorf("merged plaintext %q, %v", plain, err)
	}
	// Both change a: conflict markers around two encrypted versions.
	m, err = hull.MergeFiles(mergeSide(t, base, ids), mergeSide(t, ours, ids), mergeSide(t, change(map[string]string{"a": "11"}), ids), o)
	if err != nil || len(m.Conflicts) != 1 || !bytes.Contains(m.Data, []byte("<<<<<<<")) || bytes.Contains(m.Data, []byte("a: 1")) {
		t.Errorf("conflict: %+v, %v\n%s", m, err, m.Data)
	}
	// A side with another data key is not merged.
	other, err := hull.EncryptData([]byte("a: 1\nb: 2\nc: 3\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hull.MergeFiles(nil, mergeSide(t, ours, ids), mergeSide(t, other, ids), o); !errors.Is(err, hull.ErrDifferentKeys) {
		t.Errorf("different keys: %v", err)
	}
	// The check's refusal stops the merge.
	refuse := errors.New("refused")
	o.Check = func(*hull.Opened, *formats.File) (bool, error) { return false, refuse }
	if _, err := hull.MergeFiles(nil, mergeSide(t, ours, ids), mergeSide(t, theirs, ids), o); !errors.Is(err, refuse) {
		t.Errorf("check: %v", err)
	}
}

func TestMergeMetadata(t *testing.T) {
	rs, _ := age.ParseRecipients(pipelineRecipient)
	ids, _ := age.ParseIdentities(strings.NewReader(pipelineIdentity), "test")
	enc := func(rule string) *hull.MergeSide {
		o := hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}}
		if rule != "" {
			o.Rule = mustRule(t, "encrypted_regex", rule)
		}
		b, err := hull.EncryptData([]byte("a: 1\nb: 2\n"), "yaml", o)
		if err != nil {
			t.Fatal(err)
		}
		return mergeSide(t, b, ids)
	}
	base, x, z := enc(""), enc("^a$"), enc("^b$")
	if m, err := hull.MergeMetadata(base.Opened.Meta, base.Opened.Meta, x.Opened.Meta); err != nil || m.Rule != x.Opened.Meta.Rule {
		t.Errorf("theirs changed the rule: %v, %v", m, err)
	}
	if _, err := hull.MergeMetadata(base.Opened.Meta, z.Opened.Meta, x.Opened.Meta); !errors.Is(err, hull.ErrMetadataConflict) {
		t.Errorf("both changed the rule: %v", err)
	}
	if _, err := hull.MergeMetadata(nil, z.Opened.Meta, x.Opened.Meta); !errors.Is(err, hull.ErrMetadataConflict) {
		t.Errorf("no base, different rules: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]string{
		"{\n\t\"data\": \"ENC[x]\",\n\t\"sops\": {}\n}": "binary",
		"{\n\t\"a\": 1,\n\t\"sops\": {}\n}":             "json",
		"a = 1\n[sops]\nmac = x\n":                      "ini",
		"a=1\nsops_mac=ENC[x]\n":                        "dotenv",
		"a: 1\nsops:\n    mac: x\n":                     "yaml",
		"random bytes":                                  "binary",
	} {
		if got := all.Sniff([]byte(in)).Name(); got != want {
			t.Errorf("Sniff(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestMergeEncrypted(t *testing.T) {
	rs, _ := age.ParseRecipients(pipelineRecipient)
	ids, _ := age.ParseIdentities(strings.NewReader(pipelineIdentity), "test")
	y, _ := all.Registry().ByName("yaml")
	base, err := hull.EncryptData([]byte("a: 1\nb: 2\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	var opened []string
	unverified := false
	open := func(side string, d []byte, st *hull.Stash) (*formats.File, *hull.Opened, error) {
		opened = append(opened, side)
		f, err := hull.ParseEncrypted(y, d, side, formats.Limits{})
		if err != nil {
			return nil, nil, err
		}
		o, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{Identities: ids, Stash: st})
		if err == nil && unverified {
			o.Result.Unverified = true
		}
		return f, o, err
	}
	policies := 0
	v := hull.MergeVersions{Base: base, Ours: base, Theirs: base, Format: y, Name: "s.yaml", Open: open,
		Policy: func() (*hull.Policy, error) { policies++; return &hull.Policy{}, nil }}
	m, err := hull.MergeEncrypted(v)
	if err != nil || len(m.Conflicts) != 0 || strings.Join(opened, ",") != "base,ours,theirs" || policies != 1 {
		t.Fatalf("MergeEncrypted = %+v, %v (opened %q, policy asked %d times)", m, err, opened, policies)
	}
	plain, err := hull.DecryptData(context.Background(), m.Data, "yaml", hull.DecryptOptions{Identities: ids})
	if err != nil || !bytes.HasPrefix(plain, []byte("a: 1\nb: 2\n")) {
		t.Errorf("merged plaintext %q, %v", plain, err)
	}

	// No common ancestor: the base is not opened.
	opened = nil
	nb := v
	nb.Base = nil
	if _, err := hull.MergeEncrypted(nb); err != nil || strings.Join(opened, ",") != "ours,theirs" {
		t.Errorf("no base: %v (opened %q)", err, opened)
	}
	plainYAML := []byte("a: 1\n")
	pv := v
	pv.Base, pv.Ours, pv.Theirs = plainYAML, plainYAML, plainYAML
	if _, err := hull.MergeEncrypted(pv); !errors.Is(err, hull.ErrNotEncrypted) {
		t.Errorf("no version encrypted: %v", err)
	}
	pv.Ours = base
	var pe *hull.PartlyEncryptedError
	if _, err := hull.MergeEncrypted(pv); !errors.As(err, &pe) || pe.Base || !pe.Ours || pe.Theirs {
		t.Errorf("some versions encrypted: %v", err)
	}
	bad := errors.New("no policy")
	bv := v
	bv.Policy = func() (*hull.Policy, error) { return nil, bad }
	var ie *hull.MergeInputError
	if _, err := hull.MergeEncrypted(bv); !errors.As(err, &ie) || ie.Err != bad {
		t.Errorf("a policy error: %v", err)
	}
	// The policy's write rules apply: a version read without a verified
	// MAC is not sealed again.
	unverified = true
	var re *hull.MergeRefusedError
	if _, err := hull.MergeEncrypted(v); !errors.As(err, &re) || !errors.Is(err, hull.ErrUnverifiedRewrite) {
		t.Errorf("an unverified version: %v", err)
	}
	unverified = false
	ov := v
	ov.Open = func(string, []byte, *hull.Stash) (*formats.File, *hull.Opened, error) { return nil, nil, bad }
	if _, err := hull.MergeEncrypted(ov); !errors.As(err, &ie) || ie.Err != bad {
		t.Errorf("an open error: %v", err)
	}
}
