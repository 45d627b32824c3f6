package main

import (
	"runtime/debug"
	"testing"

	"github.com/hullsecrets/hull/internal/buildver"
)

// TestBuildVersion: the version comes from -ldflags when set, else from the
// module version and VCS revision that go build and go install record, so
// both report a real version.
func TestBuildVersion(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "5b15d719c69ec8a7337fa3351d347535d1da2cae"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, c := range []struct {
		name         string
		bi           *debug.BuildInfo
		ldv, ldc     string
		wantV, wantC string
	}{
		{"go install of a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{rev}}, "", "", "v1.2.0", "5b15d719c69e"},
		{"go install of a commit", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261204181757-5b15d719c69e"}, Settings: []debug.BuildSetting{rev}}, "", "", "v0.0.0-20261204181757-5b15d719c69e", "5b15d719c69e"},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "", "", "v1.3.0", "unknown commit"},
		{"release -ldflags", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.4.0", "abcdefabcdef", "v1.4.0", "abcdefabcdef"},
		{"no vcs information", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "", "devel", "unknown commit"},
		{"modified tree without module version", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{rev, dirty}}, "", "", "devel+dirty", "5b15d719c69e"},
		{"no build info", nil, "", "", "devel", "unknown commit"},
	} {
		v, cm := buildver.FromInfo(c.bi, c.ldv, c.ldc)
		if v != c.wantV || cm != c.wantC {
			t.Errorf("%s: got (%q, %q), want (%q, %q)", c.name, v, cm, c.wantV, c.wantC)
		}
	}
}
