package hull

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/fserr"
)

// ErrWrite marks a file that could not be written (CreateFile).
var ErrWrite = errors.New("write failed")

// ErrIsDirectory is returned by ReadInput for a directory.
var ErrIsDirectory = errors.New("it is a directory")

// fileError is a failure to read or write a file: its message names the
// file, and it wraps the cause (fs.ErrNotExist, ErrIsDirectory, ErrWrite…).
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// ReadInput reads a command's input whole: the file at path, or stdin
// when path is "". An input over formats.DefaultLimits.MaxBytes is refused
// with a formats.LimitError naming format, a regular file before it is
// read. Other errors name the input and wrap the cause: fs.ErrNotExist,
// ErrIsDirectory, or the read error.
func ReadInput(path string, stdin io.Reader, format string) ([]byte, error) {
	limit := formats.DefaultLimits.MaxBytes
	src, name := stdin, "stdin"
	if path != "" {
		name = path
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &fileError{fmt.Sprintf("cannot read %s: no such file", path), err}
		}
		if err == nil && fi.IsDir() {
			err = ErrIsDirectory
		}
		if err != nil {
			return nil, &fileError{fmt.Sprintf("cannot read %s: %v", path, fserr.Bare(err)), err}
		}
		if fi.Size() > limit {
			return nil, fmt.Errorf("%s: %w", path, &formats.LimitError{Format: format, What: "size", Limit: limit})
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, &fileError{fmt.Sprintf("cannot read %s: %v", path, fserr.Bare(err)), err}
		}
		defer f.Close()
		src = f
	}
	data, err := readAll(src, limit)
	if err != nil {
		return nil, &fileError{fmt.Sprintf("cannot read %s: %v", name, err), err}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w", name, &formats.LimitError{Format: format, What: "size", Limit: limit})
	}
	return data, nil
}

// readAll reads r to its end, but at most limit+1 bytes. When r is a
// regular file, its buffer is allocated once at the file's size, as
// os.ReadFile does: io.ReadAll keeps its growing chunks and their final
// copy alive together, well over twice the file at the end of a large
// read, and that was the peak memory of a large decrypt.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	var size int64
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	lr := io.LimitReader(r, limit+1)
	if size <= 0 || size > limit {
		return io.ReadAll(lr)
	}
	b := make([]byte, 0, size+1) // the +1 sees the end without growing
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			// The file grew since Stat: the rest as io.ReadAll reads it.
			rest, err := io.ReadAll(lr)
			if err != nil {
				return nil, err
			}
			return append(b, rest...), nil
		}
	}
}

// ReadFile reads a whole file, refusing one over the size limit
// (formats.DefaultLimits.MaxBytes) with a formats.LimitError. Errors of
// opening it are the *fs.PathError of os.Open.
func ReadFile(path string) ([]byte, error) {
	return readLimited(path, formats.DefaultLimits.MaxBytes)
}

// WriteOutput writes a command's result to a named output file: an
// existing file is replaced atomically, a new one gets mode 0600. A
// symbolic link at path is not followed for plaintext unless force: a
// writer of the repository could plant one that sends the plaintext to a
// place others can read (docs/TRUST.md); such a write fails with
// ErrExists.
func WriteOutput(path string, data []byte, plaintext, force bool) error {
	o := WriteOptions{Perm: 0o600}
	if li, err := os.Lstat(path); err == nil && li.Mode()&os.ModeSymlink != 0 && plaintext && !force {
		o.NoClobber = true
	}
	return WriteFile(path, data, o)
}

// EncryptPlain parses data, a plaintext file in o.InputFormat (warn, when
// set, is told the parse's warnings), encrypts it with o and returns it
// emitted in o.Format with emit; display names the input in errors.
// Binary input is one value, always encrypted: it gets no rule and no
// mac_only_encrypted, as with sops. encrypted, when set, sees the
// encrypted file before it is emitted.
func EncryptPlain(data []byte, display string, o EncryptOptions, emit formats.EmitOptions, warn func(string), encrypted func(*formats.File)) ([]byte, error) {
	f, err := o.InputFormat.Parse(data, formats.ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	for _, w := range f.Warnings {
		if warn != nil {
			warn(fmt.Sprintf("%s: %s", display, w))
		}
	}
	return encryptEmit(display, f, o, emit, encrypted)
}

// encryptEmit encrypts f with o (binary input gets no rule) and emits it
// in o.Format.
func encryptEmit(display string, f *formats.File, o EncryptOptions, emit formats.EmitOptions, encrypted func(*formats.File)) ([]byte, error) {
	if o.InputFormat != nil && o.InputFormat.Name() == "binary" {
		// A tree written in the binary envelope keeps its rule.
		o.NoRule, o.MACOnlyEncrypted = true, false
	}
	if err := Encrypt(f, o); err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	if encrypted != nil {
		encrypted(f)
	}
	out, err := o.Format.Emit(f, emit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	return out, nil
}

// CreateFile encrypts f, the plaintext of a new file, with o in format
// (binary files get no rule), and writes it to path, mode 0600, only if
// path does not exist. When path exists by then (someone else created it
// meanwhile), it returns ErrExists with the encrypted bytes, for the caller
// to keep elsewhere.
func CreateFile(path string, f *formats.File, format formats.Format, emit formats.EmitOptions, o EncryptOptions) ([]byte, error) {
	o.Format = format
	if o.InputFormat == nil {
		o.InputFormat = format
	}
	out, err := encryptEmit(path, f, o, emit, nil)
	if err != nil {
		return nil, err
	}
	if err := WriteFile(path, out, WriteOptions{Perm: 0o600, NoClobber: true}); err != nil {
		if errors.Is(err, ErrExists) {
			return out, err
		}
		return nil, &fileError{fmt.Sprintf("cannot write %s: %v", path, err), errors.Join(ErrWrite, err)}
	}
	return out, nil
}

// HasMetadata reports whether data, a whole file in format fm, parses as
// an encrypted file: one with sops metadata (it need not decrypt).
func HasMetadata(fm formats.Format, data []byte) bool {
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
	return err == nil && f.Meta != nil
}
