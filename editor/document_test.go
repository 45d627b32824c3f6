package editor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
)

func TestDocumentValidate(t *testing.T) {
	y, _ := all.Registry().ByName("yaml")
	d := &Document{Format: y}
	text, err := d.Text(Template("yaml"), formats.EmitOptions{})
	if err != nil || !strings.HasPrefix(string(text), "hello: Welcome to SOPS!") {
		t.Fatalf("Text = %q, %v", text, err)
	}
	if err := d.Validate(text); err != nil || !d.Unchanged(Template("yaml")) {
		t.Fatalf("the template does not validate unchanged: %v", err)
	}
	if err := d.Validate([]byte("a: 1\n")); err != nil || d.Unchanged(Template("yaml")) {
		t.Errorf("a change: %v, unchanged %v", err, d.Unchanged(Template("yaml")))
	}
	for in, want := range map[string]error{"sops:\n  x: 1\n": ErrSopsKey, "": hull.ErrEmpty, "a: [\n": formats.ErrSyntax} {
		if err := d.Validate([]byte(in)); !errors.Is(err, want) {
			t.Errorf("Validate(%q) = %v, want %v", in, err, want)
		}
	}
	for _, f := range []string{"binary", "ini", "dotenv", "json"} {
		fm, _ := all.Registry().ByName(f)
		d := &Document{Format: fm}
		b, err := d.Text(Template(f), formats.EmitOptions{})
		if err != nil || d.Validate(b) != nil {
			t.Errorf("%s template: %v, %v", f, err, d.Validate(b))
		}
	}
}

func TestKeep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.enc.yaml")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := Keep(path, []byte("one"), now)
	if err != nil || filepath.Base(a) != "s.enc.hull-edit-20260102T030405Z.yaml" {
		t.Fatalf("Keep = %q, %v", a, err)
	}
	b, err := Keep(path, []byte("two"), now)
	if err != nil || filepath.Base(b) != "s.enc.hull-edit-20260102T030405Z-1.yaml" {
		t.Fatalf("second Keep = %q, %v", b, err)
	}
	if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: %v, %v", fi, err)
	}
	if got, _ := os.ReadFile(a); string(got) != "one" {
		t.Errorf("the first kept edit was overwritten: %q", got)
	}
}

func TestKeepEdit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	err := KeepEdit(path, []byte("sealed"), "changed", time.Now())
	var ke *KeptError
	if !errors.As(err, &ke) || ke.Path != path || ke.What != "changed" || !strings.Contains(err.Error(), "your edit is kept, encrypted, in "+ke.Kept) {
		t.Fatalf("KeepEdit = %v", err)
	}
	if got, _ := os.ReadFile(ke.Kept); string(got) != "sealed" {
		t.Errorf("kept %q", got)
	}
	err = KeepEdit(filepath.Join(dir, "missing", "s.yaml"), []byte("sealed"), "created", time.Now())
	if errors.As(err, &ke) || err == nil || !strings.Contains(err.Error(), "was created by someone else") || !strings.Contains(err.Error(), "could not be kept either") {
		t.Errorf("an edit that cannot be kept: %v", err)
	}
}
