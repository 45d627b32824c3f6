package metadata

import "testing"

func TestBumpVersion(t *testing.T) {
	for in, want := range map[string]string{"3.7.1": Version, "": Version, "x": Version, "3.13.3": "3.13.3", "4.0.0": "4.0.0", "3.20": "3.20"} {
		m := &Metadata{Version: in}
		m.BumpVersion()
		if m.Version != want {
			t.Errorf("BumpVersion(%q) = %q, want %q", in, m.Version, want)
		}
	}
}
