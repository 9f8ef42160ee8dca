// Package fastpng writes 8-bit gocv Mats as PNG files, several times
// faster than OpenCV's encoder and no larger.
//
// OpenCV 4.6 took about 120 ms to encode a 1080p frame (libpng: the Sub
// filter, then zlib's fastest level, run-length matches only) on one core,
// which made writing the five golden frames a tenth of a whole analysis.
// Sensor noise leaves a photograph few repeated strings for LZ77 to find,
// so here the rows get the Paeth filter, which predicts a noisy pixel
// better, and then Huffman coding alone (klauspost/compress): 18 ms for
// the same frame on two cores, and a file the size of OpenCV's (within a
// few per cent either way on the corpus's frames).
//
// The image is cut into horizontal strips of about 256 KB compressed on
// every core, as pigz does: every strip but the last ends with a sync
// flush, so the strips joined make one valid deflate stream, and their
// Adler-32 checksums combine into the zlib stream's. Each strip is written
// as its own IDAT chunk as soon as those before it are, so only a few
// strips are ever held in memory. The pixels read back are the Mat's,
// exactly.
package fastpng

/*
#cgo CFLAGS: -O3
#include "filter.h"
*/
import "C"

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
	"gocv.io/x/gocv"

	"gradevault/engine/safefile"
)

// stripBytes is about how much raw image a strip holds: enough that a
// strip's overhead (a flush, its own Huffman tables, a PNG chunk) costs
// nothing measurable, small enough that a 1080p frame (6.2 MB) makes two
// dozen strips to share between the cores.
const stripBytes = 256 << 10

// WriteFile encodes m as PNG and writes it atomically to path.
func WriteFile(path string, m gocv.Mat) error {
	return safefile.Write(path, 0o644, func(f *os.File) error { return Encode(f, m) })
}

// Encode writes m as PNG to w. m must be CV_8UC1 (grey), CV_8UC3 (BGR) or
// CV_8UC4 (BGRA); any other type is encoded by OpenCV.
func Encode(w io.Writer, m gocv.Mat) error { return encode(w, m, 0) }

// encode is Encode with strips of rowsPerStrip rows (0: about stripBytes
// of image each).
func encode(w io.Writer, m gocv.Mat, rowsPerStrip int) error {
	if m.Empty() {
		return errors.New("encode PNG: empty image")
	}
	var colour byte // PNG colour type
	switch m.Type() {
	case gocv.MatTypeCV8UC1:
		colour = 0
	case gocv.MatTypeCV8UC3:
		colour = 2
	case gocv.MatTypeCV8UC4:
		colour = 6
	default:
		buf, err := gocv.IMEncode(gocv.PNGFileExt, m)
		if err != nil {
			return fmt.Errorf("encode PNG: %w", err)
		}
		defer buf.Close()
		_, err = w.Write(buf.GetBytes())
		return err
	}
	if !m.IsContinuous() {
		c := m.Clone()
		defer c.Close()
		m = c
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("encode PNG: %w", err)
	}
	img := image8{pix: pix, w: m.Cols(), h: m.Rows(), ch: m.Channels()}
	if rowsPerStrip <= 0 {
		rowsPerStrip = max(1, stripBytes/(1+img.w*img.ch)) // a row: filter type byte + pixels
	}

	buf := bufio.NewWriter(w)
	bw := &chunkWriter{w: buf}
	bw.raw([]byte("\x89PNG\r\n\x1a\n"))
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(img.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(img.h))
	ihdr[8], ihdr[9] = 8, colour // bit depth, colour type; deflate, adaptive filters, no interlace
	bw.chunk("IHDR", ihdr[:])

	// The zlib stream spans as many IDAT chunks as it likes: its header,
	// then each strip as it is ready, in order, then its checksum.
	bw.chunk("IDAT", []byte{0x78, 0x01}) // deflate, 32 KB window, fastest level
	sum := uint32(1)                     // the Adler-32 of nothing
	compress(img, rowsPerStrip, func(s *strip) bool {
		bw.chunk("IDAT", s.data.Bytes())
		sum = adler32Combine(sum, s.adler, int64(s.rawLen))
		return bw.err == nil
	})
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], sum)
	bw.chunk("IDAT", tail[:])
	bw.chunk("IEND", nil)
	if bw.err == nil {
		bw.err = buf.Flush()
	}
	if bw.err != nil {
		return fmt.Errorf("encode PNG: %w", bw.err)
	}
	return nil
}

// image8 is a continuous 8-bit image, OpenCV's channel order.
type image8 struct {
	pix      []byte
	w, h, ch int
}

// strip is rows [y0, y1) filtered and compressed.
type strip struct {
	y0, y1 int
	last   bool // the image's last strip: ends the deflate stream
	data   *bytes.Buffer
	adler  uint32 // of the filtered rows
	rawLen int    // bytes of filtered rows
	done   chan struct{}
}

