// Package bulk runs one operation over every file of a tree that a
// .sops.yaml creation rule covers: it walks directories, selects the files
// by rule, runs a worker function over them concurrently and hands back
// the per-file results in input order, with progress callbacks. It reads no
// environment and prints nothing; cmd/hull's encrypt -r, decrypt -r,
// updatekeys -r, rotate -r and check are built on it.
//
// # Which files are selected
//
// A file is selected when the .sops.yaml that applies to it (the one named
// by [Selector.ConfigPath], else the nearest one upwards from the file's
// directory, then from the working directory, as for a single file) has a
// creation rule that matches it, and
//
//   - the matching rule has a path_regex, or the file's name has the
//     extension of a known format (Options.Known): a catch-all rule (no
//     path_regex) would otherwise pick up every image, binary and source
//     file of the tree and encrypt it whole;
//   - it is not a .sops.yaml (or .sops.yml) itself;
//   - it is a regular file (symbolic links are never followed, neither to
//     files nor to directories), not inside a version-control directory
//     (.git, .hg, .svn, .bzr, .jj, _darcs), and no larger than MaxSize.
//
// A file named explicitly (a root that is a file) skips the extension test:
// the user asked for it.
package bulk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/hullsecrets/hull/config"
)

// VCSDirs are directory names never entered.
var VCSDirs = []string{".git", ".hg", ".svn", ".bzr", ".jj", "_darcs"}

// Options control Walk.
type Options struct {
	// MaxSize is the largest file selected (0: no limit). A larger file a
	// rule matches is returned with Skip set.
	MaxSize int64
	// Known reports whether a file name has the extension of a known
	// format; see the package documentation. Nil means every name.
	Known func(name string) bool
}

// File is a file found by Walk.
type File struct {
	// Path is the file's path as found: the root joined with the path
	// below it (relative when the root is).
	Path string
	// Explicit is true when the file was named as a root.
	Explicit bool
	// Config is the config that applies (nil: none found).
	Config *config.Config
	// Rule is the creation rule that matches, or nil.
	Rule *config.CreationRule
	// Skip, when not empty, says why a file a rule matches is not to be
	// worked on (too large).
	Skip string
}

// Selector finds the .sops.yaml of each file and its matching creation
// rule, caching configs by directory. It is safe for concurrent use.
type Selector struct {
	// ConfigPath, when set, is the config for every file (--config,
	// SOPS_CONFIG).
	ConfigPath string
	// WorkDir is searched after the file's directory (the nearest
	// .sops.yaml of each file, a hull extension for -r; a single-file
	// command searches from the working directory only, as sops); ""
	// skips it.
	WorkDir string

	mu       sync.Mutex
	byDir    map[string]string // directory → config path found ("" none)
	loaded   map[string]*config.Config
	warnings []string
	warned   map[string]bool
}

// NewSelector is the selection of a bulk run: configPath (--config,
// SOPS_CONFIG) for every file when set, else each file's nearest
// .sops.yaml, searched up to the working directory.
func NewSelector(configPath string) *Selector {
	s := &Selector{ConfigPath: configPath}
	if wd, err := os.Getwd(); err == nil {
		s.WorkDir = wd
	}
	return s
}

// Warnings returns the warnings of config.Find met so far (a .sops.yml
// that was ignored), each once.
func (s *Selector) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// Config returns the config that applies to the file at path, or nil.
func (s *Selector) Config(path string) (*config.Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byDir == nil {
		s.byDir, s.loaded, s.warned = map[string]string{}, map[string]*config.Config{}, map[string]bool{}
	}
	cfgPath := s.ConfigPath
	if cfgPath == "" {
		dir := filepath.Dir(abs)
		p, ok := s.byDir[dir]
		if !ok {
			starts := []string{dir}
			if s.WorkDir != "" {
				starts = append(starts, s.WorkDir)
			}
			found, warnings, err := config.Find(starts, os.Stat)
			if err != nil {
				return nil, &ConfigError{Err: err}
			}
			for _, w := range warnings {
				if !s.warned[w] {
					s.warned[w] = true
					s.warnings = append(s.warnings, w)
				}
			}
			s.byDir[dir], p = found, found
		}
		if p == "" {
			return nil, nil
		}
		cfgPath = p
	}
	if c, ok := s.loaded[cfgPath]; ok {
		return c, nil
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("reading config: %w", err)}
	}
	s.loaded[cfgPath] = c
	return c, nil
}

// Loaded is the number of distinct configs found and read so far.
func (s *Selector) Loaded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.loaded)
}

// Rule returns the config that applies to path and its matching creation
// rule (nil, without error, when there is no config, no creation rules or
// no matching rule).
func (s *Selector) Rule(path string) (*config.Config, *config.CreationRule, error) {
	c, err := s.Config(path)
	if err != nil || c == nil || c.CreationRules == nil {
		return c, nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return c, nil, err
	}
	r, err := c.RuleFor(abs)
	if errors.Is(err, config.ErrNoMatchingRule) {
		return c, nil, nil
	}
	if err != nil {
		return c, nil, &ConfigError{Err: err}
	}
	return c, r, nil
}

// ConfigError is a config that could not be found or read.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// IsConfigName reports whether name is the base name of a config file.
func IsConfigName(name string) bool {
	return name == config.FileName || name == ".sops.yml"
}

