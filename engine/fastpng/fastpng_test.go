package fastpng

import (
	"bytes"
	"errors"
	"fmt"
	"hash/adler32"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
)

// noisyImage is an h×w image of type t whose pixels mix smooth gradients
// (long matches for the compressor) with noise (none), seeded.
func noisyImage(t testing.TB, w, h int, typ gocv.MatType, seed uint64) gocv.Mat {
	t.Helper()
	m := gocv.NewMatWithSize(h, w, typ)
	p, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range p {
		if rng.IntN(4) == 0 {
			p[i] = byte(rng.IntN(256))
		} else {
			p[i] = byte(i / 7)
		}
	}
	return m
}

// encodeAndRead encodes m in strips of rows rows (0: Encode's choice) and
// decodes the PNG with OpenCV (libpng); the caller closes the Mat.
func encodeAndRead(t *testing.T, m gocv.Mat, rows int, flags gocv.IMReadFlag) ([]byte, gocv.Mat) {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf, m, rows); err != nil {
		t.Fatal(err)
	}
	back, err := gocv.IMDecode(buf.Bytes(), flags)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), back
}

// equalMats fails unless a and b have the same size, type and bytes.
func equalMats(t *testing.T, what string, a, b gocv.Mat) {
	t.Helper()
	if a.Rows() != b.Rows() || a.Cols() != b.Cols() || a.Type() != b.Type() {
		t.Fatalf("%s: %dx%d type %v, want %dx%d type %v", what, b.Cols(), b.Rows(), b.Type(), a.Cols(), a.Rows(), a.Type())
	}
	pa, _ := a.DataPtrUint8()
	pb, _ := b.DataPtrUint8()
	if !bytes.Equal(pa, pb) {
		t.Fatalf("%s: pixels differ", what)
	}
}

// TestRoundTrip encodes grey, BGR and BGRA images of awkward sizes (one
// pixel, one row, one column, several strips) and reads them back with
// OpenCV (libpng) and with Go's image/png, which must see the same pixels.
func TestRoundTrip(t *testing.T) {
	sizes := [][2]int{{1, 1}, {1, 9}, {13, 1}, {37, 23}, {700, 500}}
	types := []struct {
		t     gocv.MatType
		flags gocv.IMReadFlag
	}{{gocv.MatTypeCV8UC1, gocv.IMReadGrayScale}, {gocv.MatTypeCV8UC3, gocv.IMReadColor}, {gocv.MatTypeCV8UC4, gocv.IMReadUnchanged}}
	for _, sz := range sizes {
		for _, ty := range types {
			m := noisyImage(t, sz[0], sz[1], ty.t, uint64(sz[0]*sz[1]))
			what := func(by string) string { return by + " " + m.Type().String() + " " + image.Pt(sz[0], sz[1]).String() }
			data, back := encodeAndRead(t, m, 0, ty.flags)
			equalMats(t, what("OpenCV"), m, back)
			back.Close()

			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", what("image/png"), err)
			}
			checkGo(t, what("image/png"), m, img)
			m.Close()
		}
	}
}

// checkGo compares a Go image's pixels with the Mat's (OpenCV's channel
// order).
func checkGo(t *testing.T, what string, m gocv.Mat, img image.Image) {
	t.Helper()
	if img.Bounds() != image.Rect(0, 0, m.Cols(), m.Rows()) {
		t.Fatalf("%s: bounds %v", what, img.Bounds())
	}
	p, _ := m.DataPtrUint8()
	ch := m.Channels()
	for y := 0; y < m.Rows(); y++ {
		for x := 0; x < m.Cols(); x++ {
			px := p[(y*m.Cols()+x)*ch:]
			var want [4]byte
			switch ch {
			case 1:
				want = [4]byte{px[0], px[0], px[0], 255}
			case 3:
				want = [4]byte{px[2], px[1], px[0], 255}
			case 4:
				want = [4]byte{px[2], px[1], px[0], px[3]}
			}
			var got [4]byte
			switch c := img.(type) {
			case *image.Gray:
				v := c.GrayAt(x, y).Y
				got = [4]byte{v, v, v, 255}
			case *image.RGBA:
				v := c.RGBAAt(x, y)
				got = [4]byte{v.R, v.G, v.B, v.A}
			case *image.NRGBA:
				v := c.NRGBAAt(x, y)
				got = [4]byte{v.R, v.G, v.B, v.A}
			default:
				t.Fatalf("%s: decoded as %T", what, img)
			}
			if got != want {
				t.Fatalf("%s: pixel (%d,%d) = %v, want %v", what, x, y, got, want)
			}
		}
	}
}

