package yaml_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// bench500k returns the benchgen yaml-500k input (generated once into the
// test's temporary directory), for the end-to-end benchmarks below.
func bench500k(b *testing.B) []byte {
	b.Helper()
	out := filepath.Join(b.TempDir(), "in.yaml")
	cmd := exec.Command("go", "run", "../../internal/benchgen", "-shape", "yaml-500k", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("benchgen: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func benchKeys(b testing.TB) ([]keysources.Recipient, []keysources.Identity) {
	b.Helper()
	key, err := os.ReadFile("../../testdata/interop/keys/age1.txt")
	if err != nil {
		b.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(key), "age1.txt")
	if err != nil {
		b.Fatal(err)
	}
	recips, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		b.Fatal(err)
	}
	return recips, ids
}

// BenchmarkEncrypt500k is a whole encrypt (parse, encrypt, emit) of the
// The 10 MB YAML of make bench, through the library as `hull encrypt` does.
func BenchmarkEncrypt500k(b *testing.B) {
	data := bench500k(b)
	recips, _ := benchKeys(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hull.EncryptData(data, "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt500k is a whole decrypt of the encrypted 10 MB YAML.
func BenchmarkDecrypt500k(b *testing.B) {
	data := bench500k(b)
	recips, ids := benchKeys(b)
	enc, err := hull.EncryptData(data, "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}})
	if err != nil {
		b.Fatal(err)
	}
	data = nil
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hull.DecryptData(context.Background(), enc, "yaml", hull.DecryptOptions{Identities: ids}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStageMemory prints the live heap after each stage of an encrypt and
// a decrypt of the 10 MB YAML (HULL_STAGE_MEM=1; writes heap profiles to
// $HULL_STAGE_MEM_DIR when set).
func TestStageMemory(t *testing.T) {
	if os.Getenv("HULL_STAGE_MEM") == "" {
		t.Skip("HULL_STAGE_MEM not set")
	}
	stageMemory(t)
}

func benchKeysT(t *testing.T) ([]keysources.Recipient, []keysources.Identity) { return benchKeys(t) }
