package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

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
		Action:       act(r.cmdScan),
		OnUsageError: usageError,
	}
}

func (r *runner) cmdScan(cl *cmdLine) error {
	o := scan.RunOptions{Paths: cl.args, Baseline: cl.str("baseline"), UpdateBaseline: cl.on("update-baseline")}
	var err error
	if o.Mode, err = scan.ModeOf(cl.on("staged"), cl.on("history"), o.Paths); err != nil {
		return withCode(exitConflictingParams, err)
	}
	if o.MaxSize, err = scan.ParseMaxSize(cl.str("max-size")); err != nil {
		return withCode(exitGeneric, err)
	}
	res, err := scan.Run(context.Background(), o)
	if re := (*scan.RunError)(nil); errors.As(err, &re) {
		code := map[string]int{scan.StepRepository: exitGeneric, scan.StepRead: exitCouldNotRead, scan.StepBaseline: exitErrorReadingConfig, scan.StepWrite: exitCouldNotWrite}[re.Step]
		return withCode(code, err)
	} else if err != nil {
		return err
	}
	if res.LegacyBaseline {
		r.warnf("%s holds unkeyed SHA-256 fingerprints, from which a dictionary attack can recover weak secrets; they still match, but run 'hull scan --update-baseline' to rewrite it with a random key (it keeps the ignore globs and accepts the current findings)", scan.DisplayPath(res.Dir, res.BaselinePath))
	}
	if res.Written != nil {
		fmt.Fprintf(r.stderr, "%s: wrote %s: %d accepted finding(s)\n", r.name, scan.DisplayPath(res.Dir, res.BaselinePath), len(res.Written.Accepted))
		return nil
	}
	if err := res.Write(r.stdout, cl.on("json"), o.Mode, res.Dir); err != nil {
		return err
	}
	if res.Stats.SkippedLarge > 0 && !cl.on("json") {
		r.warnf("%d file(s) larger than %d bytes were not scanned (--max-size)", res.Stats.SkippedLarge, o.MaxSize)
	}
	if len(res.Findings) == 0 {
		return nil
	}
	where, hint := scan.Advice(o.Mode)
	r.errorf("%d possible secret(s) found in %s", len(res.Findings), where)
	r.hintf("%s", hint)
	r.hintf("if a finding is not a secret, add '# hull-scan:allow' to its line, or accept all current findings with 'hull scan --update-baseline'")
	return &childExit{code: exitSecretsFound}
}
