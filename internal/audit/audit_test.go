package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var fixed = func() time.Time { return time.Date(2026, 11, 27, 15, 26, 5, 123456789, time.FixedZone("X", 3600)) }

func TestLineFormat(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, "buf", Options{Now: fixed})
	err := l.Log(Record{Event: EventAccess, Op: "decrypt", Outcome: OutcomeOK, File: "/r/s.yaml",
		Keys: []string{"age:age1xyz"}, User: "ann", UID: "1000", Host: "h", PID: 42, OpID: "ab", Version: "0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-27T14:26:05.123Z","event":"access","op":"decrypt","outcome":"ok","exit_code":0,"file":"/r/s.yaml",` +
		`"keys":["age:age1xyz"],"user":"ann","uid":"1000","host":"h","pid":42,"op_id":"ab","version":"0.1.0"}` + "\n"
	if buf.String() != want {
		t.Fatalf("line\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	if err := l.Log(Record{Event: EventResult, Op: "decrypt", Outcome: OutcomeError, ExitCode: 51, Class: "mac-mismatch", File: "-"}); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["class"] != "mac-mismatch" || m["exit_code"] != float64(51) || m["outcome"] != "error" {
		t.Errorf("record %v", m)
	}
	if _, ok := m["keys"]; ok {
		t.Errorf("empty keys written: %s", buf.String())
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(m["time"].(string)) {
		t.Errorf("time %q", m["time"])
	}
}

// '$' and '`' never appear in a line, yet the JSON decodes to them.
func TestShellSafe(t *testing.T) {
	name := "/r/$(touch pwned)`id`.yaml"
	line, err := Marshal(Record{File: name})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(line, "$`") {
		t.Fatalf("line has shell characters: %s", line)
	}
	var r Record
	if err := json.Unmarshal(line, &r); err != nil || r.File != name {
		t.Fatalf("decoded %q, %v", r.File, err)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "audit.jsonl")
	for i := 0; i < 2; i++ { // the second Open appends
		l, err := Open(p, Options{Sync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Log(Record{Op: fmt.Sprint("op", i)}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	if n := bytes.Count(b, []byte("\n")); n != 2 || !bytes.Contains(b, []byte(`"op0"`)) || !bytes.Contains(b, []byte(`"op1"`)) {
		t.Fatalf("log:\n%s", b)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.log")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.log")
	cases := map[string]string{
		"directory": dir,
		"missing":   filepath.Join(dir, "no", "such", "dir.log"),
		"url":       "postgres://hull:s3cretpw@db.example/audit?sslmode=disable&password=s3cretpw",
	}
	if runtime.GOOS != "windows" {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		cases["symlink"] = link
	}
	for name, p := range cases {
		l, err := Open(p, Options{})
		if err == nil {
			l.Close()
			t.Errorf("%s: Open(%q) succeeded", name, p)
			continue
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/hull.jsonl":                          "/var/log/hull.jsonl",
		"postgres://u:pw@host:5432/db?sslmode=require": "postgres://u:xxxxx@host:5432/db?xxxxx",
		"https://host/path":                            "https://host/path",
		"postgres://u@host/db":                         "postgres://u@host/db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// 20 goroutines × 100 lines, each goroutine with its own Logger on the same
// file (as separate processes would), plus one Logger shared by all: every
// line is whole, valid JSON, and none is lost.
func TestConcurrentAppend(t *testing.T) {
	p := filepath.Join(t.TempDir(), "audit.log")
	shared, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	const workers, lines = 20, 100
	pad := strings.Repeat("x", 2000) // long lines make a torn write visible
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*lines)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			own, err := Open(p, Options{})
			if err != nil {
				errs <- err
				return
			}
			defer own.Close()
			for i := 0; i < lines; i++ {
				l := own
				if i%2 == 1 {
					l = shared
				}
				if err := l.Log(Record{Op: fmt.Sprintf("w%d-%d", w, i), File: pad}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON (%v): %.80s…", len(seen)+1, err, sc.Text())
		}
		if r.File != pad || seen[r.Op] {
			t.Fatalf("torn or repeated line %q", r.Op)
		}
		seen[r.Op] = true
	}
	if len(seen) != workers*lines {
		t.Fatalf("%d lines, want %d", len(seen), workers*lines)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

type blockWriter struct{ release chan struct{} }

func (w blockWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// A sink that errors, one that blocks (then times out), and one that takes
// half a line: each is an error for the caller (SECURITY.md).
func TestSinkFailures(t *testing.T) {
	boom := errors.New("disk on fire")
	if err := New(errWriter{boom}, "e", Options{}).Log(Record{}); !errors.Is(err, boom) {
		t.Errorf("failing sink: %v", err)
	}
	if err := New(shortWriter{}, "s", Options{}).Log(Record{}); err == nil {
		t.Error("short write: no error")
	}
	bw := blockWriter{release: make(chan struct{})}
	l := New(bw, "b", Options{Timeout: 50 * time.Millisecond})
	start := time.Now()
	if err := l.Log(Record{}); !errors.Is(err, ErrTimeout) {
		t.Errorf("blocking sink: %v", err)
	}
	// The next write waits behind the hung one and times out too.
	if err := l.Log(Record{}); !errors.Is(err, ErrTimeout) {
		t.Errorf("second write on a blocked sink: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeouts took %v", d)
	}
	close(bw.release)
}
