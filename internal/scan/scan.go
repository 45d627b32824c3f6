package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hullsecrets/hull/internal/fserr"
)

// DefaultMaxSize is the size above which a file is skipped (and counted in
// [Stats.SkippedLarge]).
const DefaultMaxSize = 1 << 20

// sniffLen is how much of a file is checked for a NUL byte, as git does
// to decide that a file is binary.
const sniffLen = 8000

// ScanData returns the findings in one file's content, with fingerprints
// under an empty key (ScanDataKeyed).
func ScanData(name string, data []byte) []Finding {
	return ScanDataKeyed(nil, name, data)
}

// ScanDataKeyed returns the findings in one file's content. name is the
// file name recorded in each finding and in its fingerprint, which is keyed
// with key; binary content (a NUL byte in the first 8000 bytes) has none.
func ScanDataKeyed(key []byte, name string, data []byte) []Finding {
	if IsBinary(data) {
		return nil
	}
	rs := detect(data)
	if len(rs) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(rs))
	line, lineStart, pos := 1, 0, 0
	for _, r := range rs {
		for pos < r.off {
			j := bytes.IndexByte(data[pos:r.off], '\n')
			if j < 0 {
				pos = r.off
				break
			}
			pos += j + 1
			line++
			lineStart = pos
		}
		out = append(out, Finding{
			File:        name,
			Line:        line,
			Column:      r.off - lineStart + 1,
			Kind:        r.kind,
			Redacted:    r.redacted,
			Fingerprint: KeyedFingerprint(key, name, r.kind, r.secret),
			legacy:      LegacyFingerprint(name, r.kind, r.secret),
		})
	}
	return out
}

// IsBinary reports whether data looks binary: a NUL byte in its first
// 8000 bytes.
func IsBinary(data []byte) bool {
	if len(data) > sniffLen {
		data = data[:sniffLen]
	}
	return bytes.IndexByte(data, 0) >= 0
}

// Input is one thing to scan: a file on disk (Path) or content already
// read (Data, e.g. a git blob).
type Input struct {
	Name   string // recorded in findings: a slash-separated path relative to the root
	Commit string // recorded in findings
	Path   string // read from disk when Data is nil
	Data   []byte // the content; nil with no Path for content too large to keep
	Size   int64  // of the content, when known; -1 if not
}

// Stats counts what a scan read.
type Stats struct {
	Files        int64 `json:"files"`
	Bytes        int64 `json:"bytes"`
	SkippedLarge int64 `json:"skipped_large"`
	SkippedBin   int64 `json:"skipped_binary"`
}

// Options control a [Scanner].
type Options struct {
	MaxSize  int64     // files larger than this are skipped; 0 means DefaultMaxSize
	Workers  int       // files scanned at once; 0 means GOMAXPROCS
	Baseline *Baseline // accepted findings and ignored paths; may be nil
	// Key keys the fingerprints (KeyedFingerprint): the baseline's key, so
	// that findings match its accepted entries.
	Key []byte
}

// Scanner scans inputs concurrently.
type Scanner struct {
	opts Options
}

// New returns a Scanner.
func New(opts Options) *Scanner {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Scanner{opts: opts}
}

// MaxSize is the size limit in effect.
func (s *Scanner) MaxSize() int64 { return s.opts.MaxSize }

// Result is the outcome of a scan: findings not accepted by the baseline,
// sorted by file, line, column, kind and commit, and how many the
// baseline accepted.
type Result struct {
	Findings []Finding
	Accepted int
	Stats    Stats
}

// Producer calls emit for every input; it stops when emit returns an error.
type Producer func(ctx context.Context, emit func(Input) error) error

