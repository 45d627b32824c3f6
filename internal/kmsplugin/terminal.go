package kmsplugin

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode"

	"filippo.io/age/plugin"
	"golang.org/x/term"

	"github.com/hullsecrets/hull/keysources/age"
)

// terminalAge connects the key service's age identities to the controlling
// terminal (/dev/tty) of the server: a passphrase-protected identity asks
// for its passphrase on the first request that needs it, an age plugin for
// its PIN or a touch. Without a terminal such identities fail, saying so.
// One question at a time: requests are served concurrently.
func terminalAge() age.Options {
	var mu sync.Mutex
	with := func(f func(tty *os.File) error) error {
		mu.Lock()
		defer mu.Unlock()
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return errors.New("the key service has no terminal to ask on (/dev/tty cannot be opened)")
		}
		defer tty.Close()
		return f(tty)
	}
	who := func(name string) string {
		if name == "" {
			return "[KEYSERVICE] "
		}
		return "[KEYSERVICE] age-plugin-" + printable(name) + ": "
	}
	return age.Options{UI: &plugin.ClientUI{
		DisplayMessage: func(name, message string) error {
			return with(func(tty *os.File) error {
				_, err := fmt.Fprintf(tty, "%s%s\n", who(name), printable(message))
				return err
			})
		},
		RequestValue: func(name, prompt string, secret bool) (v string, err error) {
			err = with(func(tty *os.File) error {
				fmt.Fprintf(tty, "%s%s ", who(name), printable(prompt))
				if secret {
					b, err := term.ReadPassword(int(tty.Fd()))
					fmt.Fprintln(tty)
					v = string(b)
					return err
				}
				line, err := bufio.NewReader(tty).ReadString('\n')
				v = strings.TrimRight(line, "\r\n")
				return err
			})
			return v, err
		},
		Confirm: func(name, prompt, yes, no string) (choseYes bool, err error) {
			err = with(func(tty *os.File) error {
				fmt.Fprintf(tty, "%s%s (y for %q, n for %q) ", who(name), printable(prompt), printable(yes), printable(no))
				line, err := bufio.NewReader(tty).ReadString('\n')
				choseYes = strings.TrimSpace(line) == "y"
				return err
			})
			return choseYes, err
		},
		WaitTimer: func(name string) {
			with(func(tty *os.File) error {
				_, err := fmt.Fprintf(tty, "%swaiting on the plugin…\n", who(name))
				return err
			})
		},
	}}
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
