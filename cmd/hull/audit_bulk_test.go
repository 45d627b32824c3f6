package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hullsecrets/hull/internal/audit"
)

// The bulk commands run operations concurrently (run this with -race):
// every file gets its own records, and each access record shares its
// op_id with the result of the same file.
func TestAuditBulkConcurrent(t *testing.T) {
	dir := t.TempDir()
	key, err := os.ReadFile("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "key.txt"), key, 0o600))
	must(os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte("creation_rules:\n  - path_regex: \\.yaml$\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n"), 0o644))
	const n = 8
	for i := 0; i < n; i++ {
		must(os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.yaml", i)), []byte(fmt.Sprintf("password: secret-value-%d\n", i)), 0o644))
	}
	logPath := filepath.Join(dir, "audit.jsonl")
	env := map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(dir, "key.txt"), "HULL_AUDIT_LOG": logPath, "HOME": dir}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, cmd := range []string{"encrypt", "decrypt"} {
		var out, errb bytes.Buffer
		if rc := Main([]string{"hull", cmd, "-r", dir}, bytes.NewReader(nil), &out, &errb, lookup); rc != 0 {
			t.Fatalf("%s -r: rc %d\n%s", cmd, rc, errb.String())
		}
	}
	f, err := os.Open(logPath)
	must(err)
	defer f.Close()
	count := map[string]int{}
	access := map[string]audit.Record{}
	results := map[string]audit.Record{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte("secret-value")) {
			t.Fatalf("a value in the log: %s", sc.Text())
		}
		var r audit.Record
		must(json.Unmarshal(sc.Bytes(), &r))
		count[r.Event+" "+r.Op+" "+r.Outcome]++
		if r.Op == "decrypt" {
			if r.Event == audit.EventAccess {
				access[r.OpID] = r
			} else {
				results[r.OpID] = r
			}
		}
	}
	if count["result encrypt ok"] != n || count["access decrypt ok"] != n || count["result decrypt ok"] != n || len(count) != 3 {
		t.Fatalf("records: %v", count)
	}
	for id, a := range access {
		r, ok := results[id]
		if !ok || r.File != a.File || len(a.Keys) != 1 || a.Keys[0] != "age:age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m" {
			t.Errorf("access %+v has result %+v", a, r)
		}
	}
}
