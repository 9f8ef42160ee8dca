// Package video opens a video file and decodes its frames upright, either in
// order or at any frame number.
//
// Decoding goes through OpenCV's FFmpeg back end. Phone videos carry a
// display rotation in their metadata. OpenCV can apply it itself
// (CAP_PROP_ORIENTATION_AUTO), but OpenCV 4.6.0 reads the display matrix
// with the wrong sign and turns ±90° videos upside down
// (opencv/opencv#22088). So this package turns OpenCV's rotation off, reads
// the angle, corrects its sign on 4.6.0, and rotates frames itself: every
// frame handed out is upright and Info reports upright dimensions.
package video

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"gocv.io/x/gocv"
)

// OpenCV capture properties that gocv 0.31 does not name.
const (
	propOrientationMeta gocv.VideoCaptureProperties = 48
	propOrientationAuto gocv.VideoCaptureProperties = 49
)

func init() {
	// FFmpeg and OpenCV print their own diagnostics to stderr (for example
	// "moov atom not found" for a damaged file). This package reports every
	// failure as an error instead, so keep them quiet unless the user asked
	// for them. Both are read when the first capture is opened.
	quiet("OPENCV_FFMPEG_LOGLEVEL", "-8") // AV_LOG_QUIET
	quiet("OPENCV_LOG_LEVEL", "SILENT")
}

func quiet(key, value string) {
	if _, set := os.LookupEnv(key); !set {
		os.Setenv(key, value)
	}
}

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("file not found")
	ErrEmpty    = errors.New("file is empty")
	ErrNotVideo = errors.New("not a readable video")
	ErrNoFrame  = errors.New("frame not available")
)

// Info describes a video as it will be analysed.
type Info struct {
	Path     string
	Frames   int     // frame count (from the container, or counted by decoding)
	FPS      float64 // nominal frames per second
	Width    int     // upright frame width in pixels
	Height   int     // upright frame height in pixels
	Rotation int     // display rotation from the metadata, degrees (0, 90, 180, 270)
	// Counted is true when Frames was found by decoding the whole video
	// because the container's count was missing or implausible.
	Counted bool
}

// Duration is the video's length in seconds, derived from Frames and FPS.
func (i Info) Duration() float64 {
	if i.FPS <= 0 {
		return 0
	}
	return float64(i.Frames) / i.FPS
}

// Reader decodes frames from one video. A Reader is not safe for concurrent
// use; open one per goroutine.
type Reader struct {
	vc      *gocv.VideoCapture
	info    Info
	next    int       // number of the frame the next Read returns
	pts     float64   // raw presentation time (ms) of the frame Read returned last
	index   []float64 // every frame's raw presentation time, from SetIndex
	scratch *gocv.Mat // a frame decoded only to identify where a seek landed
	// Reopens counts how often Seek fell back to reopening the file.
	Reopens int
}

// Open opens path for decoding and reads its metadata. It checks that the
// file exists, is not empty and has a video stream. Info().Frames is the
// container's frame count, 0 when it has none (Probe counts them).
func Open(path string) (*Reader, error) {
	if _, err := Check(path); err != nil {
		return nil, err
	}
	opens.Add(1)
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return nil, fmt.Errorf("%s: damaged, incomplete or unsupported file, %w", path, ErrNotVideo)
	}
	vc.Set(propOrientationAuto, 0)
	r := &Reader{vc: vc}
	r.info = Info{
		Path:     path,
		Frames:   int(math.Round(vc.Get(gocv.VideoCaptureFrameCount))),
		FPS:      vc.Get(gocv.VideoCaptureFPS),
		Width:    int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:   int(vc.Get(gocv.VideoCaptureFrameHeight)),
		Rotation: displayRotation(vc.Get(propOrientationMeta)),
	}
	if r.info.Rotation%180 != 0 {
		r.info.Width, r.info.Height = r.info.Height, r.info.Width
	}
	if r.info.Width <= 0 || r.info.Height <= 0 {
		r.Close()
		return nil, fmt.Errorf("%s: no video stream, %w", path, ErrNotVideo)
	}
	if math.IsNaN(r.info.FPS) || r.info.FPS <= 0 || r.info.FPS > 1000 {
		r.info.FPS = 30
	}
	if r.info.Frames < 0 || r.info.Frames > 10_000_000 {
		r.info.Frames = 0
	}
	return r, nil
}

// Check does the cheap checks Open does before it starts a decoder: the
// file exists, is a file, is not empty and does not look like a picture or
// text. It returns the file's size.
func Check(path string) (int64, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, fmt.Errorf("%s: %w", path, ErrNotFound)
	case err != nil:
		return 0, fmt.Errorf("%s: %w", path, err)
	case st.IsDir():
		return 0, fmt.Errorf("%s: is a folder, %w", path, ErrNotVideo)
	case st.Size() == 0:
		return 0, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	return st.Size(), sniff(path)
}

// Decoder use, counted for tests and benchmarks.
var opens, reads atomic.Int64

