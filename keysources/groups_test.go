package keysources_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/keysourcetest"
	"github.com/hullsecrets/hull/keysources/shamir"
	"github.com/hullsecrets/hull/metadata"
)

const interop = "../testdata/interop"

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type keyPair struct {
	id keysources.Identity
	r  keysources.Recipient
}

func newPair(t *testing.T) keyPair {
	t.Helper()
	content, recipient, err := age.GenerateIdentity(testTime)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(content), "test")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := age.ParseRecipients(recipient)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{ids[0], rs[0]}
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k, err := keysources.DataKey(nil)
	if err != nil || len(k) != 32 {
		t.Fatalf("DataKey: %d bytes, %v", len(k), err)
	}
	return k
}

func TestDataKey(t *testing.T) {
	k, err := keysources.DataKey(bytes.NewReader(bytes.Repeat([]byte{9}, 40)))
	if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{9}, 32)) {
		t.Fatalf("DataKey = %x, %v", k, err)
	}
	if _, err := keysources.DataKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Fatal("DataKey with 31 random bytes succeeded")
	}
	if a, b := newKey(t), newKey(t); bytes.Equal(a, b) {
		t.Fatal("two data keys are equal")
	}
}

func TestOneGroup(t *testing.T) {
	a, b, c := newPair(t), newPair(t), newPair(t)
	key := newKey(t)
	groups, th, err := keysources.WrapGroups(key, [][]keysources.Recipient{{a.r, b.r}}, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if th != 0 || len(groups) != 1 || len(groups[0]) != 2 {
		t.Fatalf("threshold %d, groups %d", th, len(groups))
	}
	for _, p := range []keyPair{a, b} {
		got, err := keysources.Recover(context.Background(), groups, th, []keysources.Identity{c.id, p.id}, nil)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("Recover = %x, %v", got, err)
		}
	}
	got, err := keysources.Recover(context.Background(), groups, th, []keysources.Identity{c.id}, nil)
	var re *keysources.RecoverError
	if got != nil || !errors.As(err, &re) || !errors.Is(err, keysources.ErrNoKey) {
		t.Fatalf("Recover with a stranger = %x, %v", got, err)
	}
	msg := err.Error()
	for _, want := range []string{"could not recover the data key", "age " + a.r.String() + ": not a recipient", "age " + b.r.String() + ": not a recipient"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
}

func wrap3(t *testing.T, key []byte, threshold int) ([][]metadata.Stanza, int, []keyPair) {
	t.Helper()
	p := []keyPair{newPair(t), newPair(t), newPair(t)}
	groups, th, err := keysources.WrapGroups(key, [][]keysources.Recipient{{p[0].r}, {p[1].r}, {p[2].r}}, threshold, nil)
	if err != nil {
		t.Fatal(err)
	}
	return groups, th, p
}

func TestShamir(t *testing.T) {
	key := newKey(t)
	groups, th, p := wrap3(t, key, 2)
	if th != 2 || len(groups) != 3 {
		t.Fatalf("threshold %d, %d groups", th, len(groups))
	}
	ctx := context.Background()
	for _, set := range [][]int{{0, 1}, {0, 2}, {1, 2}, {0, 1, 2}, {2, 0}} {
		var ids []keysources.Identity
		for _, i := range set {
			ids = append(ids, p[i].id)
		}
		got, err := keysources.Recover(ctx, groups, th, ids, nil)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("groups %v: Recover = %x, %v", set, got, err)
		}
	}
	got, err := keysources.Recover(ctx, groups, th, []keysources.Identity{p[1].id}, nil)
	var re *keysources.RecoverError
	if got != nil || !errors.As(err, &re) {
		t.Fatalf("one group: Recover = %x, %v", got, err)
	}
	if re.Needed != 2 || re.Recovered != 1 || !re.Groups[1].Recovered || re.Groups[0].Recovered {
		t.Errorf("report %+v", re)
	}
	msg := err.Error()
	for _, want := range []string{
		"group 1 of 3: failed\n  age " + p[0].r.String() + ": not a recipient",
		"group 2 of 3: recovered\n  age " + p[1].r.String() + ": ok",
		"group 3 of 3: failed",
		"1 of 3 key groups recovered, 2 needed",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, string(key)) || strings.Contains(msg, "AGE-SECRET") || strings.Contains(msg, "BEGIN AGE") {
		t.Errorf("report shows secrets:\n%s", msg)
	}

	// Threshold 0 means all groups.
	groups, th, p = wrap3(t, key, 0)
	if th != 3 {
		t.Fatalf("threshold 0 became %d", th)
	}
	if _, err := keysources.Recover(ctx, groups, 0, []keysources.Identity{p[0].id, p[1].id}, nil); !errors.Is(err, keysources.ErrNoKey) {
		t.Fatalf("2 of 3 with threshold 0: %v", err)
	}
	if got, err := keysources.Recover(ctx, groups, 0, []keysources.Identity{p[0].id, p[1].id, p[2].id}, nil); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("3 of 3: %x, %v", got, err)
	}
}

