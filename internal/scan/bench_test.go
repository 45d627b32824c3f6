package scan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genRepo writes about size bytes of source-like text in 500 files (YAML,
// JSON, dotenv, Go), with a secret in every 50th file.
func genRepo(tb testing.TB, dir string, size int) (files int, secrets int) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		return string(b)
	}
	per := size / 500
	for i := 0; i < 500; i++ {
		var b strings.Builder
		for b.Len() < per {
			switch i % 4 {
			case 0:
				fmt.Fprintf(&b, "service_%d:\n  host: db-%d.internal\n  port: %d\n  user: app\n  # the primary database: https://docs.example.org/db\n", rng.IntN(1000), rng.IntN(9), 5000+rng.IntN(999))
			case 1:
				fmt.Fprintf(&b, "{\"id\": %d, \"name\": \"item-%d\", \"checksum\": \"%x\", \"tags\": [\"a\", \"b\"]},\n", rng.IntN(1e6), rng.IntN(1e6), rng.Uint64())
			case 2:
				fmt.Fprintf(&b, "APP_%d_URL=https://svc-%d.example.org/api/v1\nAPP_%d_TIMEOUT=30\n", rng.IntN(1e4), rng.IntN(99), rng.IntN(1e4))
			default:
				fmt.Fprintf(&b, "func f%d(x int) error {\n\tif x > %d {\n\t\treturn fmt.Errorf(\"x: %%d\", x)\n\t}\n\treturn nil\n}\n\n", rng.IntN(1e6), rng.IntN(100))
			}
		}
		if i%50 == 0 {
			fmt.Fprintf(&b, "api_token: %s\n", word(32))
			secrets++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", i)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		files++
	}
	return files, secrets
}

// BenchmarkScanRepo scans a generated 10 MB tree of 500 files; the MB/s
// column is the scan throughput (reading files included).
func BenchmarkScanRepo(b *testing.B) {
	dir := b.TempDir()
	_, secrets := genRepo(b, dir, 10<<20)
	var total int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if fi, err := d.Info(); err == nil && !d.IsDir() {
			total += fi.Size()
		}
		return nil
	})
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := New(Options{}).Scan(context.Background(), Paths(dir, []string{dir}))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) != secrets {
			b.Fatalf("found %d, want %d", len(res.Findings), secrets)
		}
	}
}

// BenchmarkScanData is the detector alone on one file of each kind.
func BenchmarkScanData(b *testing.B) {
	dir := b.TempDir()
	genRepo(b, dir, 2<<20)
	var data []byte
	for _, n := range []string{"f001.txt", "f002.txt", "f003.txt", "f004.txt"} {
		d, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d...)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ScanData("f", data)
	}
}
