package hull

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	cryptorand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// The value cipher of the SOPS v3 format (FORMAT.md §1): AES-256-GCM with a
// 32-byte random IV, a 16-byte tag and the value's path as additional data,
// written as ENC[AES256_GCM,data:…,iv:…,tag:…,type:…].

const (
	ivSize    = 32
	tagSize   = 16
	keySize   = 32
	encPrefix = "ENC[AES256_GCM,data:"
)

// knownType reports whether t is a type tag of the format; "bytes" is only
// ever read. (A switch: the map it replaces was a tenth of parsing an
// envelope.)
func knownType(t string) bool {
	switch t {
	case "str", "int", "float", "bool", "time", "comment", "bytes":
		return true
	}
	return false
}

// envelope is a parsed ENC[…] string.
type envelope struct {
	data, iv, tag []byte
	typ           string
	// sealed is data followed by tag in one buffer (what AES-GCM opens),
	// when the envelope was parsed; open decrypts it in place.
	sealed []byte
}

// strictBase64 is the canonical standard encoding of the format. (Calling
// Strict() per field copied the 300-byte Encoding to the heap each time:
// 3 allocations per value on decryption.)
var strictBase64 = base64.StdEncoding.Strict()

// looksEncrypted reports whether s is meant to be an ENC[…] value.
func looksEncrypted(s string) bool { return strings.HasPrefix(s, "ENC[") }

// parseEnvelope parses an ENC[…] value strictly: the whole string must match
// the grammar, base64 must be canonical standard encoding, the IV must be 32
// bytes and the tag 16, and the type must be known. sops accepts trailing
// bytes, moved tag bytes and non-canonical base64 (SECURITY.md); hull
// refuses them with ErrNonCanonical so that a value has exactly one
// encoding.
func parseEnvelope(s string) (envelope, error) {
	e, _, err := parseEnvelopeBuf(s, nil)
	return e, err
}

// parseEnvelopeBuf is parseEnvelope decoding into scratch when it is large
// enough, and returning the buffer it used, for the next value: the
// envelope's bytes are then valid only until scratch is used again.
// Decrypting a large file allocated a buffer per value here.
func parseEnvelopeBuf(s string, scratch []byte) (envelope, []byte, error) {
	e, err := parseEnvelopeInto(s, &scratch)
	return e, scratch, err
}

func parseEnvelopeInto(s string, scratch *[]byte) (envelope, error) {
	var e envelope
	if !strings.HasPrefix(s, encPrefix) {
		return e, malformed("the value does not start with ENC[AES256_GCM,data:")
	}
	rest := s[len(encPrefix):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return e, malformed("the value has no closing ]")
	}
	if end != len(rest)-1 {
		return e, nonCanonical("the value has bytes after its closing ]")
	}
	rest = rest[:end]
	// data,iv:…,tag:…,type:… without strings.Split's slice.
	var parts [4]string
	for k := 0; k < 3; k++ {
		c := strings.IndexByte(rest, ',')
		if c < 0 {
			return e, malformed("the value does not have the fields data, iv, tag and type in that order")
		}
		parts[k], rest = rest[:c], rest[c+1:]
	}
	parts[3] = rest
	if strings.IndexByte(parts[3], ',') >= 0 || !strings.HasPrefix(parts[1], "iv:") || !strings.HasPrefix(parts[2], "tag:") || !strings.HasPrefix(parts[3], "type:") {
		return e, malformed("the value does not have the fields data, iv, tag and type in that order")
	}
	// Decoded into one buffer, data then tag then IV, so that data‖tag is
	// what AES-GCM opens, with no copy; checked in the order of the value.
	fields := [3]string{parts[0], parts[1][3:], parts[2][4:]}
	names := [3]string{"data", "iv", "tag"}
	maxData, maxIV := strictBase64.DecodedLen(len(fields[0])), strictBase64.DecodedLen(len(fields[1]))
	size := maxData + maxIV + strictBase64.DecodedLen(len(fields[2]))
	if cap(*scratch) < size {
		*scratch = make([]byte, size)
	}
	buf := (*scratch)[:size]
	var dec [3][]byte
	var nData int
	for i, f := range fields {
		if f == "" {
			return e, malformed("the " + names[i] + " field is empty")
		}
		var off int
		switch i {
		case 1: // the IV, at the end
			off = len(buf) - maxIV
		case 2: // the tag, right after the data
			off = nData
		}
		// Go's decoder skips CR and LF even in strict mode (and so does
		// sops's): a line break inside a field is a second encoding.
		if strings.IndexByte(f, '\r') >= 0 || strings.IndexByte(f, '\n') >= 0 {
			return e, nonCanonical("the " + names[i] + " field has a line break in its base64")
		}
		// Decode only reads its source: the field's bytes are not copied.
		n, err := strictBase64.Decode(buf[off:], unsafe.Slice(unsafe.StringData(f), len(f)))
		if err != nil {
			if _, err2 := base64.StdEncoding.DecodeString(f); err2 == nil {
				return e, nonCanonical("the " + names[i] + " field is not canonical base64")
			}
			return e, malformed("the " + names[i] + " field is not valid base64")
		}
		dec[i] = buf[off : off+n : off+n]
		if i == 0 {
			nData = n
		}
	}
	e.data, e.iv, e.tag = dec[0], dec[1], dec[2]
	e.sealed = buf[:len(e.data)+len(e.tag)]
	e.typ = parts[3][5:]
	if !knownType(e.typ) {
		return e, malformed("unknown value type " + quoteType(e.typ))
	}
	if len(e.iv) != ivSize {
		return e, malformed(fmt.Sprintf("the IV is %d bytes, not %d", len(e.iv), ivSize))
	}
	if len(e.tag) != tagSize {
		return e, nonCanonical(fmt.Sprintf("the tag is %d bytes, not %d", len(e.tag), tagSize))
	}
	return e, nil
}

