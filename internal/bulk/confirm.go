package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/sopsenv"
)

// ErrNoAnswer is ConfirmUpdate's question left without an answer (the
// input ended): nothing is changed.
var ErrNoAnswer = errors.New("no file was changed: no answer (end of input); pass -y (--yes) to apply the changes without asking")

// ConfirmUpdate is the one question of 'updatekeys -r' for a whole tree.
// It finds the files whose keys differ from their creation rules' (Check
// without a key, the covered files only; sopsenv.WantKeys reads a rule's
// keys), and
// when there are any lists them on w and asks ask whether to update them.
// It returns their number and the answer (false when there are none); an
// error of ask is ErrNoAnswer.
func ConfirmUpdate(ctx context.Context, files []File, w io.Writer, ask func(question string) (bool, error)) (drifted int, ok bool, err error) {
	list := Drifted(Check(ctx, files, CheckOptions{File: hull.CheckOptions{NoDecrypt: true, WantKeys: sopsenv.WantKeys()}, CoveredOnly: true}))
	if len(list) == 0 {
		return 0, false, nil
	}
	fmt.Fprintf(w, "The keys of these files will change to those of their .sops.yaml creation rules:\n")
	for _, d := range list {
		fmt.Fprintf(w, "  %s\n", d)
	}
	if ok, err = ask(fmt.Sprintf("Update %d files?", len(list))); err != nil {
		return len(list), false, ErrNoAnswer
	}
	return len(list), ok, nil
}
