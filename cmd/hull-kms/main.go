// Command hull-kms is hull's companion for the cloud key sources (AWS KMS,
// GCP Cloud KMS, Azure Key Vault). hull starts it when a file or a rule
// names such a key, so that hull itself links none of the cloud SDKs; see
// docs/COMPANION.md. Install it with hull:
//
//	go install github.com/hullsecrets/hull/cmd/...@latest
package main

import (
	"os"

	"github.com/hullsecrets/hull/internal/buildver"
	"github.com/hullsecrets/hull/internal/kmsplugin"
)

// Set by the release build with -ldflags "-X main.version=…", as hull's:
// hull accepts only the hull-kms of its own version.
var version = ""

func main() {
	os.Exit(kmsplugin.Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv, kmsVersion(), kmsplugin.Options{}))
}

// kmsVersion is the version hull-kms reports in the handshake: the same
// rule as hull's (internal/buildver).
func kmsVersion() string {
	v, _ := buildver.Get(version, "")
	return v
}
