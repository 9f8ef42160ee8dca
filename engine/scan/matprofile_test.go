//go:build matprofile

package scan

import (
	"context"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// Run with: go test -tags matprofile ./engine/scan/
func TestNoMatLeaks(t *testing.T) {
	src, _ := sample(t)
	before := gocv.MatProfile.Count()
	dir := filepath.Join(t.TempDir(), "s")
	res, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "m", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	picks := res.AutomaticPicks[:3]
	if _, err := Reselect(context.Background(), dir, picks, ReselectOptions{Glint: true}); err != nil {
		t.Fatal(err)
	}
	var c [4][2]float64
	for i := range 4 {
		c[i] = res.ItemOutline.Corners[i]
	}
	if _, err := Reoutline(context.Background(), dir, c, ReoutlineOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Fatalf("%d Mats leaked", after-before)
	}
}
