package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// TestExitCodeMap pins the one error-to-exit-code map: sops's numbers where
// sops has one (callers such as ansible map them), hull's own otherwise.
func TestExitCodeMap(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("anything"), 1},
		{&formats.SyntaxError{Format: "yaml", Msg: "x"}, 2},
		{&formats.LimitError{Format: "yaml", What: "depth"}, 31},
		{&formats.UnsupportedError{Format: "dotenv", Msg: "x"}, 4},
		{metadata.ErrInvalidRegex, 5},
		{metadata.ErrConflictingRules, 8},
		{fmt.Errorf("x: %w", keysources.ErrNoKey), 128},
		{hull.ErrMACMismatch, 51},
		{hull.ErrNoMAC, 51},
		{hull.ErrNonCanonical, 26},
		{hull.ErrMalformedValue, 25},
		{hull.ErrDecrypt, 25},
		{hull.ErrEncrypt, 23},
		{hull.ErrEmpty, 92},
		{hull.ErrAlreadyEncrypted, 203},
		{hull.ErrTreePath, 91},
		{hull.ErrNothingEncrypted, 29},
		{metadata.ErrNoMetadata, 1},
		{fs.ErrNotExist, 100},
		{withCode(7, errors.New("x")), 7},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// TestExitCodesDocumented checks that the README's exit-code table lists
// exactly the codes of the exitCodes table (which --help and the man page
// print), so the documentation cannot drift.
func TestExitCodesDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sec := string(data)
	i := strings.Index(sec, "## Exit codes")
	if i < 0 {
		t.Fatal("README.md has no Exit codes section")
	}
	sec = sec[i:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	row := regexp.MustCompile(`(?m)^\| ([0-9, ]+) \|`)
	readme := map[int]bool{}
	for _, m := range row.FindAllStringSubmatch(sec, -1) {
		for _, f := range strings.Split(m[1], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("README exit code %q", f)
			}
			readme[n] = true
		}
	}
	table := map[int]bool{}
	for _, e := range exitCodes {
		table[e.code] = true
	}
	var missing, extra []int
	for c := range table {
		if !readme[c] {
			missing = append(missing, c)
		}
	}
	for c := range readme {
		if !table[c] {
			extra = append(extra, c)
		}
	}
	sort.Ints(missing)
	sort.Ints(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("README.md exit codes out of step with exitcodes.go: missing %v, not defined %v", missing, extra)
	}
}