func TestWrapGroupsErrors(t *testing.T) {
	a := newPair(t)
	key := newKey(t)
	for _, c := range []struct {
		groups    [][]keysources.Recipient
		threshold int
		want      string
	}{
		{nil, 0, "no key groups provided"},
		{[][]keysources.Recipient{{a.r}, {}}, 0, "empty key group provided: key group 2 has no recipients"},
		{[][]keysources.Recipient{{}}, 0, "empty key group provided: key group 1"},
		{[][]keysources.Recipient{{a.r}, {a.r}}, 3, "shamir threshold 3 is more than the 2 key groups"},
		{[][]keysources.Recipient{{a.r}, {a.r}}, 1, "shamir threshold 1 is too small"},
	} {
		_, _, err := keysources.WrapGroups(key, c.groups, c.threshold, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("WrapGroups(%d groups, %d) = %v, want %q", len(c.groups), c.threshold, err, c.want)
		}
	}
	// Randomness for Shamir comes from the reader given.
	_, _, err := keysources.WrapGroups(key, [][]keysources.Recipient{{a.r}, {a.r}}, 2, bytes.NewReader(nil))
	if err == nil {
		t.Error("WrapGroups with no randomness succeeded")
	}
}

// fakeIdentity records the stanzas it is asked about.
type fakeIdentity struct {
	typ  string
	key  []byte
	err  error
	seen *[]string
}

func (f fakeIdentity) Type() string { return f.typ }
func (f fakeIdentity) Unwrap(s metadata.Stanza) ([]byte, error) {
	*f.seen = append(*f.seen, s.Type+":"+metadata.StanzaID(s))
	if s.Type != f.typ {
		return nil, keysources.ErrIncorrectIdentity
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.key == nil {
		return nil, keysources.ErrIncorrectIdentity
	}
	return bytes.Clone(f.key), nil
}

func TestDecryptionOrder(t *testing.T) {
	key := newKey(t)
	group := []metadata.Stanza{
		metadata.NewStanza("kms", "arn", "arn:1", "enc", "x"),
		metadata.NewStanza("pgp", "fp", "FP1", "enc", "x"),
		metadata.NewStanza("gcp_kms", "resource_id", "projects/p", "enc", "x"),
		metadata.NewStanza("age", "recipient", "age1a", "enc", "x"),
		metadata.NewStanza("kms", "arn", "arn:2", "enc", "x"),
	}
	for _, c := range []struct {
		order []string
		want  string
	}{
		{nil, "age:age1a pgp:FP1 kms:arn:1 gcp_kms:projects/p kms:arn:2"},
		{[]string{"kms", "age"}, "kms:arn:1 kms:arn:2 age:age1a pgp:FP1 gcp_kms:projects/p"},
		{[]string{"gcp_kms"}, "gcp_kms:projects/p kms:arn:1 pgp:FP1 age:age1a kms:arn:2"},
	} {
		var seen []string
		ids := []keysources.Identity{}
		for _, typ := range []string{"age", "pgp", "kms", "gcp_kms"} {
			ids = append(ids, fakeIdentity{typ: typ, seen: &seen})
		}
		_, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, c.order)
		if !errors.Is(err, keysources.ErrNoKey) {
			t.Fatal(err)
		}
		if got := strings.Join(seen, " "); got != c.want {
			t.Errorf("order %q tried %s, want %s", c.order, got, c.want)
		}
	}

	// The first stanza that unwraps wins: later ones are not tried.
	var seen []string
	ids := []keysources.Identity{fakeIdentity{typ: "pgp", key: key, seen: &seen}, fakeIdentity{typ: "kms", key: key, seen: &seen}}
	got, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, []string{"pgp", "kms"})
	if err != nil || !bytes.Equal(got, key) || strings.Join(seen, " ") != "pgp:FP1" {
		t.Errorf("Recover = %x, %v; tried %q", got, err, seen)
	}

	if _, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, []string{"age", "pgp", "age"}); err == nil || !strings.Contains(err.Error(), `duplicate key type "age"`) {
		t.Errorf("duplicate order: %v", err)
	}
}

