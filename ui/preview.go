package ui

import (
	"context"
	"fmt"
	"image"
	"sync"
	"sync/atomic"

	"gocv.io/x/gocv"

	"gradevault/engine/video"
)

// framePreviewer decodes single frames of the scan's source video on
// demand for the timeline. Requests run in goroutines; only the latest
// request is decoded and applied (older ones are skipped), and one
// video.Reader is reused under a mutex (a Reader is not safe for concurrent
// use).
type framePreviewer struct {
	path   string
	latest atomic.Int64

	mu     sync.Mutex // guards reader and closed
	reader *video.Reader
	closed bool
}

func newFramePreviewer(path string) *framePreviewer { return &framePreviewer{path: path} }

// request decodes frame in the background and calls apply on the UI
// goroutine if no later request was made meanwhile.
func (p *framePreviewer) request(c *controller, frame int, apply func(frame int, img image.Image, err error)) {
	seq := p.latest.Add(1)
	c.goBG(func(ctx context.Context) {
		img, err, ok := p.decode(ctx, seq, frame)
		if !ok {
			return
		}
		c.do(func() {
			if p.latest.Load() == seq {
				apply(frame, img, err)
			}
		})
	})
}

func (p *framePreviewer) decode(ctx context.Context, seq int64, frame int) (image.Image, error, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.latest.Load() != seq || ctx.Err() != nil {
		return nil, nil, false
	}
	if p.reader == nil {
		r, err := video.Open(p.path)
		if err != nil {
			return nil, fmt.Errorf("open the source video: %w", err), true
		}
		p.reader = r
	}
	m := gocv.NewMat()
	defer m.Close()
	if _, err := p.reader.Frame(frame, &m); err != nil {
		return nil, fmt.Errorf("decode frame %d: %w", frame, err), true
	}
	img, err := m.ToImage()
	if err != nil {
		return nil, fmt.Errorf("convert frame %d: %w", frame, err), true
	}
	return img, nil, true
}

// close releases the decoder; any goroutine.
func (p *framePreviewer) close() {
	p.latest.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.reader != nil {
		p.reader.Close()
		p.reader = nil
	}
}
