// Package library manages the local scan library: one folder per scan under
// a library root, each holding result.json, the images the analysis wrote
// and upload.json, the record of what has been uploaded to Supabase.
//
// Every file the library writes goes through engine/safefile (temporary file
// + rename), so a crash leaves either the previous state or the new one.
package library

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"gradevault/engine/item"
	"gradevault/engine/safefile"
	"gradevault/engine/scan"
)

// EnvLibrary names the environment variable that overrides the default
// library root.
const EnvLibrary = "GRADEVAULT_LIBRARY"

// ErrInvalidScanID is returned (wrapped) by ValidScanID.
var ErrInvalidScanID = errors.New("invalid scan ID")

// Root returns the library root: flag if it is set, else $GRADEVAULT_LIBRARY,
// else ~/GradeVault/scans. A leading "~/" is expanded to the home folder.
func Root(flag string) string {
	dir := flag
	if dir == "" {
		dir = os.Getenv(EnvLibrary)
	}
	if dir == "" {
		dir = filepath.Join("~", "GradeVault", "scans")
	}
	return expandHome(dir)
}

func expandHome(dir string) string {
	if dir != "~" && !strings.HasPrefix(dir, "~/") && !strings.HasPrefix(dir, "~"+string(filepath.Separator)) {
		return filepath.Clean(dir)
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		// No home folder: fall back to a folder relative to the working
		// directory rather than a literal "~".
		return filepath.Clean(strings.TrimPrefix(strings.TrimPrefix(dir, "~"), string(filepath.Separator)))
	}
	return filepath.Join(home, strings.TrimPrefix(dir, "~"))
}

// CacheDir is the folder, inside the library root, that keeps per-frame
// metrics between analyses of the same video (analysis.DirCache). The
// library's listing skips it.
func CacheDir(root string) string { return filepath.Join(root, ".metrics-cache") }

// ScanDir is the folder of scan scanID inside the library root.
func ScanDir(root, scanID string) string {
	return filepath.Join(root, scanID)
}

// NewScanID returns a new scan ID such as "scan-20261126-013045-ab12cd":
// the UTC creation time, so that IDs sort in creation order, and six random
// hex digits, so that two scans started in the same second still differ.
// Within a process an ID is never issued twice: six digits alone left two
// of 200 IDs made in one second equal about once in 800 runs of the test.
func NewScanID() string {
	second := time.Now().UTC().Format("20060102-150405")
	issued.Lock()
	defer issued.Unlock()
	if issued.second != second {
		issued.second, issued.ids = second, map[string]bool{}
	}
	for {
		var b [3]byte
		rand.Read(b[:]) // never fails (Go 1.24+)
		id := "scan-" + second + "-" + hex.EncodeToString(b[:])
		if !issued.ids[id] {
			issued.ids[id] = true
			return id
		}
	}
}

// issued holds the IDs NewScanID gave out in the current second.
var issued struct {
	sync.Mutex
	second string
	ids    map[string]bool
}

var scanIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidScanID checks that id can be used as a folder name and as the first
// segment of an object path: 1–128 characters from [A-Za-z0-9._-], starting
// with a letter or digit, with no "..".
func ValidScanID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidScanID)
	case strings.Contains(id, ".."):
		return fmt.Errorf("%w %q: contains \"..\"", ErrInvalidScanID, id)
	case !scanIDPattern.MatchString(id):
		return fmt.Errorf("%w %q: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidScanID, id)
	}
	return nil
}

// Entry is one scan in the library listing.
type Entry struct {
	ID        string    // scan ID (from result.json, else the folder name)
	Dir       string    // scan folder
	CreatedAt time.Time // when the scan was made (folder time if unknown)
	ItemType  item.Type // comic, card, toy, or "" if not recorded
	// HasGlint reports whether the glint analysis ran; DamageScore is only
	// meaningful when it did.
	HasGlint     bool
	DamageScore  float64
	GoldenFrames int
	// Video is the file name of the source video; Thumbnail the first
	// golden frame (a path relative to Dir), "" if there is none.
	Video     string
	Thumbnail string
	Upload    State // local, partial, uploaded or failed
	// UploadDetail qualifies an uploaded scan: the job row failed, the
	// signed links expire or have expired, the links need the key; "" if
	// there is nothing to add (see State.Detail).
	UploadDetail string
	// Err is set when the folder could not be read as a scan (corrupt or
	// unreadable result.json); the other fields are then best effort.
	Err error
	// Note describes a lesser problem, such as an unreadable upload.json.
	Note string
}

// Corrupt reports whether the entry's result.json could not be read.
func (e Entry) Corrupt() bool { return e.Err != nil }

// List returns every scan in root, newest first. Folders holding a
// result.json that cannot be parsed are listed with Err set; folders without
// result.json (an analysis still running, or unrelated folders) and hidden
// or temporary entries are skipped. A missing root is an empty library.
func List(root string) ([]Entry, error) {
	dirents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read library %s: %w", root, err)
	}
	var entries []Entry
	for _, de := range dirents {
		name := de.Name()
		if !de.IsDir() || strings.HasPrefix(name, ".") || safefile.IsTemp(name) {
			continue
		}
		dir := filepath.Join(root, name)
		if e, ok := entryFor(dir, name); ok {
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID > b.ID
	})
	return entries, nil
}

// entryFor builds the listing entry of one folder; ok is false when the
// folder holds no result.json at all.
func entryFor(dir, name string) (e Entry, ok bool) {
	e = Entry{ID: name, Dir: dir, Upload: StateLocal}
	info, err := os.Stat(filepath.Join(dir, scan.ResultFile))
	if errors.Is(err, os.ErrNotExist) {
		return e, false
	}
	if err == nil {
		e.CreatedAt = info.ModTime()
	}
	r, err := scan.ReadResult(dir)
	if err != nil {
		e.Err = err
		return e, true
	}
	if r.ScanID != "" {
		e.ID = r.ScanID
	}
	if !r.CreatedAt.IsZero() {
		e.CreatedAt = r.CreatedAt
	}
	e.ItemType = r.ItemType
	e.GoldenFrames = len(r.GoldenFrames)
	if r.Video.Path != "" {
		e.Video = filepath.Base(r.Video.Path)
	}
	if len(r.GoldenFrameDetails) > 0 {
		e.Thumbnail = r.GoldenFrameDetails[0].File
	}
	if r.Report != nil {
		e.HasGlint = true
		e.DamageScore = r.DamageScore
	}
	st, err := ReadState(dir)
	if err != nil {
		e.Note = err.Error()
	} else {
		e.Upload = st.State
		e.UploadDetail = st.Detail(time.Now())
	}
	return e, true
}

// Scan is a scan restored from its folder.
type Scan struct {
	Dir    string
	Result *scan.Result
	Upload *UploadState // never nil: a fresh "local" state if none was saved
	// Note describes a lesser problem, such as an unreadable upload.json
	// (the scan then counts as not uploaded).
	Note string
}

// ID is the scan's ID: result.json's scanId, else the folder name.
func (s *Scan) ID() string {
	if s.Result != nil && s.Result.ScanID != "" {
		return s.Result.ScanID
	}
	return filepath.Base(s.Dir)
}

// Open restores a scan from its folder (result.json and upload.json)
// without re-analysing anything.
func Open(dir string) (*Scan, error) {
	r, err := scan.ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("open scan %s: %w", dir, err)
	}
	s := &Scan{Dir: dir, Result: r}
	if s.Upload, err = ReadState(dir); err != nil {
		s.Upload, s.Note = NewState(), err.Error()
	}
	return s, nil
}
