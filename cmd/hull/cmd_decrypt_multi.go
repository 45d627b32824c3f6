package main

import (
	"fmt"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/sopsenv"
)

// decryptMulti is 'hull decrypt F1 F2 …': every file is decrypted into
// memory and the results are written to stdout as one YAML stream, the
// documents of each file in turn separated by "---", ready for
// 'kubectl apply -f -'. Nothing is written unless every file decrypts:
// on a failure stdout stays empty and the error names the file.
//
// The output is always YAML: YAML files are copied document by document
// (their own separators kept), JSON files are converted to YAML. Other
// formats (dotenv, INI, binary) have no place in a YAML stream and are
// refused before anything is decrypted, as are --in-place, --output and
// --extract, which need a single file.
func (r *runner) decryptMulti(cl *cmdLine, paths []string) (err error) {
	for _, f := range []string{"in-place", "output", "extract"} {
		if cl.has(f) && cl.isSet(f) {
			return withCode(exitConflictingParams, fmt.Errorf("--%s needs a single file; %d files were given (several files are written to stdout as one YAML stream)", f, len(paths)))
		}
	}
	if t := cl.str("output-type"); cl.has("output-type") && t != "" && t != "yaml" {
		return withCode(exitConflictingParams, fmt.Errorf("--output-type %s: several files are written as one YAML stream; only yaml is possible", t))
	}
	// Resolve every file first, so that a file that cannot be part of the
	// stream is refused before any key is used.
	ios := make([]*fileIO, len(paths))
	files := make([]sopsenv.StreamFile, len(paths))
	for i, p := range paths {
		fio, err := r.resolveIO(cl, p, false)
		if err != nil {
			return err
		}
		if fio.emitOpts.IndentSet && fio.emitOpts.Indent < 0 {
			return withCode(exitGeneric, fmt.Errorf("--indent %d is out of range", fio.emitOpts.Indent))
		}
		ios[i], files[i] = fio, sopsenv.StreamFile{Display: fio.display(), Format: fio.in, Stdin: fio.path == "", TypeGiven: cl.isSet("input-type")}
	}
	if err := sopsenv.CheckStream(files); err != nil {
		return withCode(exitGeneric, err)
	}

	// Each file has its own audit records; every result record is the
	// result of the whole command (a file that decrypted is not released
	// when another one fails). The records are closed in reverse order,
	// after the output is written, as for a single file.
	var done []func(*error)
	defer func() {
		for i := len(done) - 1; i >= 0; i-- {
			e := err
			done[i](&e)
			if err == nil && e != nil {
				err = e // a required audit log could not be written
			}
		}
	}()
	out, err := sopsenv.Stream(files, func(i int) (*formats.File, error) {
		done = append(done, r.audit(cl, "decrypt", paths[i]))
		f, opened, err := r.openFile(cl, ios[i])
		if err == nil {
			clear(opened.Key) // as decrypt: the data key is needed no longer
		}
		return f, err
	}, ios[0].emitOpts)
	if err != nil {
		return err
	}
	return r.write(&fileIO{}, out, true)
}
