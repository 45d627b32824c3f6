package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

//go:generate go run testdata/gen/main.go

// TestCorpus runs the scanner over the corpus and prints its false-negative
// and false-positive counts. Every file in secrets/ (named KIND.N.EXT) must
// yield a finding of its kind; a look-alike file with any finding is a
// false positive. The thresholds are FN = 0 and FP ≤ 2%.
func TestCorpus(t *testing.T) {
	fn, nSecrets := 0, 0
	for _, p := range corpusFiles(t, "secrets") {
		nSecrets++
		kind := strings.SplitN(filepath.Base(p), ".", 2)[0]
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		fs := ScanData(filepath.Base(p), data)
		for _, f := range fs {
			if f.Kind == kind {
				found = true
			}
			checkRedacted(t, f, string(data))
		}
		if !found {
			fn++
			t.Errorf("false negative: %s: no %s finding (got %v)", filepath.Base(p), kind, fs)
		}
	}
	fp, nLooks := 0, 0
	for _, p := range corpusFiles(t, "lookalikes") {
		nLooks++
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if fs := ScanData(filepath.Base(p), data); len(fs) > 0 {
			fp++
			t.Logf("false positive: %s: %v", filepath.Base(p), fs)
		}
	}
	t.Logf("corpus: %d secrets, %d false negatives; %d look-alikes, %d false positives (%.1f%%)",
		nSecrets, fn, nLooks, fp, 100*float64(fp)/float64(nLooks))
	if nSecrets < 50 || nLooks < 50 {
		t.Fatalf("corpus too small (%d secrets, %d look-alikes): run go generate", nSecrets, nLooks)
	}
	if fn > 0 {
		t.Errorf("%d false negatives (want 0)", fn)
	}
	if float64(fp) > 0.02*float64(nLooks) {
		t.Errorf("%d false positives in %d look-alikes (want ≤ 2%%)", fp, nLooks)
	}
}

func corpusFiles(t *testing.T, dir string) []string {
	ps, err := filepath.Glob(filepath.Join("testdata", "corpus", dir, "*"))
	if err != nil || len(ps) == 0 {
		t.Fatalf("no corpus in testdata/corpus/%s: run go generate", dir)
	}
	return ps
}

// checkRedacted: the redacted form shows at most 4 characters of what it
// stands for and is not a long substring of the file's secret material.
func checkRedacted(t *testing.T, f Finding, content string) {
	t.Helper()
	if strings.HasPrefix(f.Redacted, "-----BEGIN ") {
		return
	}
	r := strings.TrimSuffix(f.Redacted, "…")
	if len(r) > 4 || r == f.Redacted {
		t.Errorf("%s: redacted %q shows too much", f.File, f.Redacted)
	}
}
