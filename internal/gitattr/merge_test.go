package gitattr

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// mergeFixture encrypts two versions of a file for a new age key.
func mergeFixture(t *testing.T) (a, b []byte, open func(string, []byte, *hull.Stash) (*formats.File, *hull.Opened, error)) {
	t.Helper()
	idText, rcpt, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := age.ParseRecipients(rcpt)
	ids, err := age.ParseIdentities(bytes.NewReader(idText), "test")
	if err != nil {
		t.Fatal(err)
	}
	enc := func(s string) []byte {
		out, err := hull.EncryptData([]byte(s), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	y, _ := all.Registry().ByName("yaml")
	open = func(side string, d []byte, st *hull.Stash) (*formats.File, *hull.Opened, error) {
		f, err := hull.ParseEncrypted(y, d, side, formats.Limits{})
		if err != nil {
			return nil, nil, err
		}
		o, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{Identities: ids, Stash: st})
		return f, o, err
	}
	return enc("a: 1\n"), enc("a: 2\n"), open
}

func TestMerge(t *testing.T) {
	dir := gitRepo(t)
	y, _ := all.Registry().ByName("yaml")
	a, b, open := mergeFixture(t)
	path := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	driver := func(base, ours, theirs []byte) MergeDriver {
		return MergeDriver{Base: path("base", base), Ours: path("ours", ours), Theirs: path("theirs", theirs), Display: "s.yaml", Out: &bytes.Buffer{},
			Read: os.ReadFile, Format: func([]byte) (formats.Format, string, error) { return y, "s.yaml", nil }, Open: open}
	}

	// The same version three times: a clean merge written to ours.
	res, err := Merge(context.Background(), driver(a, a, a))
	if err != nil || res.Text || len(res.Conflicts) != 0 {
		t.Fatalf("Merge = %+v, %v", res, err)
	}
	if _, o, err := open("ours", mustRead(t, filepath.Join(dir, "ours")), hull.NewStash()); err != nil || o == nil {
		t.Errorf("the merged file does not open: %v", err)
	}

	// Different data keys: not merged, ours left as it was.
	var nm *NotMergedError
	if _, err := Merge(context.Background(), driver(a, a, b)); !errors.As(err, &nm) || !errors.Is(err, hull.ErrDifferentKeys) ||
		!strings.HasPrefix(err.Error(), "s.yaml: not merged: ") || !strings.HasSuffix(err.Error(), "ours was left as it is") {
		t.Errorf("different keys: %v", err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(dir, "ours")), a) {
		t.Error("a refused merge changed ours")
	}

	// Only some versions encrypted.
	if _, err := Merge(context.Background(), driver(a, a, []byte("a: 1\n"))); !errors.As(err, &nm) || !errors.As(err, new(*hull.PartlyEncryptedError)) {
		t.Errorf("partly encrypted: %v", err)
	}

	// An error of Open is said with ours left as it is.
	d := driver(a, a, a)
	d.Open = func(string, []byte, *hull.Stash) (*formats.File, *hull.Opened, error) {
		return nil, nil, keysources.ErrNoKey
	}
	if _, err := Merge(context.Background(), d); !errors.Is(err, keysources.ErrNoKey) || !strings.HasPrefix(err.Error(), "not merged, ") {
		t.Errorf("an error of Open: %v", err)
	}

	// Errors of Read and Format are returned as they are.
	d = driver(a, a, a)
	d.Base = filepath.Join(dir, "missing")
	if _, err := Merge(context.Background(), d); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing version: %v", err)
	}
	d = driver(a, a, a)
	d.Format = func([]byte) (formats.Format, string, error) { return nil, "", errors.New("bad type") }
	if _, err := Merge(context.Background(), d); err == nil || err.Error() != "bad type" {
		t.Errorf("an error of Format: %v", err)
	}

	// No version encrypted: merged as text, with git merge-file.
	res, err = Merge(context.Background(), driver([]byte("x: 1\nm: 0\nn: 0\ny: 1\n"), []byte("x: 2\nm: 0\nn: 0\ny: 1\n"), []byte("x: 1\nm: 0\nn: 0\ny: 2\n")))
	if err != nil || !res.Text || res.TextConflicts != 0 || string(mustRead(t, filepath.Join(dir, "ours"))) != "x: 2\nm: 0\nn: 0\ny: 2\n" {
		t.Errorf("a text merge: %+v, %v", res, err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	conflicted := []byte("a: 1\n<<<<<<< ours\nb: ours\n=======\nb: theirs\n>>>>>>> theirs\n")
	var formatSaw, verifySaw string
	data := conflicted
	read := func(string) ([]byte, error) { return data, nil }
	r := Resolution{Path: p, Read: read, Ours: false,
		Format: func(out []byte) error { formatSaw = string(out); return nil },
		Verify: func(out []byte) error { verifySaw = string(out); return nil }}
	if err := Resolve(r); err != nil {
		t.Fatal(err)
	}
	if got := string(mustRead(t, p)); got != "a: 1\nb: theirs\n" || formatSaw != got || verifySaw != got {
		t.Errorf("resolved %q (format saw %q, verify %q)", got, formatSaw, verifySaw)
	}
	r.Path = filepath.Join(dir, "g.yaml")
	r.Verify = func([]byte) error { return hull.ErrMACMismatch }
	if err := Resolve(r); !errors.Is(err, hull.ErrMACMismatch) || !strings.Contains(err.Error(), "the theirs side does not decrypt, nothing was written") {
		t.Errorf("a side that does not verify: %v", err)
	}
	if _, err := os.Stat(r.Path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a side that does not verify was written")
	}
	data = []byte("a: 1\n")
	if err := Resolve(r); err == nil || err.Error() != r.Path+": no conflict markers found" {
		t.Errorf("no markers: %v", err)
	}
	data, r.Path = conflicted, filepath.Join(dir, "missing", "f.yaml")
	r.Verify = func([]byte) error { return nil }
	var fe *FileError
	if err := Resolve(r); !errors.As(err, &fe) || !fe.Write {
		t.Errorf("an unwritable path: %v", err)
	}
	r.Read = os.ReadFile
	if err := Resolve(r); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an error of Read: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
