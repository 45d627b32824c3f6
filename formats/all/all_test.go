package all

import (
	"errors"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name, inType, outType string
		in, out               string
		guessed               bool
	}{
		{"a.yaml", "", "", "yaml", "yaml", false},
		{"a.yaml", "", "json", "yaml", "json", false},
		{"", "", "", "binary", "binary", true},
		{"a.txt", "", "", "binary", "binary", true},
		{"a.txt", "dotenv", "", "dotenv", "dotenv", false},
		{"a.json", "yaml", "", "yaml", "json", false},
	} {
		in, out, guessed, err := Formats(tc.name, tc.inType, tc.outType)
		if err != nil || in.Name() != tc.in || out.Name() != tc.out || guessed != tc.guessed {
			t.Errorf("Formats(%q, %q, %q) = %v %v %v %v", tc.name, tc.inType, tc.outType, in, out, guessed, err)
		}
	}
	if _, _, _, err := Formats("a", "toml", ""); !errors.Is(err, ErrInputType) {
		t.Errorf("an unknown input type: %v", err)
	}
	if _, _, _, err := Formats("a", "", "toml"); !errors.Is(err, ErrOutputType) {
		t.Errorf("an unknown output type: %v", err)
	}
}
