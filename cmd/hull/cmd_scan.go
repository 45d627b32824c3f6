package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/scan"
)

// hull scan: find plaintext secrets in files, in the index (--staged, for
// pre-commit hooks) or in all of git history (--history). The detectors,
// baseline and git plumbing are in internal/scan.

const gScan = "scan" // scan: --staged, --history, --json, --baseline, --update-baseline, --max-size

func (r *runner) scanCommand() *cli.Command {
	return &cli.Command{
		Name:      "scan",
		Usage:     "find plaintext secrets in files, staged changes or git history",
		ArgsUsage: "[PATH...]",
		Description: "Scans PATH (files; directories are walked, skipping .git), else the files of the git\n" +
			"repository (tracked, and untracked but not ignored), for plaintext secrets: private keys\n" +
			"(PEM, OpenSSH, PGP, age), AWS access keys, GCP service-account keys, GitHub, GitLab, Slack\n" +
			"and Stripe tokens, JWTs, passwords in URLs, and random-looking values assigned to\n" +
			"secret-looking names (password, secret, token, api_key, ...). ENC[...] values, the sops\n" +
			"metadata, placeholders (${VAR}, <...>, changeme, example), hashes and UUIDs are not\n" +
			"reported, nor lines with the comment hull-scan:allow. Binary files and files over\n" +
			"--max-size bytes (default 1 MiB) are skipped.\n" +
			"--staged scans the staged content of the files changed in the index (the pre-commit\n" +
			"hook); --history scans every blob reachable from any ref and reports the commit that\n" +
			"added it. Each finding is printed as FILE:LINE:COLUMN: KIND REDACTED (with --history,\n" +
			"COMMIT:FILE:...), showing at most 4 characters of the secret; --json prints\n" +
			"{findings: [{file, commit, line, column, kind, redacted, fingerprint}], stats}.\n" +
			"Baseline: .hullscan.yaml at the repository root (or --baseline FILE) lists path globs\n" +
			"to ignore and accepted findings by fingerprint: HMAC-SHA256 of file, kind and secret\n" +
			"under a random key stored in the baseline, so that every clone and CI agree; no secret\n" +
			"is stored, but whoever reads the baseline can test guesses, so accept no real secret.\n" +
			"--update-baseline writes the current findings into it as accepted, keeping its ignore\n" +
			"globs (and its key, or making one), and exits 0. A baseline written by an older hull\n" +
			"(unkeyed SHA-256 fingerprints, no key) still matches, with a warning until it is\n" +
			"rewritten. Without a keyed baseline, fingerprints use a key kept in .git/hull-scan-key.\n" +
			"Exit status: 0 clean, 45 possible secrets found, 1 or 2 errors.",
		Flags:        flagsFor(gGlobal, gScan),
		Action:       r.cmdScan,
		OnUsageError: usageError,
	}
}

