package sopsenv

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestYesNo(t *testing.T) {
	for _, c := range []struct {
		in, printed string
		ok          bool
		err         error
	}{
		{"y\n", "Ok? (y/n):", true, nil},
		{" YES \n", "Ok? (y/n):", true, nil},
		{"maybe\nno\n", "Ok? (y/n):Ok? (y/n):", false, nil},
		{"n", "Ok? (y/n):", false, nil},
		{"maybe", "Ok? (y/n):\n", false, io.EOF},
		{"", "Ok? (y/n):\n", false, io.EOF},
	} {
		var w strings.Builder
		ok, err := YesNo(&w, "Ok?", bufio.NewReader(strings.NewReader(c.in)))
		if ok != c.ok || err != c.err || w.String() != c.printed {
			t.Errorf("%q: %v, %v, printed %q", c.in, ok, err, w.String())
		}
	}
}
