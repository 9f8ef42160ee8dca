package synth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"gocv.io/x/gocv"
)

// ErrNoFFmpeg is returned (wrapped) by Write when the ffmpeg executable is
// not on the PATH.
var ErrNoFFmpeg = errors.New("synth: ffmpeg not found on PATH (install ffmpeg)")

// Write renders every frame of the scene and encodes it with ffmpeg into the
// video file at path (.mp4, .mov or .mkv; other extensions get an MP4
// container), and returns the scene's ground truth. The file is written
// atomically: to a temporary file in the same folder, renamed over path when
// complete. The same Scene always produces a byte-identical file (for a
// given ffmpeg build).
func Write(path string, s Scene) (*Truth, error) {
	return WriteContext(context.Background(), path, s)
}

// WriteContext is Write with cancellation: when ctx is done, ffmpeg is
// stopped, the temporary file removed and ctx's error returned.
func WriteContext(ctx context.Context, path string, s Scene) (truth *Truth, err error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, ErrNoFFmpeg)
	}
	ext := strings.ToLower(filepath.Ext(path))
	format := "mp4"
	switch ext {
	case ".mov":
		format = "mov"
	case ".mkv":
		format = "matroska"
	}
	if s.Rotation != 0 && format == "matroska" {
		return nil, fmt.Errorf("write %s: %w: rotation metadata needs an .mp4 or .mov file", path, ErrBadScene)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tf, err := os.CreateTemp(dir, ".synth-tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := tf.Name()
	tf.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()

	t := TruthOf(s)
	args := ffmpegArgs(s, t, format, tmp)
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 16 << 10}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("write %s: start ffmpeg: %w", path, err)
	}
	werr := writeFrames(ctx, stdin, s)
	cerr := stdin.Close()
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("write %s: %w", path, ctx.Err())
	case waitErr != nil:
		return nil, fmt.Errorf("write %s: ffmpeg: %w: %s", path, waitErr, strings.TrimSpace(stderr.String()))
	case werr != nil:
		return nil, fmt.Errorf("write %s: feed ffmpeg: %w", path, werr)
	case cerr != nil:
		return nil, fmt.Errorf("write %s: feed ffmpeg: %w", path, cerr)
	}
	if s.Rotation != 0 {
		rtmp := tmp + ".rot"
		err := setRotation(ctx, ffmpeg, tmp, rtmp, format, s.Rotation)
		if err == nil {
			err = os.Rename(rtmp, tmp)
		}
		if err != nil {
			os.Remove(rtmp)
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return t, nil
}

// ffmpegArgs returns the ffmpeg command line that reads raw bgr24 frames of
// the stored size from standard input and writes out.
func ffmpegArgs(s Scene, t *Truth, format, out string) []string {
	fps := strconv.FormatFloat(s.FPS, 'f', -1, 64)
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "bgr24",
		"-video_size", fmt.Sprintf("%dx%d", t.StoredWidth, t.StoredHeight),
		"-framerate", fps, "-i", "pipe:0", "-sws_flags", "bicubic+accurate_rnd+full_chroma_int+bitexact"}
	if s.VFR {
		// Frame n at (n + 0.3·(n mod 2))/FPS; 0.15·(1−cos πN) is 0.3 for
		// odd N and 0 for even N (no commas, which filtergraphs would split).
		args = append(args,
			"-vf", fmt.Sprintf("settb=1/90000,setpts=(N+0.15-0.15*cos(PI*N))/(%s*TB)", fps),
			"-fps_mode", "vfr", "-enc_time_base", "1/90000", "-video_track_timescale", "90000")
	}
	if s.VFRPattern != VFRNone {
		args = append(args,
			"-vf", "settb=1/90000,setpts="+ticksExpr(s.timeline()),
			"-fps_mode", "vfr", "-enc_time_base", "1/90000", "-video_track_timescale", "90000")
	}
	crf := func(def int) string {
		if s.CRF > 0 {
			return strconv.Itoa(s.CRF)
		}
		return strconv.Itoa(def)
	}
	switch s.Codec {
	case CodecLossless:
		args = append(args, "-c:v", "libx264rgb", "-preset", "veryfast", "-qp", "0", "-pix_fmt", "bgr24")
	case CodecHEVC:
		args = append(args, "-c:v", "libx265", "-preset", "veryfast", "-crf", crf(18), "-pix_fmt", "yuv420p",
			"-x265-params", "log-level=error:pools=none:frame-threads=1")
		if format != "matroska" {
			args = append(args, "-tag:v", "hvc1")
		}
	default:
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", crf(14), "-pix_fmt", "yuv420p")
	}
	args = append(args, "-threads", "1",
		"-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact")
	return append(args, "-f", format, out)
}

