package main

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// flagDef is one command-line flag. Every flag is declared once, here, and
// each command lists the groups it accepts; hull then accepts a flag before
// or after the command name and before or after the file (sops rejects
// global flags after a subcommand and flags after the file in legacy mode).
type flagDef struct {
	name    string
	aliases []string
	usage   string
	bool    bool
	on      bool // a bool flag that defaults to true
	slice   bool
	groups  []string
}

// Flag groups.
const (
	gGlobal  = "global"  // accepted everywhere
	gIn      = "in"      // reading a file: --input-type, --filename-override
	gOut     = "out"     // writing a file: --output, -i, --output-type
	gKeys    = "keys"    // recipients for new files
	gRules   = "rules"   // which values are encrypted
	gDecrypt = "decrypt" // decrypt-only
	gLegacy  = "legacy"  // the sops top-level mode switches
)

var flagTable = []flagDef{
	{name: "compat", usage: "read typed values that sops accepts but never writes (a bool stored as \"true\", an int as \"0080\"); malformed ENC values are still refused", bool: true, groups: []string{gGlobal}},
	// scan and hooks (cmd_scan.go, cmd_hooks.go)
	{name: "staged", usage: "scan: scan the staged content of the files changed in the index (what a pre-commit hook sees)", bool: true, groups: []string{gScan}},
	{name: "history", usage: "scan: scan every blob reachable from any ref in git history and report the commit that added it", bool: true, groups: []string{gScan}},
	{name: "json", usage: "scan: print the findings as JSON", bool: true, groups: []string{gScan}},
	{name: "baseline", usage: "scan: the baseline file (default: .hullscan.yaml at the repository root)", groups: []string{gScan}},
	{name: "update-baseline", usage: "scan: accept every current finding: write them to the baseline (keeping its ignore globs) and exit 0", bool: true, groups: []string{gScan}},
	{name: "max-size", usage: "scan: skip files larger than this many bytes (default 1048576)", groups: []string{gScan}},
	{name: "force", usage: "hooks install: install over a pre-commit hook that hull did not write; that hook is kept as pre-commit.hull-chained, runs first, and is put back by 'hooks uninstall'", bool: true, groups: []string{gHooks}},
	{name: "block-drift", usage: "hooks install: refuse a commit when a staged file's rule or recipients differ from .sops.yaml (default: a warning)", bool: true, groups: []string{gHooks}},
	// git integration (cmd_git.go)
	{name: "global", usage: "git setup: write the git config to your global git config instead of the repository's .git/config", bool: true, groups: []string{gGit}},
	{name: "resolve", usage: "merge: take this side (ours or theirs) of every conflict in FILE, left by a conflicting 'hull merge'", groups: []string{gMerge}},
	{name: "force-rewrite-unverified", usage: "with --ignore-mac, allow rewriting a file whose MAC does not match (it is re-sealed as genuine: check it first)", bool: true, groups: []string{gGlobal}},
	{name: "allow-no-encryption", usage: "write a file even when the encryption rule leaves every value in clear (refused otherwise, exit 29)", bool: true, groups: []string{gGlobal}},
	// bulk and check (cmd_bulk.go, cmd_check.go)
	{name: "recursive", aliases: []string{"r"}, usage: "work in place on every file under the given directories (default .) that a .sops.yaml creation rule covers, concurrently, and print a summary", bool: true, groups: []string{gRecursive}},
	{name: "json", usage: "check: print the results as JSON", bool: true, groups: []string{gCheck}},
	{name: "pre-commit", usage: "check: the pre-commit hook's mode: only the given files a creation rule covers are checked, and nothing is printed when they pass; no .sops.yaml means nothing to check; drift only warns unless --drift error", bool: true, groups: []string{gCheck}},
	{name: "drift", usage: "check: whether rule or recipient drift fails the check (error, exit 42; the default) or only warns (warn; the default with --pre-commit)", groups: []string{gCheck}},
	{name: "require-keys", usage: "check: fail (exit 128) for a file none of your identities can decrypt, instead of checking its structure only", bool: true, groups: []string{gCheck}},
	// global
	{name: "config", usage: "path to the .sops.yaml configuration (env SOPS_CONFIG)", groups: []string{gGlobal}},
	{name: "indent", usage: "indentation of YAML (default 4) and JSON (default tab; 0 for none) output", groups: []string{gGlobal}},
	{name: "verbose", usage: "print sops's log lines (keys tried, data key recovered, tree decrypted) and also the warnings that read-only commands keep quiet about (a file without a hull MAC, a readable identity file, an optional audit log that cannot be written) and, for check, the files verified by their structure only", bool: true, groups: []string{gGlobal}},
	{name: "decryption-order", usage: "comma-separated key types to try first (env SOPS_DECRYPTION_ORDER; default age,pgp)", groups: []string{gGlobal}},
	{name: "enable-local-keyservice", usage: "use the local key service: your own identities and credentials (env SOPS_ENABLE_LOCAL_KEYSERVICE); =false uses only --keyservice", bool: true, on: true, groups: []string{gGlobal}},
	{name: "keyservice", usage: "a key service to wrap and unwrap data keys with, after the local one: unix:///path/to.sock or tcp://host:port (env SOPS_KEYSERVICE)", slice: true, groups: []string{gGlobal}},
	{name: "disable-version-check", usage: "accepted for compatibility (hull never checks for updates)", bool: true, groups: []string{gGlobal}},
	{name: "check-for-updates", usage: "accepted for compatibility (hull never checks for updates)", bool: true, groups: []string{gGlobal}},
	{name: "ignore-mac", usage: "decrypt even if the MAC does not match (dangerous: tampering goes unnoticed)", bool: true, groups: []string{gGlobal}},
	{name: "mac-only-encrypted", usage: "compute the MAC over encrypted values only", bool: true, groups: []string{gGlobal}},
	// input
	{name: "input-type", usage: "format of the input: yaml, json, dotenv, ini or binary (default: from the file name)", groups: []string{gIn}},
	{name: "filename-override", usage: "file name used to choose the format when reading stdin or an oddly named file", groups: []string{gIn}},
	// output
	{name: "output-type", usage: "format of the output (default: the input format)", groups: []string{gOut}},
	{name: "output", usage: "write the result to this file instead of stdout", groups: []string{gOut}},
	{name: "in-place", aliases: []string{"i"}, usage: "write the result back to the input file", bool: true, groups: []string{gOut}},
	{name: "force", usage: "with --output, replace an existing file", bool: true, groups: []string{gOut}},
	// keys for new files
	{name: "age", aliases: []string{"a"}, usage: "comma-separated age recipients (env SOPS_AGE_RECIPIENTS)", groups: []string{gKeys}},
	{name: "pgp", aliases: []string{"p"}, usage: "comma-separated PGP fingerprints or public key files (env SOPS_PGP_FP)", groups: []string{gKeys}},
	{name: "kms", aliases: []string{"k"}, usage: "comma-separated AWS KMS key ARNs, each optionally +ROLE_ARN (env SOPS_KMS_ARN)", groups: []string{gKeys}},
	{name: "gcp-kms", usage: "comma-separated GCP KMS resource IDs (env SOPS_GCP_KMS_IDS)", groups: []string{gKeys}},
	{name: "azure-kv", usage: "comma-separated Azure Key Vault key URLs (env SOPS_AZURE_KEYVAULT_URLS)", groups: []string{gKeys}},
	{name: "hc-vault-transit", usage: "comma-separated Vault transit key URIs https://host:port/v1/ENGINE/keys/NAME (env SOPS_VAULT_URIS)", groups: []string{gKeys}},
	{name: "hckms", usage: "comma-separated HuaweiCloud KMS key IDs (not supported)", groups: []string{gKeys}},
	{name: "aws-profile", usage: "AWS profile for new KMS keys (default: the SDK's credentials chain)", groups: []string{gKeys}},
	{name: "encryption-context", usage: "KMS encryption context k:v,k:v for new KMS keys", groups: []string{gKeys}},
	{name: "shamir-secret-sharing-threshold", usage: "number of key groups needed to decrypt", groups: []string{gKeys}},
	// rules
	{name: "unencrypted-suffix", usage: "leave values whose key ends with this suffix in clear (default _unencrypted)", groups: []string{gRules}},
	{name: "encrypted-suffix", usage: "encrypt only values whose key ends with this suffix", groups: []string{gRules}},
	{name: "unencrypted-regex", usage: "leave values whose key matches this regex in clear", groups: []string{gRules}},
	{name: "encrypted-regex", usage: "encrypt only values whose key matches this regex", groups: []string{gRules}},
	{name: "unencrypted-comment-regex", usage: "leave values below a comment matching this regex in clear", groups: []string{gRules}},
	{name: "encrypted-comment-regex", usage: "encrypt only values below a comment matching this regex", groups: []string{gRules}},
	// decrypt
	{name: "extract", usage: `decrypt only this part of the tree, e.g. '["db"]["password"]'`, groups: []string{gDecrypt}},
	// (edit flags)
	// exec-env and exec-file
	{name: "pristine", usage: "start the command with only the decrypted values in its environment", bool: true, groups: []string{gExecEnv}},
	{name: "same-process", usage: "replace hull with the command (execve) instead of running it as a child", bool: true, groups: []string{gExecEnv}},
	{name: "allow-env", usage: "exec-env: pass this variable of FILE although its name changes how the command or hull runs (LD_*, DYLD_*, BASH_ENV, ENV, PROMPT_COMMAND, SOPS_*, HULL_*, …) or is not an identifier (repeatable)", slice: true, groups: []string{gExecEnv}},
	{name: "dotenv-unquote", usage: "dotenv files: remove one level of matching quotes from values, as dotenv libraries do (without it, values are passed exactly as stored)", bool: true, groups: []string{gExecEnv}},
	{name: "background", usage: "deprecated (as in sops): exec-env starts the command and exits without waiting; exec-file refuses it", bool: true, groups: []string{gExec}},
	{name: "user", usage: "run the command as this user (needs root)", groups: []string{gExec}},
	{name: "scrub-env", usage: "also remove this variable from the command's environment (repeatable; hull's identity variables always are)", slice: true, groups: []string{gExec}},
	{name: "no-fifo", usage: "serve the plaintext as a 0600 file instead of a named pipe", bool: true, groups: []string{gExecFile}},
	{name: "filename", usage: "name of the served file in its private directory (a plain name, no '/')", groups: []string{gExecFile}},
	{name: "value-file", usage: "set: the VALUE argument is the name of a file that holds the value", bool: true, groups: []string{gSet}},
	{name: "value-stdin", usage: "set: read the value from stdin (then there is no VALUE argument)", bool: true, groups: []string{gSet}},
	{name: "string", usage: "set: store the value as it is, as a string, instead of parsing it as JSON (hull)", bool: true, groups: []string{gSet}},
	{name: "idempotent", usage: "set: write nothing when the value is already there; unset: succeed without writing when PATH does not exist", bool: true, groups: []string{gIdempotent}},
	// key management (cmd_keys.go): rotate and the legacy -r, updatekeys, groups
	{name: "add-age", usage: "rotate: add these age recipients (comma-separated, repeatable) to the first key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-age", usage: "rotate: remove these age recipients from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-pgp", usage: "rotate: add these PGP fingerprints to the first key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-pgp", usage: "rotate: remove these PGP fingerprints from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-kms", usage: "rotate: add AWS KMS key ARNs (ARN[+role ARN]; --encryption-context, --aws-profile apply) to the first key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-kms", usage: "rotate: remove AWS KMS keys (by ARN as listed) from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-gcp-kms", usage: "rotate: add GCP KMS resource IDs", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-gcp-kms", usage: "rotate: remove GCP KMS keys from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-azure-kv", usage: "rotate: add Azure Key Vault key URLs", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-azure-kv", usage: "rotate: remove Azure Key Vault keys from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-hc-vault-transit", usage: "rotate: add Vault transit key URIs to the first key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-hc-vault-transit", usage: "rotate: remove Vault transit keys from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "add-hckms", usage: "rotate: add HuaweiCloud KMS key IDs (not supported)", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "rm-hckms", usage: "rotate: remove HuaweiCloud KMS keys from every key group", slice: true, groups: []string{gRotate, gLegacy}},
	{name: "keep-recipients", usage: "rotate, groups: wrap the new data key also for recipients of a file without a valid hull MAC that no .sops.yaml creation rule or flag names (asked on a terminal, refused otherwise: exit 29)", bool: true, groups: []string{gRotate, gLegacy, gGroups}},
	{name: "yes", aliases: []string{"y"}, usage: "updatekeys: apply the changes without asking", bool: true, groups: []string{gUpdatekeys}},
	{name: "no-rotate", usage: "updatekeys: keep the data key even when a key is removed (it can then still read later versions)", bool: true, groups: []string{gUpdatekeys}},
	{name: "file", aliases: []string{"f"}, usage: "groups: the encrypted file to change", groups: []string{gGroups}},
	// legacy mode switches
	{name: "encrypt", aliases: []string{"e"}, usage: "encrypt FILE (legacy form of 'hull encrypt')", bool: true, groups: []string{gLegacy}},
	{name: "decrypt", aliases: []string{"d"}, usage: "decrypt FILE (legacy form of 'hull decrypt')", bool: true, groups: []string{gLegacy}},
	{name: "rotate", aliases: []string{"r"}, usage: "rotate the data key of FILE (legacy form of 'hull rotate')", bool: true, groups: []string{gLegacy}},
	{name: "set", usage: "set a value in FILE in place: '<path> <json>' (legacy form of 'hull set')", groups: []string{gLegacy}},
	{name: "show-master-keys", aliases: []string{"s"}, usage: "show the metadata (read-only) while editing", bool: true, groups: []string{gLegacy}},
}

// flagsFor builds the urfave flags for a command that accepts the groups.
// The flags come out sorted by name (stably, so in table order for one
// name): filtering flagTable sorted once gives the same order as sorting
// each command's flags.
func flagsFor(groups ...string) []cli.Flag {
	var out []cli.Flag
	for _, d := range sortedFlagTable() {
		if !hasAny(d.groups, groups) {
			continue
		}
		names := append([]string{d.name}, d.aliases...)
		switch {
		case d.bool:
			out = append(out, &boolFlag{cli.BoolFlag{Name: d.name, Aliases: d.aliases, Usage: d.usage, Value: d.on}, names})
		case d.slice:
			out = append(out, &stringSliceFlag{cli.StringSliceFlag{Name: d.name, Aliases: d.aliases, Usage: d.usage}, names})
		default:
			out = append(out, &stringFlag{cli.StringFlag{Name: d.name, Aliases: d.aliases, Usage: d.usage}, names})
		}
	}
	return out
}

// sortedFlagTable is flagTable sorted by name (pointers: moving the
// entries themselves took most of the sort's time).
var sortedFlagTable = sync.OnceValue(func() []*flagDef {
	t := make([]*flagDef, len(flagTable))
	for i := range flagTable {
		t[i] = &flagTable[i]
	}
	slices.SortStableFunc(t, func(a, b *flagDef) int { return strings.Compare(a.name, b.name) })
	return t
})

// boolFlag, stringFlag and stringSliceFlag are urfave/cli's flags with
// their names listed once. urfave/cli's Names() runs a regular expression
// on each name, and on every run it asks each flag of the command for its
// names once per other flag (runFlagActions, IsSet): a tenth of the time
// hull took to decrypt a small file. Code that needs the urfave/cli type
// asserts these (cliFlag); everything else sees a cli.Flag.
type boolFlag struct {
	cli.BoolFlag
	names []string
}

type stringFlag struct {
	cli.StringFlag
	names []string
}

type stringSliceFlag struct {
	cli.StringSliceFlag
	names []string
}

func (f *boolFlag) Names() []string        { return f.names }
func (f *stringFlag) Names() []string      { return f.names }
func (f *stringSliceFlag) Names() []string { return f.names }

// cliFlag is the urfave/cli flag inside one of hull's flags, or f itself.
func cliFlag(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *boolFlag:
		return &f.BoolFlag
	case *stringFlag:
		return &f.StringFlag
	case *stringSliceFlag:
		return &f.StringSliceFlag
	}
	return f
}

