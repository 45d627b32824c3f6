package prompt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPrintable(t *testing.T) {
	if got := Printable("a\x1b[2Jb\n"); got != "a\uFFFD[2Jb\uFFFD" {
		t.Errorf("Printable = %q", got)
	}
}

func TestConfirm(t *testing.T) {
	for _, tc := range []struct {
		in      string
		no      string
		want    bool
		wantErr bool
	}{
		{"1\n", "no", true, false},
		{"2\n", "no", false, false},
		{"x\ny\n2\n", "no", false, false},
		{"x\nx\nx\n", "no", false, true},
		{"\n", "", true, false},
		{"", "no", false, true},
	} {
		for _, prefix := range []string{"", "[KEYSERVICE] "} {
			var out bytes.Buffer
			got, err := Terminal{Prefix: prefix}.confirm(strings.NewReader(tc.in), &out, "yubikey\x1b", "Use it?", "yes", tc.no)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("confirm(%q) = %v, %v", tc.in, got, err)
			}
			if !strings.HasPrefix(out.String(), prefix+"age-plugin-yubikey\uFFFD: Use it?") && tc.in != "" {
				t.Errorf("prompt %q", out.String())
			}
		}
	}
}

func TestAskLine(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("123456")
	w.Close()
	var out bytes.Buffer
	v, err := Terminal{}.ask(r, &out, "p", "PIN?", false)
	if err != nil || v != "123456" || out.String() != "age-plugin-p: PIN? " {
		t.Errorf("ask = %q, %v, prompt %q", v, err, out.String())
	}
}

func TestNoTerminal(t *testing.T) {
	if _, err := os.Stat("/dev/tty"); err == nil {
		if f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
			f.Close()
			t.Skip("a controlling terminal is open")
		}
	}
	ui := Terminal{Stdin: strings.NewReader("x\n"), Stderr: &bytes.Buffer{}}.ClientUI()
	if _, err := ui.RequestValue("", "Passphrase?", true); err != ErrNoTerminal {
		t.Errorf("RequestValue without a terminal = %v", err)
	}
	// The key service asks on /dev/tty only, never on its standard input.
	_, err := Terminal{Prefix: "[KEYSERVICE] "}.ClientUI().Confirm("p", "Use it?", "yes", "no")
	if !errors.Is(err, ErrNoTerminal) || err.Error() != "there is no terminal to ask on (/dev/tty cannot be opened)" {
		t.Errorf("Confirm without /dev/tty = %v", err)
	}
	if IsTerminal(strings.NewReader("")) {
		t.Error("a strings.Reader is a terminal")
	}
}

// openPTY returns the master side of a new pseudo-terminal and the
// terminal itself.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestAskSecretKeep: a passphrase is read without echo; a Terminal with
// Keep asks for it once per process, one without (the key service) asks
// each time.
func TestAskSecretKeep(t *testing.T) {
	master, tty := openPTY(t)
	go func() {
		b := make([]byte, 256)
		for {
			if _, err := master.Read(b); err != nil {
				return
			}
		}
	}()
	prompt := fmt.Sprintf("Enter passphrase for identity '%s':", t.Name())
	for _, tc := range []struct {
		term  Terminal
		typed string
		want  string
	}{
		{Terminal{Prefix: "[KEYSERVICE] "}, "first", "first"},
		{Terminal{Prefix: "[KEYSERVICE] "}, "second", "second"}, // not kept
		{Terminal{Keep: true}, "third", "third"},
		{Terminal{Keep: true}, "", "third"}, // kept: nothing is asked
	} {
		if tc.typed != "" {
			master.Write([]byte(tc.typed + "\r"))
		}
		var out bytes.Buffer
		v, err := tc.term.ask(tty, &out, "", prompt, true)
		if err != nil || v != tc.want {
			t.Fatalf("ask = %q, %v; want %q", v, err, tc.want)
		}
		if asked := out.String() != ""; asked != (tc.typed != "") || asked && out.String() != tc.term.Prefix+prompt+" \n" {
			t.Errorf("prompt %q", out.String())
		}
	}
	delete(passphrases, prompt)
}
