package prompt

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
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