func TestRecoverReasons(t *testing.T) {
	var seen []string
	boom := errors.New("kms: access denied for arn:2")
	group := []metadata.Stanza{
		metadata.NewStanza("age", "recipient", "age1a", "enc", "x"),
		metadata.NewStanza("pgp", "fp", "FP1", "enc", "x"),
		metadata.NewStanza("kms", "arn", "arn:2", "enc", "x"),
	}
	ids := []keysources.Identity{fakeIdentity{typ: "age", seen: &seen}, fakeIdentity{typ: "kms", err: boom, seen: &seen}}
	got, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, nil)
	if got != nil || !errors.Is(err, keysources.ErrNoKey) || !errors.Is(err, boom) {
		t.Fatalf("Recover = %x, %v", got, err)
	}
	want := "could not recover the data key\n" +
		"key group: failed\n" +
		"  age age1a: not a recipient\n" +
		"  pgp FP1: no identity for this key type\n" +
		"  kms arn:2: kms: access denied for arn:2"
	if err.Error() != want {
		t.Errorf("report:\n%s\nwant:\n%s", err, want)
	}

	// A cancelled context is reported and can be matched.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = keysources.Recover(ctx, [][]metadata.Stanza{group}, 0, ids, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "age age1a: context canceled") {
		t.Errorf("cancelled: %v", err)
	}

	// An empty group and no groups.
	_, err = keysources.Recover(context.Background(), [][]metadata.Stanza{group, nil}, 2, ids, nil)
	if err == nil || !strings.Contains(err.Error(), "group 2 of 2: failed\n  (the group has no keys)") {
		t.Errorf("empty group: %v", err)
	}
	if _, err := keysources.Recover(context.Background(), nil, 0, ids, nil); !errors.Is(err, keysources.ErrNoKey) {
		t.Errorf("no groups: %v", err)
	}
}

func TestRecoverWrongSize(t *testing.T) {
	var seen []string
	group := []metadata.Stanza{metadata.NewStanza("age", "recipient", "age1a", "enc", "x")}
	ids := []keysources.Identity{fakeIdentity{typ: "age", key: make([]byte, 33), seen: &seen}}
	got, err := keysources.Recover(context.Background(), [][]metadata.Stanza{group}, 0, ids, nil)
	if got != nil || !errors.Is(err, keysources.ErrNoKey) || !strings.Contains(err.Error(), "33 bytes") {
		t.Errorf("Recover = %x, %v", got, err)
	}
}

func loadIdentity(t *testing.T, name string) keysources.Identity {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(interop, "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b), name)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// TestInteropShamir recovers the key of a 2-of-3 file written by sops from
// its two age groups (the third is pgp).
func TestInteropShamir(t *testing.T) {
	path := filepath.Join(interop, "cases/yaml-shamir-2of3/encrypted.yaml")
	groups, threshold := keysourcetest.SopsYAMLGroups(t, path)
	if len(groups) != 3 || threshold != 2 {
		t.Fatalf("%d groups, threshold %d", len(groups), threshold)
	}
	ids := []keysources.Identity{loadIdentity(t, "age1.txt"), loadIdentity(t, "age2.txt")}
	key, err := keysources.Recover(context.Background(), groups, threshold, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	keysourcetest.CheckDataKey(t, path, key)

	// The parts are sops's: x = 1 and 2 in the last byte, 33 bytes each,
	// and combining them in either order gives the same key.
	var parts [][]byte
	for i, g := range groups[:2] {
		p, err := ids[i].Unwrap(g[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 33 || p[32] != byte(i+1) {
			t.Fatalf("part %d: %d bytes, x = %d", i+1, len(p), p[len(p)-1])
		}
		parts = append(parts, p)
	}
	k1, err1 := shamir.Combine(parts)
	k2, err2 := shamir.Combine([][]byte{parts[1], parts[0]})
	if err1 != nil || err2 != nil || !bytes.Equal(k1, key) || !bytes.Equal(k2, key) {
		t.Fatalf("Combine: %v, %v", err1, err2)
	}

	// One age identity is not enough; the report names the pgp group.
	_, err = keysources.Recover(context.Background(), groups, threshold, ids[:1], nil)
	if err == nil {
		t.Fatal("recovered with one group")
	}
	for _, want := range []string{
		"group 1 of 3: recovered",
		"group 2 of 3: failed\n  age age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m: not a recipient",
		"group 3 of 3: failed\n  pgp 842D725CEB1D378DAC9F2FA31390070CED3A532E: no identity for this key type",
		"1 of 3 key groups recovered, 2 needed",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report lacks %q:\n%s", want, err)
		}
	}
}

func TestRoundTripRandomGroups(t *testing.T) {
	// Wrap with many recipients per group and recover with one per group.
	p := []keyPair{newPair(t), newPair(t), newPair(t), newPair(t)}
	key := make([]byte, 32)
	rand.Read(key)
	groups, th, err := keysources.WrapGroups(key, [][]keysources.Recipient{{p[0].r, p[1].r}, {p[2].r, p[3].r}}, 0, nil)
	if err != nil || th != 2 {
		t.Fatal(th, err)
	}
	got, err := keysources.Recover(context.Background(), groups, th, []keysources.Identity{p[3].id, p[1].id}, nil)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Recover = %x, %v", got, err)
	}
}
