package yaml

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

const interop = "../../testdata/interop"

func glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// reemit parses data, passes the metadata through metadata.Load and Node as
// the encrypt and decrypt paths do, and emits the file again.
func reemit(t *testing.T, data []byte, indent int) []byte {
	t.Helper()
	f, err := New().Parse(data, formats.ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if f.Meta != nil {
		m, err := metadata.Load(f.Meta)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		f.Meta = m.Node()
	}
	opts := formats.EmitOptions{}
	if indent > 0 {
		opts = formats.EmitOptions{Indent: indent, IndentSet: true}
	}
	out, err := New().Emit(f, opts)
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	return out
}

// caseIndent reads the --indent an encrypted file was written with, if
// any (the decrypted files were written with the default).
func caseIndent(p string) int {
	if filepath.Base(p) != "encrypted.yaml" {
		return 0
	}
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "case.txt"))
	if bytes.Contains(b, []byte("--indent 2")) {
		return 2
	}
	return 0
}

// notReproduced are the interop cases whose encrypted.yaml sops wrote with
// comments where no reader keeps them: sops writes what its tree holds,
// which is not what the file reads back as.
var notReproduced = map[string]string{
	"yaml-comment-closing-block": "a comment closing a nested block is written at the outer indent and read back in the inner block",
	"yaml-comment-positions":     "a comment inside empty braces is dropped by every reader",
}

// TestGoldenInterop checks that every YAML file sops 3.13.3 wrote is
// reproduced byte for byte: Emit(Parse(x)) == x.
func TestGoldenInterop(t *testing.T) {
	files := append(glob(t, interop+"/cases/*/decrypted.yaml"), glob(t, interop+"/cases/*/encrypted.yaml")...)
	if len(files) == 0 {
		t.Fatal("no interop fixtures found")
	}
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out := reemit(t, data, caseIndent(p))
			if why, ok := notReproduced[filepath.Base(filepath.Dir(p))]; ok && filepath.Base(p) == "encrypted.yaml" {
				// sops's file does not read back as written; hull's
				// output of it must at least be stable.
				if again := reemit(t, out, caseIndent(p)); !bytes.Equal(again, out) {
					t.Errorf("output is not stable (%s)\n--- first\n%s\n--- second\n%s", why, out, again)
				}
				return
			}
			if !bytes.Equal(out, data) {
				t.Errorf("output differs\n--- want\n%s\n--- got\n%s", data, out)
			}
		})
	}
}
