package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
)

// fileIO is what a command resolved about its input and output.
type fileIO struct {
	path     string // "" for stdin
	name     string // the name used for format detection
	in, out  formats.Format
	inPlace  bool
	output   string
	force    bool
	emitOpts formats.EmitOptions
	// guessed: the formats are binary only because neither --input-type
	// nor a file name said otherwise (stdin, or a name without a known
	// extension).
	guessed bool
}

func isStdin(p string) bool { return p == "" || p == "-" || p == "/dev/stdin" }

// resolveIO reads the input and output flags of a command.
func (r *runner) resolveIO(c *cli.Context, path string, needName bool) (*fileIO, error) {
	reg := all.Registry()
	fio := &fileIO{path: path, name: path}
	if isStdin(path) {
		fio.path, fio.name = "", ""
	}
	if c.IsSet("filename-override") {
		fio.name = c.String("filename-override")
	}
	if fio.path == "" && fio.name == "" && needName && !c.IsSet("input-type") {
		return nil, withCode(exitConflictingParams, errors.New("reading from stdin needs --filename-override or --input-type to choose the format"))
	}
	var err error
	if t := c.String("input-type"); t != "" {
		if fio.in, err = reg.ByName(t); err != nil {
			return nil, withCode(exitGeneric, fmt.Errorf("--input-type: %w", err))
		}
	} else {
		var known bool
		fio.in, known = reg.ForPath(fio.name, "binary")
		fio.guessed = !known && fio.in.Name() == "binary"
	}
	if hasFlag(c, "output-type") && c.String("output-type") != "" {
		if fio.out, err = reg.ByName(c.String("output-type")); err != nil {
			return nil, withCode(exitGeneric, fmt.Errorf("--output-type: %w", err))
		}
	} else if byName, ok := reg.ForPath(fio.name, "binary"); ok || c.String("input-type") == "" {
		// As sops: the output format is detected from the same name.
		fio.out = byName
	} else {
		// A name with no known extension and an explicit --input-type:
		// sops would write binary here and fail; keep the input format.
		fio.out = fio.in
	}
	if hasFlag(c, "in-place") {
		fio.inPlace = c.Bool("in-place")
		fio.output = c.String("output")
		fio.force = c.Bool("force")
	}
	if fio.inPlace && fio.output != "" {
		return nil, withCode(exitConflictingParams, errors.New("--in-place and --output cannot be used together"))
	}
	if fio.inPlace && fio.path == "" {
		return nil, withCode(exitConflictingParams, errors.New("--in-place needs a file, not stdin"))
	}
	if s := c.String("indent"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, withCode(exitGeneric, fmt.Errorf("--indent %q is not a number", s))
		}
		if n < -1 || (n < 0 && fio.out.Name() == "yaml") {
			return nil, withCode(exitGeneric, fmt.Errorf("--indent %d is out of range", n))
		}
		fio.emitOpts = formats.EmitOptions{Indent: n, IndentSet: true}
	}
	return fio, nil
}

func hasFlag(c *cli.Context, name string) bool {
	for _, f := range c.Command.Flags {
		for _, n := range flagNames(f) {
			if n == name {
				return true
			}
		}
	}
	return false
}

// readInput reads the input file or stdin, refusing inputs over the size
// limit before reading them whole.
func (r *runner) readInput(fio *fileIO) ([]byte, error) {
	limit := formats.DefaultLimits.MaxBytes
	var src io.Reader
	if fio.path == "" {
		src = r.stdin
	} else {
		fi, err := os.Stat(fio.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, withCode(exitNoFileSpecified, fmt.Errorf("cannot read %s: no such file", fio.path))
			}
			return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", fio.path, unwrapPathErr(err)))
		}
		if fi.IsDir() {
			return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: it is a directory", fio.path))
		}
		if fi.Size() > limit {
			return nil, fmt.Errorf("%s: %w", fio.path, &formats.LimitError{Format: fio.in.Name(), What: "size", Limit: limit})
		}
		f, err := os.Open(fio.path)
		if err != nil {
			return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", fio.path, unwrapPathErr(err)))
		}
		defer f.Close()
		src = f
	}
	data, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", fio.display(), err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w", fio.display(), &formats.LimitError{Format: fio.in.Name(), What: "size", Limit: limit})
	}
	r.setMemoryLimit(len(data))
	return data, nil
}

// setMemoryLimit gives the garbage collector a soft limit in proportion to
// the input (unless GOMEMLIMIT is set): a file's tree, its ciphertexts and
// the output are alive together, and without a limit the heap of a 10 MB
// YAML file peaks near 320 MiB; with it, near 250 MiB, for a few percent
// more CPU (make bench).
func (r *runner) setMemoryLimit(size int) {
	if _, set := r.env.lookup("GOMEMLIMIT"); set {
		return
	}
	// Several inputs may be alive at once (decrypt F1 F2 …, bulk
	// workers): the limit follows everything read so far, so it only grows.
	limit := 3*inputBytes.Add(int64(size)) + 64<<20
	if limit < 200<<20 {
		limit = 200 << 20
	}
	debug.SetMemoryLimit(limit)
}

// inputBytes counts the bytes of every input this process has read; the
// memory limit is a property of the process, so this is too.
var inputBytes atomic.Int64

// readFile reads a whole file (hull.ReadFile), naming it in errors.
func readFile(path string) ([]byte, error) {
	data, err := hull.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, withCode(exitNoFileSpecified, fmt.Errorf("cannot read %s: no such file", path))
	case errors.Is(err, formats.ErrLimit):
		return nil, err
	case err != nil:
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err)))
	}
	return data, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ruleName is the name creation rules are matched against: the
// --filename-override when given, else the path.
func (f *fileIO) ruleName() string {
	if f.name != "" {
		return f.name
	}
	return f.path
}

func (f *fileIO) display() string {
	if f.path == "" {
		return "stdin"
	}
	return f.path
}

// parse parses the input in its format, naming the file in errors.
func (f *fileIO) parse(data []byte, encrypted bool) (*formats.File, error) {
	file, err := f.in.Parse(data, formats.ParseOptions{Encrypted: encrypted})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.display(), err)
	}
	return file, nil
}

// write delivers the result: to the input file (--in-place), to --output,
// or to stdout. Nothing is written anywhere unless the whole result is
// ready, so a failure leaves every file untouched and stdout empty.
func (r *runner) write(f *fileIO, data []byte, plaintext bool) error {
	switch {
	case f.inPlace:
		if err := hull.WriteFile(f.path, data, hull.WriteOptions{}); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", f.path, unwrapPathErr(err)))
		}
	case f.output != "":
		// An existing file is replaced atomically, as sops replaces it.
		// A symbolic link is not followed without --force: a writer of
		// the repository could plant one that sends the plaintext to a
		// place others can read (docs/TRUST.md).
		o := hull.WriteOptions{Perm: 0o600}
		if li, err := os.Lstat(f.output); err == nil && li.Mode()&os.ModeSymlink != 0 && plaintext && !f.force {
			o.NoClobber = true
		}
		if err := hull.WriteFile(f.output, data, o); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", f.output, unwrapPathErr(err)))
		}
	default:
		if _, err := r.stdout.Write(data); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write to stdout: %w", err))
		}
	}
	return nil
}
