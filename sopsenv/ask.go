package sopsenv

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// YesNo asks question on w as sops asks before it changes keys
// ("QUESTION (y/n):") and reads the answer from answers until it is y,
// yes, n or no, in any case; at the end of input it gives up (io.EOF)
// instead of waiting. Like sops it reads answers from any reader, not only
// a terminal ("echo y | hull updatekeys f").
func YesNo(w io.Writer, question string, answers *bufio.Reader) (bool, error) {
	for {
		fmt.Fprintf(w, "%s (y/n):", question)
		line, err := answers.ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		if err != nil {
			fmt.Fprintln(w)
			return false, io.EOF
		}
	}
}
