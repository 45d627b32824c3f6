package conflict

import "testing"

func TestTextAndPickSide(t *testing.T) {
	a := "x: 1\nb: OURS\nc: 3\nmac: M1\n"
	b := "x: 1\nb: THEIRS\nc: 3\nmac: M2\n"
	got := string(Text([]byte(a), []byte(b)))
	want := "x: 1\n<<<<<<< ours\nb: OURS\n=======\nb: THEIRS\n>>>>>>> theirs\nc: 3\n<<<<<<< ours\nmac: M1\n=======\nmac: M2\n>>>>>>> theirs\n"
	if got != want {
		t.Fatalf("Text:\n%s", got)
	}
	for ours, side := range map[bool]string{true: a, false: b} {
		out, n, err := PickSide([]byte(got), ours)
		if err != nil || n != 2 || string(out) != side {
			t.Errorf("PickSide(ours=%v) = %q, %d, %v", ours, out, n, err)
		}
	}
	if _, _, err := PickSide([]byte("a\n=======\n"), true); err == nil {
		t.Error("PickSide accepted an unbalanced marker")
	}
	if Markers([]byte(got)) != 2 || Markers([]byte(a)) != 0 {
		t.Error("Markers")
	}
}