// flagNames returns a flag's name and aliases. urfave/cli's Names() runs a
// regular expression on every call; hull asks for names often enough that
// this was two thirds of the time of decrypting a small file.
func flagNames(f cli.Flag) []string {
	var name string
	var aliases []string
	switch f := cliFlag(f).(type) {
	case *cli.BoolFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringSliceFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.IntFlag:
		name, aliases = f.Name, f.Aliases
	default:
		return f.Names()
	}
	return append([]string{name}, aliases...)
}

func hasAny(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// takesValue reports whether the flag token (without its value) needs the
// next argument as its value, according to the flags of a command.
func takesValue(tok string, flags []cli.Flag) bool {
	if strings.Contains(tok, "=") {
		return false
	}
	name := strings.TrimLeft(tok, "-")
	for _, f := range flags {
		for _, n := range flagNames(f) {
			if n == name {
				_, isBool := cliFlag(f).(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}

// topTakesValue is takesValue for the flags of the top level, read from
// the table without building them.
func topTakesValue(tok string) bool {
	if strings.Contains(tok, "=") {
		return false
	}
	name := strings.TrimLeft(tok, "-")
	for _, d := range sortedFlagTable() {
		if hasAny(d.groups, topGroups) && (d.name == name || slices.Contains(d.aliases, name)) {
			return !d.bool
		}
	}
	return false
}

// reorder moves flags ahead of positional arguments, so that urfave/cli
// (which stops at the first positional) sees flags given after the file.
// Everything after "--" is left as it is.
func reorder(args []string, flags []cli.Flag) []string {
	var fl, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' && !isNumber(a) {
			fl = append(fl, a)
			if takesValue(a, flags) && i+1 < len(args) {
				fl = append(fl, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(fl, pos...)
}

// isNumber reports whether a looks like a negative number (set F P -5):
// a value, not a flag, as for sops, since no flag name starts with a digit.
func isNumber(a string) bool {
	_, err := strconv.ParseFloat(a, 64)
	return err == nil
}