// Walk lists the files under roots (files or directories), sorted within
// each root, each with its config and rule. Files no rule matches are
// returned too (Rule nil), for callers that report them; use Selected to
// keep the others. A root that does not exist is an error; so is a config
// that cannot be read.
func Walk(roots []string, sel *Selector, opts Options) ([]File, error) {
	var out []File
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			f, err := classify(root, fi, true, sel, opts)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
			continue
		}
		var found []File
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && isVCS(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || IsConfigName(d.Name()) {
				return nil // symbolic links, devices, sockets; configs
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			f, err := classify(p, info, false, sel, opts)
			if err != nil {
				return err
			}
			found = append(found, f)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		out = append(out, found...)
	}
	return out, nil
}

func classify(p string, info fs.FileInfo, explicit bool, sel *Selector, opts Options) (File, error) {
	f := File{Path: p, Explicit: explicit}
	cfg, rule, err := sel.Rule(p)
	if err != nil {
		return f, err
	}
	f.Config = cfg
	if IsConfigName(filepath.Base(p)) {
		// .sops.yaml is never a secrets file, even when a rule's
		// path_regex (say \.yaml$) matches its name or it is named on the
		// command line (the pre-commit hook passes every staged file).
		return f, nil
	}
	if rule != nil && (explicit || rule.PathRegex != nil || opts.Known == nil || opts.Known(filepath.Base(p))) {
		f.Rule = rule
	}
	if f.Rule != nil && opts.MaxSize > 0 && info.Size() > opts.MaxSize {
		f.Skip = fmt.Sprintf("larger than %d bytes", opts.MaxSize)
	}
	return f, nil
}

func isVCS(name string) bool {
	for _, v := range VCSDirs {
		if name == v {
			return true
		}
	}
	return false
}

// Selected returns the files a rule matches.
func Selected(files []File) []File {
	var out []File
	for _, f := range files {
		if f.Rule != nil {
			out = append(out, f)
		}
	}
	return out
}

// Workers is the default number of workers: 4 × GOMAXPROCS. The work on
// one file is short on CPU and long on waiting (fsync of the file and its
// directory, the directory lock, a KMS round trip to unwrap the data key),
// so more workers than cores keep the cores busy; the number stays bounded.
func Workers() int { return 4 * runtime.GOMAXPROCS(0) }

// Hooks are called by Run, under one lock, so they may write to a shared
// terminal without interleaving.
type Hooks[T any] struct {
	// Done is called with each result in input order, as soon as it and
	// every earlier one are finished.
	Done func(i int, r T)
	// Progress is called after each file with the number finished.
	Progress func(done, total int)
	// Order, when not nil, is the order in which items are started (a
	// permutation of their indexes, see Spread); results still come back
	// in input order.
	Order []int
}

// Spread returns an order for Hooks.Order that takes the files one
// directory after the other (the first file of each directory, then the
// second, …), so that concurrent workers seldom wait for the same
// directory: hull locks a file's directory while it rewrites the file.
func Spread(files []File) []int {
	byDir := map[string][]int{}
	var dirs []string
	for i, f := range files {
		d := filepath.Dir(f.Path)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], i)
	}
	out := make([]int, 0, len(files))
	for k := 0; len(out) < len(files); k++ {
		for _, d := range dirs {
			if k < len(byDir[d]) {
				out = append(out, byDir[d][k])
			}
		}
	}
	return out
}

// Run calls work for every item with at most workers calls at a time
// (Workers() when workers < 1) and returns the results in input order.
// work must handle its own failures (a failing item must not stop the
// others): its result carries them.
func Run[In, Out any](items []In, workers int, work func(i int, item In) Out, hooks Hooks[Out]) []Out {
	if workers < 1 {
		workers = Workers()
	}
	workers = min(workers, len(items))
	out := make([]Out, len(items))
	finished := make([]bool, len(items))
	var mu sync.Mutex
	next, done := 0, 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := work(i, items[i])
				mu.Lock()
				out[i], finished[i] = r, true
				done++
				for next < len(items) && finished[next] {
					if hooks.Done != nil {
						hooks.Done(next, out[next])
					}
					next++
				}
				if hooks.Progress != nil {
					hooks.Progress(done, len(items))
				}
				mu.Unlock()
			}
		}()
	}
	if hooks.Order != nil {
		for _, i := range hooks.Order {
			jobs <- i
		}
	} else {
		for i := range items {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	return out
}

// Outcome is what happened to one file of a bulk change.
type Outcome int

// Outcomes.
const (
	Unchanged Outcome = iota
	Changed
	Skipped
	Failed
)

// Summary counts the outcomes of a bulk change.
type Summary struct {
	Total, Changed, Unchanged, Skipped, Failed int
}

// Err is the error of a bulk change of verb in which some files failed
// (nil when none did).
func (s Summary) Err(verb string) error {
	if s.Failed == 0 {
		return nil
	}
	return fmt.Errorf("%s failed for %d of %d files (see the errors above)", verb, s.Failed, s.Total)
}

// Add counts one outcome.
func (s *Summary) Add(o Outcome) {
	s.Total++
	switch o {
	case Changed:
		s.Changed++
	case Unchanged:
		s.Unchanged++
	case Skipped:
		s.Skipped++
	case Failed:
		s.Failed++
	}
}

// String is "N files: X changed, Y unchanged, Z failed", with ", W
// skipped" when some were.
func (s Summary) String() string {
	noun := "files"
	if s.Total == 1 {
		noun = "file"
	}
	out := fmt.Sprintf("%d %s: %d changed, %d unchanged, %d failed", s.Total, noun, s.Changed, s.Unchanged, s.Failed)
	if s.Skipped > 0 {
		out += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	return out
}
