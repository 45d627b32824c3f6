package gitattr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
)

func TestTextconv(t *testing.T) {
	enc := []byte("a: ENC[AES256_GCM,data:aGk=,iv:aXY=,tag:dGFn,type:str]\n")
	called := false
	if out := Textconv([]byte("plain: 1\n"), false, func() ([]byte, error) { called = true; return nil, nil }); string(out) != "plain: 1\n" || called {
		t.Errorf("a plain file: %q (decrypt called: %t)", out, called)
	}
	if out := Textconv(enc, true, func() ([]byte, error) { return []byte("a: hi\n"), nil }); string(out) != "a: hi\n" {
		t.Errorf("a file that decrypts: %q", out)
	}
	out := string(Textconv(enc, true, func() ([]byte, error) {
		return nil, fmt.Errorf("f.yaml: %w\nhull looked in: a, b", keysources.ErrNoKey)
	}))
	if !strings.HasPrefix(out, "# hull: cannot decrypt this file (no identity could decrypt the data key); encrypted values are shortened\na: ENC[…") || strings.Contains(out, "looked in") {
		t.Errorf("a file that does not decrypt:\n%s", out)
	}
	for err, want := range map[error]string{
		fmt.Errorf("x: %w", hull.ErrMACMismatch): "MAC mismatch: the file was changed outside sops/hull",
		fmt.Errorf("x: %w", hull.ErrExtendedMAC): "the hull MAC does not match",
		errors.New("first line\nsecond line"):    "first line",
	} {
		if got := Reason(err); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestShow(t *testing.T) {
	y, _ := all.Registry().ByName("yaml")
	plain := []byte("a: 1\n")
	if out := Show(plain, y, func() (*formats.File, error) { t.Error("decrypt called for a plain file"); return nil, nil }); !bytes.Equal(out, plain) {
		t.Errorf("a plain file: %q", out)
	}
	a, _, open := mergeFixture(t)
	if out := Show(a, y, func() (*formats.File, error) { f, _, err := open("f", a, nil); return f, err }); string(out) != "a: 1\n" {
		t.Errorf("an encrypted file: %q", out)
	}
	if out := Show(a, y, func() (*formats.File, error) { return nil, hull.ErrMACMismatch }); !strings.HasPrefix(string(out), "# hull: cannot decrypt this file (MAC mismatch") {
		t.Errorf("a file that does not decrypt: %q", out)
	}
}

func TestMergeText(t *testing.T) {
	dir := gitRepo(t)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base, ours, theirs := write("base", "a\nb\nc\n"), write("ours", "A\nb\nc\n"), write("theirs", "a\nb\nC\n")
	var out bytes.Buffer
	if n, err := MergeText(context.Background(), base, ours, theirs, &out); err != nil || n != 0 {
		t.Fatalf("MergeText = %d, %v (%s)", n, err, out.String())
	}
	if b, _ := os.ReadFile(ours); string(b) != "A\nb\nC\n" {
		t.Errorf("merged: %q", b)
	}
	write("theirs", "a\nb\nX\n")
	if n, err := MergeText(context.Background(), base, ours, theirs, &out); err != nil || n != 1 {
		t.Errorf("a conflict: %d, %v", n, err)
	}
	if _, err := MergeText(context.Background(), base, filepath.Join(dir, "missing"), theirs, &out); !errors.Is(err, ErrMergeFile) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestSetup(t *testing.T) {
	ctx := context.Background()
	dir := gitRepo(t)
	if _, err := Setup(ctx, SetupOptions{Dir: t.TempDir()}); !errors.Is(err, ErrNotInRepository) {
		t.Errorf("outside a repository: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgText := "creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: age1x\n  - path_regex: (?i)weird[0-9]{2,}\n    age: age1x\n"
	if err := os.WriteFile(filepath.Join(sub, ".sops.yaml"), []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func() (*config.Config, error) { return config.Load(filepath.Join(sub, ".sops.yaml")) }
	rep, err := Setup(ctx, SetupOptions{Dir: sub, Config: load})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attributes != filepath.Join("sub", ".gitattributes") || len(rep.Added) != 1 || !strings.HasSuffix(rep.Added[0], "diff=hull merge=hull") || rep.UpToDate {
		t.Errorf("first run: %+v", rep)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "no .gitattributes equivalent") {
		t.Errorf("warnings: %q", rep.Warnings)
	}
	if rep.Where != ".git/config" || len(rep.Changes) != len(GitConfig) || !rep.Changes[0].Set {
		t.Errorf("git config: %+v", rep)
	}
	rep, err = Setup(ctx, SetupOptions{Dir: sub, Config: load})
	if err != nil || !rep.UpToDate || len(rep.Added) != 0 || rep.Changes[0].Set {
		t.Errorf("second run: %+v, %v", rep, err)
	}
	bad := errors.New("broken config")
	if _, err := Setup(ctx, SetupOptions{Dir: sub, Config: func() (*config.Config, error) { return nil, bad }}); err != bad {
		t.Errorf("a config error: %v", err)
	}
}
