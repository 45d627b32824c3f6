package shamir

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
)

func TestFieldArithmetic(t *testing.T) {
	// Vectors from FIPS-197 §4.2 and §5.1.1 (the AES field).
	for _, v := range []struct{ a, b, want uint8 }{
		{0x57, 0x83, 0xc1},
		{0x57, 0x13, 0xfe},
		{0x80, 0x02, 0x1b},
		{0x00, 0xff, 0x00},
		{0x01, 0xab, 0xab},
	} {
		if got := mul(v.a, v.b); got != v.want {
			t.Errorf("mul(%#x, %#x) = %#x, want %#x", v.a, v.b, got, v.want)
		}
		if got := mul(v.b, v.a); got != v.want {
			t.Errorf("mul(%#x, %#x) = %#x, want %#x", v.b, v.a, got, v.want)
		}
	}
	if got := inv(0x53); got != 0xca {
		t.Errorf("inv(0x53) = %#x, want 0xca", got)
	}
	if got := inv(0); got != 0 {
		t.Errorf("inv(0) = %#x, want 0", got)
	}
	for a := 1; a < 256; a++ {
		if got := mul(uint8(a), inv(uint8(a))); got != 1 {
			t.Fatalf("a·inv(a) = %#x for a = %#x", got, a)
		}
	}
}

// TestSplitVector checks shares computed by hand for fixed polynomials.
func TestSplitVector(t *testing.T) {
	for _, v := range []struct {
		name      string
		secret    []byte
		rand      []byte // coefficients, threshold-1 per secret byte
		threshold int
		want      [][]byte
	}{
		{
			// f(x) = 0x42 + 3x: f(1) = 0x41, f(2) = 0x42^6 = 0x44,
			// f(3) = 0x42 ^ (3·3 = x²+1 = 5) = 0x47.
			name: "degree 1", secret: []byte{0x42}, rand: []byte{0x03}, threshold: 2,
			want: [][]byte{{0x41, 1}, {0x44, 2}, {0x47, 3}},
		},
		{
			// f(x) = 0x80x: f(2) = 0x100 mod 0x11B = 0x1b, f(3) = 0x80^0x1b.
			name: "reduction", secret: []byte{0x00}, rand: []byte{0x80}, threshold: 2,
			want: [][]byte{{0x80, 1}, {0x1b, 2}, {0x9b, 3}},
		},
		{
			// f(x) = 0x42 + 3x + 2x²: f(1) = 0x42^3^2 = 0x43,
			// f(2) = 0x42^6^8 = 0x4c, f(3) = 0x42^5^(2·5 = 0xa) = 0x4d.
			name: "degree 2", secret: []byte{0x42}, rand: []byte{0x03, 0x02}, threshold: 3,
			want: [][]byte{{0x43, 1}, {0x4c, 2}, {0x4d, 3}},
		},
		{
			// Two secret bytes read their coefficients in order.
			name: "two bytes", secret: []byte{0x42, 0x00}, rand: []byte{0x03, 0x80}, threshold: 2,
			want: [][]byte{{0x41, 0x80, 1}, {0x44, 0x1b, 2}, {0x47, 0x9b, 3}},
		},
	} {
		t.Run(v.name, func(t *testing.T) {
			got, err := SplitFrom(bytes.NewReader(v.rand), v.secret, 3, v.threshold)
			if err != nil {
				t.Fatal(err)
			}
			for i := range v.want {
				if !bytes.Equal(got[i], v.want[i]) {
					t.Errorf("part %d = %x, want %x", i, got[i], v.want[i])
				}
			}
			s, err := Combine(got[:v.threshold])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s, v.secret) {
				t.Errorf("combined %x, want %x", s, v.secret)
			}
		})
	}
}

func TestSplitShortRandom(t *testing.T) {
	_, err := SplitFrom(bytes.NewReader([]byte{1}), []byte{1, 2}, 3, 2)
	if err == nil {
		t.Fatal("split with exhausted randomness succeeded")
	}
}

// subsets calls f with every subset of {0..n-1} of size k or more.
func subsets(n, k int, f func([]int)) {
	for m := 0; m < 1<<n; m++ {
		var s []int
		for i := 0; i < n; i++ {
			if m&(1<<i) != 0 {
				s = append(s, i)
			}
		}
		if len(s) >= k {
			f(s)
		}
	}
}

