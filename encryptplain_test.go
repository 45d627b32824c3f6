package hull_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/binary"
	"github.com/hullsecrets/hull/formats/json"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

// EncryptPlain: parse (warnings told), encrypt, the hook, emit in the
// output format; binary input records no rule.
func TestEncryptPlain(t *testing.T) {
	rs, err := age.ParseRecipients(pipelineRecipient)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(pipelineIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	o := hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}, Rule: metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^pw$"},
		InputFormat: yaml.New(), Format: json.New()}
	var warned []string
	hooked := false
	out, err := hull.EncryptPlain([]byte("pw: secret\nuser: me\n"), "in.yaml", o, formats.EmitOptions{},
		func(w string) { warned = append(warned, w) }, func(f *formats.File) { hooked = f.Meta != nil })
	if err != nil || !hooked || len(warned) != 0 || !strings.Contains(string(out), `"user": "me"`) || strings.Contains(string(out), "secret") {
		t.Fatalf("EncryptPlain = %v (hooked %v, warned %q):\n%s", err, hooked, warned, out)
	}
	plain, err := hull.DecryptData(context.Background(), out, "json", hull.DecryptOptions{Identities: ids})
	if err != nil || !strings.Contains(string(plain), `"pw": "secret"`) {
		t.Fatalf("decrypting it: %v\n%s", err, plain)
	}

	// Binary input: one value, no rule recorded.
	o.InputFormat, o.Format = binary.New(), binary.New()
	o.Rule = metadata.Rule{}
	out, err = hull.EncryptPlain([]byte("raw bytes"), "in.bin", o, formats.EmitOptions{}, nil, nil)
	if err != nil || strings.Contains(string(out), "unencrypted_suffix") {
		t.Fatalf("binary: %v\n%s", err, out)
	}

	// Errors name the input.
	o.InputFormat, o.Format = yaml.New(), yaml.New()
	if _, err := hull.EncryptPlain([]byte("a: [\n"), "in.yaml", o, formats.EmitOptions{}, nil, nil); !errors.Is(err, formats.ErrSyntax) || !strings.HasPrefix(err.Error(), "in.yaml: ") {
		t.Errorf("a syntax error: %v", err)
	}
	if _, err := hull.EncryptPlain([]byte("sops: 1\n"), "in.yaml", o, formats.EmitOptions{}, nil, nil); !errors.Is(err, hull.ErrAlreadyEncrypted) || !strings.HasPrefix(err.Error(), "in.yaml: ") {
		t.Errorf("already encrypted: %v", err)
	}
}
