//go:build unix

package execx

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func serveT(t *testing.T, content []byte, fifo bool) *Served {
	t.Helper()
	s, err := Serve(t.TempDir(), "f.yaml", content, ServeOptions{FIFO: fifo})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mode(t *testing.T, p string) (os.FileMode, bool) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm(), fi.Mode()&os.ModeNamedPipe != 0
}

func TestServeFIFO(t *testing.T) {
	s := serveT(t, []byte("secret\n"), true)
	if m, _ := mode(t, s.Dir); m != 0o700 {
		t.Errorf("directory mode %o", m)
	}
	if m, pipe := mode(t, s.Path); m != 0o600 || !pipe {
		t.Errorf("pipe mode %o, named pipe %v", m, pipe)
	}
	// every open gets exactly one copy, even when the reader keeps the
	// pipe open while we open it again
	for i := 0; i < 50; i++ {
		out, err := exec.Command("/bin/sh", "-c", `cat "$0" "$0"; exec 3<"$0"; cat <&3`, s.Path).Output()
		if err != nil || string(out) != "secret\nsecret\nsecret\n" {
			t.Fatalf("read %d: %q, %v", i, out, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

func TestServeFIFOLarge(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, more than a pipe holds
	s := serveT(t, content, true)
	out, err := exec.Command("/bin/sh", "-c", `cat "$0"; head -c 5 "$0"; cat "$0"`, s.Path).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, content...), content[:5]...), content...)
	if !bytes.Equal(out, want) {
		t.Errorf("read %d bytes, want %d", len(out), len(want))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// Close never blocks: not when nobody opened the pipe, and not when a
// reader holds it open without reading a content larger than a pipe.
func TestServeCloseDoesNotBlock(t *testing.T) {
	s := serveT(t, []byte("x"), true)
	closeQuickly(t, s)

	s = serveT(t, bytes.Repeat([]byte("x"), 1<<20), true)
	holder := exec.Command("/bin/sh", "-c", `exec 3<"$0"; echo opened; exec sleep 30`, s.Path)
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	buf := make([]byte, 7)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "opened\n" {
		t.Fatalf("holder: %q %v", buf, err)
	}
	closeQuickly(t, s)
	// after Close, a late open fails instead of waiting for a writer
	if _, err := os.Stat(s.Path); !os.IsNotExist(err) {
		t.Errorf("pipe still there: %v", err)
	}
}

func closeQuickly(t *testing.T, s *Served) {
	t.Helper()
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > closeWait/2 {
		t.Errorf("Close took %v", d)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

func TestServeFile(t *testing.T) {
	s := serveT(t, []byte("secret\n"), false)
	if m, pipe := mode(t, s.Path); m != 0o600 || pipe {
		t.Errorf("file mode %o, pipe %v", m, pipe)
	}
	data, err := os.ReadFile(s.Path)
	if err != nil || string(data) != "secret\n" {
		t.Fatalf("%q %v", data, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
}

func TestServeErrors(t *testing.T) {
	if _, err := Serve(t.TempDir(), "../x", nil, ServeOptions{FIFO: true}); err == nil {
		t.Error("Serve accepted ../x")
	}
	if _, err := Serve("/nonexistent/dir", "x", nil, ServeOptions{FIFO: true}); err == nil {
		t.Error("Serve accepted a missing base directory")
	}
	// the name the pipe is renewed under is not special
	s, err := Serve(t.TempDir(), ".hull-next", []byte("a"), ServeOptions{FIFO: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/bin/sh", "-c", `cat "$0" "$0"`, s.Path).Output()
	if err != nil || string(out) != "aa" {
		t.Errorf("%q %v", out, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRunStatus(t *testing.T) {
	for _, c := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 7", 7},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
	} {
		got, err := Run(Process{Path: "/bin/sh", Args: []string{"sh", "-c", c.script}}, nil)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.script, got, err, c.want)
		}
	}
	if _, err := Run(Process{Path: "/nonexistent", Args: []string{"x"}}, nil); err == nil {
		t.Error("Run of a missing program: no error")
	}
}

func TestRunEnvIsExact(t *testing.T) {
	var out bytes.Buffer
	code, err := Run(Process{Path: "/usr/bin/env", Args: []string{"env"}, Env: nil, Stdout: &out}, nil)
	if err != nil || code != 0 || out.Len() != 0 {
		t.Errorf("nil Env: %q %d %v (must be empty, not hull's)", out.String(), code, err)
	}
	out.Reset()
	Run(Process{Path: "/usr/bin/env", Args: []string{"env"}, Env: []string{"A=it's $x"}, Stdout: &out}, nil)
	if got := strings.TrimSpace(out.String()); got != "A=it's $x" {
		t.Errorf("env printed %q", got)
	}
}

func TestRunForwardsSignals(t *testing.T) {
	sigs := Catch()
	defer sigs.Stop()
	var out bytes.Buffer
	done := make(chan int, 1)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		code, _ := Run(Process{Path: "/bin/sh", Args: []string{"sh", "-c", `trap 'echo got USR1' USR1; trap 'echo got TERM; exit 9' TERM; echo ready >&2; while :; do sleep 0.05; done`}, Stdout: &out, Stderr: pw}, sigs)
		done <- code
	}()
	buf := make([]byte, 6)
	if _, err := pr.Read(buf); err != nil {
		t.Fatal(err)
	}
	self, _ := os.FindProcess(os.Getpid())
	self.Signal(syscall.SIGUSR1)
	time.Sleep(200 * time.Millisecond)
	self.Signal(syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 9 || out.String() != "got USR1\ngot TERM\n" {
			t.Errorf("status %d, output %q", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not get SIGTERM")
	}
}

func TestRunSignalBeforeStart(t *testing.T) {
	sigs := Catch()
	defer sigs.Stop()
	self, _ := os.FindProcess(os.Getpid())
	self.Signal(syscall.SIGHUP)
	time.Sleep(100 * time.Millisecond)
	code, err := Run(Process{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 0"}}, sigs)
	if err != nil || code != 128+int(syscall.SIGHUP) {
		t.Errorf("%d %v", code, err)
	}
}

// A process that opens the pipe as the child exits is never left waiting
// for a writer forever: it reads nothing, or cannot open the path.
func TestServeLateOpener(t *testing.T) {
	for i := 0; i < 20; i++ {
		s := serveT(t, []byte("x"), true)
		late := exec.Command("/bin/sh", "-c", `cat "$0" >/dev/null 2>&1; cat "$0" >/dev/null 2>&1; true`, s.Path)
		if err := late.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i) * 100 * time.Microsecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- late.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			late.Process.Kill()
			t.Fatalf("round %d: a late reader was left waiting", i)
		}
	}
}
