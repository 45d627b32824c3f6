package companion

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseServices(t *testing.T) {
	f := false
	tr := true
	for _, tc := range []struct {
		uris  []string
		local *bool
		env   map[string]string
		want  Services
		warn  int
		err   string
	}{
		{nil, nil, nil, Services{}, 0, ""},
		{[]string{"unix:///a.sock", " tcp://h:1 ", ""}, nil, nil, Services{URIs: []string{"unix:///a.sock", "tcp://h:1"}}, 0, ""},
		{nil, nil, map[string]string{"SOPS_KEYSERVICE": "unix:///a,unix:///b", "SOPS_ENABLE_LOCAL_KEYSERVICE": "false"}, Services{URIs: []string{"unix:///a", "unix:///b"}, NoLocal: true}, 0, ""},
		// The flag wins over the variables.
		{[]string{"unix:///f"}, &tr, map[string]string{"SOPS_KEYSERVICE": "unix:///e", "SOPS_ENABLE_LOCAL_KEYSERVICE": "false"}, Services{URIs: []string{"unix:///f"}}, 0, ""},
		{[]string{"%zz", "unix:///ok"}, nil, nil, Services{URIs: []string{"unix:///ok"}}, 1, ""},
		{nil, &f, nil, Services{NoLocal: true}, 0, ErrNoServiceLeft.Error()},
		{nil, nil, map[string]string{"SOPS_ENABLE_LOCAL_KEYSERVICE": "maybe"}, Services{}, 0, "SOPS_ENABLE_LOCAL_KEYSERVICE=maybe: not true or false"},
	} {
		got, warnings, err := ParseServices(tc.uris, tc.local, lookupMap(tc.env))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v %v: err = %v, want %q", tc.uris, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) || len(warnings) != tc.warn {
			t.Errorf("%v %v: %+v %q %v; want %+v, %d warnings", tc.uris, tc.env, got, warnings, err, tc.want, tc.warn)
		}
	}
	if _, _, err := ParseServices(nil, &f, lookupMap(nil)); !errors.Is(err, ErrNoServiceLeft) {
		t.Errorf("err = %v", err)
	}
}

func TestWithEnv(t *testing.T) {
	got := WithEnv([]string{"A=1", "B=2", "C=3"}, []string{"B", "D", "E"}, lookupMap(map[string]string{"B": "x", "D": ""}))
	if want := []string{"A=1", "C=3", "B=x", "D="}; !reflect.DeepEqual(got, want) {
		t.Errorf("WithEnv = %q, want %q", got, want)
	}
}
