package main

import "github.com/hullsecrets/hull/internal/sopslog"

// sopsLog is the logger of sops's debug lines (internal/sopslog), on
// stderr under --verbose; nil, which writes nothing, otherwise.
func (r *runner) sopsLog(cl *cmdLine) *sopslog.Logger {
	return sopslog.New(r.stderr, cl.on("verbose"))
}