// TestStrips encodes with strips of 1 to 7 rows and of the whole image:
// the strips' deflate streams joined, their combined checksum and the
// many IDAT chunks must read back exactly, whatever the core count.
func TestStrips(t *testing.T) {
	for _, sz := range [][2]int{{5, 3}, {37, 23}, {301, 200}} {
		m := noisyImage(t, sz[0], sz[1], gocv.MatTypeCV8UC3, 5)
		for _, rows := range []int{1, 2, 3, 7, sz[1]} {
			data, back := encodeAndRead(t, m, rows, gocv.IMReadColor)
			equalMats(t, fmt.Sprintf("%v in strips of %d rows", sz, rows), m, back)
			back.Close()
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("%v in strips of %d rows: image/png: %v", sz, rows, err)
			}
		}
		m.Close()
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteError: a writer that fails part way stops the encoding with
// its error, whether it fails in the header, in a strip or later.
func TestWriteError(t *testing.T) {
	m := noisyImage(t, 640, 480, gocv.MatTypeCV8UC3, 6)
	defer m.Close()
	for _, n := range []int{0, 10, 100_000} {
		err := encode(&failingWriter{n: n}, m, 4)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("failing after %d bytes: %v", n, err)
		}
	}
}

// TestRegion encodes a non-continuous Mat (a region of a larger one).
func TestRegion(t *testing.T) {
	m := noisyImage(t, 200, 100, gocv.MatTypeCV8UC3, 7)
	defer m.Close()
	reg := m.Region(image.Rect(30, 10, 130, 90))
	defer reg.Close()
	want := reg.Clone()
	defer want.Close()
	_, back := encodeAndRead(t, reg, 0, gocv.IMReadColor)
	defer back.Close()
	equalMats(t, "region", want, back)
}

// TestOtherTypes: a 16-bit image goes through OpenCV's encoder; an empty
// one is an error.
func TestOtherTypes(t *testing.T) {
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(1000, 0, 0, 0), 4, 5, gocv.MatTypeCV16UC1)
	defer m.Close()
	_, back := encodeAndRead(t, m, 0, gocv.IMReadUnchanged)
	defer back.Close()
	if back.Type() != gocv.MatTypeCV16UC1 || back.GetShortAt(2, 3) != 1000 {
		t.Fatalf("16-bit image read back as %v, %d", back.Type(), back.GetShortAt(2, 3))
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if err := Encode(io.Discard, empty); err == nil {
		t.Fatal("an empty image encoded without error")
	}
}

// TestAdler32Combine checks the combination against the checksum of the
// joined data, at split points including 0, the modulus and beyond it.
func TestAdler32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 300_000)
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	for _, cut := range []int{0, 1, 65520, 65521, 65522, 150_000, len(data)} {
		a, b := data[:cut], data[cut:]
		got := adler32Combine(adler32.Checksum(a), adler32.Checksum(b), int64(len(b)))
		if want := adler32.Checksum(data); got != want {
			t.Errorf("cut %d: %08x, want %08x", cut, got, want)
		}
	}
}

// TestWriteFile writes atomically (no temporary file left) and leaves an
// existing file alone when encoding fails.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	m := noisyImage(t, 64, 48, gocv.MatTypeCV8UC3, 9)
	defer m.Close()
	if err := WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	back := gocv.IMRead(path, gocv.IMReadColor)
	defer back.Close()
	equalMats(t, "file", m, back)

	empty := gocv.NewMat()
	defer empty.Close()
	if err := WriteFile(path, empty); err == nil {
		t.Fatal("an empty image was written")
	}
	again := gocv.IMRead(path, gocv.IMReadColor)
	defer again.Close()
	equalMats(t, "file after a failed write", m, again)
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d files in the folder, want 1", len(ents))
	}
}

// BenchmarkEncode1080p compares this encoder with OpenCV's on a rendered
// 1080p grading frame (a comic on a textured table, sensor noise) and
// reports the file sizes.
func BenchmarkEncode1080p(b *testing.B) {
	m := synth.Render(synth.DefaultScene(synth.Comic, 1920, 1080), 10)
	defer m.Close()
	b.Run("fastpng", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := Encode(&buf, m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len())/1e6, "MB")
	})
	b.Run("opencv", func(b *testing.B) {
		n := 0
		for b.Loop() {
			buf, err := gocv.IMEncode(gocv.PNGFileExt, m)
			if err != nil {
				b.Fatal(err)
			}
			n = buf.Len()
			buf.Close()
		}
		b.ReportMetric(float64(n)/1e6, "MB")
	})
}
