package scan

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"gradevault/engine/event"
)

func TestReoutline(t *testing.T) {
	src, _ := sample(t)
	dir := filepath.Join(t.TempDir(), "re")
	auto, err := Run(context.Background(), Options{Video: src, Dir: dir, ScanID: "re", ItemType: "comic", Glint: true})
	if err != nil {
		t.Fatal(err)
	}
	var c [4][2]float64
	for i := range 4 {
		c[i] = auto.ItemOutline.Corners[i]
	}
	// Pull the corners 12% towards the centre: a visibly different outline.
	cx := (c[0][0] + c[1][0] + c[2][0] + c[3][0]) / 4
	cy := (c[0][1] + c[1][1] + c[2][1] + c[3][1]) / 4
	moved := c
	for i := range moved {
		moved[i] = [2]float64{cx + 0.88*(c[i][0]-cx), cy + 0.88*(c[i][1]-cy)}
	}
	var phases []event.Phase
	got, err := Reoutline(context.Background(), dir, moved, ReoutlineOptions{Sink: func(e event.Event) {
		if p, ok := e.(event.PhaseChanged); ok {
			phases = append(phases, p.Phase)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := ReadResult(dir)
	if !saved.ItemOutline.Manual || saved.ItemOutline.Corners[0] != [2]float64{round2(moved[0][0]), round2(moved[0][1])} {
		t.Fatalf("saved outline %+v, want manual %v", saved.ItemOutline, moved)
	}
	if reflect.DeepEqual(saved.RegionScores, auto.RegionScores) || got.DamageScore == auto.DamageScore {
		t.Errorf("re-run result equals the automatic one: %v", saved.RegionScores)
	}
	if saved.Subgrades == nil || len(phases) == 0 || phases[len(phases)-1] != event.PhaseDone {
		t.Errorf("subgrades %v, phases %v", saved.Subgrades, phases)
	}
	t.Logf("automatic damage %.2f, manual outline %.2f", auto.DamageScore, got.DamageScore)

	// Bad corners and cancellation leave result.json as it was.
	for _, bad := range [][4][2]float64{
		{moved[1], moved[0], moved[2], moved[3]},  // crossed
		{moved[3], moved[2], moved[1], moved[0]},  // anticlockwise
		{{-500, 0}, moved[1], moved[2], moved[3]}, // far outside
		{{10, 10}, {11, 10}, {11, 11}, {10, 11}},  // tiny
	} {
		if _, err := Reoutline(context.Background(), dir, bad, ReoutlineOptions{}); !errors.Is(err, ErrBadOutline) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Reoutline(ctx, dir, c, ReoutlineOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	after, _ := ReadResult(dir)
	if !reflect.DeepEqual(after.ItemOutline, saved.ItemOutline) {
		t.Errorf("a failed re-run changed result.json")
	}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5*sign(v))) / 100 }

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}
