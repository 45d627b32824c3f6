package audit

import "testing"

func TestTracker(t *testing.T) {
	var tr Tracker
	a, b := new(int), new(int)
	if op := tr.Current(a, "decrypt"); op.Name != "decrypt" {
		t.Errorf("outside any operation: %q", op.Name)
	}
	outer := NewOp("edit", "f")
	leaveOuter := tr.Enter(a, outer)
	inner := NewOp("decrypt", "g")
	leaveInner := tr.Enter(a, inner)
	if tr.Current(a, "x") != inner {
		t.Error("the inner operation is not current")
	}
	if op := tr.Current(b, "x"); op == inner || op == outer {
		t.Error("another worker sees this worker's operation")
	}
	leaveInner()
	if tr.Current(a, "x") != outer {
		t.Error("leaving the inner operation did not put back the outer one")
	}
	leaveOuter()
	if op := tr.Current(a, "x"); op == outer || op.Name != "x" {
		t.Error("an operation outlived its leave")
	}
}
