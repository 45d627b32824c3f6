package hull_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

func TestReadInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	os.WriteFile(p, []byte("a: 1\n"), 0o600)
	if b, err := hull.ReadInput(p, nil, "yaml"); err != nil || string(b) != "a: 1\n" {
		t.Errorf("file: %q, %v", b, err)
	}
	if b, err := hull.ReadInput("", strings.NewReader("x"), "yaml"); err != nil || string(b) != "x" {
		t.Errorf("stdin: %q, %v", b, err)
	}
	if _, err := hull.ReadInput(filepath.Join(dir, "no"), nil, "yaml"); !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(err.Error(), "no: no such file") {
		t.Errorf("missing: %v", err)
	}
	if _, err := hull.ReadInput(dir, nil, "yaml"); !errors.Is(err, hull.ErrIsDirectory) {
		t.Errorf("directory: %v", err)
	}
	big := strings.NewReader(strings.Repeat("x", int(formats.DefaultLimits.MaxBytes)+1))
	var le *formats.LimitError
	if _, err := hull.ReadInput("", big, "json"); !errors.As(err, &le) || le.Format != "json" {
		t.Errorf("over the limit: %v", err)
	}
}

func TestWriteOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "elsewhere"), filepath.Join(dir, "out.yaml")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := hull.WriteOutput(link, []byte("plain"), true, false); !errors.Is(err, hull.ErrExists) {
		t.Errorf("plaintext through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Error("the plaintext reached the link's target")
	}
	if err := hull.WriteOutput(link, []byte("enc"), false, false); err != nil {
		t.Errorf("ciphertext through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "enc" {
		t.Errorf("the link's target holds %q", b)
	}
	if err := hull.WriteOutput(filepath.Join(dir, "new"), []byte("x"), true, false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "new")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func TestCreateFile(t *testing.T) {
	rs, _ := age.ParseRecipients(pipelineRecipient)
	ids, _ := age.ParseIdentities(strings.NewReader(pipelineIdentity), "test")
	y, _ := all.Registry().ByName("yaml")
	path := filepath.Join(t.TempDir(), "new.yaml")
	f, _ := y.Parse([]byte("a: 1\n"), formats.ParseOptions{})
	o := hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}}
	if _, err := hull.CreateFile(path, f, y, formats.EmitOptions{}, o); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if plain, err := hull.DecryptFile(context.Background(), path, hull.DecryptOptions{Identities: ids}); err != nil || !strings.HasPrefix(string(plain), "a: 1\n") {
		t.Errorf("decrypts to %q, %v", plain, err)
	}
	f, _ = y.Parse([]byte("b: 2\n"), formats.ParseOptions{})
	out, err := hull.CreateFile(path, f, y, formats.EmitOptions{}, o)
	if !errors.Is(err, hull.ErrExists) || !strings.Contains(string(out), "b: ENC[") {
		t.Errorf("an existing file: %v, %q", err, out)
	}
	f, _ = y.Parse([]byte("b: 2\n"), formats.ParseOptions{})
	if _, err := hull.CreateFile(filepath.Join(path, "x.yaml"), f, y, formats.EmitOptions{}, o); !errors.Is(err, hull.ErrWrite) {
		t.Errorf("an unwritable path: %v", err)
	}
}
