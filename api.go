package hull

import (
	"context"
	"fmt"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// ErrNoKey is wrapped when no identity could recover a file's data key;
// errors.As with *keysources.RecoverError gives the per-key report.
var ErrNoKey = keysources.ErrNoKey

// FormatFor returns the format a file name selects (binary when the name
// has no known extension, as in sops), or the named format when name is
// one of "yaml", "json", "dotenv", "ini", "binary". An unknown format name
// is an error that lists the valid ones.
func FormatFor(name string, path string) (formats.Format, error) {
	reg := all.Registry()
	if name != "" {
		return reg.ByName(name)
	}
	f, _ := reg.ForPath(path, "binary")
	return f, nil
}

// DecryptData decrypts the bytes of an encrypted file in the given format
// ("yaml", "json", "dotenv", "ini" or "binary") and returns the plaintext
// in the same format. The MAC is checked unless opts.IgnoreMAC is set; with
// opts.Policy, the extended MAC is required as the policy requires it for a
// file whatever its path (there is no path to match creation rules).
func DecryptData(ctx context.Context, data []byte, format string, opts DecryptOptions) ([]byte, error) {
	fm, err := FormatFor(format, "")
	if err != nil {
		return nil, err
	}
	return decryptWith(ctx, data, fm, opts)
}

// DecryptFile reads and decrypts the file at path, choosing the format by
// its extension, and returns the plaintext. It enforces the trust policy
// as the command line does (OpenFile): opts.Policy, else the policy
// ResolvePolicy finds from the working directory (its .sops.yaml may
// require the extended MAC); the size is checked before reading, and the
// data key is wiped afterwards. opts.RequireExtendedMAC and IgnoreMAC add
// to the policy.
func DecryptFile(ctx context.Context, path string, opts DecryptOptions) ([]byte, error) {
	pol := opts.Policy
	if pol == nil {
		var err error
		if pol, err = ResolvePolicy(PolicyInput{}); err != nil {
			return nil, err
		}
	}
	if opts.RequireExtendedMAC || opts.IgnoreMAC {
		p := *pol
		p.RequireStrictMAC = p.RequireStrictMAC || opts.RequireExtendedMAC
		p.IgnoreMAC = p.IgnoreMAC || opts.IgnoreMAC
		pol = &p
	}
	f, err := OpenFile(ctx, path, OpenFileOptions{Policy: pol, Identities: opts.Identities, DecryptionOrder: opts.DecryptionOrder, Compat: opts.Compat})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out, err := f.Format.Emit(f.Plain, formats.EmitOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// decryptWith and encryptWith let the tree borrow data: it never leaves
// the call, and what they return is a new buffer.
func decryptWith(ctx context.Context, data []byte, fm formats.Format, opts DecryptOptions) ([]byte, error) {
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true, Borrow: true})
	if err != nil {
		return nil, err
	}
	if f.Meta == nil {
		return nil, ErrNotEncrypted
	}
	if opts.Policy != nil {
		// No file name: the requirements that do not depend on the path
		// (HULL_REQUIRE_STRICT_MAC, the top-level hull_require_strict_mac).
		strict, _ := opts.Policy.StrictMAC("")
		opts.RequireExtendedMAC = opts.RequireExtendedMAC || strict
		opts.IgnoreMAC = opts.IgnoreMAC || opts.Policy.IgnoreMAC
	}
	opened, err := Decrypt(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	clear(opened.Key)
	return fm.Emit(f, formats.EmitOptions{})
}

// EncryptData encrypts the plaintext bytes of a file in the given format
// and returns the encrypted file in the same format.
func EncryptData(data []byte, format string, opts EncryptOptions) ([]byte, error) {
	fm, err := FormatFor(format, "")
	if err != nil {
		return nil, err
	}
	return encryptWith(data, fm, opts)
}

// EncryptFile reads the plaintext file at path (format by extension) and
// returns it encrypted. It does not write anything. It enforces the trust
// policy (opts.Policy): the rule defaults to the matching creation rule's,
// and a rule that would leave in clear a value the creation rule encrypts
// is refused with ErrPolicy, as the command line refuses it (exit 29).
func EncryptFile(path string, opts EncryptOptions) ([]byte, error) {
	fm, _ := FormatFor("", path)
	data, err := readLimited(path, formats.DefaultLimits.MaxBytes)
	if err != nil {
		return nil, err
	}
	pol := opts.Policy
	if pol == nil {
		if pol, err = ResolvePolicy(PolicyInput{}); err != nil {
			return nil, err
		}
	}
	cr, source, err := pol.CreationRule(path)
	if err != nil {
		return nil, err
	}
	if cr != nil && fm.Name() != "binary" {
		if opts.Rule.IsZero() {
			opts.Rule = cr.Rule
			opts.MACOnlyEncrypted = opts.MACOnlyEncrypted || cr.MACOnlyEncrypted
		}
		plain, err := fm.Parse(data, formats.ParseOptions{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if _, err := CheckClearValues(plain, nil, &metadata.Metadata{Rule: opts.Rule}, TrustedRuleFor(&cr.Rule, source, nil, false)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	out, err := encryptWith(data, fm, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

func encryptWith(data []byte, fm formats.Format, opts EncryptOptions) ([]byte, error) {
	f, err := fm.Parse(data, formats.ParseOptions{Borrow: true})
	if err != nil {
		return nil, err
	}
	if fm.Name() == "binary" {
		opts.NoRule = true
	}
	opts.Format, opts.InputFormat = fm, fm
	if err := Encrypt(f, opts); err != nil {
		return nil, err
	}
	return fm.Emit(f, formats.EmitOptions{})
}
