package hull_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

// FuzzDecryptPipeline feeds whole encrypted files, mutated, through parse,
// metadata, key recovery and decryption with the right key. Whatever the
// input, the pipeline must not panic, must fail only with a typed error,
// and a file it accepts must re-encrypt and decrypt to the same tree.
func FuzzDecryptPipeline(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(interop, "cases", "*", "encrypted.*"))
	seeds := 0
	for _, p := range paths {
		txt, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "case.txt"))
		if !bytes.Contains(txt, []byte("age1")) || bytes.Contains(txt, []byte("any two")) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, filepath.Ext(p))
		seeds++
	}
	if seeds < 10 {
		f.Fatalf("only %d seeds found", seeds)
	}
	b, err := os.ReadFile(filepath.Join(interop, "keys", "age1.txt"))
	if err != nil {
		f.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b), "age1")
	if err != nil {
		f.Fatal(err)
	}
	recips, _ := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	typed := []error{
		formats.ErrSyntax, formats.ErrLimit, formats.ErrUnsupported,
		metadata.ErrNoMetadata, metadata.ErrInvalid, metadata.ErrInvalidRegex, metadata.ErrConflictingRules,
		keysources.ErrNoKey, hull.ErrMalformedValue, hull.ErrNonCanonical, hull.ErrDecrypt,
		hull.ErrMACMismatch, hull.ErrNoMAC, hull.ErrExtendedMAC,
	}
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		fm, err := hull.FormatFor("", "x"+ext)
		if err != nil {
			return
		}
		file, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
		if err != nil {
			if !errors.Is(err, formats.ErrSyntax) && !errors.Is(err, formats.ErrLimit) {
				t.Fatalf("parse: untyped error %v", err)
			}
			return
		}
		if file.Meta == nil {
			return
		}
		opened, err := hull.Decrypt(context.Background(), file, hull.DecryptOptions{Identities: ids})
		if err != nil {
			for _, want := range typed {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("decrypt: untyped error %v", err)
		}
		// Accepted: it must encrypt again and come back the same.
		plain := &formats.File{Docs: cloneDocs(file.Docs)}
		opts := hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}, Rule: opened.Meta.Rule,
			MACOnlyEncrypted: opened.Meta.MACOnlyEncrypted, Format: fm, InputFormat: fm, AllowNoEncryption: true}
		if fm.Name() == "binary" {
			opts.NoRule, opts.Rule = true, metadata.Rule{}
		}
		if err := hull.Encrypt(plain, opts); err != nil {
			return // e.g. the tree holds what the format cannot write back
		}
		out, err := fm.Emit(plain, formats.EmitOptions{})
		if err != nil {
			return
		}
		back, err := fm.Parse(out, formats.ParseOptions{Encrypted: true})
		if err != nil {
			t.Fatalf("hull's own output does not parse: %v", err)
		}
		if _, err := hull.Decrypt(context.Background(), back, hull.DecryptOptions{Identities: ids, RequireExtendedMAC: true}); err != nil {
			t.Fatalf("hull's own output does not decrypt: %v", err)
		}
	})
}

func cloneDocs(docs []*formats.Node) []*formats.Node {
	out := make([]*formats.Node, len(docs))
	for i, d := range docs {
		out[i] = d.Clone()
	}
	return out
}
