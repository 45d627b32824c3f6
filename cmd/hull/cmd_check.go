package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/bulk"
	"github.com/hullsecrets/hull/sopsenv"
)

// hull check: the policy lint for CI and hooks (USERS rows 4, 30; §3.4).
// Every file a creation rule covers must be encrypted, with the rule's
// values encrypted, a sound structure, a valid MAC (when a key is at hand)
// and the rule's recipients. Nothing is decrypted to the outside and no
// value is ever printed.

const gCheck = "check" // check: --json, --require-keys

// checkCodes are the exit codes of the statuses (hull.CheckStatuses).
var checkCodes = map[string]int{
	"tampered": exitCheckTampered, "plaintext": exitCheckPlaintext, "error": exitGeneric,
	"no-key": exitCouldNotRetrieveKey, "drift": exitCheckDrift,
}

func (r *runner) checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check that every file a .sops.yaml creation rule covers is encrypted as the rule says",
		ArgsUsage: "[PATH...]",
		Description: "Walks PATH (default: the git repository, else the working directory) and checks every\n" +
			"file a creation rule covers (a catch-all rule without path_regex covers only files with\n" +
			"a known format extension; .git and other VCS directories and symbolic links are skipped):\n" +
			"it is encrypted; every value the rule says is encrypted is; its metadata and ENC[...]\n" +
			"values are well formed; its MAC (and hull MAC) is valid when one of your identities can\n" +
			"recover its data key (else only its structure is checked, unless --require-keys); its\n" +
			"encryption rule and its recipients are those of the rule now (run 'hull updatekeys -r'\n" +
			"to fix recipient drift). An encrypted file no rule covers is listed, without failing.\n" +
			"Output: one line 'FILE: problem' per finding and a summary; --json prints an array of\n" +
			"{file, status, mac_verified, findings: [{kind, path, detail}]}. Values are never printed.\n" +
			"Exit status (the most severe wins, in this order): 41 tampered or malformed (MAC\n" +
			"mismatch, a value that fails authentication, malformed metadata or value), 40 plaintext\n" +
			"(a file not encrypted, or a value in clear), 1 a file could not be checked, 128 no key\n" +
			"(--require-keys only), 42 drift (rule or recipients differ from .sops.yaml), 0 clean.",
		Flags:        flagsFor(gGlobal, gCheck),
		Action:       act(r.cmdCheck),
		OnUsageError: usageError,
	}
}

func (r *runner) cmdCheck(cl *cmdLine) error {
	if err := r.setupKeyservice(cl); err != nil {
		return err
	}
	preCommit := cl.on("pre-commit")
	driftWarns, err := bulk.DriftWarns(cl.str("drift"), preCommit)
	if err != nil {
		return withCode(exitGeneric, err)
	}
	requireKeys := cl.on("require-keys")
	bar := r.newProgress("check")
	rep, err := bulk.CheckTree(context.Background(), bulk.TreeCheck{Roots: cl.args, Config: r.configFlag(cl), Warn: r.warnLine,
		PreCommit: preCommit, DriftWarns: driftWarns, Progress: bar.Draw, Options: func() (hull.CheckOptions, error) {
			order, err := r.decryptionOrder(cl)
			if err != nil {
				return hull.CheckOptions{}, err
			}
			ids, err := r.loadIdentities(context.Background())
			if err != nil {
				return hull.CheckOptions{}, err
			}
			return hull.CheckOptions{RequireStrictMAC: sopsenv.True(r.env.get("HULL_REQUIRE_STRICT_MAC")), RequireKeys: requireKeys,
				Identities: append(ids.Identities, r.networkIdentities(flagVaultAddresses(cl))...), DecryptionOrder: order}, nil
		}})
	bar.Clear()
	if err != nil || rep.NoConfig {
		// A pre-commit check of a repository without .sops.yaml: the hook
		// has nothing to check.
		return walkErr(err)
	}
	code := checkCodes[rep.Worst]
	if !cl.on("json") {
		for _, f := range rep.DriftWarnings {
			r.warnf("%s: %s: %s (not blocking; 'hull updatekeys -y %s' fixes it)", f.File, f.Kind, f.Detail, f.File)
		}
	}
	if preCommit && code == exitOK && !cl.on("json") {
		// The hook is quiet when the commit may go ahead.
		return nil
	}
	if cl.on("json") {
		if err := bulk.WriteCheckJSON(r.stdout, rep.Results); err != nil {
			return err
		}
	} else {
		bulk.WriteCheck(r.stdout, rep.Results, !requireKeys && !cl.on("verbose"))
	}
	if code != exitOK {
		return &childExit{code: code}
	}
	return nil
}
