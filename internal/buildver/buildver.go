// Package buildver is the version hull and hull-kms report: the one set
// with -ldflags, else the one the go command records in the build
// information. Both executables use it, so that a hull and a hull-kms built
// from the same tree (make build, go install ./cmd/...) accept each other.
package buildver

import "runtime/debug"

// FromInfo is the version and commit: the values set with -ldflags
// when there are any, else the main module's version that the go command
// records (a tag such as v1.2.0, or a pseudo-version v0.0.0-DATE-COMMIT for
// an untagged commit, with +dirty for a modified tree) and the VCS
// revision. A build without either (go build -buildvcs=false, or outside a
// repository) reports "devel".
func FromInfo(bi *debug.BuildInfo, ldVersion, ldCommit string) (ver, rev string) {
	ver, rev = ldVersion, ldCommit
	modified := false
	if bi != nil {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" && len(s.Value) >= 12 {
					rev = s.Value[:12]
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if ver == "" {
		ver = "devel"
		if rev != "" && modified {
			ver = "devel+dirty"
		}
	}
	if rev == "" {
		rev = "unknown commit"
	}
	return ver, rev
}

// Get is FromInfo of the running executable.
func Get(ldVersion, ldCommit string) (ver, rev string) {
	bi, _ := debug.ReadBuildInfo()
	return FromInfo(bi, ldVersion, ldCommit)
}
