package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/internal/vaulttest"
)

func TestFor(t *testing.T) {
	for _, tc := range []struct {
		d          config.DestinationRule
		path, root string
		omit       bool
		want       string
	}{
		// As sops: the base name, whatever the path as typed.
		{config.DestinationRule{S3Bucket: "b", S3Prefix: "p/"}, "dir/sub/f.yaml", "", false, "s3://b/p/f.yaml"},
		{config.DestinationRule{S3Bucket: "b"}, "dir/f.yaml", "", true, "s3://b/f"},
		{config.DestinationRule{S3Bucket: "b"}, "../up/f.yaml", "", false, "s3://b/f.yaml"},
		{config.DestinationRule{GCSBucket: "g", GCSPrefix: "x-", OmitExtensions: true}, "d.v1/f.enc.json", "", false, "gcs://g/x-f.enc"},
		{config.DestinationRule{VaultPath: "app", VaultAddress: "https://v:8200/"}, "dir/f.yaml", "", false, "https://v:8200/v1/secret/data/app/f.yaml"},
		{config.DestinationRule{VaultPath: "app/", VaultKVMountName: "kv", VaultKVVersion: 1, VaultAddress: "http://v"}, "f.yaml", "", true, "http://v/v1/kv/app/f"},
		// --recursive: the path below the directory given.
		{config.DestinationRule{S3Bucket: "b", S3Prefix: "p/"}, "dir/sub/f.yaml", "dir", false, "s3://b/p/sub/f.yaml"},
		{config.DestinationRule{S3Bucket: "b", S3Prefix: "p/"}, "dir/sub/f.yaml", "./dir/", false, "s3://b/p/sub/f.yaml"},
		{config.DestinationRule{GCSBucket: "g"}, "dir/sub/f.yaml", "dir", true, "gcs://g/sub/f"},
		{config.DestinationRule{VaultPath: "app", VaultAddress: "http://v"}, "dir/sub/noext", "dir", true, "http://v/v1/secret/data/app/sub/noext"},
		// --recursive given a file: its base name (sops: ".").
		{config.DestinationRule{S3Bucket: "b", S3Prefix: "p/"}, "dir/f.yaml", "dir/f.yaml", false, "s3://b/p/f.yaml"},
	} {
		got, err := For(&tc.d, tc.path, tc.root, tc.omit)
		if err != nil || got.String() != tc.want {
			t.Errorf("For(%+v, %q, %q, %v) = %q, %v; want %q", tc.d, tc.path, tc.root, tc.omit, got, err, tc.want)
		}
	}
	if _, err := For(nil, "f", "", false); !errors.Is(err, ErrNoDestination) {
		t.Errorf("no rule: %v", err)
	}
	if _, err := For(&config.DestinationRule{Line: 3}, "f", "", false); !errors.Is(err, ErrNoDestination) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("rule without destination: %v", err)
	}
}

func doc(t *testing.T, src string) *formats.Node {
	t.Helper()
	f, err := yaml.New().Parse([]byte(src), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Docs[0]
}

func TestData(t *testing.T) {
	got, err := Data(doc(t, "# c\na: s\nb: 2\nc: 1.5\nd: true\ne: null\nf:\n  - x\n  # c\n  - 3\ng:\n  h: i\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "s", "b": int64(2), "c": 1.5, "d": true, "e": nil, "f": []any{"x", int64(3)}, "g": map[string]any{"h": "i"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Data = %#v\nwant %#v", got, want)
	}
	if _, err := Data(&formats.Node{Kind: formats.Sequence}); err == nil {
		t.Error("a sequence at the top: no error")
	}
}

func TestVaultPut(t *testing.T) {
	v := vaulttest.New(t, "transit")
	v.MountKV("secret", 2)
	v.MountKV("kv1", 1)
	c := &VaultClient{Address: v.Srv.URL, Token: v.Token}
	ctx := context.Background()
	data := map[string]any{"a": "s", "n": int64(2), "l": []any{"x"}}
	for _, tg := range []Target{{Kind: Vault, Mount: "secret/", Version: 2, Path: "app/f"}, {Kind: Vault, Mount: "kv1/", Version: 1, Path: "app/f"}} {
		changed, err := c.Put(ctx, tg, data)
		if err != nil || !changed {
			t.Fatalf("%s: first put: changed=%v err=%v", tg.Mount, changed, err)
		}
		if got := v.Secret(tg.Mount, "app/f"); got["a"] != "s" || got["n"] != float64(2) {
			t.Errorf("%s: stored %v", tg.Mount, got)
		}
		// The same data again is not written.
		if changed, err := c.Put(ctx, tg, data); err != nil || changed {
			t.Errorf("%s: second put: changed=%v err=%v", tg.Mount, changed, err)
		}
	}
	if n := v.KVWrites.Load(); n != 2 {
		t.Errorf("%d writes, want 2", n)
	}
	bad := &VaultClient{Address: v.Srv.URL, Token: "wrong"}
	if _, err := bad.Put(ctx, Target{Kind: Vault, Mount: "secret/", Version: 2, Path: "x"}, data); err == nil || !strings.Contains(err.Error(), "403: permission denied") {
		t.Errorf("wrong token: %v", err)
	}
	if got := (&VaultClient{}).Resolve(Target{Kind: Vault}).Address; got != "https://127.0.0.1:8200" {
		t.Errorf("default address %q", got)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.yaml", "sub/b.json"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o700)
		os.WriteFile(filepath.Join(dir, p), nil, 0o600)
	}
	if err := os.Symlink(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "sub", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Files(dir, false); err == nil || !strings.Contains(err.Error(), "pass --recursive") {
		t.Errorf("directory without recursive: %v", err)
	}
	got, links, err := Files(dir, true)
	if err != nil || len(got) != 2 || got[0] != filepath.Join(dir, "a.yaml") || got[1] != filepath.Join(dir, "sub", "b.json") {
		t.Errorf("Files = %q, %v", got, err)
	}
	if len(links) != 1 || links[0] != filepath.Join(dir, "sub", "link.yaml") {
		t.Errorf("links = %q", links)
	}
	if _, _, err := Files(filepath.Join(dir, "none"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
