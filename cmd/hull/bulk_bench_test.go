package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// bulkTree writes n small plaintext YAML files under dir/s, in 10
// directories, and a .sops.yaml that covers them.
func bulkTree(t testing.TB, dir string, n int) {
	writeFile(t, filepath.Join(dir, ".sops.yaml"), sopsYAML(testRecipient1))
	for i := range n {
		writeFile(t, filepath.Join(dir, "s", fmt.Sprintf("d%d", i%10), fmt.Sprintf("f%04d.yaml", i)),
			fmt.Sprintf("app: service-%d\ndb:\n    user: u%d\n    password: p%d\n    port: %d\ntags: [a, b]\n", i, i, i, 5000+i))
	}
}

// bulkTimes runs encrypt -r, check and updatekeys -r -y (adding a key, so
// every file is re-wrapped) over n generated files and returns their wall
// times.
func bulkTimes(t testing.TB, n int) (enc, check, upd time.Duration) {
	dir := t.TempDir()
	env := bulkEnv(t, dir)
	bulkTree(t, dir, n)
	timed := func(args ...string) time.Duration {
		t.Helper()
		start := time.Now()
		code, stdout, stderr := runHull(t, env, args...)
		d := time.Since(start)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		return d
	}
	enc = timed("encrypt", "-r", dir)
	check = timed("check", dir)
	writeFile(t, filepath.Join(dir, ".sops.yaml"), sopsYAML(testRecipient1, testRecipient2))
	upd = timed("updatekeys", "-r", "-y", dir)
	code, stdout, _ := runHull(t, env, "check", dir)
	if code != 0 {
		t.Fatalf("check after updatekeys -r: exit %d\n%s", code, stdout)
	}
	return enc, check, upd
}

// TestBulk runs the bulk benchmark on 50 files (HULL_BULK_FILES=1000 for
// the full size) and prints the times.
func TestBulk(t *testing.T) {
	n := 50
	if s := os.Getenv("HULL_BULK_FILES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("HULL_BULK_FILES=%q", s)
		}
	}
	enc, check, upd := bulkTimes(t, n)
	t.Logf("%d files: encrypt -r %v, check %v, updatekeys -r -y %v", n, enc.Round(time.Millisecond), check.Round(time.Millisecond), upd.Round(time.Millisecond))
}

// BenchmarkBulk1000: go test ./cmd/hull -run '^$' -bench Bulk1000 -benchtime 1x
func BenchmarkBulk1000(b *testing.B) {
	const n = 1000
	var enc, check, upd time.Duration
	for range b.N {
		e, c, u := bulkTimes(b, n)
		enc, check, upd = enc+e, check+c, upd+u
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(enc), "s-encrypt")
	b.ReportMetric(per(check), "s-check")
	b.ReportMetric(per(upd), "s-updatekeys")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d files: encrypt -r %.2fs, check %.2fs, updatekeys -r -y %.2fs", n, per(enc), per(check), per(upd))
}
