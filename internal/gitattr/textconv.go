package gitattr

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sync"
)

var (
	encValue = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]`)
	})
	xmacValue = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(x_hull_mac["']?\s*[:=]\s*["']?)v1:[A-Za-z0-9+/=]+`) })
)

// Abbreviate is what 'hull diff' (git's textconv) shows of an encrypted
// file it cannot decrypt: every ENC[…] value shortened to ENC[…] and a
// short hash of its ciphertext (so that a changed value still shows as
// changed), and the hull MAC hidden.
func Abbreviate(data []byte) []byte {
	out := encValue().ReplaceAllFunc(data, func(m []byte) []byte {
		sum := sha256.Sum256(m)
		return []byte("ENC[…" + hex.EncodeToString(sum[:4]) + "]")
	})
	return xmacValue().ReplaceAll(out, []byte("${1}v1:…"))
}
