// Package conflict writes and resolves git conflict blocks in text: the
// conflicted file 'hull merge' leaves when both sides changed a value, and
// 'hull merge --resolve'. It knows nothing of encryption.
package conflict

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Conflict markers, as git writes them.
const (
	MarkerOurs   = "<<<<<<< ours"
	MarkerSep    = "======="
	MarkerTheirs = ">>>>>>> theirs"
)

// Text writes a with git conflict markers around each run of lines
// where it differs from b, b's lines after the separator. a and b are the
// same file sealed with our and their version at each conflict, so they
// differ only there (and in the MAC lines).
func Text(a, b []byte) []byte {
	la, lb := SplitLines(a), SplitLines(b)
	ops := lineDiff(la, lb)
	var out bytes.Buffer
	i, j := 0, 0
	line := func(s string) {
		out.WriteString(s)
		if !strings.HasSuffix(s, "\n") {
			out.WriteByte('\n')
		}
	}
	for k := 0; k < len(ops); {
		if ops[k] == opEqual {
			out.WriteString(la[i])
			i, j, k = i+1, j+1, k+1
			continue
		}
		var dels, ins []string
		for ; k < len(ops) && ops[k] != opEqual; k++ {
			if ops[k] == opDelete {
				dels = append(dels, la[i])
				i++
			} else {
				ins = append(ins, lb[j])
				j++
			}
		}
		line(MarkerOurs)
		for _, s := range dels {
			line(s)
		}
		line(MarkerSep)
		for _, s := range ins {
			line(s)
		}
		line(MarkerTheirs)
	}
	return out.Bytes()
}

func SplitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}

type diffOp uint8

const (
	opEqual diffOp = iota
	opDelete
	opInsert
)

// maxDiffCells bounds the memory of lineDiff's trace; beyond it the whole
// differing middle becomes one conflict.
const maxDiffCells = 20_000_000

// lineDiff returns a shortest edit script from a to b (Myers), as one op
// per line: equal lines advance both, deletions a, insertions b.
func lineDiff(a, b []string) []diffOp {
	// Common prefix and suffix first: the conflicts are usually few.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var ops []diffOp
	for k := 0; k < pre; k++ {
		ops = append(ops, opEqual)
	}
	ops = append(ops, myers(ma, mb)...)
	for k := 0; k < suf; k++ {
		ops = append(ops, opEqual)
	}
	return ops
}

func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	whole := func() []diffOp {
		var ops []diffOp
		for k := 0; k < n; k++ {
			ops = append(ops, opDelete)
		}
		for k := 0; k < m; k++ {
			ops = append(ops, opInsert)
		}
		return ops
	}
	if n == 0 || m == 0 {
		return whole()
	}
	max := n + m
	off := max
	v := make([]int, 2*max+2)
	var trace [][]int
	found := false
	for d := 0; d <= max && !found; d++ {
		if (d+1)*len(v) > maxDiffCells {
			return whole()
		}
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
		trace = append(trace, append([]int(nil), v...))
	}
	// Walk back from (n, m), collecting ops in reverse.
	var rev []diffOp
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		pv := trace[d-1]
		k := x - y
		var pk int
		if k == -d || (k != d && pv[off+k-1] < pv[off+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := pv[off+pk]
		py := px - pk
		for x > px && y > py {
			rev = append(rev, opEqual)
			x, y = x-1, y-1
		}
		if pk == k+1 {
			rev = append(rev, opInsert)
		} else {
			rev = append(rev, opDelete)
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		rev = append(rev, opEqual)
		x, y = x-1, y-1
	}
	ops := make([]diffOp, len(rev))
	for i := range rev {
		ops[i] = rev[len(rev)-1-i]
	}
	return ops
}

// PickSide keeps one side of every conflict block and returns the number
// of blocks.
func PickSide(data []byte, ours bool) ([]byte, int, error) {
	var out bytes.Buffer
	const (
		outside = iota
		inOurs
		inTheirs
	)
	state, blocks := outside, 0
	for i, l := range SplitLines(data) {
		t := strings.TrimRight(l, "\r\n")
		switch {
		case state == outside && (t == "<<<<<<<" || strings.HasPrefix(t, "<<<<<<< ")):
			state = inOurs
			blocks++
		case state == inOurs && t == MarkerSep:
			state = inTheirs
		case state == inTheirs && (t == ">>>>>>>" || strings.HasPrefix(t, ">>>>>>> ")):
			state = outside
		case state == outside && (t == MarkerSep || strings.HasPrefix(t, ">>>>>>>")),
			state != outside && strings.HasPrefix(t, "<<<<<<<"):
			return nil, 0, fmt.Errorf("unbalanced conflict marker at line %d", i+1)
		case state == outside, state == inOurs && ours, state == inTheirs && !ours:
			out.WriteString(l)
		}
	}
	if state != outside {
		return nil, 0, errors.New("unterminated conflict block at the end of the file")
	}
	return out.Bytes(), blocks, nil
}

// Markers returns the line of the first git conflict marker in
// data, or 0 when there is none. (For decrypt's error on a file left
// conflicted by 'hull merge'.)
func Markers(data []byte) int {
	for i, l := range SplitLines(data) {
		t := strings.TrimRight(l, "\r\n")
		if t == "<<<<<<<" || strings.HasPrefix(t, "<<<<<<< ") {
			return i + 1
		}
	}
	return 0
}
