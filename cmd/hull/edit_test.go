package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// fakeEditorMain is the editor of the edit_*.txtar scripts (EDITOR=fake-editor).
// It edits its last argument as the FAKE_EDITOR_* variables say (an empty
// variable counts as unset), in this order:
//
//	FAKE_EDITOR_RECORD=F   append path=, mode=, dirmode=, tmpdir= and args= lines to F
//	FAKE_EDITOR_SAVE=F     copy the text it was given to F
//	FAKE_EDITOR_COPY=F     replace the text with F's content
//	FAKE_EDITOR_FROM, _TO  replace every FROM with TO (exit 3 when FROM is absent)
//	FAKE_EDITOR_APPEND=T   append T and a newline
//	FAKE_EDITOR_TOUCH=F    append "# touched" to F (someone else changes the target)
//	FAKE_EDITOR_READY=F    create F, then with FAKE_EDITOR_WAIT=1 sleep until killed (60 s at most)
//	FAKE_EDITOR_EXIT=N     exit with status N
func fakeEditorMain() {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "fake-editor: "+format+"\n", args...)
		os.Exit(99)
	}
	if len(os.Args) < 2 {
		fail("no file")
	}
	file := os.Args[len(os.Args)-1]
	get := os.Getenv
	if rec := get("FAKE_EDITOR_RECORD"); rec != "" {
		fi, err := os.Stat(file)
		if err != nil {
			fail("%v", err)
		}
		di, err := os.Stat(filepath.Dir(file))
		if err != nil {
			fail("%v", err)
		}
		line := fmt.Sprintf("path=%s\nmode=%04o\ndirmode=%04o\ntmpdir=%s\nargs=%s\n", file, fi.Mode().Perm(), di.Mode().Perm(),
			get("TMPDIR"), strings.Join(os.Args[1:], " "))
		appendFile(rec, line)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	orig := text
	if f := get("FAKE_EDITOR_SAVE"); f != "" {
		if err := os.WriteFile(f, text, 0o600); err != nil {
			fail("%v", err)
		}
	}
	if f := get("FAKE_EDITOR_COPY"); f != "" {
		if text, err = os.ReadFile(f); err != nil {
			fail("%v", err)
		}
	}
	if from := get("FAKE_EDITOR_FROM"); from != "" {
		if !bytes.Contains(text, []byte(from)) {
			fmt.Fprintf(os.Stderr, "fake-editor: %q not found\n", from)
			os.Exit(3)
		}
		text = bytes.ReplaceAll(text, []byte(from), []byte(get("FAKE_EDITOR_TO")))
	}
	if t := get("FAKE_EDITOR_APPEND"); t != "" {
		text = append(append(text, t...), '\n')
	}
	if !bytes.Equal(text, orig) {
		// Write in place, as most editors do.
		if err := os.WriteFile(file, text, 0o600); err != nil {
			fail("%v", err)
		}
	}
	if f := get("FAKE_EDITOR_TOUCH"); f != "" {
		appendFile(f, "# touched\n")
	}
	if f := get("FAKE_EDITOR_READY"); f != "" {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			fail("%v", err)
		}
		if get("FAKE_EDITOR_WAIT") == "1" {
			time.Sleep(60 * time.Second)
			fail("not killed within 60s")
		}
	}
	if s := get("FAKE_EDITOR_EXIT"); s != "" {
		n, _ := strconv.Atoi(s)
		os.Exit(n)
	}
}

func appendFile(name, text string) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(99)
	}
}

// editHelperMain holds the checks of the edit_*.txtar scripts:
//
//	edit-helper gone REC              the editor's private directory (path= in REC, from
//	                                  FAKE_EDITOR_RECORD) no longer exists, and was TMPDIR
//	edit-helper changed OLD NEW       print the keys of the lines that differ (same line count;
//	                                  lastmodified is left out: it changes with the clock)
//	edit-helper size FILE N           FILE has N bytes
//	edit-helper append FILE TEXT      append TEXT and a newline to FILE
//	edit-helper rc CODE CMD [ARG...]  run CMD (stdio passed through) and check its exit status
func editHelperMain() {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "edit-helper: "+format+"\n", args...)
		os.Exit(1)
	}
	if len(os.Args) < 3 {
		fail("usage: edit-helper gone REC | changed OLD NEW | append FILE TEXT")
	}
	switch os.Args[1] {
	case "gone":
		rec, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail("%v", err)
		}
		var paths []string
		tmpdirs := map[string]bool{}
		for _, l := range strings.Split(string(rec), "\n") {
			if p, ok := strings.CutPrefix(l, "path="); ok {
				paths = append(paths, p)
			}
			if p, ok := strings.CutPrefix(l, "tmpdir="); ok {
				tmpdirs[p] = true
			}
		}
		if len(paths) == 0 {
			fail("no path= line in %s", os.Args[2])
		}
		for _, p := range paths {
			dir := filepath.Dir(p)
			if !tmpdirs[dir] {
				fail("TMPDIR was not the private directory %s", dir)
			}
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				fail("%s still exists (%v)", dir, err)
			}
		}
	case "changed":
		if len(os.Args) != 4 {
			fail("usage: edit-helper changed OLD NEW")
		}
		a, err1 := os.ReadFile(os.Args[2])
		b, err2 := os.ReadFile(os.Args[3])
		if err1 != nil || err2 != nil {
			fail("%v %v", err1, err2)
		}
		la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		if len(la) != len(lb) {
			fail("%d lines before, %d after", len(la), len(lb))
		}
		for i := range la {
			k, _, _ := strings.Cut(lb[i], ":")
			// lastmodified changes only when the second has changed.
			if la[i] != lb[i] && strings.TrimSpace(k) != "lastmodified" {
				fmt.Println(strings.TrimSpace(k))
			}
		}
	case "rc":
		want, err := strconv.Atoi(os.Args[2])
		if err != nil || len(os.Args) < 4 {
			fail("usage: edit-helper rc CODE COMMAND [ARG...]")
		}
		cmd := exec.Command(os.Args[3], os.Args[4:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err = cmd.Run()
		got := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			fail("%v", err)
		}
		if got != want {
			fail("%s exited with %d, want %d", os.Args[3], got, want)
		}
	case "size":
		fi, err := os.Stat(os.Args[2])
		if err != nil || len(os.Args) != 4 {
			fail("usage: edit-helper size FILE N (%v)", err)
		}
		if strconv.FormatInt(fi.Size(), 10) != os.Args[3] {
			fail("%s has %d bytes, want %s", os.Args[2], fi.Size(), os.Args[3])
		}
	case "append":
		if len(os.Args) != 4 {
			fail("usage: edit-helper append FILE TEXT")
		}
		appendFile(os.Args[2], os.Args[3]+"\n")
	default:
		fail("unknown check %q", os.Args[1])
	}
}
