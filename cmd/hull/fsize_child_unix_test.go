//go:build unix

package main

import (
	"os"
	"strconv"
	"syscall"
)

// fsizeChildEnv makes the test binary run hull with RLIMIT_FSIZE lowered
// instead of running the tests (tamper_test.go, row 48: a full disk).
const fsizeChildEnv = "HULL_TEST_CHILD_FSIZE"

// fsizeChildHook runs first in TestMain; it returns only when the variable
// is not set.
func fsizeChildHook() {
	v := os.Getenv(fsizeChildEnv)
	if v == "" {
		return
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		os.Exit(99)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		os.Exit(99)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		os.Exit(99)
	}
	os.Exit(Main(append([]string{"hull"}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr, os.LookupEnv))
}
