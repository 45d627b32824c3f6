package hull

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// benchIdentity is the test identity of age1mnudwt2…sm78q4m.
const benchIdentity = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"

// doc10k is a 10,000-value document: 1,000 services of 10 settings, in
// JSON (tab-indented, as sops writes it) or YAML.
func doc10k(json bool) []byte {
	var b strings.Builder
	if json {
		b.WriteString("{\n\t\"services\": {\n")
	} else {
		b.WriteString("services:\n")
	}
	for i := range 1000 {
		if json {
			fmt.Fprintf(&b, "\t\t\"svc%04d\": {\n", i)
		} else {
			fmt.Fprintf(&b, "    svc%04d:\n", i)
		}
		for j := range 10 {
			k, v := fmt.Sprintf("key%d", j), fmt.Sprintf("value-%d-%d-abcdefghijklmnop", i, j)
			if json {
				sep := ","
				if j == 9 {
					sep = ""
				}
				fmt.Fprintf(&b, "\t\t\t%q: %q%s\n", k, v, sep)
			} else {
				fmt.Fprintf(&b, "        %s: %s\n", k, v)
			}
		}
		if json {
			if i == 999 {
				b.WriteString("\t\t}\n")
			} else {
				b.WriteString("\t\t},\n")
			}
		}
	}
	if json {
		b.WriteString("\t}\n}\n")
	}
	return []byte(b.String())
}

// benchPipeline measures encrypt or decrypt of the 10k-value document
// through the library API, with an age key: the per-value cost of hull
// without the process start.
func benchPipeline(b *testing.B, format string, decrypt bool) {
	rs, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		b.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(benchIdentity), "bench")
	if err != nil {
		b.Fatal(err)
	}
	plain := doc10k(format == "json")
	eo := EncryptOptions{Groups: [][]keysources.Recipient{rs}}
	enc, err := EncryptData(plain, format, eo)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if decrypt {
			_, err = DecryptData(context.Background(), enc, format, DecryptOptions{Identities: ids})
		} else {
			_, err = EncryptData(plain, format, eo)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptJSON10k(b *testing.B) { benchPipeline(b, "json", true) }
func BenchmarkEncryptJSON10k(b *testing.B) { benchPipeline(b, "json", false) }
func BenchmarkDecryptYAML10k(b *testing.B) { benchPipeline(b, "yaml", true) }
func BenchmarkEncryptYAML10k(b *testing.B) { benchPipeline(b, "yaml", false) }

// benchgenInput returns the make bench input of that shape (internal/benchgen),
// generated once per benchmark into its temporary directory.
func benchgenInput(b *testing.B, shape string) []byte {
	b.Helper()
	out := filepath.Join(b.TempDir(), "in")
	if msg, err := exec.Command("go", "run", "./internal/benchgen", "-shape", shape, "-out", out).CombinedOutput(); err != nil {
		b.Fatalf("benchgen: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkBenchgen10k is encrypt and decrypt of the 10k-value inputs of
// make bench through the library (what hull encrypt and decrypt do after
// the process start), for profiles of the per-value path:
//
//	go test -run '^$' -bench Benchgen10k -cpuprofile cpu.out .
func BenchmarkBenchgen10k(b *testing.B) {
	rs, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		b.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(benchIdentity), "bench")
	if err != nil {
		b.Fatal(err)
	}
	eo := EncryptOptions{Groups: [][]keysources.Recipient{rs}}
	for _, shape := range []string{"yaml-10k", "json-10k"} {
		format := shape[:4]
		plain := benchgenInput(b, shape)
		enc, err := EncryptData(plain, format, eo)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("encrypt-"+shape, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncryptData(plain, format, eo); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decrypt-"+shape, func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecryptData(context.Background(), enc, format, DecryptOptions{Identities: ids}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