// quoteType quotes a type tag for a message, cut short: it comes from the
// file but is never secret (it sits outside the ciphertext).
func quoteType(t string) string {
	if len(t) > 16 {
		t = t[:16] + "…"
	}
	return fmt.Sprintf("%q", t)
}

func (e envelope) String() string {
	// One allocation for the whole envelope: on a large file this is a
	// quarter of the encryption time (500k values: 0.87 s with three
	// EncodeToString calls and concatenation).
	enc := base64.StdEncoding
	n := len(encPrefix) + enc.EncodedLen(len(e.data)) + len(",iv:") + enc.EncodedLen(len(e.iv)) +
		len(",tag:") + enc.EncodedLen(len(e.tag)) + len(",type:") + len(e.typ) + 1
	var small [512]byte // most values fit: the string is then the only allocation
	var b []byte
	if n <= len(small) {
		b = small[:n]
	} else {
		b = make([]byte, n)
	}
	i := copy(b, encPrefix)
	enc.Encode(b[i:], e.data)
	i += enc.EncodedLen(len(e.data))
	i += copy(b[i:], ",iv:")
	enc.Encode(b[i:], e.iv)
	i += enc.EncodedLen(len(e.iv))
	i += copy(b[i:], ",tag:")
	enc.Encode(b[i:], e.tag)
	i += enc.EncodedLen(len(e.tag))
	i += copy(b[i:], ",type:")
	i += copy(b[i:], e.typ)
	b[i] = ']'
	return string(b)
}

// valueCipher seals and opens values with one data key.
type valueCipher struct {
	gcm  cipher.AEAD
	rand io.Reader
	// Scratch space of seal (a valueCipher is used by one goroutine): the
	// IV and the sealed bytes are encoded into the value string, the only
	// allocation per value.
	iv  [ivSize]byte
	out []byte
}

func newValueCipher(key []byte, rand io.Reader) (*valueCipher, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("data key is %d bytes, not %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, ivSize)
	if err != nil {
		return nil, err
	}
	if rand == cryptorand.Reader {
		// IVs are read from the system 64 at a time: one read each cost
		// about a tenth of encrypting a 10k-value file. They are public
		// (written next to each value), so the unused ones left in the
		// buffer are no secret. A reader the caller chose is read as it
		// is, 32 bytes per IV.
		rand = bufio.NewReaderSize(rand, 64*ivSize)
	}
	return &valueCipher{gcm: gcm, rand: rand}, nil
}

// seal encrypts plaintext with a fresh IV.
func (c *valueCipher) seal(plaintext []byte, aad string, typ string) (string, error) {
	return c.sealAAD(plaintext, []byte(aad), typ)
}

// sealAAD is seal with the AAD as bytes.
func (c *valueCipher) sealAAD(plaintext, aad []byte, typ string) (string, error) {
	if _, err := io.ReadFull(c.rand, c.iv[:]); err != nil {
		return "", fmt.Errorf("reading random IV: %w", err)
	}
	c.out = c.gcm.Seal(c.out[:0], c.iv[:], plaintext, aad)
	n := len(c.out) - tagSize
	return envelope{data: c.out[:n], iv: c.iv[:], tag: c.out[n:], typ: typ}.String(), nil
}

// errAuth is returned by open when GCM authentication fails.
var errAuth = errors.New("authentication failed")

// open decrypts an envelope.
func (c *valueCipher) open(e envelope, aad string) ([]byte, error) {
	return c.openAAD(e, []byte(aad))
}

// openAAD is open with the AAD as bytes. It decrypts a parsed envelope in
// place: e's data and tag are overwritten.
func (c *valueCipher) openAAD(e envelope, aad []byte) ([]byte, error) {
	ct := e.sealed
	if ct == nil {
		ct = make([]byte, 0, len(e.data)+len(e.tag))
		ct = append(ct, e.data...)
		ct = append(ct, e.tag...)
	}
	pt, err := c.gcm.Open(ct[:0], e.iv, ct, aad)
	if err != nil {
		return nil, errAuth
	}
	return pt, nil
}
