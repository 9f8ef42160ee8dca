package centering

import (
	"fmt"
	"math"
	"testing"

	"gradevault/engine/glint"
	"gradevault/engine/item"
	"gradevault/engine/synth"
)

// TestCenteringSynthCards measures cards drawn by the project's video
// generator with printed borders of known widths (synth.Scene.CardBorder):
// 50/50, 55/45, 60/40 and 70/30 left/right and top/bottom (and mirrored),
// tilted 0–25° in perspective and rotated in plane, on the wooden table and
// on the dark mat, with sensor noise. A still frame of each scene is
// rendered, its outline found and the card rectified as a scan does; each
// ratio must be within ±2 points of the generator's truth.
func TestCenteringSynthCards(t *testing.T) {
	type tc struct {
		lr, tb, tilt, rot float64
		mat               bool
	}
	var cases []tc
	shares := []float64{50, 55, 60, 70, 45, 40, 30}
	tilts := []float64{0, 8, 16, 25}
	for i, lr := range shares {
		for j, mat := range []bool{false, true} {
			tilt := tilts[(i+j)%len(tilts)]
			cases = append(cases, tc{lr: lr, tb: shares[(i+2+3*j)%len(shares)], tilt: tilt, rot: float64(1-2*(i%2)) * tilt / 3, mat: mat})
		}
	}
	worst := 0.0
	for k, c := range cases {
		name := fmt.Sprintf("lr%.0f_tb%.0f_tilt%.0f_mat%v", c.lr, c.tb, c.tilt, c.mat)
		t.Run(name, func(t *testing.T) {
			s := synth.DefaultScene(synth.Card, 1280, 960)
			s.Seed = int64(40 + k)
			s.ItemScale = 0.8
			s.Tilt, s.Rot0 = c.tilt, c.rot
			s.Noise = 2
			if c.mat {
				s.Background = synth.BackgroundMat
			}
			sx, sy := 0.12, 0.10 // left+right and top+bottom, fractions of the card
			s.CardBorder = synth.Border{Left: sx * c.lr / 100, Right: sx * (1 - c.lr/100), Top: sy * c.tb / 100, Bottom: sy * (1 - c.tb/100)}
			frame := synth.Render(s, 0)
			defer frame.Close()
			corners, ok := glint.FindOutline(frame, item.Card)
			if !ok {
				t.Fatal("card outline not found")
			}
			hpx := (math.Hypot(corners[0][0]-corners[3][0], corners[0][1]-corners[3][1]) + math.Hypot(corners[1][0]-corners[2][0], corners[1][1]-corners[2][1])) / 2
			h := int(math.Round(hpx))
			w := int(math.Round(hpx * item.Card.Aspect()))
			m, err := MeasureFrame(frame, corners, w, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Found {
				t.Fatalf("border not found: %s", m.Reason)
			}
			b := s.CardBorder
			wantLR := 100 * b.Left / (b.Left + b.Right)
			wantTB := 100 * b.Top / (b.Top + b.Bottom)
			dl, dt := m.LR-wantLR, m.TB-wantTB
			t.Logf("truth %.1f/%.1f measured %.2f/%.2f (error %+.2f, %+.2f); widths %.1f px", wantLR, wantTB, m.LR, m.TB, dl, dt, m.WidthPx)
			if math.Abs(dl) > 2 || math.Abs(dt) > 2 {
				t.Errorf("off by more than 2 points: lr %+.2f tb %+.2f", dl, dt)
			}
			worst = max(worst, math.Abs(dl), math.Abs(dt))
		})
	}
	t.Logf("%d generated cards, worst error %.2f points", len(cases), worst)
}
