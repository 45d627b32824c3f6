package main

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
		got, ok := regexToGlobs(tc.re)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("regexToGlobs(%q) = %q, %v; want %q", tc.re, got, ok, tc.want)
		}
	}
	for _, re := range []string{``, `.*`, `(?i)secret`} {
		if got, ok := regexToGlobs(re); ok {
			t.Errorf("regexToGlobs(%q) = %q, want no patterns", re, got)
		}
	}
}

func TestConflictTextAndPickSide(t *testing.T) {
	a := "x: 1\nb: OURS\nc: 3\nmac: M1\n"
	b := "x: 1\nb: THEIRS\nc: 3\nmac: M2\n"
	got := string(conflictText([]byte(a), []byte(b)))
	want := "x: 1\n<<<<<<< ours\nb: OURS\n=======\nb: THEIRS\n>>>>>>> theirs\nc: 3\n<<<<<<< ours\nmac: M1\n=======\nmac: M2\n>>>>>>> theirs\n"
	if got != want {
		t.Fatalf("conflictText:\n%s", got)
	}
	for ours, side := range map[bool]string{true: a, false: b} {
		out, n, err := pickSide([]byte(got), ours)
		if err != nil || n != 2 || string(out) != side {
			t.Errorf("pickSide(ours=%v) = %q, %d, %v", ours, out, n, err)
		}
	}
	if _, _, err := pickSide([]byte("a\n=======\n"), true); err == nil {
		t.Error("pickSide accepted an unbalanced marker")
	}
	if conflictMarkers([]byte(got)) != 2 || conflictMarkers([]byte(a)) != 0 {
		t.Error("conflictMarkers")
	}
}
