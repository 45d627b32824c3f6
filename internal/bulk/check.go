package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// File are the options of every file's hull.CheckFile; Check fills
	// in Display, Config, Rule and Skip.
	File hull.CheckOptions
	// CoveredOnly checks only the files a creation rule covers (a
	// pre-commit hook: most staged files are source code). Otherwise the
	// files named as roots and the encrypted files of a known format that
	// no rule covers are checked too.
	CoveredOnly bool
	// Known reports whether a file name has a known format extension.
	Known func(name string) bool
	// Progress is called as files are done.
	Progress func(done, total int)
}

// Check checks the walked files concurrently (hull.CheckFile) and
// returns the results, after one result per config whose unknown keys
// fail the check (hull.CheckConfig). Names are shown relative to the
// working directory when under it.
func Check(ctx context.Context, walked []File, o CheckOptions) []hull.CheckResult {
	var out []hull.CheckResult
	seen := map[*config.Config]bool{}
	var files []File
	for _, f := range walked {
		if f.Config != nil && !seen[f.Config] {
			seen[f.Config] = true
			if res, ok := hull.CheckConfig(f.Config, DisplayName(filepath.Join(f.Config.Dir, config.FileName))); ok {
				out = append(out, res)
			}
		}
		if o.CoveredOnly && f.Rule == nil {
			continue
		}
		if f.Rule != nil || f.Explicit || (o.Known != nil && o.Known(filepath.Base(f.Path)) && looksEncrypted(f.Path)) {
			files = append(files, f)
		}
	}
	return append(out, Run(files, 0, func(_ int, f File) hull.CheckResult {
		fo := o.File
		fo.Display, fo.Config, fo.Rule, fo.Skip = DisplayName(f.Path), f.Config, f.Rule, f.Skip
		return hull.CheckFile(ctx, f.Path, fo)
	}, Hooks[hull.CheckResult]{Progress: o.Progress})...)
}

// looksEncrypted is a cheap test for an encrypted file no rule covers.
func looksEncrypted(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() > 16<<20 {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte("ENC[AES256_GCM,data:"))
}

// DisplayName is path relative to the working directory when under it,
// else absolute.
func DisplayName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

// Worst is the most severe status of the results (hull.CheckStatuses),
// ignoring those in ignore; "" when none failed.
func Worst(results []hull.CheckResult, ignore ...string) string {
	rank, worst := len(hull.CheckStatuses), ""
	for _, res := range results {
		for i, cl := range hull.CheckStatuses {
			if res.Status == cl.Status && i < rank && !slices.Contains(ignore, cl.Status) {
				rank, worst = i, cl.Status
			}
		}
	}
	return worst
}

// NoConfigError is RequireConfig finding no .sops.yaml, so that check
// had nothing to check files against: Where names the roots ("the working
// directory" for "."), Files says only files were named (as a pre-commit
// hook names them).
type NoConfigError struct {
	Where string
	Files bool
}

func (e *NoConfigError) Error() string {
	return "check: no .sops.yaml in " + e.Where + " or above it: there are no creation rules to check files against, so nothing was checked; add a .sops.yaml with creation_rules, or name one with --config or SOPS_CONFIG"
}

// RequireConfig fails (*NoConfigError) unless a .sops.yaml applies to one
// of the roots or to a file under them; a config that cannot be read is
// an error too. Without creation rules there is nothing to check files
// against, and a CI job would pass by accident.
func RequireConfig(sel *Selector, roots []string) error {
	for _, root := range roots {
		probe := root
		if fi, err := os.Stat(root); err == nil && fi.IsDir() {
			probe = filepath.Join(root, "probe")
		}
		if _, err := sel.Config(probe); err != nil {
			return err
		}
	}
	if sel.Loaded() > 0 {
		return nil
	}
	e := &NoConfigError{Where: strings.Join(roots, ", "), Files: true}
	if len(roots) == 1 && roots[0] == "." {
		e.Where = "the working directory"
	}
	for _, root := range roots {
		if fi, err := os.Stat(root); err != nil || fi.IsDir() {
			e.Files = false
		}
	}
	return e
}

// CheckSummary is the last line of a check: the number of files, by
// status, and for how many the MAC was verified, e.g. "check: 3 files: 2
// ok, 1 drift (MAC verified for 2)".
func CheckSummary(results []hull.CheckResult) string {
	counts := map[string]int{}
	verified, unverified := 0, 0
	for _, res := range results {
		counts[res.Status]++
		if res.Verified {
			verified++
		}
		for _, f := range res.Findings {
			if f.Kind == hull.FindNoKey {
				unverified++
			}
		}
	}
	var parts []string
	for _, s := range []string{"ok", "tampered", "plaintext", "error", "no-key", "drift", "uncovered", "skipped"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	noun := "files"
	if len(results) == 1 {
		noun = "file"
	}
	line := fmt.Sprintf("check: %d %s", len(results), noun)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	line += fmt.Sprintf(" (MAC verified for %d", verified)
	if unverified > 0 {
		line += fmt.Sprintf("; %d with no key at hand: structure only", unverified)
	}
	return line + ")"
}

// Found is a finding of a checked file.
type Found struct {
	File string
	hull.CheckFinding
}

// Findings are the findings of the given kinds, file by file.
func Findings(results []hull.CheckResult, kinds ...string) []Found {
	var out []Found
	for _, res := range results {
		for _, f := range res.Findings {
			if slices.Contains(kinds, f.Kind) {
				out = append(out, Found{res.File, f})
			}
		}
	}
	return out
}

// WriteCheckJSON writes the results of a check as an indented JSON array
// ({file, status, mac_verified, findings}) and a newline. Its error is
// that of making the JSON (a write error is ignored, as by WriteCheck).
func WriteCheckJSON(w io.Writer, results []hull.CheckResult) error {
	out, err := json.MarshalIndent(results, "", "  ")
	if err == nil {
		fmt.Fprintf(w, "%s\n", out)
	}
	return err
}

// WriteCheck writes the findings of a check, "FILE[ PATH]: kind: detail"
// each, and its summary (CheckSummary). quietNoKey leaves out that no
// key was at hand (the structure was still checked).
func WriteCheck(w io.Writer, results []hull.CheckResult, quietNoKey bool) {
	for _, res := range results {
		for _, f := range res.Findings {
			if f.Kind != hull.FindNoKey || !quietNoKey {
				fmt.Fprintf(w, "%s: %s: %s\n", strings.TrimSpace(res.File+" "+f.Path), f.Kind, f.Detail)
			}
		}
	}
	fmt.Fprintln(w, CheckSummary(results))
}
