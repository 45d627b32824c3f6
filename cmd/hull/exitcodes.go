package main

import (
	"errors"
	"io/fs"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Exit codes. sops's numbers (cmd/sops/codes) are kept wherever sops has
// one, because callers such as ansible's community.sops branch on them;
// hull's own codes are only for failures sops does not detect.
//
// NEVER RENUMBER: scripts depend on these values.
const (
	exitOK                     = 0
	exitGeneric                = 1   // sops ErrorGeneric; also usage errors
	exitCouldNotRead           = 2   // input unreadable or malformed
	exitCouldNotWrite          = 3   // output could not be written
	exitErrorDumpingTree       = 4   // the tree cannot be written in the output format
	exitErrorReadingConfig     = 5   // invalid configuration or regular expression
	exitInvalidKMSContext      = 6   // --encryption-context is not k:v,k:v
	exitInvalidSetFormat       = 7   // set/unset/--set: malformed path or value
	exitConflictingParams      = 8   // flags that cannot be used together
	exitErrorEncryptingMac     = 21  // (sops) the MAC could not be encrypted
	exitErrorEncryptingTree    = 23  // a value could not be encrypted
	exitErrorDecryptingTree    = 25  // a value failed authentication or is malformed
	exitNonCanonical           = 26  // hull: a value sops would read but that has more than one encoding
	exitStrictMAC              = 27  // hull: strict MAC failure: the extended MAC (x_hull_mac) does not match, or is missing where required
	exitPolicyViolation        = 29  // hull: refused by policy (e.g. a recipient stanza without a wrapped key)
	exitLimitExceeded          = 31  // hull: input size, depth, node count or alias expansion limit
	exitConcurrentModification = 32  // hull: the file changed on disk while hull worked on it
	exitEndpointNotAllowed     = 33  // hull: a key service address from the file is not in the allowlist; nothing was sent
	exitAuditUnavailable       = 34  // hull: the audit log is required and could not be written; no plaintext was released
	exitCheckPlaintext         = 40  // hull check: a file a rule covers is not encrypted, or a value the rule says is encrypted is in clear
	exitCheckTampered          = 41  // hull check: a MAC mismatch, a value that fails authentication, or malformed metadata or values
	exitCheckDrift             = 42  // hull check: only drift: a file's rule or recipients differ from its .sops.yaml creation rule
	exitSecretsFound           = 45  // hull scan: possible plaintext secrets found
	exitCannotChangeKeys       = 49  // --add-*/--rm-* on a file that does not exist
	exitMacMismatch            = 51  // MAC mismatch or missing MAC
	exitInvalidTreePath        = 91  // malformed --extract path
	exitNeedOneDocument        = 92  // the file is empty
	exitNoFileSpecified        = 100 // no input file, or it does not exist
	exitDuplicateKeyType       = 112 // a key type named twice in --decryption-order
	exitCommandNotExecutable   = 126 // exec-*: the command could not be run (as a shell)
	exitCommandNotFound        = 127 // exec-*: the command was not found (as a shell)
	exitCouldNotRetrieveKey    = 128 // no identity could recover the data key
	exitEditSIGHUP             = 129 // edit: interrupted by SIGHUP (128+1); the file is untouched
	exitEditSIGINT             = 130 // edit: interrupted by SIGINT (128+2); the file is untouched
	exitEditSIGQUIT            = 131 // edit: interrupted by SIGQUIT (128+3); the file is untouched
	exitEditSIGABRT            = 134 // edit: interrupted by SIGABRT (128+6); the file is untouched
	exitEditSIGTERM            = 143 // edit: interrupted by SIGTERM (128+15); the file is untouched
	exitFileNotModified        = 200 // edit: the file was not changed, nothing was written
	exitNoEditor               = 201 // edit: no editor found, or the editor failed
	exitFileAlreadyEncrypt     = 203 // encrypting a file that is already encrypted
)

// exitCodes documents the table for --help and the man page.
var exitCodes = []struct {
	code int
	text string
}{
	{exitOK, "success"},
	{exitGeneric, "generic error, usage error, not an encrypted file or one that does not parse"},
	{exitCouldNotRead, "could not read the input, or parse the input to encrypt"},
	{exitCouldNotWrite, "could not write the output"},
	{exitErrorDumpingTree, "the result cannot be written in the output format"},
	{exitErrorReadingConfig, "invalid configuration or regular expression"},
	{exitInvalidKMSContext, "--encryption-context is not k:v,k:v"},
	{exitInvalidSetFormat, "set: malformed path or value (not valid JSON)"},
	{exitConflictingParams, "conflicting flags"},
	{exitErrorEncryptingTree, "a value could not be encrypted"},
	{exitErrorDecryptingTree, "a value could not be decrypted or is malformed"},
	{exitNonCanonical, "a value has a non-canonical encoding (hull)"},
	{exitStrictMAC, "strict MAC failure: keys, types, empty values, comments, rule or recipients were changed, or the hull MAC is missing where required (hull)"},
	{exitPolicyViolation, "refused by policy: e.g. a recipient in the file holds no wrapped key (hull)"},
	{exitLimitExceeded, "the input exceeds a size, depth or node limit (hull)"},
	{exitConcurrentModification, "the file changed on disk while hull worked on it; nothing was written (hull)"},
	{exitEndpointNotAllowed, "a key service address named in the file is not allowed (SOPS_HC_VAULT_ALLOWLIST); nothing was sent to it (hull)"},
	{exitAuditUnavailable, "the audit log is required (HULL_AUDIT_REQUIRED or audit: required in .sops.yaml) and could not be written; no plaintext was released (hull)"},
	{exitCheckPlaintext, "check: a file a creation rule covers is not encrypted, or holds a value in clear that the rule says is encrypted (hull)"},
	{exitCheckTampered, "check: a file was tampered with or is malformed: MAC mismatch, a value fails authentication, malformed metadata or values (hull)"},
	{exitCheckDrift, "check: drift only: a file's encryption rule or recipients differ from its creation rule (hull)"},
	{exitSecretsFound, "scan: possible plaintext secrets found (hull)"},
	{exitCannotChangeKeys, "--add-*/--rm-* given for a file that does not exist"},
	{exitMacMismatch, "MAC mismatch or missing MAC: the file was changed"},
	{exitInvalidTreePath, "malformed tree path"},
	{exitNeedOneDocument, "the file is empty"},
	{exitNoFileSpecified, "no input file, or it does not exist"},
	{exitDuplicateKeyType, "a key type is named twice in --decryption-order"},
	{exitCommandNotExecutable, "exec-env/exec-file: the command could not be run"},
	{exitCommandNotFound, "exec-env/exec-file: the command was not found"},
	{exitCouldNotRetrieveKey, "no identity could decrypt the data key"},
	{exitEditSIGHUP, "edit was interrupted by SIGHUP; the file is untouched"},
	{exitEditSIGINT, "edit was interrupted by SIGINT; the file is untouched"},
	{exitEditSIGQUIT, "edit was interrupted by SIGQUIT; the file is untouched"},
	{exitEditSIGABRT, "edit was interrupted by SIGABRT; the file is untouched"},
	{exitEditSIGTERM, "edit was interrupted by SIGTERM; the file is untouched"},
	{exitFileNotModified, "edit: the file was not changed, nothing was written"},
	{exitNoEditor, "edit: no editor found, or the editor failed"},
	{exitFileAlreadyEncrypt, "the file is already encrypted"},
}

// exitError carries an explicit exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// exitCode maps an error to its exit code. This is the only place that
// does: every command returns errors and main calls this once.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, formats.ErrLimit):
		return exitLimitExceeded
	case errors.Is(err, formats.ErrSyntax):
		return exitCouldNotRead
	case errors.Is(err, formats.ErrUnsupported):
		return exitErrorDumpingTree
	case errors.Is(err, metadata.ErrInvalidRegex):
		return exitErrorReadingConfig
	case errors.Is(err, metadata.ErrConflictingRules):
		return exitConflictingParams
	case errors.Is(err, keysources.ErrEndpointNotAllowed):
		return exitEndpointNotAllowed
	case errors.Is(err, keysources.ErrNoKey):
		return exitCouldNotRetrieveKey
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC):
		return exitMacMismatch
	case errors.Is(err, hull.ErrExtendedMAC):
		return exitStrictMAC
	case errors.Is(err, hull.ErrNonCanonical):
		return exitNonCanonical
	case errors.Is(err, hull.ErrMalformedValue), errors.Is(err, hull.ErrDecrypt):
		return exitErrorDecryptingTree
	case errors.Is(err, hull.ErrNothingEncrypted):
		return exitPolicyViolation
	case errors.Is(err, hull.ErrEncrypt):
		return exitErrorEncryptingTree
	case errors.Is(err, hull.ErrEmpty):
		return exitNeedOneDocument
	case errors.Is(err, hull.ErrAlreadyEncrypted):
		return exitFileAlreadyEncrypt
	case errors.Is(err, hull.ErrInvalidValue):
		return exitInvalidSetFormat
	case errors.Is(err, hull.ErrTreePath):
		return exitInvalidTreePath
	case errors.Is(err, metadata.ErrNoMetadata), errors.Is(err, metadata.ErrInvalid):
		return exitGeneric
	case errors.Is(err, fs.ErrNotExist):
		return exitNoFileSpecified
	}
	return exitGeneric
}
