package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gradevault/engine/safefile"
)

// StateFile is the name of the upload record inside a scan folder.
const StateFile = "upload.json"

// State is the upload state of a scan or of one object.
type State string

// Upload states. A scan is StateLocal until something is uploaded,
// StatePartial while (or after an interruption while) objects are being
// uploaded, StateUploaded once every object and result.json are in the
// bucket, and StateFailed when the last attempt ended in an error.
// Objects are StateLocal (not sent yet), StateUploaded or StateFailed.
const (
	StateLocal    State = "local"
	StatePartial  State = "partial"
	StateUploaded State = "uploaded"
	StateFailed   State = "failed"
)

// ObjectState records one object of a scan in the bucket.
type ObjectState struct {
	File       string     `json:"file"` // local path relative to the scan folder ("" for generated content)
	Size       int64      `json:"size"`
	SHA256     string     `json:"sha256"`
	State      State      `json:"state"`
	URL        string     `json:"url,omitempty"`
	UploadedAt *time.Time `json:"uploadedAt,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// JobState records the optional analysis_jobs row update.
type JobState struct {
	State     State      `json:"state"`
	SHA256    string     `json:"sha256,omitempty"` // of the cv_results sent
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// UploadState is upload.json. It names the project and bucket the objects
// went to but never holds the key.
type UploadState struct {
	State      State  `json:"state"`
	ProjectURL string `json:"projectUrl,omitempty"`
	Bucket     string `json:"bucket,omitempty"`
	ResultURL  string `json:"resultUrl,omitempty"`
	// Access says how the URLs can be read: "public", "signed" (private
	// bucket; they expire at LinksExpireAt) or "authenticated" (private
	// bucket, the links need the project key).
	Access        string                 `json:"access,omitempty"`
	LinksExpireAt *time.Time             `json:"linksExpireAt,omitempty"`
	UpdatedAt     time.Time              `json:"updatedAt"`
	UploadedAt    *time.Time             `json:"uploadedAt,omitempty"` // when the scan last became fully uploaded
	Error         string                 `json:"error,omitempty"`
	Objects       map[string]ObjectState `json:"objects"` // keyed by object path in the bucket
	Job           *JobState              `json:"jobTable,omitempty"`
}

// Detail says what the state alone does not, for an uploaded scan at time
// now: "job row not updated", "links expire 2026-12-08", "links expired"
// (signed links of a private bucket; upload again to renew them) or "links
// need the key", joined with "; ". It is "" for other states.
func (s *UploadState) Detail(now time.Time) string {
	if s.State != StateUploaded {
		return ""
	}
	var parts []string
	if s.Job != nil && s.Job.State == StateFailed {
		parts = append(parts, "job row not updated")
	}
	switch {
	case s.Access == "signed" && s.LinksExpireAt != nil && !now.Before(*s.LinksExpireAt):
		parts = append(parts, "links expired")
	case s.Access == "signed" && s.LinksExpireAt != nil:
		parts = append(parts, "links expire "+s.LinksExpireAt.Local().Format("2006-01-02 15:04"))
	case s.Access == "authenticated":
		parts = append(parts, "links need the key")
	}
	return strings.Join(parts, "; ")
}

// NewState returns the state of a scan that was never uploaded.
func NewState() *UploadState {
	return &UploadState{State: StateLocal, Objects: map[string]ObjectState{}}
}

// Clone returns a deep copy of s.
func (s *UploadState) Clone() *UploadState {
	c := *s
	if s.LinksExpireAt != nil {
		t := *s.LinksExpireAt
		c.LinksExpireAt = &t
	}
	c.Objects = make(map[string]ObjectState, len(s.Objects))
	for k, v := range s.Objects {
		c.Objects[k] = v
	}
	if s.Job != nil {
		j := *s.Job
		c.Job = &j
	}
	return &c
}

// ReadState loads upload.json from a scan folder. A missing file is a scan
// that was never uploaded.
func ReadState(dir string) (*UploadState, error) {
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	st := NewState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if st.Objects == nil {
		st.Objects = map[string]ObjectState{}
	}
	switch st.State {
	case StateLocal, StatePartial, StateUploaded, StateFailed:
	default:
		return nil, fmt.Errorf("read %s: unknown state %q", path, st.State)
	}
	return st, nil
}

// writeFile is the atomic write WriteState uses; tests replace it to
// simulate a crash in the middle of a write.
var writeFile = safefile.WriteFile

// WriteState writes upload.json into a scan folder atomically: readers see
// the previous state or the new one, never a mix.
func WriteState(dir string, st *UploadState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode upload state: %w", err)
	}
	return writeFile(filepath.Join(dir, StateFile), append(data, '\n'), 0o644)
}