// ticksExpr returns a setpts expression (no commas or colons, which the
// filtergraph would split on) that gives frame N its timestamp in ticks of
// 1/timeBase s: base·N plus, for each run of frames [a, b] whose interval
// differs from base by e, e·(ramp(N−a+1) − ramp(N−b)) with
// ramp(x) = (x+abs(x))/2. All values are integers, exact in floating point.
func ticksExpr(sl []slot) string {
	if len(sl) < 2 {
		return "0"
	}
	base := sl[1].ticks - sl[0].ticks
	var b strings.Builder
	fmt.Fprintf(&b, "%d*N", base)
	ramp := func(off int) string { // ramp(N+off)
		return fmt.Sprintf("(N%+d+abs(N%+d))/2", off, off)
	}
	for j := 1; j < len(sl); {
		e := sl[j].ticks - sl[j-1].ticks - base
		k := j
		for k+1 < len(sl) && sl[k+1].ticks-sl[k].ticks-base == e {
			k++
		}
		if e != 0 {
			fmt.Fprintf(&b, "%+d*(%s-%s)", e, ramp(1-j), ramp(-k))
		}
		j = k + 1
	}
	return b.String()
}

// evalTicksExpr evaluates the terms of ticksExpr in Go (for tests).
func evalTicks(sl []slot, n int) int64 {
	base := sl[1].ticks - sl[0].ticks
	t := base * int64(n)
	ramp := func(x int) int64 { return int64(max(0, x)) }
	for j := 1; j < len(sl); {
		e := sl[j].ticks - sl[j-1].ticks - base
		k := j
		for k+1 < len(sl) && sl[k+1].ticks-sl[k].ticks-base == e {
			k++
		}
		t += e * (ramp(n-j+1) - ramp(n-k))
		j = k + 1
	}
	return t
}

// setRotation copies the video in src into dst (stream copy) with the display
// rotation metadata. ffmpeg 5.1 turns the "rotate" tag into a display matrix
// only when stream copying, not when encoding, hence this second pass.
func setRotation(ctx context.Context, ffmpeg, src, dst, format string, rotation int) error {
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-nostdin",
		"-i", src, "-map", "0", "-c", "copy", "-map_metadata", "-1", "-fflags", "+bitexact",
		"-metadata:s:v:0", "rotate="+strconv.Itoa((360-rotation)%360), "-f", format, dst)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ffmpeg (rotation metadata): %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// writeFrames renders every frame, rotates it into storage orientation and
// writes its raw bytes to w.
func writeFrames(ctx context.Context, w io.Writer, s Scene) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	pl := planOf(s)
	rot := gocv.NewMat()
	defer rot.Close()
	for _, sl := range pl.slots {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := render(s, sl.src, pl)
		src := f
		switch s.Rotation {
		// A player rotates the stored picture by Rotation degrees clockwise,
		// so store it rotated the other way.
		case 90:
			gocv.Rotate(f, &rot, gocv.Rotate90CounterClockwise)
			src = rot
		case 180:
			gocv.Rotate(f, &rot, gocv.Rotate180Clockwise)
			src = rot
		case 270:
			gocv.Rotate(f, &rot, gocv.Rotate90Clockwise)
			src = rot
		}
		b, err := src.DataPtrUint8()
		if err == nil {
			_, err = bw.Write(b)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}

// limitedWriter keeps the first n bytes written to it and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// WriteTruncated writes the first n bytes of the file src to dst (a broken
// video for bad-input tests). n larger than the file copies it whole.
func WriteTruncated(src, dst string, n int64) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("truncate %s: %w", src, err)
	}
	defer f.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("truncate %s: %w", src, err)
	}
	if _, err := io.CopyN(out, f, n); err != nil && !errors.Is(err, io.EOF) {
		out.Close()
		return fmt.Errorf("truncate %s into %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("truncate %s into %s: %w", src, dst, err)
	}
	return nil
}
