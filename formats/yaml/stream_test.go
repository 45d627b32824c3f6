package yaml

import "testing"

func TestStream(t *testing.T) {
	got := string(Stream([][]byte{[]byte("a: 1\n---\nb: 2"), []byte("  \n"), []byte("c: 3\n")}))
	if want := "a: 1\n---\nb: 2\n---\nc: 3\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Stream(nil); len(got) != 0 {
		t.Errorf("empty: %q", got)
	}
}
