package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("creation_rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	deep := filepath.Join(repo, "a", "b", "c")
	other := filepath.Join(root, "other", "x")
	for _, d := range []string{deep, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	touch(t, filepath.Join(repo, FileName))
	touch(t, filepath.Join(repo, "a", "b", altFileName)) // a decoy on the way
	touch(t, filepath.Join(root, "other", FileName))

	for _, tc := range []struct {
		name     string
		starts   []string
		want     string
		warnings int
	}{
		{"from the file's directory upwards", []string{deep, other}, filepath.Join(repo, FileName), 1},
		{"in the start directory itself", []string{repo}, filepath.Join(repo, FileName), 0},
		{"then from the working directory", []string{filepath.Join(root, "missing", "dir"), other}, filepath.Join(root, "other", FileName), 0},
		{"the first start wins", []string{other, deep}, filepath.Join(root, "other", FileName), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings, err := Find(tc.starts, nil)
			if err != nil || got != tc.want {
				t.Fatalf("Find = %q, %v; want %q", got, err, tc.want)
			}
			if len(warnings) != tc.warnings {
				t.Fatalf("warnings = %q, want %d", warnings, tc.warnings)
			}
			for _, w := range warnings {
				want := `ignoring "` + filepath.Join(repo, "a", "b", altFileName) + `" when searching for config file; the config file must be called ".sops.yaml"`
				if w != want {
					t.Errorf("warning %q, want %q", w, want)
				}
			}
		})
	}

	// A directory named .sops.yaml is an error, not a config.
	bad := filepath.Join(root, "bad")
	if err := os.MkdirAll(filepath.Join(bad, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Find([]string{bad}, nil); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Find(dir named .sops.yaml) = %v", err)
	}
}

// A fake file system: absolute paths under "/", relative ones as given.
func fakeStat(files fstest.MapFS, calls *[]string) func(string) (fs.FileInfo, error) {
	return func(name string) (fs.FileInfo, error) {
		*calls = append(*calls, name)
		return fs.Stat(files, strings.TrimPrefix(filepath.ToSlash(name), "/"))
	}
}

func TestFindNone(t *testing.T) {
	if filepath.Separator != '/' {
		t.Skip("unix paths")
	}
	var calls []string
	files := fstest.MapFS{"home/u/.sops.yml": {}}
	got, warnings, err := Find([]string{"/home/u/p", "/home/u"}, fakeStat(files, &calls))
	if got != "" || err != nil {
		t.Fatalf("Find = %q, %v; want none", got, err)
	}
	if len(warnings) != 1 {
		t.Errorf("warnings = %q, want one, once", warnings)
	}
	// /home/u/p, /home/u, /home and / each checked once, for both names.
	if len(calls) != 8 {
		t.Errorf("stat calls = %q", calls)
	}
}

func TestFindLevels(t *testing.T) {
	// Relative start directories walk up with "..", at most 100 levels.
	var calls []string
	files := fstest.MapFS{}
	Find([]string{"."}, fakeStat(files, &calls))
	if len(calls) != 2*maxLevels {
		t.Errorf("%d stat calls, want %d", len(calls), 2*maxLevels)
	}
	if calls[2] != filepath.Join("..", FileName) {
		t.Errorf("second level = %q", calls[2])
	}

	var depth []string
	for i := 0; i < maxLevels; i++ {
		depth = append(depth, "d")
	}
	deep := "/" + strings.Join(depth, "/")
	files = fstest.MapFS{".sops.yaml": {}, strings.Join(depth[:1], "/") + "/.sops.yaml": {}}
	calls = nil
	got, _, err := Find([]string{deep}, fakeStat(files, &calls))
	if err != nil || got != "/d/.sops.yaml" {
		t.Errorf("Find 100 levels deep = %q, %v; want /d/.sops.yaml (the 100th level)", got, err)
	}
	files = fstest.MapFS{".sops.yaml": {}}
	got, _, _ = Find([]string{deep}, fakeStat(files, &calls))
	if got != "" {
		t.Errorf("Find 101 levels up = %q, want none", got)
	}
}

func TestFindStatError(t *testing.T) {
	boom := errors.New("permission denied")
	_, _, err := Find([]string{"/x"}, func(string) (fs.FileInfo, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("Find = %v, want the stat error", err)
	}
}

// A .sops.yaml in a directory others can write is skipped with a warning,
// and the search goes on upwards (TRUST.md: unsafe directories).
func TestFindSkipsUnsafe(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	shared := filepath.Join(proj, "shared")
	work := filepath.Join(shared, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{proj, shared} {
		if err := os.WriteFile(filepath.Join(d, FileName), []byte("creation_rules: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	got, warnings, err := Find([]string{work}, nil)
	if err != nil || got != filepath.Join(proj, FileName) {
		t.Fatalf("Find = %q, %v; want the project's", got, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "writable by every user") || !strings.Contains(warnings[0], shared) {
		t.Errorf("warnings = %q", warnings)
	}
	// A world-writable config file is skipped too.
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(shared, FileName), 0o666); err != nil {
		t.Fatal(err)
	}
	got, warnings, _ = Find([]string{work}, nil)
	if got != filepath.Join(proj, FileName) || len(warnings) != 1 || !strings.Contains(warnings[0], "the file is writable") {
		t.Errorf("Find = %q, %q", got, warnings)
	}
	if err := os.Chmod(filepath.Join(shared, FileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = Find([]string{work}, nil); got != filepath.Join(shared, FileName) {
		t.Errorf("safe config not found: %q", got)
	}
}

// Locate: --config, then SOPS_CONFIG, then the search from the directory.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	found := filepath.Join(dir, FileName)
	if err := os.WriteFile(found, []byte("creation_rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"SOPS_CONFIG": "/env.yaml"}[k] }
	for _, c := range []struct {
		given string
		env   func(string) string
		want  string
	}{{"/flag.yaml", env, "/flag.yaml"}, {"", env, "/env.yaml"}, {"", nil, found}} {
		if got, _, err := Locate(c.given, c.env, dir); err != nil || got != c.want {
			t.Errorf("Locate(%q) = %q, %v; want %q", c.given, got, err, c.want)
		}
	}
}

// TestCacheLocate: a Cache searches once per set of arguments, and what it
// returns is what Locate returns.
func TestCacheLocate(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	touch(t, filepath.Join(sub, altFileName)) // a warning of the search
	c := NewCache()
	path, warnings, err := c.Locate("", nil, sub)
	wantPath, wantWarnings, wantErr := Locate("", nil, sub)
	if path != wantPath || err != wantErr || strings.Join(warnings, "\n") != strings.Join(wantWarnings, "\n") || len(warnings) != 1 {
		t.Fatalf("Cache.Locate = %q, %q, %v; Locate = %q, %q, %v", path, warnings, err, wantPath, wantWarnings, wantErr)
	}
	warnings[0] = "changed by the caller"

	// A .sops.yaml made after the search is not seen by the same Cache
	// (it searched once), but by a new one and for other arguments.
	touch(t, filepath.Join(dir, FileName))
	if again, w, _ := c.Locate("", nil, sub); again != path || len(w) != 1 || w[0] == "changed by the caller" {
		t.Errorf("the second search of a Cache = %q, %q; want the first, %q, with its warning", again, w, path)
	}
	if fresh, _, _ := NewCache().Locate("", nil, sub); fresh != filepath.Join(dir, FileName) {
		t.Errorf("a new Cache found %q", fresh)
	}
	env := func(k string) string { return map[string]string{"SOPS_CONFIG": "/env.yaml"}[k] }
	if got, _, _ := c.Locate("", env, sub); got != "/env.yaml" {
		t.Errorf("with SOPS_CONFIG set, the Cache returned %q", got)
	}
	if got, _, _ := c.Locate("/flag.yaml", env, sub); got != "/flag.yaml" {
		t.Errorf("with --config, the Cache returned %q", got)
	}
	var nilCache *Cache
	if got, _, _ := nilCache.Locate("", nil, sub); got != filepath.Join(dir, FileName) {
		t.Errorf("a nil Cache found %q", got)
	}
}
