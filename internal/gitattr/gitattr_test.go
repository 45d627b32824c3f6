package gitattr

import (
	"reflect"
	"testing"
)

func TestRegexToGlobs(t *testing.T) {
	for _, tc := range []struct {
		re   string
		want []string
	}{
		{`\.enc\.yaml$`, []string{"*.enc.yaml"}},
		{`\.enc\.(yaml|json)$`, []string{"*.enc.yaml", "*.enc.json"}},
		{`^k8s/.*\.ya?ml$`, []string{"k8s/**/*.yaml", "k8s/**/*.yml"}},
		{`^prod/`, []string{"prod/**"}},
		{`secrets/.*`, []string{"**/*secrets/**"}},
		{`^dev/[^/]+\.env$`, []string{"dev/*.env"}},
		{`^prod`, []string{"prod*", "prod*/**"}},
	} {
		got, ok := Globs(tc.re)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Globs(%q) = %q, %v; want %q", tc.re, got, ok, tc.want)
		}
	}
	for _, re := range []string{``, `.*`, `(?i)secret`} {
		if got, ok := Globs(re); ok {
			t.Errorf("Globs(%q) = %q, want no patterns", re, got)
		}
	}
}
