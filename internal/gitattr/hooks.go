package gitattr

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// HookReport is what Install or Uninstall did to the pre-commit hook at
// Path: one of the results of InstallHook (Install) or of UninstallHook
// (Uninstall).
type HookReport struct {
	Path      string
	Result    int
	uninstall bool
}

// Install is 'hull hooks install' in dir's repository: the hook script
// (HookScript, running the program at self, or this executable when self
// is "", when no hull is on PATH) written by InstallHook. It fails as
// HookPath and InstallHook do.
func Install(ctx context.Context, dir, self string, blockDrift, force bool) (*HookReport, error) {
	path, err := HookPath(ctx, dir)
	if err != nil {
		return nil, err
	}
	if self == "" {
		self = Executable()
	}
	res, err := InstallHook(path, HookScript(self, blockDrift), force)
	if err != nil {
		return nil, err
	}
	return &HookReport{Path: path, Result: res}, nil
}

// Executable is the path of this program with symbolic links resolved,
// else "hull".
func Executable() string {
	self, err := os.Executable()
	if err != nil {
		return "hull"
	}
	if p, err := filepath.EvalSymlinks(self); err == nil {
		return p
	}
	return self
}

// Uninstall is 'hull hooks uninstall' in dir's repository (UninstallHook).
func Uninstall(ctx context.Context, dir string) (*HookReport, error) {
	path, err := HookPath(ctx, dir)
	if err != nil {
		return nil, err
	}
	res, err := UninstallHook(path)
	if err != nil {
		return nil, err
	}
	return &HookReport{Path: path, Result: res, uninstall: true}, nil
}

// Lines say what was done, one sentence a line.
func (r *HookReport) Lines() []string {
	if r.uninstall {
		switch r.Result {
		case HookNone:
			return []string{"no pre-commit hook installed"}
		case HookRestored:
			return []string{fmt.Sprintf("removed hull's hook and put back %s from %s", r.Path, ChainedHook)}
		}
		return []string{"removed " + r.Path}
	}
	switch r.Result {
	case HookAlreadyInstalled:
		return []string{r.Path + " is already installed"}
	case HookChained:
		return []string{"installed " + r.Path, fmt.Sprintf("your previous hook is kept as %s and runs first; 'hull hooks uninstall' puts it back", filepath.Join(filepath.Dir(r.Path), ChainedHook))}
	}
	return []string{"installed " + r.Path}
}
