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

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name, inType, data, want string
	}{
		{"a.yaml", "", `{"a": 1}`, "yaml"},
		{"a.yaml", "json", "a: 1", "json"},
		{"tmp-123", "", "{\n  \"a\": \"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\",\n  \"sops\": {}\n}\n", Sniff([]byte("{\n  \"a\": \"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\",\n  \"sops\": {}\n}\n")).Name()},
		{"noext", "", "", Sniff(nil).Name()},
	} {
		f, err := Detect(tc.name, tc.inType, []byte(tc.data))
		if err != nil || f.Name() != tc.want {
			t.Errorf("Detect(%q, %q) = %v %v, want %s", tc.name, tc.inType, f, err, tc.want)
		}
	}
	if _, err := Detect("a.yaml", "toml", nil); err == nil {
		t.Error("an unknown input type was accepted")
	}
}
