package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNotRepository is returned when a git mode is used outside a work tree.
var ErrNotRepository = errors.New("not inside a git work tree")

// git runs git in dir and returns its stdout.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

// GitRoot returns the top of the work tree that holds dir.
func GitRoot(ctx context.Context, dir string) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", fmt.Errorf("%w (git is not installed)", ErrNotRepository)
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", ErrNotRepository
	}
	return filepath.FromSlash(strings.TrimSpace(string(out))), nil
}

// GitFiles emits the tracked files and the untracked files that are not
// ignored (git ls-files -co --exclude-standard), read from the work tree.
func GitFiles(root string) Producer {
	return func(ctx context.Context, emit func(Input) error) error {
		out, err := git(ctx, root, "ls-files", "-z", "-c", "-o", "--exclude-standard")
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, name := range splitZ(out) {
			if seen[name] {
				continue // listed once per stage in a conflicted merge
			}
			seen[name] = true
			if err := emit(Input{Name: name, Path: filepath.Join(root, filepath.FromSlash(name)), Size: -1}); err != nil {
				return err
			}
		}
		return nil
	}
}

// GitStaged emits the staged content (the index) of each file that is
// added, copied, modified or changed in type in the index compared with
// HEAD (or with the empty tree before the first commit). Submodules and
// symbolic links are skipped.
func GitStaged(root string, maxSize int64) Producer {
	return func(ctx context.Context, emit func(Input) error) error {
		out, err := git(ctx, root, "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--diff-filter=ACMT")
		if err != nil {
			return err
		}
		var blobs []blobRef
		f := splitZ(out)
		for i := 0; i+1 < len(f); i += 2 {
			meta := strings.Fields(strings.TrimPrefix(f[i], ":"))
			if len(meta) < 5 {
				return fmt.Errorf("git diff: unexpected output %q", f[i])
			}
			if mode := meta[1]; mode == "160000" || mode == "120000" {
				continue
			}
			blobs = append(blobs, blobRef{sha: meta[3], name: f[i+1]})
		}
		return catBlobs(ctx, root, blobs, maxSize, false, emit)
	}
}

// GitHistory emits every blob reachable from any ref (git rev-list
// --objects --all), once each, with the path it was first seen at. The
// Commit of each input is empty; call [CommitsAdding] for the blobs with
// findings.
func GitHistory(root string, maxSize int64) Producer {
	return func(ctx context.Context, emit func(Input) error) error {
		out, err := git(ctx, root, "rev-list", "--objects", "--all", "--filter=object:type=blob", "--filter-provided-objects")
		if err != nil {
			// --filter-provided-objects needs git 2.32; try without it
			out, err = git(ctx, root, "rev-list", "--objects", "--all", "--filter=object:type=blob")
			if err != nil {
				return err
			}
		}
		var blobs []blobRef
		for _, l := range strings.Split(string(out), "\n") {
			sha, name, ok := strings.Cut(l, " ")
			if !ok || name == "" {
				continue // commits and the root tree have no path
			}
			blobs = append(blobs, blobRef{sha: sha, name: name})
		}
		return catBlobs(ctx, root, blobs, maxSize, true, emit)
	}
}

type blobRef struct{ sha, name string }

// catBlobs streams blobs through one git cat-file --batch. Blobs larger
// than maxSize are read past and emitted without content, so they are
// counted as skipped. With history, inputs carry "blob:SHA" in Commit
// until [CommitsAdding] replaces it.
func catBlobs(ctx context.Context, root string, blobs []blobRef, maxSize int64, history bool, emit func(Input) error) error {
	if len(blobs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", root, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(stdin)
		for _, b := range blobs {
			if _, err := fmt.Fprintln(w, b.sha); err != nil {
				werr <- err
				return
			}
		}
		err := w.Flush()
		stdin.Close()
		werr <- err
	}()
	r := bufio.NewReaderSize(stdout, 1<<16)
	var readErr error
	for _, b := range blobs {
		hdr, err := r.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("git cat-file: %v", err)
			break
		}
		fields := strings.Fields(hdr)
		if len(fields) == 2 && fields[1] == "missing" {
			continue // a promisor (partial clone) object
		}
		if len(fields) != 3 {
			readErr = fmt.Errorf("git cat-file: unexpected header %q", hdr)
			break
		}
		size, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			readErr = fmt.Errorf("git cat-file: unexpected header %q", hdr)
			break
		}
		x := Input{Name: b.name, Size: size}
		if history {
			x.Commit = "blob:" + b.sha
		}
		if size > maxSize {
			if _, err := io.CopyN(io.Discard, r, size+1); err != nil {
				readErr = fmt.Errorf("git cat-file: %v", err)
				break
			}
			if err := emit(x); err != nil {
				readErr = err
				break
			}
			continue
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			readErr = fmt.Errorf("git cat-file: %v", err)
			break
		}
		x.Data = data[:size]
		if err := emit(x); err != nil {
			readErr = err
			break
		}
	}
	if readErr != nil {
		cancel()
		cmd.Wait()
		return readErr
	}
	if err := <-werr; err != nil {
		cmd.Wait()
		return fmt.Errorf("git cat-file: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %s", strings.TrimSpace(stderr.String()))
	}
	return nil
}

// CommitsAdding fills in the Commit of history findings: the oldest commit
// (on any ref) that added the blob each finding was read from.
func CommitsAdding(ctx context.Context, root string, fs []Finding) error {
	cache := map[string]string{}
	for i := range fs {
		blob, ok := strings.CutPrefix(fs[i].Commit, "blob:")
		if !ok {
			continue
		}
		c, ok := cache[blob]
		if !ok {
			out, err := git(ctx, root, "log", "--all", "--reverse", "--format=%H", "--find-object="+blob)
			if err != nil {
				return err
			}
			c, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
			cache[blob] = c
		}
		fs[i].Commit = c
	}
	return nil
}

func splitZ(b []byte) []string {
	var out []string
	for _, s := range bytes.Split(b, []byte{0}) {
		if len(s) > 0 {
			out = append(out, string(s))
		}
	}
	return out
}
