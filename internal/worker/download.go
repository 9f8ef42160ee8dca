package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"strings"

	"github.com/dustin/go-humanize"
)

// PermanentError is bad input: retrying cannot help (a 404 video, a file that
// is not a video, a video over the size limit). The job is cancelled.
type PermanentError struct{ Msg string }

func (e *PermanentError) Error() string { return e.Msg }

func permanent(format string, a ...any) error {
	return &PermanentError{Msg: fmt.Sprintf(format, a...)}
}

// download streams url into path, at most maxBytes, within the client's and
// ctx's limits, then checks that the content looks like a video. progress is
// called with the bytes received so far and the expected total (-1 when the
// server does not say). The caller removes path in every case.
func download(ctx context.Context, client *http.Client, url, path string, maxBytes int64, progress func(done, total int64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return permanent("bad video URL: %v", err)
	}
	req.Header.Set("User-Agent", "gradevault-worker")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue *neturl.Error
		if errors.As(err, &ue) && ue.Err != nil && (strings.Contains(ue.Err.Error(), "allowed video hosts") ||
			strings.Contains(ue.Err.Error(), "redirect")) {
			return permanent("download video: %v", ue.Err)
		}
		return fmt.Errorf("download video: %w", err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("download video: server answered HTTP %d", code)
	default:
		return permanent("download video: server answered HTTP %d (%s)", code, http.StatusText(code))
	}
	if resp.ContentLength > maxBytes {
		return permanent("video is %s, over the %s limit", humanize.IBytes(uint64(resp.ContentLength)), humanize.IBytes(uint64(maxBytes)))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("download video: %w", err)
	}
	n, err := io.Copy(f, &countingReader{r: io.LimitReader(resp.Body, maxBytes+1), total: resp.ContentLength, progress: progress})
	if cerr := f.Close(); err == nil && cerr != nil {
		return fmt.Errorf("download video: %w", cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("download video: connection broke after %s: %w", humanize.IBytes(uint64(n)), err)
	}
	if n > maxBytes {
		return permanent("video is over the %s limit", humanize.IBytes(uint64(maxBytes)))
	}
	if resp.ContentLength >= 0 && n < resp.ContentLength {
		return fmt.Errorf("download video: got %d of %d bytes", n, resp.ContentLength)
	}
	if n == 0 {
		return permanent("the video URL returned an empty file")
	}
	head := make([]byte, 512)
	rf, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("download video: %w", err)
	}
	k, _ := io.ReadFull(rf, head)
	rf.Close()
	if kind, ok := sniffVideo(head[:k]); !ok {
		return permanent("not a video (the content looks like %s)", kind)
	}
	return nil
}

type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.n, c.total)
	}
	return n, err
}

// sniffVideo says whether head (the first bytes of a file) starts like a
// video container the engine's decoder reads: ISO BMFF (MP4, MOV, M4V, 3GP),
// Matroska/WebM, AVI, MPEG transport or program stream. Otherwise it returns
// what the content looks like instead.
func sniffVideo(head []byte) (string, bool) {
	if len(head) >= 12 {
		box := string(head[4:8])
		switch box {
		case "ftyp":
			brand := string(head[8:12])
			switch brand {
			case "heic", "heix", "mif1", "msf1", "avif", "hevc", "heim", "heis":
				return "an image (HEIF/AVIF)", false
			case "M4A ", "M4B ", "M4P ":
				return "audio (M4A)", false
			}
			return "video/mp4", true
		case "moov", "mdat", "wide", "free", "skip", "pnot":
			return "video/quicktime", true
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "video/x-matroska", true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "AVI ":
		return "video/x-msvideo", true
	case bytes.HasPrefix(head, []byte{0x00, 0x00, 0x01, 0xBA}):
		return "video/mpeg", true
	case len(head) > 188 && head[0] == 0x47 && head[188] == 0x47:
		return "video/mp2t", true
	}
	ct := http.DetectContentType(head)
	if strings.HasPrefix(ct, "video/") {
		return ct, true
	}
	if i := strings.IndexByte(ct, ';'); i > 0 {
		ct = ct[:i]
	}
	return ct, false
}

// isPermanent says whether err is bad input that retrying cannot fix.
func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
