package ui

import (
	"image"
	_ "image/png" // decode the scan's PNGs
	"os"
	"path/filepath"

	"gocv.io/x/gocv"
)

// loadImages decodes the PNGs of a scan folder (relative paths) at full
// resolution; missing or unreadable files are simply absent from the map.
// Only the preview uses it, for the images it shows.
func loadImages(dir string, rels []string) map[string]image.Image {
	out := make(map[string]image.Image, len(rels))
	for _, rel := range rels {
		if rel == "" {
			continue
		}
		if _, ok := out[rel]; ok {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err == nil {
			out[rel] = img
		}
	}
	return out
}

// loadThumb decodes the image at path scaled down so that its longest side
// is at most maxSide pixels (OpenCV decodes and shrinks in C memory, which is
// freed at once); nil if it cannot be read.
func loadThumb(path string, maxSide int) image.Image {
	m := gocv.IMRead(path, gocv.IMReadReducedColor2)
	defer m.Close()
	if m.Empty() {
		return nil
	}
	return thumbOfMat(m, maxSide)
}

// thumbOfMat scales a BGR Mat to fit maxSide and converts it.
func thumbOfMat(m gocv.Mat, maxSide int) image.Image {
	w, h := m.Cols(), m.Rows()
	if w <= 0 || h <= 0 {
		return nil
	}
	scale := float64(maxSide) / float64(max(w, h))
	if scale >= 1 {
		img, err := m.ToImage()
		if err != nil {
			return nil
		}
		return img
	}
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(m, &small, image.Pt(max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))), 0, 0, gocv.InterpolationArea)
	img, err := small.ToImage()
	if err != nil {
		return nil
	}
	return img
}

// thumbOfImage shrinks an already decoded image (a previewed video frame)
// to a thumbnail.
func thumbOfImage(img image.Image, maxSide int) image.Image {
	if img == nil {
		return nil
	}
	m, err := gocv.ImageToMatRGB(img)
	if err != nil {
		return nil
	}
	defer m.Close()
	return thumbOfMat(m, maxSide)
}