func (r *runner) cmdScan(c *cli.Context) error {
	ctx := context.Background()
	staged, history := c.Bool("staged"), c.Bool("history")
	paths := c.Args().Slice()
	if staged && history {
		return withCode(exitConflictingParams, errors.New("--staged and --history cannot be used together"))
	}
	if (staged || history) && len(paths) > 0 {
		return withCode(exitConflictingParams, errors.New("paths cannot be given with --staged or --history"))
	}
	maxSize := int64(scan.DefaultMaxSize)
	if s := c.String("max-size"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return withCode(exitGeneric, fmt.Errorf("usage: --max-size must be a positive number of bytes, not %q", s))
		}
		maxSize = n
	}

	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, gitErr := scan.GitRoot(ctx, cwd)
	if gitErr != nil {
		if staged || history {
			return withCode(exitGeneric, fmt.Errorf("--staged and --history need a git repository: %v", gitErr))
		}
		root = cwd
	}

	basePath := c.String("baseline")
	if basePath == "" {
		basePath = filepath.Join(root, scan.BaselineFile)
	}
	base, err := loadBaseline(basePath, c.String("baseline") != "" && !c.Bool("update-baseline"))
	if err != nil {
		return err
	}

	var produce scan.Producer
	switch {
	case staged:
		produce = scan.GitStaged(root, maxSize)
	case history:
		produce = scan.GitHistory(root, maxSize)
	case len(paths) > 0:
		produce = scan.Paths(root, paths)
	case gitErr == nil:
		produce = scan.GitFiles(root)
	default:
		produce = scan.Paths(root, []string{"."})
	}
	// The fingerprint key: the baseline's; a new one when the baseline is
	// written; else one kept in the repository's git directory (so that
	// --json fingerprints are stable in this clone), or one for this run.
	keyHex := base.Key
	if keyHex == "" && c.Bool("update-baseline") {
		if keyHex, err = scan.NewKey(); err != nil {
			return err
		}
	}
	key := scan.KeyFromHex(keyHex)
	if key == nil {
		key = localScanKey(ctx, root, gitErr == nil)
	}
	if base.Legacy() && !c.Bool("update-baseline") {
		r.warnf("%s holds unkeyed SHA-256 fingerprints, from which a dictionary attack can recover weak secrets; they still match, but run 'hull scan --update-baseline' to rewrite it with a random key (it keeps the ignore globs and accepts the current findings)", displayPath(cwd, basePath))
	}
	opts := scan.Options{MaxSize: maxSize, Baseline: base, Key: key}
	if c.Bool("update-baseline") {
		opts.Baseline = nil // every current finding goes into the new baseline
		if base != nil {
			opts.Baseline = &scan.Baseline{Ignore: base.Ignore}
		}
	}
	res, err := scan.New(opts).Scan(ctx, produce)
	if err != nil {
		return withCode(exitCouldNotRead, err)
	}
	if history {
		if err := scan.CommitsAdding(ctx, root, res.Findings); err != nil {
			return withCode(exitCouldNotRead, err)
		}
		scan.SortFindings(res.Findings)
	}

	if c.Bool("update-baseline") {
		nb := base.WithFindings(keyHex, res.Findings)
		if err := hull.WriteFile(basePath, nb.Marshal(), hull.WriteOptions{Perm: 0o644}); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %v", basePath, unwrapPathErr(err)))
		}
		fmt.Fprintf(r.stderr, "%s: wrote %s: %d accepted finding(s)\n", r.name, displayPath(cwd, basePath), len(nb.Accepted))
		return nil
	}

	if c.Bool("json") {
		out := struct {
			Findings []scan.Finding `json:"findings"`
			Accepted int            `json:"accepted_by_baseline"`
			Stats    scan.Stats     `json:"stats"`
		}{res.Findings, res.Accepted, res.Stats}
		if out.Findings == nil {
			out.Findings = []scan.Finding{}
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "%s\n", b)
	} else {
		for _, f := range res.Findings {
			name := f.File
			if !staged && !history && !filepath.IsAbs(filepath.FromSlash(f.File)) {
				name = displayPath(cwd, filepath.Join(root, filepath.FromSlash(f.File)))
			}
			if f.Commit != "" {
				fmt.Fprintf(r.stdout, "%s:%s:%d:%d: %s %s\n", short(f.Commit), name, f.Line, f.Column, f.Kind, f.Redacted)
			} else {
				fmt.Fprintf(r.stdout, "%s:%d:%d: %s %s\n", name, f.Line, f.Column, f.Kind, f.Redacted)
			}
		}
	}
	if res.Stats.SkippedLarge > 0 && !c.Bool("json") {
		r.warnf("%d file(s) larger than %d bytes were not scanned (--max-size)", res.Stats.SkippedLarge, maxSize)
	}
	if len(res.Findings) == 0 {
		return nil
	}
	where := "the files scanned"
	switch {
	case staged:
		where = "the staged changes"
	case history:
		where = "git history"
	}
	r.errorf("%d possible secret(s) found in %s", len(res.Findings), where)
	switch {
	case staged:
		r.hintf("encrypt the file ('hull encrypt -i FILE') and 'git add' it again, or unstage it ('git restore --staged FILE')")
	case history:
		r.hintf("rotate these secrets: removing them from history does not un-leak them")
	default:
		r.hintf("encrypt the file ('hull encrypt -i FILE') or remove the secret")
	}
	r.hintf("if a finding is not a secret, add '# hull-scan:allow' to its line, or accept all current findings with 'hull scan --update-baseline'")
	return &childExit{code: exitSecretsFound}
}

// localScanKey is the fingerprint key of a repository without a keyed
// baseline: kept in its git directory (hull-scan-key, mode 0600; never
// committed, so a fresh clone makes its own), else random for this run.
func localScanKey(ctx context.Context, root string, inGit bool) []byte {
	fresh := func() []byte {
		k, _ := scan.NewKey()
		return scan.KeyFromHex(k)
	}
	if !inGit {
		return fresh()
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--absolute-git-dir").Output()
	if err != nil {
		return fresh()
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "hull-scan-key")
	if b, err := os.ReadFile(path); err == nil {
		if k := scan.KeyFromHex(strings.TrimSpace(string(b))); k != nil {
			return k
		}
	}
	k, err := scan.NewKey()
	if err != nil {
		return fresh()
	}
	if err := hull.WriteFile(path, []byte(k+"\n"), hull.WriteOptions{Perm: 0o600, NoClobber: true}); err != nil {
		// Another run made it meanwhile, or .git is read-only.
		if b, rerr := os.ReadFile(path); rerr == nil {
			if k2 := scan.KeyFromHex(strings.TrimSpace(string(b))); k2 != nil {
				return k2
			}
		}
	}
	return scan.KeyFromHex(k)
}

// loadBaseline reads a baseline file. A missing file is an empty
// baseline, unless it must exist (a --baseline given to read).
func loadBaseline(path string, mustExist bool) (*scan.Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !mustExist {
			return scan.ParseBaseline(nil)
		}
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err)))
	}
	b, err := scan.ParseBaseline(data)
	if err != nil {
		return nil, withCode(exitErrorReadingConfig, fmt.Errorf("%s: %v", path, err))
	}
	return b, nil
}

// displayPath is p relative to the working directory when it is below it.
func displayPath(cwd, p string) string {
	if rel, err := filepath.Rel(cwd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