// compress filters and deflates img in strips of rows rows on up to
// GOMAXPROCS goroutines, and hands each strip to emit in order, on the
// calling goroutine, until emit returns false. At most two strips per
// goroutine are compressed ahead of the one emit is waiting for, so the
// memory it takes does not grow with the image (holding a whole frame's
// compressed strips until the last was done raised the peak of a 4K
// analysis with glint by 60 MB).
func compress(img image8, rows int, emit func(*strip) bool) {
	n := (img.h + rows - 1) / rows
	strips := make([]*strip, n)
	for i := range strips {
		strips[i] = &strip{y0: i * rows, y1: min(img.h, (i+1)*rows), last: i == n-1, done: make(chan struct{})}
	}
	workers := min(n, runtime.GOMAXPROCS(0))
	ahead := make(chan struct{}, 2*workers) // strips handed out and not yet emitted
	todo := make(chan *strip)
	stop := make(chan struct{})
	go func() { // hands out the strips in order
		defer close(todo)
		for _, s := range strips {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case todo <- s:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for s := range todo {
				s.deflate(img)
				close(s.done)
			}
		})
	}
	for _, s := range strips {
		<-s.done
		ok := emit(s)
		bufPool.Put(s.data)
		<-ahead
		if !ok {
			break
		}
	}
	close(stop)
	wg.Wait()
}

var (
	bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	fwPool  = sync.Pool{New: func() any {
		fw, _ := flate.NewWriter(nil, flate.HuffmanOnly) // the level is valid: no error
		return fw
	}}
)

// deflate filters the strip's rows and compresses them into s.data,
// ending with a sync flush, or with the final block if it is the last.
func (s *strip) deflate(img image8) {
	fw := fwPool.Get().(*flate.Writer)
	defer fwPool.Put(fw)
	s.data = bufPool.Get().(*bytes.Buffer)
	s.data.Reset()
	fw.Reset(s.data)
	ad := adler32.New()
	stride := img.w * img.ch
	row := func(y int) []byte { return img.pix[y*stride : (y+1)*stride] }
	prev, cur := make([]byte, stride), make([]byte, stride) // PNG channel order
	out := make([]byte, 1+stride)
	if s.y0 > 0 {
		pngOrder(prev, row(s.y0-1), img.ch)
	}
	for y := s.y0; y < s.y1; y++ {
		pngOrder(cur, row(y), img.ch)
		paethFilter(out, cur, prev, img.ch)
		ad.Write(out)
		fw.Write(out) // into a bytes.Buffer: cannot fail
		prev, cur = cur, prev
	}
	if s.last {
		fw.Close()
	} else {
		fw.Flush()
	}
	s.adler = ad.Sum32()
	s.rawLen = (s.y1 - s.y0) * len(out)
}

// pngOrder copies a row of OpenCV's BGR or BGRA pixels into dst as PNG's
// RGB or RGBA (grey as it is).
func pngOrder(dst, src []byte, ch int) {
	C.gv_png_order((*C.uint8_t)(&dst[0]), (*C.uint8_t)(&src[0]), C.int(len(src)), C.int(ch))
}

// paethFilter writes row cur with the Paeth filter into dst (its type
// byte first); prev is the row above (zeros for the first row), bpp the
// bytes per pixel. The filter that compresses photographs best here: with
// Huffman coding alone it gives files the size of OpenCV's (Sub and LZ77),
// and takes a few milliseconds a 1080p frame in C against 60 in Go.
func paethFilter(dst, cur, prev []byte, bpp int) {
	dst[0] = 4
	C.gv_png_paeth((*C.uint8_t)(&dst[1]), (*C.uint8_t)(&cur[0]), (*C.uint8_t)(&prev[0]), C.int(len(cur)), C.int(bpp))
}

// adler32Combine is the Adler-32 of a followed by b, given the checksums
// of each and b's length (zlib's adler32_combine).
func adler32Combine(a, b uint32, lenB int64) uint32 {
	const base = 65521
	rem := uint32(lenB % base)
	sum1 := a & 0xffff
	sum2 := rem * sum1 % base
	sum1 += b&0xffff + base - 1
	sum2 += a>>16 + b>>16 + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= 2*base {
		sum2 -= 2 * base
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum2<<16 | sum1
}

// chunkWriter writes PNG chunks, keeping the first error.
type chunkWriter struct {
	w   io.Writer
	crc uint32
	err error
}

func (c *chunkWriter) raw(p []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
}

// begin starts a chunk of n bytes; body adds to it; end writes its CRC.
func (c *chunkWriter) begin(kind string, n int) {
	var h [8]byte
	binary.BigEndian.PutUint32(h[:4], uint32(n))
	copy(h[4:], kind)
	c.raw(h[:])
	c.crc = crc32.ChecksumIEEE(h[4:])
}

func (c *chunkWriter) body(p []byte) {
	c.raw(p)
	c.crc = crc32.Update(c.crc, crc32.IEEETable, p)
}

func (c *chunkWriter) end() {
	var t [4]byte
	binary.BigEndian.PutUint32(t[:], c.crc)
	c.raw(t[:])
}

func (c *chunkWriter) chunk(kind string, data []byte) {
	c.begin(kind, len(data))
	c.body(data)
	c.end()
}
