//go:build unix

package editor

import (
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

// session edits with a shell script as the editor ($f is the file).
func session(t *testing.T, body string, warnings *[]string) Session {
	return Session{Path: "s.yaml", Warn: func(m string) { *warnings = append(*warnings, m) }, Options: Options{
		Command: &Command{Path: script(t, body)}, FileName: "s.yaml", TempBase: t.TempDir(),
		Env: []string{"PATH=/usr/bin:/bin"}, Signals: []os.Signal{},
	}}
}

func TestDocumentEdit(t *testing.T) {
	y, _ := all.Registry().ByName("yaml")
	ctx := context.Background()
	var warnings []string
	orig := func() *formats.File {
		f, err := y.Parse([]byte("a: 1\n"), formats.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	d := &Document{Format: y}
	changed, err := d.Edit(ctx, orig(), session(t, `printf 'a: 2\n' > "$f"`, &warnings))
	if err != nil || !changed || d.Edited.Docs[0].Get("a").Value != "2" {
		t.Fatalf("a change: %v, %v", changed, err)
	}
	// Only formatting: nothing changed, unless the file is new.
	d = &Document{Format: y}
	if changed, err := d.Edit(ctx, orig(), session(t, `printf 'a:   1\n' > "$f"`, &warnings)); err != nil || changed {
		t.Errorf("formatting only: %v, %v", changed, err)
	}
	s := session(t, `printf 'a:   1\n' > "$f"`, &warnings)
	s.New = true
	if changed, err := d.Edit(ctx, orig(), s); err != nil || !changed {
		t.Errorf("formatting only, new: %v, %v", changed, err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}

	// The errors name the file and wrap the editor's.
	for _, c := range []struct {
		body string
		is   func(error) bool
		msg  string
	}{
		{`:`, func(err error) bool { return errors.Is(err, ErrNotModified) }, "s.yaml: file has not changed, nothing was written"},
		{`exit 3`, func(err error) bool { return errors.Is(err, ErrEditorFailed) }, "; the file was not changed"},
		{`printf 'a: [\n' > "$f"`, func(err error) bool {
			var ve *ValidationError
			return errors.As(err, &ve) && errors.Is(err, formats.ErrSyntax)
		},
			"s.yaml: the edited text is not valid: "},
	} {
		_, err := (&Document{Format: y}).Edit(ctx, orig(), session(t, c.body, &warnings))
		if err == nil || !c.is(err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("editor %q: %v", c.body, err)
		}
	}
}

func TestCreate(t *testing.T) {
	y, _ := all.Registry().ByName("yaml")
	ctx := context.Background()
	var warnings []string
	_, rcpt, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.ParseRecipients(rcpt)
	if err != nil {
		t.Fatal(err)
	}
	o := hull.EncryptOptions{Groups: [][]keysources.Recipient{r}}
	create := func(path string) func(*formats.File) ([]byte, error) {
		return func(f *formats.File) ([]byte, error) { return hull.CreateFile(path, f, y, formats.EmitOptions{}, o) }
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "new.yaml")
	s := session(t, `printf 'pw: x\n' > "$f"`, &warnings)
	s.Path = path
	if _, err := Create(ctx, y, s, create(path)); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "ENC[") || !strings.Contains(string(b), rcpt) {
		t.Fatalf("created: %v\n%s", err, b)
	}
	// Created by someone else while the editor ran: the edit comes back.
	other := filepath.Join(dir, "other.yaml")
	s = session(t, `printf 'pw: y\n' > "$f"; printf 'a: 1\n' > `+other, &warnings)
	s.Path = other
	if sealed, err := Create(ctx, y, s, create(other)); !errors.Is(err, hull.ErrExists) || !strings.Contains(string(sealed), "ENC[") {
		t.Errorf("exists: %v\n%s", err, sealed)
	}
	// No directory: refused before the editor starts.
	s = session(t, `exit 7`, &warnings)
	s.Path = filepath.Join(dir, "nodir", "f.yaml")
	if _, err := Create(ctx, y, s, create(s.Path)); !errors.Is(err, hull.ErrWrite) || !strings.Contains(err.Error(), "directory "+filepath.Join(dir, "nodir")+" does not exist") {
		t.Errorf("no directory: %v", err)
	}
}
