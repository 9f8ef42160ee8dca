package scan

import (
	"fmt"

	"gocv.io/x/gocv"

	"gradevault/engine/safefile"
)

// WritePNG encodes img losslessly as PNG and writes it atomically to path.
func WritePNG(path string, img gocv.Mat) error {
	buf, err := gocv.IMEncode(gocv.PNGFileExt, img)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	defer buf.Close()
	return safefile.WriteFile(path, buf.GetBytes(), 0o644)
}
