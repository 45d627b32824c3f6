package hull

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func vectorKey() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

// repeatReader yields one byte forever (deterministic IVs for vectors).
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// Vectors from FORMAT.md §12.1, produced by an independent implementation.
var sealVectors = []struct {
	pt, aad, typ string
	iv           byte
	want         string
}{
	{"alice", "name:", "str", 0x01, "ENC[AES256_GCM,data:2MjAhLw=,iv:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,tag:xBK+wIscKv9WBrsPs2HoMw==,type:str]"},
	{"42", "count:", "int", 0x02, "ENC[AES256_GCM,data:W0k=,iv:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,tag:3f3JsER92pTRXZTbkCOcUg==,type:int]"},
}

func TestSealVectors(t *testing.T) {
	for _, v := range sealVectors {
		c, err := newValueCipher(vectorKey(), repeatReader(v.iv))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.seal([]byte(v.pt), v.aad, v.typ)
		if err != nil {
			t.Fatal(err)
		}
		if got != v.want {
			t.Errorf("seal(%q, %q):\n got %s\nwant %s", v.pt, v.aad, got, v.want)
		}
		e, err := parseEnvelope(v.want)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := c.open(e, v.aad)
		if err != nil || string(pt) != v.pt {
			t.Errorf("open = %q, %v", pt, err)
		}
		if _, err := c.open(e, v.aad+"x"); !errors.Is(err, errAuth) {
			t.Errorf("open with another AAD: %v", err)
		}
	}
}

func TestParseEnvelope(t *testing.T) {
	good := sealVectors[0].want
	iv := "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"good", good, nil},
		{"trailing junk", good + "x", ErrNonCanonical},
		{"prefix junk", "x" + good, ErrMalformedValue},
		{"bad base64 data", strings.Replace(good, "2MjAhLw=", "2Mj$hLw=", 1), ErrMalformedValue},
		{"empty iv", strings.Replace(good, iv, "", 1), ErrMalformedValue},
		{"short iv", strings.Replace(good, iv, "AQEB", 1), ErrMalformedValue},
		{"12-byte iv", strings.Replace(good, iv, "AQEBAQEBAQEBAQEB", 1), ErrMalformedValue},
		{"8-byte tag", strings.Replace(good, "xBK+wIscKv9WBrsPs2HoMw==", "xBK+wIscKv8=", 1), ErrNonCanonical},
		{"non-canonical padding bits", strings.Replace(good, "2MjAhLw=", "2MjAhLx=", 1), ErrNonCanonical},
		{"CR in data", strings.Replace(good, "2MjAhLw=", "2MjA\rhLw=", 1), ErrNonCanonical},
		{"LF in tag", strings.Replace(good, "xBK+wIscKv9WBrsPs2HoMw==", "xBK+wIscKv9W\nBrsPs2HoMw==", 1), ErrNonCanonical},
		{"unknown type", strings.Replace(good, "type:str", "type:weird", 1), ErrMalformedValue},
		{"other cipher", strings.Replace(good, "AES256_GCM", "AES128_GCM", 1), ErrMalformedValue},
		{"missing type", strings.Replace(good, ",type:str", "", 1), ErrMalformedValue},
		{"fields reordered", "ENC[AES256_GCM,data:2MjAhLw=,tag:xBK+wIscKv9WBrsPs2HoMw==,iv:" + iv + ",type:str]", ErrMalformedValue},
		{"no closing bracket", strings.TrimSuffix(good, "]"), ErrMalformedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseEnvelope(tt.in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "2MjAhLw") {
				t.Errorf("error echoes the ciphertext: %v", err)
			}
		})
	}
}

// FuzzEnvelope checks that the ENC parser never panics and is not
// malleable: whatever it accepts re-encodes to the same bytes.
func FuzzEnvelope(f *testing.F) {
	seeds := 0
	for _, v := range sealVectors {
		f.Add(v.want)
		seeds++
	}
	for _, s := range encSeedsFromTestdata(f) {
		f.Add(s)
		seeds++
	}
	if seeds < 10 {
		f.Fatalf("only %d seeds found", seeds)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseEnvelope(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedValue) && !errors.Is(err, ErrNonCanonical) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if got := e.String(); got != s {
			t.Fatalf("accepted %q but re-encodes as %q", s, got)
		}
		if len(e.iv) != ivSize || len(e.tag) != tagSize {
			t.Fatalf("accepted IV %d / tag %d bytes", len(e.iv), len(e.tag))
		}
		if bytes.Contains([]byte(e.typ), []byte("]")) {
			t.Fatal("type contains ]")
		}
	})
}
