package bulk

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Progress draws "\rLABEL [=====>    ] 512/1000" on a terminal. It draws
// nothing unless on (the caller knows whether w is a terminal).
type Progress struct {
	w     io.Writer
	on    bool
	shown bool
	label string
}

// NewProgress returns a bar labelled label drawn on w when on.
func NewProgress(w io.Writer, label string, on bool) *Progress {
	return &Progress{w: w, on: on, label: label}
}

// TerminalProgress is a bar drawn on w when w is a terminal (a character
// device) and the terminal is not dumb (TERM=dumb).
func TerminalProgress(w io.Writer, label string, dumb bool) *Progress {
	on := false
	if f, ok := w.(*os.File); ok && !dumb {
		fi, err := f.Stat()
		on = err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return NewProgress(w, label, on)
}

// Clear removes the bar before other output is written.
func (p *Progress) Clear() {
	if p.on && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// Draw shows done of total, and clears the bar when all are done; it fits
// Hooks.Progress.
func (p *Progress) Draw(done, total int) {
	if !p.on || total == 0 {
		return
	}
	const width = 30
	n := done * width / total
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d", p.label, bar, done, total)
	p.shown = true
	if done == total {
		p.Clear()
	}
}