// Counts returns how many decoders this process has opened and how many
// frames it has decoded, so far.
func Counts() (decodersOpened, framesRead int64) { return opens.Load(), reads.Load() }

// sniff rejects files that FFmpeg would open but that are not videos: still
// images (FFmpeg reads them as one-frame streams) and text.
func sniff(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	kind := http.DetectContentType(head[:n])
	switch {
	case strings.HasPrefix(kind, "image/"):
		return fmt.Errorf("%s: is a picture (%s), %w", path, kind, ErrNotVideo)
	case strings.HasPrefix(kind, "text/"):
		return fmt.Errorf("%s: is a text file, %w", path, ErrNotVideo)
	}
	return nil
}

// metaSignInverted is true for the OpenCV release whose
// CAP_PROP_ORIENTATION_META has the wrong sign (opencv/opencv#22088).
var metaSignInverted = gocv.OpenCVVersion() == "4.6.0"

// displayRotation turns OpenCV's orientation value into the clockwise angle
// (0, 90, 180 or 270) by which a player turns the stored picture.
func displayRotation(meta float64) int {
	if math.IsNaN(meta) {
		return 0
	}
	r := int(math.Round(meta/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	if metaSignInverted {
		r = (360 - r) % 360
	}
	return r
}

// upright turns a stored frame by the display rotation, in place.
func (r *Reader) upright(m *gocv.Mat) {
	switch r.info.Rotation {
	case 90:
		gocv.Rotate(*m, m, gocv.Rotate90Clockwise)
	case 180:
		gocv.Rotate(*m, m, gocv.Rotate180Clockwise)
	case 270:
		gocv.Rotate(*m, m, gocv.Rotate90CounterClockwise)
	}
}

// count decodes the whole video to count its frames, then rewinds.
func (r *Reader) count() (int, error) {
	m := gocv.NewMat()
	defer m.Close()
	n := 0
	for r.vc.Read(&m) && !m.Empty() {
		n++
	}
	if err := r.reopen(); err != nil {
		return 0, err
	}
	return n, nil
}

// Info returns the video's metadata.
func (r *Reader) Info() Info { return r.info }

// Next returns the number of the frame the next Read decodes.
func (r *Reader) Next() int { return r.next }

// Read decodes the next frame into dst (BGR, upright) and returns its frame
// number and timestamp in seconds. At the end of the stream, or where the
// file is damaged, it returns ErrNoFrame.
func (r *Reader) Read(dst *gocv.Mat) (frame int, seconds float64, err error) {
	if !r.vc.Read(dst) || dst.Empty() {
		return r.next, 0, fmt.Errorf("frame %d: %w", r.next, ErrNoFrame)
	}
	reads.Add(1)
	r.upright(dst)
	frame = r.next
	r.next++
	r.pts = r.vc.Get(gocv.VideoCapturePosMsec)
	return frame, r.timestamp(frame), nil
}

// PTS is the stream's presentation time, in milliseconds as OpenCV reports
// it, of the frame Read returned last. It identifies a frame: SetIndex takes
// a list of them.
func (r *Reader) PTS() float64 { return r.pts }

// timestamp is the presentation time of the frame just decoded: the
// stream's own timestamp where it has one, else frame/fps.
func (r *Reader) timestamp(frame int) float64 {
	ms := r.pts
	if frame > 0 && (ms <= 0 || math.IsNaN(ms)) {
		return float64(frame) / r.info.FPS
	}
	return max(ms, 0) / 1000
}

// grabAhead is how far forward Seek decodes its way instead of seeking.
const grabAhead = 32

// SetIndex gives the reader every frame's presentation time (PTS values of
// a sequential pass, frame 0 first). With an index, Seek identifies the
// frame a seek lands on by its timestamp and is exact on any stream:
// variable frame rate, dropped and duplicated timestamps, B-frames. Without
// one, Seek decodes from the start of the file (exact, but slow).
//
// A timestamp that does not increase (OpenCV reports 0 for the frames it
// flushes out of the decoder at the end of the stream) identifies
// nothing: such frames are reached by decoding forward from one that does.
func (r *Reader) SetIndex(pts []float64) {
	if len(pts) == 0 {
		r.index = nil
		return
	}
	r.index = make([]float64, len(pts))
	last := math.Inf(-1)
	for i, v := range pts {
		if math.IsNaN(v) || v <= last {
			r.index[i] = math.NaN()
			continue
		}
		r.index[i], last = v, v
	}
	r.info.Frames = len(pts)
}

// Seek positions the reader so that the next Read returns frame n: the
// n-th frame, from 0, in presentation order, as a sequential Read returns
// it.
//
// OpenCV seeks by a frame number it converts to a time with the nominal
// frame rate, which lands on the wrong frame in a variable-frame-rate
// video. So Seek asks OpenCV for a frame a little before n, reads the
// timestamp of the frame it landed on, looks it up in the index and
// decodes forward to n; when it landed too late, or on a timestamp the
// index does not know, it tries earlier, and finally reopens the file and
// decodes from frame 0.
func (r *Reader) Seek(n int) error {
	if n < 0 || (len(r.index) > 0 && n >= len(r.index)) {
		return fmt.Errorf("seek to frame %d: %w", n, ErrNoFrame)
	}
	if n == r.next {
		return nil
	}
	if n > r.next && n-r.next <= grabAhead {
		// Decoding forward is exact, and cheaper than a seek, which decodes
		// from the keyframe before n: phones put one every second or two,
		// some encoders only one per video.
		if err := r.grab(n - r.next); err == nil {
			return nil
		}
	}
	// OpenCV's own seek loses the frames the decoder flushes at the end of
	// the stream (those without a timestamp of their own): reach them by
	// decoding from the start.
	if len(r.index) > 0 && !math.IsNaN(r.index[n]) {
		if r.scratch == nil {
			m := gocv.NewMat()
			r.scratch = &m
		}
		back := 1
		for try := 0; try < 4; try++ {
			k := n - back
			if k < 1 {
				break
			}
			// OpenCV positions itself near k; the frame it then decodes is
			// identified by its timestamp, whatever OpenCV thinks it is.
			r.vc.Set(gocv.VideoCapturePosFrames, float64(k))
			if !r.vc.Read(r.scratch) || r.scratch.Empty() {
				back *= 4
				continue
			}
			j, ok := r.lookup(r.vc.Get(gocv.VideoCapturePosMsec))
			if ok && j < n {
				r.next = j + 1
				if err := r.grab(n - r.next); err == nil {
					return nil
				}
				break
			}
			if ok {
				back += j - n + 8
			} else {
				back *= 4
			}
		}
	}
	if err := r.reopen(); err != nil {
		return err
	}
	return r.grab(n)
}

// grab decodes k frames forward without converting them. With an index it
// checks that it arrived where it should.
func (r *Reader) grab(k int) error {
	if k <= 0 {
		return nil
	}
	r.vc.Grab(k)
	r.next += k
	if len(r.index) > 0 && !math.IsNaN(r.index[r.next-1]) {
		if j, ok := r.lookup(r.vc.Get(gocv.VideoCapturePosMsec)); !ok || j != r.next-1 {
			return fmt.Errorf("seek to frame %d: %w", r.next, ErrNoFrame)
		}
	}
	return nil
}

// lookup finds the frame whose indexed timestamp is ms (within a quarter
// of the gap to its neighbours).
func (r *Reader) lookup(ms float64) (int, bool) {
	idx := r.index
	if math.IsNaN(ms) || len(idx) == 0 {
		return 0, false
	}
	best, bestD := -1, math.Inf(1)
	for i, v := range idx {
		if d := math.Abs(v - ms); d < bestD { // NaN (unknown) never wins
			best, bestD = i, d
		}
	}
	if best < 0 {
		return 0, false
	}
	gap := math.Inf(1)
	for _, j := range []int{best - 1, best + 1} {
		if j >= 0 && j < len(idx) && !math.IsNaN(idx[j]) {
			gap = math.Min(gap, math.Abs(idx[j]-idx[best]))
		}
	}
	if bestD > gap/4 || bestD > 20 {
		return 0, false
	}
	return best, true
}

// reopen opens the file again, positioned before frame 0.
func (r *Reader) reopen() error {
	vc, err := gocv.VideoCaptureFileWithAPI(r.info.Path, gocv.VideoCaptureFFmpeg)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return fmt.Errorf("%s: reopen: %w", r.info.Path, ErrNotVideo)
	}
	opens.Add(1)
	vc.Set(propOrientationAuto, 0)
	r.vc.Close()
	r.vc = vc
	r.next = 0
	r.Reopens++
	return nil
}

// Frame decodes frame n into dst, wherever the reader is.
func (r *Reader) Frame(n int, dst *gocv.Mat) (seconds float64, err error) {
	if err := r.Seek(n); err != nil {
		return 0, err
	}
	_, seconds, err = r.Read(dst)
	return seconds, err
}

// Close releases the decoder.
func (r *Reader) Close() error {
	if r.scratch != nil {
		r.scratch.Close()
		r.scratch = nil
	}
	if r.vc == nil {
		return nil
	}
	err := r.vc.Close()
	r.vc = nil
	return err
}

// Probe opens path, reads its metadata and closes it. When the container
// does not give a frame count, Probe counts the frames by decoding them. It
// fails with ErrNotVideo when not one frame decodes.
func Probe(path string) (Info, error) {
	r, err := OpenCounted(path)
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	return r.info, nil
}

// OpenCounted is Probe that keeps the reader open, positioned before frame
// 0, for a caller that decodes the video next (opening a video costs about
// 55 ms at 1080p: FFmpeg decodes its first frames to learn the stream).
func OpenCounted(path string) (*Reader, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	if r.info.Frames == 0 {
		n, err := r.count()
		if err != nil {
			r.Close()
			return nil, err
		}
		r.info.Frames, r.info.Counted = n, true
	}
	if r.info.Frames == 0 {
		r.Close()
		return nil, fmt.Errorf("%s: no frame decodes, %w", path, ErrNotVideo)
	}
	return r, nil
}
