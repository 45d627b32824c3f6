//go:build linux

package localkeys

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/ptytest"
)

// GPG_TTY is the first of the given files that is a terminal, found when
// gpg is run (MoreEnv), not when the options are made; an explicit
// GPG_TTY wins, and no terminal adds nothing.
func TestPGPOptionsGPGTTY(t *testing.T) {
	_, tty := ptytest.Open(t)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	none := func(string) (string, bool) { return "", false }

	o := PGPOptions(none, devnull, tty)
	if o.MoreEnv == nil {
		t.Fatal("no MoreEnv with a terminal among the files")
	}
	env := o.MoreEnv()
	if len(env) != 1 || !strings.HasPrefix(env[0], "GPG_TTY=/dev/") {
		t.Fatalf("MoreEnv() = %q, want GPG_TTY=/dev/… of the terminal", env)
	}
	if name, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(tty.Fd()))); env[0] != "GPG_TTY="+name {
		t.Errorf("MoreEnv() = %q, want GPG_TTY=%s", env, name)
	}

	if env := PGPOptions(none, devnull).MoreEnv(); len(env) != 0 {
		t.Errorf("no terminal: MoreEnv() = %q, want nothing", env)
	}
	set := func(k string) (string, bool) { return map[string]string{"GPG_TTY": "/dev/pts/9"}[k], k == "GPG_TTY" }
	if o := PGPOptions(set, tty); o.MoreEnv != nil {
		t.Errorf("GPG_TTY set: MoreEnv is set, want gpg to inherit the variable")
	}
}
