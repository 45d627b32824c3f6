//go:build unix

// Command benchrun runs one command once and prints its wall time and peak
// memory, for scripts/bench.sh (make bench):
//
//	benchrun -out FILE -err FILE -- [env NAME=VALUE...] CMD [ARG...]
//
// It prints "MICROSECONDS KIB": the time from starting CMD to its exit, and
// CMD's peak resident set (the kernel's ru_maxrss of the child). Standard
// input is /dev/null; standard output and error go to the files. When CMD
// fails, benchrun prints its standard error and exits 1.
//
// Why not the shell's clock or GNU time: bash runs a command by forking
// itself, and on a virtual machine where page faults are dear (a 2-core
// guest here) that fork costs about 6 ms, more than a third of a 10-value
// decrypt, and the same for every program measured, so it pulls every
// ratio towards 1. /usr/bin/time and env each add an exec. Go's os/exec
// starts the child with clone(CLONE_VFORK|CLONE_VM), which copies no page
// tables: what is timed is the command's own exec, start, work and exit,
// as `perf stat` and `hyperfine -N` time it. Everything else (opening the
// files, building the environment, finding CMD on PATH) happens before
// the clock starts.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"
)

var envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func main() {
	out := flag.String("out", os.DevNull, "file for the command's standard output")
	errPath := flag.String("err", os.DevNull, "file for the command's standard error")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchrun -out FILE -err FILE -- [env NAME=VALUE...] CMD [ARG...]")
	}
	flag.Parse()
	args := flag.Args()
	var env []string
	if len(args) > 0 && args[0] == "env" {
		args = args[1:]
		for len(args) > 0 && envAssign.MatchString(args[0]) {
			env = append(env, args[0])
			args = args[1:]
		}
	}
	if len(args) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	us, kib, err := run(args, env, *out, *errPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", strings.Join(args, " "), err)
		if b, rerr := os.ReadFile(*errPath); rerr == nil {
			os.Stderr.Write(b)
		}
		os.Exit(1)
	}
	fmt.Println(us, kib)
}

// run starts args with env added to benchrun's environment and returns the
// wall time in microseconds and the peak RSS in KiB.
func run(args, env []string, outPath, errPath string) (int64, int64, error) {
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return 0, 0, err
	}
	defer stdin.Close()
	stdout, err := os.Create(outPath)
	if err != nil {
		return 0, 0, err
	}
	defer stdout.Close()
	stderr, err := os.Create(errPath)
	if err != nil {
		return 0, 0, err
	}
	defer stderr.Close()

	cmd := exec.Command(args[0], args[1:]...)
	if cmd.Err != nil {
		return 0, 0, cmd.Err
	}
	cmd.Env = append(os.Environ(), env...)
	// Files, not writers: the child writes to them directly, with no
	// copying goroutine in benchrun during the measured time.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	err = cmd.Wait()
	elapsed := time.Since(t0)
	if err != nil {
		return 0, 0, err
	}
	var kib int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		kib = int64(ru.Maxrss) // KiB on Linux, bytes on macOS
		if runtime.GOOS == "darwin" {
			kib /= 1024
		}
	}
	return elapsed.Microseconds(), kib, nil
}
