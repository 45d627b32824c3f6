package hull_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

func encryptedYAML(t *testing.T, src string, rule metadata.Rule) *formats.File {
	t.Helper()
	rs, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		t.Fatal(err)
	}
	f, err := yaml.New().Parse([]byte(src), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := hull.Encrypt(f, hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}, Rule: rule}); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := yaml.New().Parse(out, formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestUnencrypted(t *testing.T) {
	f := encryptedYAML(t, "a: 1\nb_unencrypted: x\nc:\n    - d\n    - ''\n    - null\n", metadata.Rule{})
	if got, err := hull.Unencrypted(f, metadata.Rule{}); err != nil || len(got) != 0 {
		t.Fatalf("fresh file: %v %v", got, err)
	}
	// A value put back in clear, and a stricter rule than the file's.
	f.Docs[0].Children[0].Type, f.Docs[0].Children[0].Value = formats.Int, "1"
	got, _ := hull.Unencrypted(f, metadata.Rule{})
	if want := []string{`["a"]`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got, _ = hull.Unencrypted(f, metadata.Rule{Kind: metadata.UnencryptedRegex, Value: "^zzz$"})
	if want := []string{`["a"]`, `["b_unencrypted"]`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := hull.Unencrypted(f, metadata.Rule{Kind: metadata.EncryptedRegex, Value: "("}); err == nil {
		t.Fatal("an invalid rule is not an error")
	}
}

func TestCheckStructure(t *testing.T) {
	f := encryptedYAML(t, "a: secret\nb: 2\n", metadata.Rule{})
	if err := hull.CheckStructure(f); err != nil {
		t.Fatalf("fresh file: %v", err)
	}
	v := f.Docs[0].Children[1]
	v.Value = strings.Replace(v.Value, "]", "]x", 1) // bytes after the closing ]
	err := hull.CheckStructure(f)
	var pe *hull.PathError
	if !errors.As(err, &pe) || pe.Path != `["b"]` || !errors.Is(err, hull.ErrNonCanonical) {
		t.Fatalf("trailing bytes: %v", err)
	}
	f.Meta.Children = nil // no metadata fields at all
	if err := hull.CheckStructure(f); err == nil {
		t.Fatal("empty metadata is accepted")
	}
	f.Meta = nil
	if err := hull.CheckStructure(f); !errors.Is(err, metadata.ErrNoMetadata) {
		t.Fatalf("no metadata: %v", err)
	}
}
