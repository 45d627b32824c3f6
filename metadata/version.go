package metadata

import "strings"

// BumpVersion raises the file's version to the one hull writes, as sops
// does when it rewrites a file written by an older release.
func (m *Metadata) BumpVersion() {
	if versionLess(m.Version, Version) {
		m.Version = Version
	}
}

// versionLess compares dotted numeric versions ("3.7.1" < "3.13.3").
// Anything unparsable counts as older.
func versionLess(a, b string) bool {
	pa, oka := parseVersion(a)
	pb, _ := parseVersion(b)
	if !oka {
		return true
	}
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n := 0
		if len(p) == 0 {
			return v, false
		}
		for _, ch := range p {
			if ch < '0' || ch > '9' {
				return v, false
			}
			n = n*10 + int(ch-'0')
		}
		v[i] = n
	}
	return v, true
}