// Scan runs produce and scans what it emits on Options.Workers goroutines.
func (s *Scanner) Scan(ctx context.Context, produce Producer) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan Input, 2*s.opts.Workers)
	var (
		mu       sync.Mutex
		res      Result
		firstErr error
		wg       sync.WaitGroup
		st       Stats
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for w := 0; w < s.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range in {
				found, err := s.scanOne(x, &st)
				if err != nil {
					fail(err)
					continue
				}
				if len(found) > 0 {
					mu.Lock()
					res.Findings = append(res.Findings, found...)
					mu.Unlock()
				}
			}
		}()
	}
	err := produce(ctx, func(x Input) error {
		if s.opts.Baseline.Ignored(x.Name) {
			return nil
		}
		select {
		case in <- x:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(in)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err != nil {
		return nil, err
	}
	res.Stats = Stats{
		Files:        atomic.LoadInt64(&st.Files),
		Bytes:        atomic.LoadInt64(&st.Bytes),
		SkippedLarge: atomic.LoadInt64(&st.SkippedLarge),
		SkippedBin:   atomic.LoadInt64(&st.SkippedBin),
	}
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if s.opts.Baseline.Accepts(f) {
			res.Accepted++
			continue
		}
		kept = append(kept, f)
	}
	res.Findings = kept
	SortFindings(res.Findings)
	return &res, nil
}

// SortFindings orders findings by file, line, column, kind and commit.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		switch {
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Column != b.Column:
			return a.Column < b.Column
		case a.Kind != b.Kind:
			return a.Kind < b.Kind
		}
		return a.Commit < b.Commit
	})
}

func (s *Scanner) scanOne(x Input, st *Stats) ([]Finding, error) {
	data := x.Data
	switch {
	case data == nil && x.Path == "":
		if x.Size > s.opts.MaxSize { // content not kept because it is too large
			atomic.AddInt64(&st.SkippedLarge, 1)
		}
		return nil, nil
	case data == nil:
		var err error
		data, err = s.readFile(x.Path, st)
		if err != nil || data == nil {
			return nil, err
		}
	case int64(len(data)) > s.opts.MaxSize:
		atomic.AddInt64(&st.SkippedLarge, 1)
		return nil, nil
	}
	atomic.AddInt64(&st.Files, 1)
	atomic.AddInt64(&st.Bytes, int64(len(data)))
	if IsBinary(data) {
		atomic.AddInt64(&st.SkippedBin, 1)
		return nil, nil
	}
	found := ScanDataKeyed(s.opts.Key, x.Name, data)
	for i := range found {
		found[i].Commit = x.Commit
	}
	return found, nil
}

// readFile reads a regular file of at most MaxSize bytes; it returns nil
// data (and no error) for files that are skipped: too large, not regular,
// or gone since they were listed.
func (s *Scanner) readFile(path string, st *Stats) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // deleted in the work tree, or a dangling symlink
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, nil
	}
	if fi.Size() > s.opts.MaxSize {
		atomic.AddInt64(&st.SkippedLarge, 1)
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, s.opts.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err))
	}
	if int64(len(data)) > s.opts.MaxSize {
		atomic.AddInt64(&st.SkippedLarge, 1)
		return nil, nil
	}
	return data, nil
}

// Paths emits the files named, walking directories (skipping .git).
// Names are relative to root when the path lies below it.
func Paths(root string, paths []string) Producer {
	return func(ctx context.Context, emit func(Input) error) error {
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", p, fserr.Bare(err))
			}
			if !fi.IsDir() {
				if err := emit(Input{Name: displayName(root, p), Path: p, Size: fi.Size()}); err != nil {
					return err
				}
				continue
			}
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return fmt.Errorf("cannot read %s: %w", path, fserr.Bare(err))
				}
				if d.IsDir() {
					if d.Name() == ".git" {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.Type().IsRegular() {
					return nil
				}
				return emit(Input{Name: displayName(root, path), Path: path, Size: -1})
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// displayName is path relative to root with forward slashes, or path as
// given when it is not below root.
func displayName(root, path string) string {
	if root != "" {
		abs, err1 := filepath.Abs(path)
		r, err2 := filepath.Abs(root)
		if err1 == nil && err2 == nil {
			if rel, err := filepath.Rel(r, abs); err == nil && rel != ".." && !startsWithDotDot(rel) {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(path)
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:2] == ".." && os.IsPathSeparator(rel[2])
}
