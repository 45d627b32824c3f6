package hull

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoticeListsPortedCode: every Go file whose header says it is ported
// from, or derived from, other code is listed in NOTICE, which carries that code's licence notices, and
// the repository has a LICENSE.
func TestNoticeListsPortedCode(t *testing.T) {
	if _, err := os.Stat("LICENSE"); err != nil {
		t.Fatalf("LICENSE: %v", err)
	}
	notice, err := os.ReadFile("NOTICE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Permission is hereby granted", "Apache License, Version 2.0", "Kirill Simonov", "Canonical Ltd"} {
		if !strings.Contains(string(notice), want) {
			t.Errorf("NOTICE lacks %q", want)
		}
	}
	ported := 0
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		head := string(b)
		if len(head) > 400 {
			head = head[:400]
		}
		if strings.Contains(head, "Ported from ") || strings.Contains(head, "are derived from ") {
			ported++
			if !strings.Contains(string(notice), filepath.ToSlash(path)) {
				t.Errorf("%s is a port of other code but NOTICE does not list it", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ported == 0 {
		t.Error("no ported file found: the markers 'Ported from' / 'are derived from' changed; update this test")
	}
}
