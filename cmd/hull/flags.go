package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/cliflag"
)

// flagDef is one command-line flag. Every flag is declared once, here, and
// each command lists the groups it accepts; hull then accepts a flag before
// or after the command name and before or after the file (sops rejects
// global flags after a subcommand and flags after the file in legacy mode).
// internal/cliflag builds the urfave/cli flags from the table.
type flagDef = cliflag.Def

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
	{Name: "compat", Usage: "read typed values that sops accepts but never writes (a bool stored as \"true\", an int as \"0080\"); malformed ENC values are still refused", Bool: true, Groups: []string{gGlobal}},
	// scan and hooks (cmd_scan.go, cmd_hooks.go)
	{Name: "staged", Usage: "scan: scan the staged content of the files changed in the index (what a pre-commit hook sees)", Bool: true, Groups: []string{gScan}},
	{Name: "history", Usage: "scan: scan every blob reachable from any ref in git history and report the commit that added it", Bool: true, Groups: []string{gScan}},
	{Name: "json", Usage: "scan: print the findings as JSON", Bool: true, Groups: []string{gScan}},
	{Name: "baseline", Usage: "scan: the baseline file (default: .hullscan.yaml at the repository root)", Groups: []string{gScan}},
	{Name: "update-baseline", Usage: "scan: accept every current finding: write them to the baseline (keeping its ignore globs) and exit 0", Bool: true, Groups: []string{gScan}},
	{Name: "max-size", Usage: "scan: skip files larger than this many bytes (default 1048576)", Groups: []string{gScan}},
	{Name: "force", Usage: "hooks install: install over a pre-commit hook that hull did not write; that hook is kept as pre-commit.hull-chained, runs first, and is put back by 'hooks uninstall'", Bool: true, Groups: []string{gHooks}},
	{Name: "block-drift", Usage: "hooks install: refuse a commit when a staged file's rule or recipients differ from .sops.yaml (default: a warning)", Bool: true, Groups: []string{gHooks}},
	// git integration (cmd_git.go)
	{Name: "global", Usage: "git setup: write the git config to your global git config instead of the repository's .git/config", Bool: true, Groups: []string{gGit}},
	{Name: "resolve", Usage: "merge: take this side (ours or theirs) of every conflict in FILE, left by a conflicting 'hull merge'", Groups: []string{gMerge}},
	{Name: "force-rewrite-unverified", Usage: "with --ignore-mac, allow rewriting a file whose MAC does not match (it is re-sealed as genuine: check it first)", Bool: true, Groups: []string{gGlobal}},
	{Name: "allow-no-encryption", Usage: "write a file even when the encryption rule leaves every value in clear (refused otherwise, exit 29)", Bool: true, Groups: []string{gGlobal}},
	// bulk and check (cmd_bulk.go, cmd_check.go)
	{Name: "recursive", Aliases: []string{"r"}, Usage: "work in place on every file under the given directories (default .) that a .sops.yaml creation rule covers, concurrently, and print a summary", Bool: true, Groups: []string{gRecursive}},
	{Name: "json", Usage: "check: print the results as JSON", Bool: true, Groups: []string{gCheck}},
	{Name: "pre-commit", Usage: "check: the pre-commit hook's mode: only the given files a creation rule covers are checked, and nothing is printed when they pass; no .sops.yaml means nothing to check; drift only warns unless --drift error", Bool: true, Groups: []string{gCheck}},
	{Name: "drift", Usage: "check: whether rule or recipient drift fails the check (error, exit 42; the default) or only warns (warn; the default with --pre-commit)", Groups: []string{gCheck}},
	{Name: "require-keys", Usage: "check: fail (exit 128) for a file none of your identities can decrypt, instead of checking its structure only", Bool: true, Groups: []string{gCheck}},
	// global
	{Name: "config", Usage: "path to the .sops.yaml configuration (env SOPS_CONFIG)", Groups: []string{gGlobal}},
	{Name: "indent", Usage: "indentation of YAML (default 4) and JSON (default tab; 0 for none) output", Groups: []string{gGlobal}},
	{Name: "verbose", Usage: "print sops's log lines (keys tried, data key recovered, tree decrypted) and also the warnings that read-only commands keep quiet about (a file without a hull MAC, a readable identity file, an optional audit log that cannot be written) and, for check, the files verified by their structure only", Bool: true, Groups: []string{gGlobal}},
	{Name: "decryption-order", Usage: "comma-separated key types to try first (env SOPS_DECRYPTION_ORDER; default age,pgp)", Groups: []string{gGlobal}},
	{Name: "enable-local-keyservice", Usage: "use the local key service: your own identities and credentials (env SOPS_ENABLE_LOCAL_KEYSERVICE); =false uses only --keyservice", Bool: true, On: true, Groups: []string{gGlobal}},
	{Name: "keyservice", Usage: "a key service to wrap and unwrap data keys with, after the local one: unix:///path/to.sock or tcp://host:port (env SOPS_KEYSERVICE)", Slice: true, Groups: []string{gGlobal}},
	{Name: "disable-version-check", Usage: "accepted for compatibility (hull never checks for updates)", Bool: true, Groups: []string{gGlobal}},
	{Name: "check-for-updates", Usage: "accepted for compatibility (hull never checks for updates)", Bool: true, Groups: []string{gGlobal}},
	{Name: "ignore-mac", Usage: "decrypt even if the MAC does not match (dangerous: tampering goes unnoticed)", Bool: true, Groups: []string{gGlobal}},
	{Name: "mac-only-encrypted", Usage: "compute the MAC over encrypted values only", Bool: true, Groups: []string{gGlobal}},
	// input
	{Name: "input-type", Usage: "format of the input: yaml, json, dotenv, ini or binary (default: from the file name)", Groups: []string{gIn}},
	{Name: "filename-override", Usage: "file name used to choose the format when reading stdin or an oddly named file", Groups: []string{gIn}},
	// output
	{Name: "output-type", Usage: "format of the output (default: the input format)", Groups: []string{gOut}},
	{Name: "output", Usage: "write the result to this file instead of stdout", Groups: []string{gOut}},
	{Name: "in-place", Aliases: []string{"i"}, Usage: "write the result back to the input file", Bool: true, Groups: []string{gOut}},
	{Name: "force", Usage: "with --output, replace an existing file", Bool: true, Groups: []string{gOut}},
	// keys for new files
	{Name: "age", Aliases: []string{"a"}, Usage: "comma-separated age recipients (env SOPS_AGE_RECIPIENTS)", Groups: []string{gKeys}},
	{Name: "pgp", Aliases: []string{"p"}, Usage: "comma-separated PGP fingerprints or public key files (env SOPS_PGP_FP)", Groups: []string{gKeys}},
	{Name: "kms", Aliases: []string{"k"}, Usage: "comma-separated AWS KMS key ARNs, each optionally +ROLE_ARN (env SOPS_KMS_ARN)", Groups: []string{gKeys}},
	{Name: "gcp-kms", Usage: "comma-separated GCP KMS resource IDs (env SOPS_GCP_KMS_IDS)", Groups: []string{gKeys}},
	{Name: "azure-kv", Usage: "comma-separated Azure Key Vault key URLs (env SOPS_AZURE_KEYVAULT_URLS)", Groups: []string{gKeys}},
	{Name: "hc-vault-transit", Usage: "comma-separated Vault transit key URIs https://host:port/v1/ENGINE/keys/NAME (env SOPS_VAULT_URIS)", Groups: []string{gKeys}},
	{Name: "hckms", Usage: "comma-separated HuaweiCloud KMS key IDs (not supported)", Groups: []string{gKeys}},
	{Name: "aws-profile", Usage: "AWS profile for new KMS keys (default: the SDK's credentials chain)", Groups: []string{gKeys}},
	{Name: "encryption-context", Usage: "KMS encryption context k:v,k:v for new KMS keys", Groups: []string{gKeys}},
	{Name: "shamir-secret-sharing-threshold", Usage: "number of key groups needed to decrypt", Groups: []string{gKeys}},
	// rules
	{Name: "unencrypted-suffix", Usage: "leave values whose key ends with this suffix in clear (default _unencrypted)", Groups: []string{gRules}},
	{Name: "encrypted-suffix", Usage: "encrypt only values whose key ends with this suffix", Groups: []string{gRules}},
	{Name: "unencrypted-regex", Usage: "leave values whose key matches this regex in clear", Groups: []string{gRules}},
	{Name: "encrypted-regex", Usage: "encrypt only values whose key matches this regex", Groups: []string{gRules}},
	{Name: "unencrypted-comment-regex", Usage: "leave values below a comment matching this regex in clear", Groups: []string{gRules}},
	{Name: "encrypted-comment-regex", Usage: "encrypt only values below a comment matching this regex", Groups: []string{gRules}},
	// decrypt
	{Name: "extract", Usage: `decrypt only this part of the tree, e.g. '["db"]["password"]'`, Groups: []string{gDecrypt}},
	// (edit flags)
	// exec-env and exec-file
	{Name: "pristine", Usage: "start the command with only the decrypted values in its environment", Bool: true, Groups: []string{gExecEnv}},
	{Name: "same-process", Usage: "replace hull with the command (execve) instead of running it as a child", Bool: true, Groups: []string{gExecEnv}},
	{Name: "allow-env", Usage: "exec-env: pass this variable of FILE although its name changes how the command or hull runs (LD_*, DYLD_*, BASH_ENV, ENV, PROMPT_COMMAND, SOPS_*, HULL_*, …) or is not an identifier (repeatable)", Slice: true, Groups: []string{gExecEnv}},
	{Name: "dotenv-unquote", Usage: "dotenv files: remove one level of matching quotes from values, as dotenv libraries do (without it, values are passed exactly as stored)", Bool: true, Groups: []string{gExecEnv}},
	{Name: "background", Usage: "deprecated (as in sops): exec-env starts the command and exits without waiting; exec-file refuses it", Bool: true, Groups: []string{gExec}},
	{Name: "user", Usage: "run the command as this user (needs root)", Groups: []string{gExec}},
	{Name: "scrub-env", Usage: "also remove this variable from the command's environment (repeatable; hull's identity variables always are)", Slice: true, Groups: []string{gExec}},
	{Name: "no-fifo", Usage: "serve the plaintext as a 0600 file instead of a named pipe", Bool: true, Groups: []string{gExecFile}},
	{Name: "filename", Usage: "name of the served file in its private directory (a plain name, no '/')", Groups: []string{gExecFile}},
	{Name: "value-file", Usage: "set: the VALUE argument is the name of a file that holds the value", Bool: true, Groups: []string{gSet}},
	{Name: "value-stdin", Usage: "set: read the value from stdin (then there is no VALUE argument)", Bool: true, Groups: []string{gSet}},
	{Name: "string", Usage: "set: store the value as it is, as a string, instead of parsing it as JSON (hull)", Bool: true, Groups: []string{gSet}},
	{Name: "idempotent", Usage: "set: write nothing when the value is already there; unset: succeed without writing when PATH does not exist", Bool: true, Groups: []string{gIdempotent}},
	// key management (cmd_keys.go): rotate and the legacy -r, updatekeys, groups
	{Name: "add-age", Usage: "rotate: add these age recipients (comma-separated, repeatable) to the first key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-age", Usage: "rotate: remove these age recipients from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-pgp", Usage: "rotate: add these PGP fingerprints to the first key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-pgp", Usage: "rotate: remove these PGP fingerprints from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-kms", Usage: "rotate: add AWS KMS key ARNs (ARN[+role ARN]; --encryption-context, --aws-profile apply) to the first key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-kms", Usage: "rotate: remove AWS KMS keys (by ARN as listed) from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-gcp-kms", Usage: "rotate: add GCP KMS resource IDs", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-gcp-kms", Usage: "rotate: remove GCP KMS keys from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-azure-kv", Usage: "rotate: add Azure Key Vault key URLs", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-azure-kv", Usage: "rotate: remove Azure Key Vault keys from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-hc-vault-transit", Usage: "rotate: add Vault transit key URIs to the first key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-hc-vault-transit", Usage: "rotate: remove Vault transit keys from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "add-hckms", Usage: "rotate: add HuaweiCloud KMS key IDs (not supported)", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "rm-hckms", Usage: "rotate: remove HuaweiCloud KMS keys from every key group", Slice: true, Groups: []string{gRotate, gLegacy}},
	{Name: "keep-recipients", Usage: "rotate, groups: wrap the new data key also for recipients of a file without a valid hull MAC that no .sops.yaml creation rule or flag names (asked on a terminal, refused otherwise: exit 29)", Bool: true, Groups: []string{gRotate, gLegacy, gGroups}},
	{Name: "yes", Aliases: []string{"y"}, Usage: "updatekeys: apply the changes without asking", Bool: true, Groups: []string{gUpdatekeys}},
	{Name: "no-rotate", Usage: "updatekeys: keep the data key even when a key is removed (it can then still read later versions)", Bool: true, Groups: []string{gUpdatekeys}},
	{Name: "file", Aliases: []string{"f"}, Usage: "groups: the encrypted file to change", Groups: []string{gGroups}},
	// legacy mode switches
	{Name: "encrypt", Aliases: []string{"e"}, Usage: "encrypt FILE (legacy form of 'hull encrypt')", Bool: true, Groups: []string{gLegacy}},
	{Name: "decrypt", Aliases: []string{"d"}, Usage: "decrypt FILE (legacy form of 'hull decrypt')", Bool: true, Groups: []string{gLegacy}},
	{Name: "rotate", Aliases: []string{"r"}, Usage: "rotate the data key of FILE (legacy form of 'hull rotate')", Bool: true, Groups: []string{gLegacy}},
	{Name: "set", Usage: "set a value in FILE in place: '<path> <json>' (legacy form of 'hull set')", Groups: []string{gLegacy}},
	{Name: "show-master-keys", Aliases: []string{"s"}, Usage: "show the metadata (read-only) while editing", Bool: true, Groups: []string{gLegacy}},
}

// flagSet is flagTable, sorted on first use.
var flagSet = cliflag.NewTable(flagTable)

// flagsFor builds the urfave flags for a command that accepts the groups,
// sorted by name.
func flagsFor(groups ...string) []cli.Flag { return flagSet.For(groups...) }

// topTakesValue is takesValue for the flags of the top level, read from
// the table without building them.
func topTakesValue(tok string) bool { return flagSet.TakesValue(tok, topGroups) }

// The flag helpers of internal/cliflag, by the names the commands use.
var (
	flagNames  = cliflag.Names      // a flag's name and aliases
	cliFlag    = cliflag.Unwrap     // the urfave/cli flag inside one of hull's
	takesValue = cliflag.TakesValue // whether a flag token needs the next argument
)
