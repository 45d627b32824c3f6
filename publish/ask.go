package publish

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Ask asks on w whether to upload the file to t, in sops's words (abs is
// the file's absolute path), and reads the answer from answers until it is
// y or n. path is the file as the user named it, for errors. Ask reports
// true for y. For n it reports false when skip is set (publish
// --recursive skips the file, and Ask says so on w), else an error with
// sops's sentence. As sops (which reads the answer with fmt.Scanln), an
// empty answer or one of several words is an error with Scanln's
// sentence first; the end of input is an error too.
func Ask(w io.Writer, answers *bufio.Reader, abs, path string, t Target, skip bool) (bool, error) {
	for {
		fmt.Fprintf(w, "uploading %s to %s ? (y/n): ", abs, t)
		line, err := answers.ReadString('\n')
		switch a := strings.TrimSpace(line); {
		case a == "y":
			return true, nil
		case a == "n" && skip:
			fmt.Fprintf(w, "Publication of %s canceled\n", abs)
			return false, nil
		case a == "n":
			return false, fmt.Errorf("Publication of %s canceled", abs) // sops's sentence
		}
		if err != nil {
			fmt.Fprintln(w)
			return false, fmt.Errorf("%s: not published: no answer (end of input); pass --yes to upload without asking", path)
		}
		switch words := len(strings.Fields(line)); {
		case words == 0:
			return false, fmt.Errorf("unexpected newline: %s: not published: empty answer (want y or n)", path)
		case words > 1:
			return false, fmt.Errorf("expected newline: %s: not published: answer y or n, one word", path)
		}
	}
}
