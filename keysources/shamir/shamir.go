// Package shamir splits a secret into parts with Shamir's secret sharing and
// combines them again, bit-compatible with the fork of HashiCorp Vault's
// shamir package that sops uses (FORMAT.md §6.3).
//
// # Format
//
// Arithmetic is in GF(2^8) with the AES reduction polynomial
// x^8+x^4+x^3+x+1 (0x11B). Every byte of the secret is the constant term of
// its own random polynomial of degree threshold-1. Part i (0-based) holds the
// evaluations of all polynomials at x = i+1, followed by one byte x = i+1, so
// a 32-byte data key gives 33-byte parts.
//
// Multiplication is constant time (no tables, no secret-dependent branches).
package shamir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// mul multiplies in GF(2^8) modulo 0x11B, in constant time.
func mul(a, b uint8) uint8 {
	var r uint8
	for i := 7; i >= 0; i-- {
		// r = r*x (reduced) + bit i of b times a
		r = (-(r >> 7) & 0x1B) ^ (r << 1) ^ (-(b >> uint(i) & 1) & a)
	}
	return r
}

// inv returns a^254, the multiplicative inverse of a (and 0 for 0).
func inv(a uint8) uint8 {
	// a^254 = a^(2+4+8+16+32+64+128)
	r := uint8(1)
	p := a
	for i := 0; i < 7; i++ {
		p = mul(p, p) // a^(2^(i+1))
		r = mul(r, p)
	}
	return r
}

// eval evaluates the polynomial with coefficients c (constant term first)
// at x with Horner's rule.
func eval(c []uint8, x uint8) uint8 {
	var out uint8
	for i := len(c) - 1; i >= 0; i-- {
		out = mul(out, x) ^ c[i]
	}
	return out
}

// Split divides secret into parts shares, any threshold of which recover it.
// It needs 2 ≤ threshold ≤ parts ≤ 255 and a non-empty secret. The random
// coefficients come from crypto/rand.
func Split(secret []byte, parts, threshold int) ([][]byte, error) {
	return SplitFrom(rand.Reader, secret, parts, threshold)
}

// SplitFrom is Split with the random coefficients read from rand: for each
// secret byte in order, threshold-1 bytes (the coefficients of x, x², …), as
// Vault does. Use it only for deterministic tests; real files need
// crypto/rand.
func SplitFrom(rand io.Reader, secret []byte, parts, threshold int) ([][]byte, error) {
	switch {
	case parts < threshold:
		return nil, fmt.Errorf("shamir: parts (%d) cannot be fewer than the threshold (%d)", parts, threshold)
	case parts > 255:
		return nil, fmt.Errorf("shamir: parts (%d) cannot exceed 255", parts)
	case threshold < 2:
		return nil, fmt.Errorf("shamir: threshold (%d) must be at least 2", threshold)
	case len(secret) == 0:
		return nil, errors.New("shamir: cannot split an empty secret")
	}
	out := make([][]byte, parts)
	for i := range out {
		out[i] = make([]byte, len(secret)+1)
		out[i][len(secret)] = uint8(i + 1)
	}
	coef := make([]uint8, threshold)
	defer clear(coef)
	for j, b := range secret {
		coef[0] = b
		if _, err := io.ReadFull(rand, coef[1:]); err != nil {
			clearAll(out)
			return nil, fmt.Errorf("shamir: reading random coefficients: %w", err)
		}
		for i := range out {
			out[i][j] = eval(coef, uint8(i+1))
		}
	}
	return out, nil
}

func clearAll(parts [][]byte) {
	for _, p := range parts {
		clear(p)
	}
}

// Combine recovers the secret from two or more parts made by Split. The parts
// must have the same length (at least 2 bytes) and distinct x bytes (their
// last byte). Combining fewer parts than the threshold, or parts of different
// splits, gives a wrong secret, not an error: callers must verify it.
func Combine(parts [][]byte) ([]byte, error) {
	if len(parts) < 2 {
		return nil, errors.New("shamir: at least two parts are needed to recover the secret")
	}
	n := len(parts[0])
	if n < 2 {
		return nil, errors.New("shamir: parts must be at least two bytes long")
	}
	xs := make([]uint8, len(parts))
	seen := map[uint8]bool{}
	for i, p := range parts {
		if len(p) != n {
			return nil, fmt.Errorf("shamir: parts have different lengths (%d and %d bytes)", n, len(p))
		}
		x := p[n-1]
		if x == 0 {
			return nil, fmt.Errorf("shamir: part %d has x coordinate 0", i+1)
		}
		if seen[x] {
			return nil, fmt.Errorf("shamir: duplicate part (x coordinate %d)", x)
		}
		seen[x] = true
		xs[i] = x
	}
	// Lagrange basis at 0: l_i = Π_{j≠i} x_j / (x_i + x_j).
	basis := make([]uint8, len(parts))
	for i := range parts {
		l := uint8(1)
		for j := range parts {
			if i != j {
				l = mul(l, mul(xs[j], inv(xs[i]^xs[j])))
			}
		}
		basis[i] = l
	}
	secret := make([]byte, n-1)
	for k := range secret {
		var v uint8
		for i, p := range parts {
			v ^= mul(p[k], basis[i])
		}
		secret[k] = v
	}
	return secret, nil
}
