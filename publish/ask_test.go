package publish

import (
	"bufio"
	"strings"
	"testing"
)

func TestAsk(t *testing.T) {
	target := Target{Kind: S3, Bucket: "b", Key: "f.yaml"}
	for _, c := range []struct {
		in      string
		skip    bool
		ok      bool
		err     string // a part of the error, "" for none
		printed string // what follows the first question on w
	}{
		{in: "y\n", ok: true},
		{in: "maybe\ny\n", ok: true, printed: "uploading /d/f.yaml to " + target.String() + " ? (y/n): "},
		{in: "n\n", skip: true, printed: "Publication of /d/f.yaml canceled\n"},
		{in: "n\n", err: "Publication of /d/f.yaml canceled"},
		{in: "", err: "no answer (end of input)", printed: "\n"},
		{in: "\n", err: "unexpected newline: f.yaml: not published: empty answer"},
		{in: "y n\n", err: "expected newline: f.yaml: not published: answer y or n, one word"},
	} {
		var w strings.Builder
		ok, err := Ask(&w, bufio.NewReader(strings.NewReader(c.in)), "/d/f.yaml", "f.yaml", target, c.skip)
		if ok != c.ok || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q skip=%v: %v, %v", c.in, c.skip, ok, err)
		}
		question := "uploading /d/f.yaml to " + target.String() + " ? (y/n): "
		if got := w.String(); got != question+c.printed {
			t.Errorf("%q: printed %q", c.in, got)
		}
	}
}
