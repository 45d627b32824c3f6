package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hullsecrets/hull/internal/tlstest"
)

// refSops is the reference sops installed by `make tools`, or "".
func refSops() string {
	p, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin", "sops"))
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o111 == 0 {
		return ""
	}
	return p
}

// setupKeyserviceScript sets $REFSOPS for the keyservice_*.txtar scripts.
func setupKeyserviceScript(e *testscript.Env) {
	e.Setenv("REFSOPS", refSops())
}

// scriptCondition: [refsops] is true when the reference sops is installed
// (.tools/bin/sops, `make tools`).
func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "refsops":
		return refSops() != "", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// wait-socket unix PATH | tcp ADDR: waits (up to 20s) until a server
// accepts connections there.
func cmdWaitSocket(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: wait-socket unix|tcp ADDRESS")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout(args[0], args[1], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on %s %s: %v", args[0], args[1], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// free-port VAR: sets VAR to 127.0.0.1:PORT, a port free a moment ago.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: free-port VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().String()
	l.Close()
	ts.Setenv(args[0], addr)
}

// tls-certs DIR: writes a CA, a server certificate for 127.0.0.1 and a
// client certificate it signed, and a client certificate of another CA
// (internal/tlstest) to DIR.
func cmdTLSCerts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tls-certs DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	ts.Check(tlstest.Write(dir))
}
