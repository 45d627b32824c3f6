// Package localkms starts the KMS emulator github.com/nsmithuk/local-kms
// for tests: a real AWS KMS wire protocol on loopback, with seeded keys.
//
// The emulator is a separate program, installed at a pinned version by
// "make tools" into .tools/bin. Start finds it through HULL_LOCAL_KMS (the
// Makefile exports it) or .tools/bin/local-kms under the module root. When
// it is missing the test fails if CI is set, and is skipped otherwise with
// a hint to run "make tools": CI never skips silently.
package localkms

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Seeded keys: AES keys in account 111122223333, region eu-west-2.
const (
	Region    = "eu-west-2"
	Account   = "111122223333"
	KeyID     = "bc436485-5092-42b8-92a3-0aa8b93536dc"
	Key2ID    = "49c5492b-b1bc-42a8-9a5c-b2015e810c1c"
	AliasName = "alias/hull-test"
)

// ARN returns the ARN of a key ID or alias name in the emulator.
func ARN(id string) string {
	if strings.HasPrefix(id, "alias/") {
		return "arn:aws:kms:" + Region + ":" + Account + ":" + id
	}
	return "arn:aws:kms:" + Region + ":" + Account + ":key/" + id
}

// Static test credentials: the emulator accepts any.
const (
	AccessKeyID     = "AKIAHULLTESTKEY00001"
	SecretAccessKey = "hull-test-secret-DO-NOT-SHOW-0123456789abc"
)

const seed = `Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: ` + KeyID + `
        BackingKeys:
          - 34743777217A25432A46294A404E635266556A586E3272357538782F413F4428
      - Metadata:
          KeyId: ` + Key2ID + `
        BackingKeys:
          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9
Aliases:
  - AliasName: ` + AliasName + `
    TargetKeyId: ` + KeyID + `
`

// Binary returns the emulator's path, or "" when it is not installed.
func Binary() string {
	if p := os.Getenv("HULL_LOCAL_KMS"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".tools", "bin", "local-kms")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Start starts the emulator on a free port with the seeded keys and
// returns its endpoint URL (http://127.0.0.1:<port>). It is stopped when
// the test ends.
func Start(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "local-kms is not installed: run make tools (or set HULL_LOCAL_KMS)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	seedPath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"PORT=0", // the emulator reports the port it bound
		"KMS_REGION="+Region, "KMS_ACCOUNT_ID="+Account,
		"KMS_SEED_PATH="+seedPath, "KMS_DATA_PATH="+filepath.Join(dir, "data"))
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting local-kms: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	portc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`started on [0-9.]*:(\d+)`)
		sc := bufio.NewScanner(out)
		var log strings.Builder
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				portc <- m[1]
				io.Copy(io.Discard, out)
				return
			}
		}
		t.Logf("local-kms output:\n%s", log.String())
		close(portc)
	}()
	var port string
	select {
	case p, ok := <-portc:
		if !ok {
			t.Fatal("local-kms exited before it was ready")
		}
		port = p
	case <-time.After(20 * time.Second):
		t.Fatal("local-kms did not start within 20s")
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local-kms does not accept connections on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Sprintf("http://%s", addr)
}
