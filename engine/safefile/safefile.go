// Package safefile writes files atomically: the data goes to a temporary
// file in the destination's folder, is synced, and is then renamed over the
// destination, so readers see either the old file or the new one, never a
// partial write.
package safefile

import (
	"fmt"
	"os"
	"path/filepath"
)

// tempPrefix marks temporary files so that a crashed write can be recognised
// and cleaned up.
const tempPrefix = ".gv-tmp-"

// WriteFile atomically replaces path with data, creating parent folders as
// needed.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// Write atomically replaces path with whatever fill writes to the temporary
// file it is given. If fill fails, the destination is left untouched.
func Write(path string, perm os.FileMode, fill func(f *os.File) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// IsTemp reports whether name (a base name) is one of this package's
// temporary files.
func IsTemp(name string) bool {
	return len(name) >= len(tempPrefix) && name[:len(tempPrefix)] == tempPrefix
}

// RemoveTemps deletes leftover temporary files directly inside dir, such as
// those of a write interrupted by a crash.
func RemoveTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && IsTemp(e.Name()) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}
