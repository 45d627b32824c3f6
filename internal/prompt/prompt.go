// Package prompt asks the user questions on the terminal: the passphrases
// of protected age identities, and age plugins' messages, PINs and
// confirmations ([Terminal.ClientUI]). hull and the key service server
// (hull-kms keyservice) both ask through it. It asks only on a terminal
// (the controlling terminal /dev/tty, else standard input when it is one
// and the caller allows it), never reads an answer from a pipe, a file or
// the environment, and replaces control characters in what plugins and
// file names print.
package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"unicode"

	"filippo.io/age/plugin"
	"golang.org/x/term"
)

// ErrNoTerminal is the answer to a question that cannot be asked: there is
// no terminal, and passphrases and PINs are read from nowhere else.
var ErrNoTerminal = errors.New("there is no terminal to ask on (standard input is not a terminal and /dev/tty cannot be opened); hull reads passphrases and PINs only from a terminal")

// mu serialises questions: key groups are opened concurrently, the key
// service serves requests concurrently, and two prompts must not share the
// terminal. It also guards passphrases.
var mu sync.Mutex

// passphrases keeps the answers to the asker's own questions (passphrases
// of protected identities) by prompt, which names the file, for the rest
// of the process, for a Terminal with Keep (hull: one process is one run).
// Plugins' PINs are not kept: the plugin asks when it needs to.
var passphrases = map[string]string{}

// IsTerminal reports whether r is a terminal, where a person can answer
// (not /dev/null, a pipe or a file).
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// errNoTTY is ErrNoTerminal for a Terminal without Stdin.
var errNoTTY = noTerminal("there is no terminal to ask on (/dev/tty cannot be opened)")

type noTerminal string

func (e noTerminal) Error() string        { return string(e) }
func (e noTerminal) Is(target error) bool { return target == ErrNoTerminal }

// Terminal is where questions are asked, and how.
type Terminal struct {
	// Questions are asked on the controlling terminal, /dev/tty; without
	// one, on Stderr with the answers read from Stdin if Stdin is a
	// terminal. A nil Stdin asks on /dev/tty only (the key service, whose
	// standard input answers its --prompt).
	Stdin  io.Reader
	Stderr io.Writer
	// Prefix starts every line shown ("[KEYSERVICE] "), before the name of
	// the plugin that asks.
	Prefix string
	// Keep keeps the passphrases of protected identities for the rest of
	// the process, so that a run that loads its identities once per file
	// asks once. The key service leaves it off: it loads its identities
	// once, and an identity it opened stays open.
	Keep bool
}

// with runs f with the terminal. Without one it returns an error that is
// ErrNoTerminal and asks nothing.
func (t Terminal) with(f func(in *os.File, out io.Writer) error) error {
	mu.Lock()
	defer mu.Unlock()
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		return f(tty, tty)
	}
	if t.Stdin == nil {
		return errNoTTY
	}
	if in, ok := t.Stdin.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		return f(in, t.Stderr)
	}
	return ErrNoTerminal
}

// Printable replaces control characters (escape sequences a plugin or a
// file name could carry) before they reach the terminal.
func Printable(s string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return '\uFFFD'
		}
		return c
	}, s)
}

// who starts a line: the prefix and the asker, an age plugin or hull
// itself ("").
func (t Terminal) who(name string) string {
	if name == "" {
		return t.Prefix
	}
	return t.Prefix + "age-plugin-" + Printable(name) + ": "
}

// ClientUI connects age plugins and protected identities to the terminal.
// Messages ("touch your key") go to the terminal only, so that standard
// error stays empty on success.
func (t Terminal) ClientUI() *plugin.ClientUI {
	return &plugin.ClientUI{
		DisplayMessage: func(name, message string) error {
			t.with(func(_ *os.File, out io.Writer) error {
				_, err := fmt.Fprintf(out, "%s%s\n", t.who(name), Printable(message))
				return err
			})
			return nil
		},
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			var v string
			err := t.with(func(in *os.File, out io.Writer) (err error) {
				v, err = t.ask(in, out, name, prompt, secret)
				return err
			})
			return v, err
		},
		Confirm: func(name, prompt, yes, no string) (bool, error) {
			var choseYes bool
			err := t.with(func(in *os.File, out io.Writer) (err error) {
				choseYes, err = t.confirm(in, out, name, prompt, yes, no)
				return err
			})
			return choseYes, err
		},
		WaitTimer: func(name string) {
			t.with(func(_ *os.File, out io.Writer) error {
				_, err := fmt.Fprintf(out, "%swaiting on age-plugin-%s…\n", t.Prefix, Printable(name))
				return err
			})
		},
	}
}

// ask asks for a value; a secret one is read without echo, and with Keep
// the asker's own secrets (name "") are kept for the process.
func (t Terminal) ask(in *os.File, out io.Writer, name, prompt string, secret bool) (string, error) {
	keep := t.Keep && name == "" && secret
	if p, ok := passphrases[prompt]; ok && keep {
		return p, nil
	}
	fmt.Fprintf(out, "%s%s ", t.who(name), Printable(prompt))
	if secret {
		b, err := ReadSecret(in)
		fmt.Fprintln(out)
		if err == nil && keep {
			passphrases[prompt] = string(b)
		}
		return string(b), err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}

// confirm asks a yes/no question (or, when no is "", for enter), up to
// three times.
func (t Terminal) confirm(in io.Reader, out io.Writer, name, prompt, yes, no string) (bool, error) {
	br := bufio.NewReader(in)
	for range 3 {
		if no == "" {
			fmt.Fprintf(out, "%s%s (press enter for %q) ", t.who(name), Printable(prompt), Printable(yes))
		} else {
			fmt.Fprintf(out, "%s%s (type 1 for %q or 2 for %q) ", t.who(name), Printable(prompt), Printable(yes), Printable(no))
		}
		line, err := br.ReadString('\n')
		if err != nil && line == "" {
			return false, err
		}
		switch a := strings.TrimSpace(line); {
		case no == "", a == "1":
			return true, nil
		case a == "2":
			return false, nil
		}
	}
	return false, errors.New("no valid answer")
}

// ReadSecret reads a line from the terminal in without echo. Interrupted
// (Ctrl-C, a signal), it turns echo back on and then lets the signal end
// the process, so that the user's terminal is left as it was.
func ReadSecret(in *os.File) ([]byte, error) {
	fd := int(in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return term.ReadPassword(fd)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done, finished := make(chan struct{}), make(chan struct{})
	die := func(sig os.Signal) {
		term.Restore(fd, state)
		in.Write([]byte("\n"))
		signal.Reset(sig)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Signal(sig)
		}
		select {} // the signal ends the process; the reader waits for it
	}
	go func() {
		defer close(finished)
		select {
		case sig := <-sigs:
			die(sig)
		case <-done:
			select {
			case sig := <-sigs:
				die(sig)
			default:
			}
		}
	}()
	b, err := term.ReadPassword(fd)
	signal.Stop(sigs)
	close(done)
	<-finished
	return b, err
}
