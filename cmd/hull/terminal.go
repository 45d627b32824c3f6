package main

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

	"github.com/hullsecrets/hull/keysources/age"
)

// errNoTerminal is the answer to a question hull cannot ask: there is no
// terminal, and hull reads passphrases and PINs from nowhere else (not
// from a file argument, not from the environment).
var errNoTerminal = errors.New("there is no terminal to ask on (standard input is not a terminal and /dev/tty cannot be opened); hull reads passphrases and PINs only from a terminal")

// ttyMu serialises questions: key groups are opened concurrently, and two
// prompts must not share the terminal. It also guards passphrases.
var ttyMu sync.Mutex

// passphrases keeps hull's own answers (passphrases of protected
// identities) by prompt, which names the file, for the rest of the process
// (one hull process is one run): a command on several files loads the
// identities once per file, and the user is asked once. Plugins' PINs are
// not kept: the plugin asks when it needs to.
var passphrases = map[string]string{}

// withTerminal runs f with the terminal: /dev/tty (the controlling
// terminal, even when standard input and output are redirected), else
// standard input when it is a terminal. Without one it returns
// errNoTerminal and asks nothing.
func (r *runner) withTerminal(f func(in *os.File, out io.Writer) error) error {
	ttyMu.Lock()
	defer ttyMu.Unlock()
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		return f(tty, tty)
	}
	if in, ok := r.stdin.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		return f(in, r.stderr)
	}
	return errNoTerminal
}

// printable replaces control characters (escape sequences a plugin or a
// file name could carry) before they reach the terminal.
func printable(s string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return '\uFFFD'
		}
		return c
	}, s)
}

// who names the asker in a prompt: an age plugin, or hull itself ("").
func who(name string) string {
	if name == "" {
		return ""
	}
	return "age-plugin-" + printable(name) + ": "
}

// ageOptions connect the age key source to the terminal: plugins' messages
// and questions, and the passphrases of protected identities.
func (r *runner) ageOptions() age.Options {
	ui := &plugin.ClientUI{
		// Messages ("touch your key") go to the terminal only: hull's
		// stderr stays empty on success, as sops's does.
		DisplayMessage: func(name, message string) error {
			r.withTerminal(func(_ *os.File, out io.Writer) error {
				_, err := fmt.Fprintf(out, "%s%s\n", who(name), printable(message))
				return err
			})
			return nil
		},
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			var v string
			err := r.withTerminal(func(in *os.File, out io.Writer) error {
				if p, ok := passphrases[prompt]; ok && name == "" {
					v = p
					return nil
				}
				fmt.Fprintf(out, "%s%s ", who(name), printable(prompt))
				if secret {
					b, err := readSecret(in)
					fmt.Fprintln(out)
					v = string(b)
					if err == nil && name == "" {
						passphrases[prompt] = v
					}
					return err
				}
				line, err := bufio.NewReader(in).ReadString('\n')
				v = strings.TrimRight(line, "\r\n")
				if err == io.EOF && line != "" {
					err = nil
				}
				return err
			})
			return v, err
		},
		Confirm: func(name, prompt, yes, no string) (bool, error) {
			var choseYes bool
			err := r.withTerminal(func(in *os.File, out io.Writer) error {
				br := bufio.NewReader(in)
				for range 3 {
					if no == "" {
						fmt.Fprintf(out, "%s%s (press enter for %q) ", who(name), printable(prompt), printable(yes))
					} else {
						fmt.Fprintf(out, "%s%s (type 1 for %q or 2 for %q) ", who(name), printable(prompt), printable(yes), printable(no))
					}
					line, err := br.ReadString('\n')
					if err != nil && line == "" {
						return err
					}
					switch a := strings.TrimSpace(line); {
					case no == "", a == "1":
						choseYes = true
						return nil
					case a == "2":
						return nil
					}
				}
				return errors.New("no valid answer")
			})
			return choseYes, err
		},
		WaitTimer: func(name string) {
			r.withTerminal(func(_ *os.File, out io.Writer) error {
				_, err := fmt.Fprintf(out, "waiting on age-plugin-%s…\n", printable(name))
				return err
			})
		},
	}
	return age.Options{UI: ui}
}

// readSecret reads a line without echo. Interrupted (Ctrl-C, a signal),
// it turns echo back on and then lets the signal end hull, so that the
// user's terminal is left as it was.
func readSecret(in *os.File) ([]byte, error) {
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
