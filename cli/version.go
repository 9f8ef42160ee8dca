package cli

import (
	"fmt"
	"runtime"

	"gocv.io/x/gocv"
)

// VersionText is what --version prints: the app, gocv and OpenCV versions.
func VersionText() string {
	return fmt.Sprintf("GradeVault %s (gocv %s, OpenCV %s, %s %s/%s)",
		Version, gocv.Version(), gocv.OpenCVVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
