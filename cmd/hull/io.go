package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/internal/memlimit"
	"github.com/hullsecrets/hull/sopsenv"
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
func (r *runner) resolveIO(cl *cmdLine, path string, needName bool) (*fileIO, error) {
	fio := &fileIO{path: path, name: path}
	if isStdin(path) {
		fio.path, fio.name = "", ""
	}
	if cl.isSet("filename-override") {
		fio.name = cl.str("filename-override")
	}
	if fio.path == "" && fio.name == "" && needName && !cl.isSet("input-type") {
		return nil, withCode(exitConflictingParams, errors.New("reading from stdin needs --filename-override or --input-type to choose the format"))
	}
	outType := ""
	if cl.has("output-type") {
		outType = cl.str("output-type")
	}
	var err error
	if fio.in, fio.out, fio.guessed, err = all.Formats(fio.name, cl.str("input-type"), outType); err != nil {
		return nil, withCode(exitGeneric, err)
	}
	if cl.has("in-place") {
		fio.inPlace, fio.output, fio.force = cl.on("in-place"), cl.str("output"), cl.on("force")
	}
	switch {
	case fio.inPlace && fio.output != "":
		return nil, withCode(exitConflictingParams, errors.New("--in-place and --output cannot be used together"))
	case fio.inPlace && fio.path == "":
		return nil, withCode(exitConflictingParams, errors.New("--in-place needs a file, not stdin"))
	}
	if fio.emitOpts, err = sopsenv.Indent(cl.str("indent"), fio.out.Name()); err != nil {
		return nil, withCode(exitGeneric, err)
	}
	return fio, nil
}

// readInput reads the input file or stdin (hull.ReadInput).
func (r *runner) readInput(fio *fileIO) ([]byte, error) {
	data, err := hull.ReadInput(fio.path, r.stdin, fio.in.Name())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, withCode(exitNoFileSpecified, err)
	case errors.Is(err, formats.ErrLimit):
		return nil, err
	case err != nil:
		return nil, withCode(exitCouldNotRead, err)
	}
	r.setMemoryLimit(len(data))
	return data, nil
}

// setMemoryLimit grows the garbage collector's soft limit with the input
// (internal/memlimit), unless GOMEMLIMIT is set, and with it the pace (off
// for small inputs), unless GOGC is set: the user's settings win, and the
// collector is never off without hull's limit.
func (r *runner) setMemoryLimit(size int) {
	if _, set := r.env.lookup("GOMEMLIMIT"); !set {
		_, gogc := r.env.lookup("GOGC")
		memlimit.Grow(size, !gogc)
	}
}

// readFile reads a whole file (hull.ReadFile), naming it in errors.
func readFile(path string) ([]byte, error) {
	data, err := hull.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, withCode(exitNoFileSpecified, fmt.Errorf("cannot read %s: no such file", path))
	case errors.Is(err, formats.ErrLimit):
		return nil, err
	case err != nil:
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err)))
	}
	return data, nil
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

// parse parses the input in its format, naming the file in errors. The
// File borrows data (formats.ParseOptions.Borrow: no copy of the input):
// no command modifies what readInput returned.
func (f *fileIO) parse(data []byte, encrypted bool) (*formats.File, error) {
	file, err := f.in.Parse(data, formats.ParseOptions{Encrypted: encrypted, Borrow: true})
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
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", f.path, fserr.Bare(err)))
		}
	case f.output != "":
		if err := hull.WriteOutput(f.output, data, plaintext, f.force); err != nil {
			return withCode(exitCouldNotWrite, sopsSays("Could not open output file for writing", fmt.Errorf("cannot write %s: %w", f.output, fserr.Bare(err))))
		}
	default:
		if _, err := r.stdout.Write(data); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write to stdout: %w", err))
		}
	}
	return nil
}
