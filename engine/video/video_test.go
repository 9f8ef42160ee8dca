package video

import (
	"crypto/sha256"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"gradevault/engine/synth"
)

func write(t *testing.T, s synth.Scene) (string, *synth.Truth) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.mp4")
	tr, err := synth.Write(path, s)
	if err != nil {
		t.Fatal(err)
	}
	return path, tr
}

func checksum(m gocv.Mat) [32]byte { return sha256.Sum256(m.ToBytes()) }

func TestSeekLandsOnTheExactFrame(t *testing.T) {
	path, _ := write(t, synth.DefaultScene(synth.Comic, 320, 240))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := gocv.NewMat()
	defer m.Close()
	var sums [][32]byte
	var times []float64
	for {
		n, ts, err := r.Read(&m)
		if errors.Is(err, ErrNoFrame) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != len(sums) {
			t.Fatalf("Read returned frame %d, want %d", n, len(sums))
		}
		sums = append(sums, checksum(m))
		times = append(times, ts)
	}
	if len(sums) != r.Info().Frames {
		t.Fatalf("decoded %d frames, container says %d", len(sums), r.Info().Frames)
	}
	// Every frame must differ from its neighbours, or the test proves nothing.
	for i := 1; i < len(sums); i++ {
		if sums[i] == sums[i-1] {
			t.Fatalf("frames %d and %d are identical", i-1, i)
		}
	}
	order := rand.New(rand.NewSource(1)).Perm(len(sums))
	order = append(order, len(sums)-1, 0, 5, 6, 7, 3) // backwards, forwards, small steps
	for _, n := range order {
		ts, err := r.Frame(n, &m)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		if checksum(m) != sums[n] {
			t.Fatalf("seek to frame %d decoded different pixels", n)
		}
		if math.Abs(ts-times[n]) > 1e-9 {
			t.Fatalf("frame %d: timestamp %v after seek, %v in order", n, ts, times[n])
		}
	}
	if _, err := r.Frame(len(sums)+3, &m); err == nil {
		t.Fatalf("frame past the end decoded")
	}
}

func TestTimestampsAndInfo(t *testing.T) {
	s := synth.DefaultScene(synth.Card, 320, 240)
	s.FPS = 25
	path, tr := write(t, s)
	info, err := Probe(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != s.NumFrames() || info.Width != 320 || info.Height != 240 || info.FPS != 25 || info.Rotation != 0 {
		t.Fatalf("info %+v", info)
	}
	if d := info.Duration(); math.Abs(d-float64(s.NumFrames())/25) > 1e-9 {
		t.Fatalf("duration %v", d)
	}
	r, _ := Open(path)
	defer r.Close()
	m := gocv.NewMat()
	defer m.Close()
	for i := 0; i < 10; i++ {
		_, ts, err := r.Read(&m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(ts-tr.Frames[i].Time) > 1e-3 {
			t.Fatalf("frame %d at %v s, want %v", i, ts, tr.Frames[i].Time)
		}
	}
}

func TestRotationMetadataGivesUprightFrames(t *testing.T) {
	for _, rot := range []int{90, 180, 270} {
		s := synth.DefaultScene(synth.Comic, 320, 240)
		s.Rotation = rot
		s.Phases = s.Phases[:1]
		path, _ := write(t, s)
		info, err := Probe(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Rotation != rot || info.Width != 320 || info.Height != 240 {
			t.Fatalf("rotation %d: info %+v, want upright 320×240", rot, info)
		}
		r, _ := Open(path)
		got := gocv.NewMat()
		if _, err := r.Frame(2, &got); err != nil {
			t.Fatal(err)
		}
		want := synth.Render(s, 2)
		diff := gocv.NewMat()
		gocv.AbsDiff(got, want, &diff)
		mean := diff.Mean()
		if (mean.Val1+mean.Val2+mean.Val3)/3 > 6 {
			t.Errorf("rotation %d: decoded frame differs from the upright render by %.1f grey levels", rot, mean.Val1)
		}
		for _, m := range []gocv.Mat{got, want, diff} {
			m.Close()
		}
		r.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mov")
	os.WriteFile(empty, nil, 0o644)
	png := filepath.Join(dir, "picture.png")
	img := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC3)
	gocv.IMWrite(png, img)
	img.Close()
	for path, want := range map[string]error{
		filepath.Join(dir, "nope.mp4"): ErrNotFound,
		empty:                          ErrEmpty,
		png:                            ErrNotVideo,
		dir:                            ErrNotVideo,
	} {
		if _, err := Probe(path); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", filepath.Base(path), err, want)
		}
	}
}