func TestSplitCombineSubsets(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	for n := 2; n <= 6; n++ {
		for k := 2; k <= n; k++ {
			parts, err := Split(secret, n, k)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range parts {
				if len(p) != 33 || p[32] != uint8(i+1) {
					t.Fatalf("%d-of-%d: part %d has length %d and x %d", k, n, i, len(p), p[len(p)-1])
				}
			}
			subsets(n, k, func(idx []int) {
				var ps [][]byte
				for _, i := range idx {
					ps = append(ps, parts[i])
				}
				got, err := Combine(ps)
				if err != nil {
					t.Fatalf("%d-of-%d %v: %v", k, n, idx, err)
				}
				if !bytes.Equal(got, secret) {
					t.Fatalf("%d-of-%d %v: wrong secret", k, n, idx)
				}
				// Order does not matter.
				for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
					ps[i], ps[j] = ps[j], ps[i]
				}
				if got, _ := Combine(ps); !bytes.Equal(got, secret) {
					t.Fatalf("%d-of-%d %v reversed: wrong secret", k, n, idx)
				}
			})
			if k > 2 {
				// Fewer than threshold parts give a wrong secret.
				got, err := Combine(parts[:k-1])
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(got, secret) {
					t.Fatalf("%d-of-%d: %d parts recovered the secret", k, n, k-1)
				}
			}
		}
	}
}

func TestSplitErrors(t *testing.T) {
	for _, v := range []struct {
		secret           []byte
		parts, threshold int
		want             string
	}{
		{[]byte{1}, 2, 3, "fewer than the threshold"},
		{[]byte{1}, 256, 2, "exceed 255"},
		{[]byte{1}, 3, 1, "at least 2"},
		{nil, 3, 2, "empty secret"},
	} {
		_, err := Split(v.secret, v.parts, v.threshold)
		if err == nil || !strings.Contains(err.Error(), v.want) {
			t.Errorf("Split(%d, %d, %d) = %v, want error containing %q", len(v.secret), v.parts, v.threshold, err, v.want)
		}
	}
	if _, err := Split([]byte{1}, 255, 255); err != nil {
		t.Errorf("Split with 255 parts: %v", err)
	}
}

func TestCombineErrors(t *testing.T) {
	parts, err := Split([]byte("secret"), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		name  string
		parts [][]byte
		want  string
	}{
		{"one part", parts[:1], "at least two"},
		{"none", nil, "at least two"},
		{"duplicate", [][]byte{parts[0], parts[1], parts[0]}, "duplicate"},
		{"lengths", [][]byte{parts[0], parts[1][1:]}, "different lengths"},
		{"too short", [][]byte{{1}, {2}}, "two bytes"},
		{"x zero", [][]byte{{1, 0}, {2, 1}}, "x coordinate 0"},
	} {
		got, err := Combine(v.parts)
		if err == nil || !strings.Contains(err.Error(), v.want) || got != nil {
			t.Errorf("%s: Combine = %x, %v; want error containing %q", v.name, got, err, v.want)
		}
	}
}

func FuzzSplitCombine(f *testing.F) {
	f.Add([]byte("x"), uint8(2), uint8(2), []byte{0})
	f.Add(bytes.Repeat([]byte{0xff}, 32), uint8(3), uint8(2), []byte{1, 2, 3})
	f.Add(make([]byte, 32), uint8(5), uint8(5), []byte("seed"))
	f.Fuzz(func(t *testing.T, secret []byte, n, k uint8, seed []byte) {
		if len(secret) == 0 || len(secret) > 256 || n > 16 {
			return
		}
		// Deterministic coefficients from the seed.
		rnd := bytes.Repeat(append(seed, 0x5a), 1+len(secret)*int(k)/(len(seed)+1))
		parts, err := SplitFrom(bytes.NewReader(rnd), secret, int(n), int(k))
		if k < 2 || n < k {
			if err == nil {
				t.Fatalf("Split(n=%d, k=%d) succeeded", n, k)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := Combine(parts[len(parts)-int(k):])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, secret) {
			t.Fatalf("round trip: got %x, want %x", got, secret)
		}
	})
}
