// Package report writes a scan's grading report as a PDF a grader can
// share: the item, scan ID and date, warnings and confidence at the top,
// the sub-grades with their evidence, the golden frames, the defect overlay
// with every named defect numbered, the centering with its guide lines, the
// region table and, once the scan was uploaded, its public links. One to
// three A4 pages; images are downscaled JPEGs so a report stays well under
// 5 MB.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gocv.io/x/gocv"

	"gradevault/engine/centering"
	"gradevault/engine/glint"
	"gradevault/engine/grade"
	"gradevault/engine/item"
	"gradevault/engine/library"
	"gradevault/engine/safefile"
	"gradevault/engine/scan"
)

// File is the report's name inside a scan folder.
const File = "report.pdf"

// Options control Write.
type Options struct {
	// Out is the PDF to write; "" writes report.pdf in the scan folder.
	Out string
	// Version is the app version printed in the footer.
	Version string
	// Now stamps the report (zero: time.Now); tests fix it.
	Now time.Time
	// Links, when set, are the public links to print (an upload predicts
	// them before sending); nil reads them from upload.json.
	Links *Links
}

// Links are a scan's public URLs.
type Links struct {
	Result string   // result.json
	Report string   // report.pdf
	Frames []string // golden frames, in order
}

// Image sizes (longest side, pixels) and JPEG quality: enough for print at
// the sizes placed, small enough for a few hundred kB per report.
const (
	thumbSide   = 480
	figureSide  = 1000
	jpegQuality = 82
)

// Write builds the report of the scan in dir and writes it atomically. It
// returns the path written.
func Write(dir string, o Options) (string, error) {
	data, err := Build(dir, o)
	if err != nil {
		return "", err
	}
	out := cmp.Or(o.Out, filepath.Join(dir, File))
	if err := safefile.WriteFile(out, data, 0o644); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	return out, nil
}

// Build returns the PDF of the scan in dir.
func Build(dir string, o Options) ([]byte, error) {
	res, err := scan.ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("no analysis in %s: %w", dir, err)
	}
	state, _ := library.ReadState(dir) // a missing or bad upload.json: no links
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	b := &builder{dir: dir, res: res, state: state, o: o}
	b.sub = res.Subgrades
	if b.sub == nil {
		// An older scan: grade it from what result.json holds.
		b.sub = scan.GradeOf(res)
	}
	if err := b.loadImages(); err != nil {
		return nil, err
	}
	return b.render()
}

type builder struct {
	dir   string
	res   *scan.Result
	state *library.UploadState
	sub   *grade.Subgrades
	o     Options
	pdf   *fpdf.Fpdf
	tr    func(string) string

	images map[string]*jpeg // by relative path
}

// jpeg is a downscaled image ready for the PDF.
type jpeg struct {
	data         []byte
	w, h         int // pixels of the JPEG
	origW, origH int
}

// loadImages decodes, downscales and JPEG-encodes the images the report
// shows, in parallel.
func (b *builder) loadImages() error {
	type job struct {
		rel  string
		side int
	}
	var jobs []job
	for _, g := range b.res.GoldenFrames {
		jobs = append(jobs, job{g, thumbSide})
	}
	if r := b.res.Report; r != nil {
		if r.DefectOverlay != "" {
			jobs = append(jobs, job{r.DefectOverlay, figureSide})
		}
		if len(r.RectifiedFrames) > 0 && b.res.Centering != nil && b.res.Centering.Found {
			jobs = append(jobs, job{r.RectifiedFrames[0], figureSide})
		}
	}
	b.images = map[string]*jpeg{}
	out := make([]*jpeg, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = loadJPEG(filepath.Join(b.dir, filepath.FromSlash(j.rel)), j.side)
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		if errs[i] != nil {
			// A missing image leaves a gap with a note, not a failed report.
			continue
		}
		b.images[j.rel] = out[i]
	}
	return nil
}

func loadJPEG(path string, side int) (*jpeg, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	m := gocv.IMRead(path, gocv.IMReadColor)
	defer m.Close()
	if m.Empty() {
		return nil, fmt.Errorf("cannot read %s", path)
	}
	j := &jpeg{origW: m.Cols(), origH: m.Rows()}
	img := m
	if s := float64(side) / float64(max(m.Cols(), m.Rows())); s < 1 {
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(m, &small, image.Pt(max(1, int(math.Round(float64(m.Cols())*s))), max(1, int(math.Round(float64(m.Rows())*s)))), 0, 0, gocv.InterpolationArea)
		img = small
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, img, []int{gocv.IMWriteJpegQuality, jpegQuality})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", path, err)
	}
	defer buf.Close()
	j.data = bytes.Clone(buf.GetBytes())
	j.w, j.h = img.Cols(), img.Rows()
	return j, nil
}

// Page geometry, millimetres.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 12.0
	contentW     = pageW - 2*margin
)

// colours
var (
	ink      = [3]int{30, 30, 34}
	muted    = [3]int{105, 105, 115}
	accent   = [3]int{34, 94, 168}
	warnFill = [3]int{255, 243, 205}
	warnInk  = [3]int{120, 80, 0}
	rowFill  = [3]int{242, 244, 248}
)

func (b *builder) color(c [3]int) { b.pdf.SetTextColor(c[0], c[1], c[2]) }

func (b *builder) render() ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	b.pdf = p
	b.tr = p.UnicodeTranslatorFromDescriptor("")
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(true, margin+8)
	p.SetCreationDate(b.o.Now)
	p.SetModificationDate(b.o.Now)
	p.SetTitle(b.tr("GradeVault report "+b.res.ScanID), false)
	p.SetCreator(b.tr("GradeVault "+b.o.Version), false)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-margin - 2)
		p.SetFont("Helvetica", "", 7.5)
		b.color(muted)
		p.CellFormat(contentW/2, 4, b.tr(fmt.Sprintf("GradeVault %s · scan %s · %s", b.o.Version, b.res.ScanID, grade.Scale)), "", 0, "L", false, 0, "")
		p.CellFormat(contentW/2, 4, fmt.Sprintf("page %d of {nb}", p.PageNo()), "", 0, "R", false, 0, "")
	})

	p.AddPage()
	b.header()
	b.warnings()
	b.subgrades()
	b.goldenFrames()
	b.regions()
	b.pdf.AddPage()
	b.defects()
	b.centeringFigure()
	b.links()

	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("build report: %w", err)
	}
	return out.Bytes(), nil
}

func (b *builder) heading(s string) {
	p := b.pdf
	p.Ln(2)
	p.SetFont("Helvetica", "B", 12)
	b.color(accent)
	p.CellFormat(contentW, 7, b.tr(s), "B", 1, "L", false, 0, "")
	p.Ln(1.5)
	b.color(ink)
}

// ensure starts a new page when less than h mm remain.
func (b *builder) ensure(h float64) {
	if b.pdf.GetY()+h > pageH-margin-8 {
		b.pdf.AddPage()
	}
}

func (b *builder) header() {
	p, r := b.pdf, b.res
	p.SetFont("Helvetica", "B", 20)
	b.color(ink)
	p.CellFormat(contentW*0.65, 10, "GradeVault grading report", "", 0, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	b.color(muted)
	p.CellFormat(contentW*0.35, 10, b.tr("report of "+b.o.Now.UTC().Format("2 Jan 2006 15:04 MST")), "", 1, "R", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	b.color(ink)
	item := strings.ToUpper(string(r.ItemType.OrDefault())[:1]) + string(r.ItemType.OrDefault())[1:]
	line := fmt.Sprintf("Item: %s    Scan ID: %s    Scanned: %s", item, r.ScanID, r.CreatedAt.UTC().Format("2 Jan 2006 15:04 MST"))
	p.CellFormat(contentW, 5.5, b.tr(line), "", 1, "L", false, 0, "")
	if r.Video.Path != "" {
		b.color(muted)
		p.SetFont("Helvetica", "", 8.5)
		v := fmt.Sprintf("Video: %s (%d×%d, %.1f s, %d frames)", filepath.Base(r.Video.Path), r.Video.Width, r.Video.Height, r.Video.DurationSeconds, r.Video.Frames)
		p.CellFormat(contentW, 4.5, b.tr(v), "", 1, "L", false, 0, "")
	}
	p.Ln(2)
	// The overall suggestion, boxed.
	o := b.sub.Overall
	y := p.GetY()
	p.SetFillColor(rowFill[0], rowFill[1], rowFill[2])
	p.Rect(margin, y, contentW, 19, "F")
	p.SetXY(margin+3, y+2)
	p.SetFont("Helvetica", "B", 13)
	b.color(ink)
	txt := "Overall suggestion: not graded"
	if o.Available {
		txt = fmt.Sprintf("Overall suggestion: %s", gradeText(o))
	}
	p.CellFormat(contentW-6, 7, b.tr(txt), "", 1, "L", false, 0, "")
	p.SetX(margin + 3)
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(contentW-6, 4.5, b.tr(fmt.Sprintf("Confidence: %s (%.2f)", o.ConfidenceLabel, o.Confidence)), "", 1, "L", false, 0, "")
	p.SetX(margin + 3)
	p.SetFont("Helvetica", "I", 8.5)
	b.color(muted)
	p.CellFormat(contentW-6, 4.5, b.tr(grade.Scale+". A suggestion from the video, for a grader to check."), "", 1, "L", false, 0, "")
	p.SetY(y + 21)
	b.color(ink)
}

// gradeText is "8.5" or "8.5 (range 7.0–8.5)".
func gradeText(s grade.Subgrade) string {
	if !s.Available {
		return "n/a"
	}
	if s.Low < s.Grade {
		return fmt.Sprintf("%.1f (range %.1f–%.1f)", s.Grade, s.Low, s.Grade)
	}
	return fmt.Sprintf("%.1f", s.Grade)
}

func (b *builder) warnings() {
	var ws []string
	ws = append(ws, b.res.Warnings...)
	for _, r := range b.sub.Overall.Reasons {
		if !slices.Contains(ws, r) {
			ws = append(ws, "confidence: "+r)
		}
	}
	if len(ws) == 0 {
		return
	}
	if len(ws) > 10 {
		ws = append(ws[:9], fmt.Sprintf("… and %d more (see result.json)", len(ws)-9))
	}
	p := b.pdf
	p.SetFont("Helvetica", "", 8.5)
	lines := 0
	for _, w := range ws {
		lines += len(p.SplitLines([]byte(b.tr("• "+w)), contentW-8))
	}
	h := 6 + 4*float64(lines)
	y := p.GetY()
	p.SetFillColor(warnFill[0], warnFill[1], warnFill[2])
	p.Rect(margin, y, contentW, h+2, "F")
	p.SetXY(margin+3, y+1.5)
	p.SetFont("Helvetica", "B", 9)
	b.color(warnInk)
	p.CellFormat(contentW-6, 5, "Warnings", "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 8.5)
	for _, w := range ws {
		p.SetX(margin + 3)
		p.MultiCell(contentW-8, 4, b.tr("• "+w), "", "L", false)
	}
	p.SetY(y + h + 4)
	b.color(ink)
}

func (b *builder) subgrades() {
	p := b.pdf
	b.heading("Sub-grades")
	cols := []float64{24, 30, 26, 0}
	cols[3] = contentW - cols[0] - cols[1] - cols[2]
	p.SetFont("Helvetica", "B", 9)
	p.SetFillColor(rowFill[0], rowFill[1], rowFill[2])
	for i, h := range []string{"Aspect", "Grade", "Confidence", "Evidence"} {
		p.CellFormat(cols[i], 6, h, "B", 0, "L", true, 0, "")
	}
	p.Ln(-1)
	for i, s := range b.sub.List() {
		p.SetFont("Helvetica", "", 8.5)
		ev := strings.Join(s.Evidence, "; ")
		if len(s.Reasons) > 0 && s.Name != "overall" {
			ev += ". Confidence lowered: " + strings.Join(s.Reasons, "; ")
		}
		lines := p.SplitLines([]byte(b.tr(ev)), cols[3]-2)
		h := math.Max(6, 4*float64(len(lines))+2)
		b.ensure(h)
		y := p.GetY()
		if i%2 == 1 {
			p.SetFillColor(rowFill[0], rowFill[1], rowFill[2])
			p.Rect(margin, y, contentW, h, "F")
		}
		name := strings.ToUpper(s.Name[:1]) + s.Name[1:]
		style := ""
		if s.Name == "overall" {
			style = "B"
		}
		p.SetFont("Helvetica", style, 9)
		p.CellFormat(cols[0], 6, name, "", 0, "L", false, 0, "")
		p.CellFormat(cols[1], 6, b.tr(gradeText(s)), "", 0, "L", false, 0, "")
		conf := "—"
		if s.Available {
			conf = fmt.Sprintf("%s %.2f", s.ConfidenceLabel, s.Confidence)
		}
		p.CellFormat(cols[2], 6, b.tr(conf), "", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 8.5)
		p.SetXY(margin+cols[0]+cols[1]+cols[2], y+1)
		p.MultiCell(cols[3]-2, 4, b.tr(ev), "", "L", false)
		p.SetY(y + h)
	}
	p.SetFont("Helvetica", "I", 7.5)
	b.color(muted)
	p.MultiCell(contentW, 3.6, b.tr("Grades are 0–10 in half points, rounded down. A range is shown when confidence is below high: the lower grade is what the evidence cannot rule out. "+grade.Scale+"."), "", "L", false)
	b.color(ink)
}

func (b *builder) place(rel string, x, y, w, h float64) bool {
	j := b.images[rel]
	if j == nil {
		b.pdf.SetDrawColor(200, 200, 200)
		b.pdf.Rect(x, y, w, h, "D")
		b.pdf.SetXY(x, y+h/2-2)
		b.pdf.SetFont("Helvetica", "I", 7)
		b.pdf.CellFormat(w, 4, "image missing", "", 0, "C", false, 0, "")
		return false
	}
	opt := fpdf.ImageOptions{ImageType: "JPG"}
	b.pdf.RegisterImageOptionsReader(rel, opt, bytes.NewReader(j.data))
	b.pdf.ImageOptions(rel, x, y, w, h, false, opt, 0, "")
	return true
}

// fit returns the size of an image of aspect w/h fitted in maxW×maxH.
func fit(rel string, images map[string]*jpeg, maxW, maxH float64) (float64, float64) {
	j := images[rel]
	a := 1.0
	if j != nil {
		a = float64(j.w) / float64(j.h)
	}
	w, h := maxW, maxW/a
	if h > maxH {
		h, w = maxH, maxH*a
	}
	return w, h
}

func (b *builder) goldenFrames() {
	r := b.res
	if len(r.GoldenFrames) == 0 {
		return
	}
	p := b.pdf
	n := len(r.GoldenFrames)
	perRow := min(n, 5)
	gap := 2.5
	tw := (contentW - gap*float64(perRow-1)) / float64(perRow)
	_, th := fit(r.GoldenFrames[0], b.images, tw, 60)
	b.ensure(th + 20)
	b.heading("Golden frames")
	for i, g := range r.GoldenFrames {
		if i > 0 && i%perRow == 0 {
			p.SetY(p.GetY() + th + 7)
			b.ensure(th + 7)
		}
		x := margin + float64(i%perRow)*(tw+gap)
		y := p.GetY()
		w, h := fit(g, b.images, tw, th)
		b.place(g, x, y, w, h)
		p.SetXY(x, y+h+0.5)
		p.SetFont("Helvetica", "", 7.5)
		cap := fmt.Sprintf("%d · frame %d", i+1, frameOf(r, i))
		if i < len(r.GoldenFrameDetails) {
			d := r.GoldenFrameDetails[i]
			cap = fmt.Sprintf("%d · frame %d · %.2f s", i+1, d.Frame, d.Timestamp)
			if d.Relaxed {
				cap += " · moving"
			}
			if d.Manual {
				cap += " · by hand"
			}
		}
		p.CellFormat(tw, 4, b.tr(cap), "", 0, "L", false, 0, "")
		p.SetY(y)
	}
	p.SetY(p.GetY() + th + 7)
}

func frameOf(r *scan.Result, i int) int {
	if i < len(r.GoldenFrameDetails) {
		return r.GoldenFrameDetails[i].Frame
	}
	return 0
}

// defects draws the defect overlay with every named defect numbered (or,
// without named defects, the regions with their scores) and lists them.
func (b *builder) defects() {
	rep := b.res.Report
	if rep == nil || rep.DefectOverlay == "" {
		return
	}
	p := b.pdf
	fw, fh := fit(rep.DefectOverlay, b.images, 80, 112)
	b.ensure(fh + 16)
	b.heading("Defects")
	x0, y0 := margin, p.GetY()
	b.place(rep.DefectOverlay, x0, y0, fw, fh)
	sx := fw / float64(max(1, rep.RectifiedSize[0]))
	sy := fh / float64(max(1, rep.RectifiedSize[1]))
	defs := scan.DefectsOf(b.res)
	p.SetLineWidth(0.35)
	var list []string
	if defs != nil {
		for i, d := range defs {
			p.SetDrawColor(255, 210, 0)
			if len(d.Polyline) > 1 {
				for k := 1; k < len(d.Polyline); k++ {
					a, c := d.Polyline[k-1], d.Polyline[k]
					p.Line(x0+a[0]*sx, y0+a[1]*sy, x0+c[0]*sx, y0+c[1]*sy)
				}
			}
			bx, by, bw, bh := x0+d.BBox[0]*sx, y0+d.BBox[1]*sy, d.BBox[2]*sx, d.BBox[3]*sy
			if bw > 0 && bh > 0 {
				p.Rect(bx, by, bw, bh, "D")
			}
			b.badge(i+1, bx, by)
			line := fmt.Sprintf("%d. %s in %s, severity %.2f", i+1, strings.ReplaceAll(d.Kind, "_", " "), d.Region, d.Severity)
			if d.LengthMM > 0 {
				line += fmt.Sprintf(", %.0f mm long", d.LengthMM)
			}
			list = append(list, line)
		}
		if len(defs) == 0 {
			list = append(list, "No defect found.")
		}
	} else {
		list = append(list, "This analysis names no defects; the red overlay marks what the glint analysis flagged. Region scores (0–100, higher is worse):")
		names := b.regionNames()
		for i, name := range names {
			if rr, ok := regionBox(b.res.ItemType, name, rep.RectifiedSize[0], rep.RectifiedSize[1]); ok {
				p.SetDrawColor(255, 210, 0)
				p.Rect(x0+rr[0]*sx, y0+rr[1]*sy, rr[2]*sx, rr[3]*sy, "D")
				b.badge(i+1, x0+rr[0]*sx+2, y0+rr[1]*sy+2)
			}
			list = append(list, fmt.Sprintf("%d. %s: %.1f", i+1, name, rep.RegionScores[name]))
		}
	}
	p.SetXY(x0+fw+5, y0)
	p.SetFont("Helvetica", "", 8.5)
	for _, l := range list {
		p.SetX(x0 + fw + 5)
		p.MultiCell(contentW-fw-5, 4.2, b.tr(l), "", "L", false)
	}
	p.SetFont("Helvetica", "", 8.5)
	p.SetX(x0 + fw + 5)
	p.MultiCell(contentW-fw-5, 4.2, b.tr(fmt.Sprintf("Damage score %.1f, flagged area %.1f%%.", rep.DamageScore, rep.DefectPercentage)), "", "L", false)
	p.SetY(math.Max(p.GetY(), y0+fh) + 4)
}

// badge draws a numbered marker.
func (b *builder) badge(n int, x, y float64) {
	p := b.pdf
	p.SetFillColor(20, 20, 20)
	p.Circle(x, y, 2, "F")
	p.SetFont("Helvetica", "B", 6.5)
	p.SetTextColor(255, 230, 0)
	p.SetXY(x-2, y-1.6)
	p.CellFormat(4, 3.2, fmt.Sprint(n), "", 0, "C", false, 0, "")
	b.color(ink)
}

// regionNames lists the regions of the scan's item type (no spine on a
// card or toy) with scores, in report order.
func (b *builder) regionNames() []string {
	names := regionNames(b.res.Report.RegionScores)
	if !b.res.ItemType.HasSpine() {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "spine" })
	}
	return names
}

// regionNames lists the region scores present, in report order.
func regionNames(m map[string]float64) []string {
	order := []string{"corner_tl", "corner_tr", "corner_bl", "corner_br", "edge_top", "edge_right", "edge_bottom", "edge_left", "edges", "spine", "surface"}
	var out []string
	for _, n := range order {
		if _, ok := m[n]; ok {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range m {
		if !slices.Contains(order, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// regionBox is a region's rectangle (x, y, w, h) on a w×h rectified item.
func regionBox(t item.Type, name string, w, h int) ([4]float64, bool) {
	f, ok := glint.RegionFraction(t, name)
	W, H := float64(w), float64(h)
	return [4]float64{f[0] * W, f[1] * H, (f[2] - f[0]) * W, (f[3] - f[1]) * H}, ok
}

func (b *builder) centeringFigure() {
	c := b.res.Centering
	rep := b.res.Report
	if c == nil || rep == nil {
		return
	}
	p := b.pdf
	if !c.Found || len(rep.RectifiedFrames) == 0 {
		b.ensure(20)
		b.heading("Centering")
		p.SetFont("Helvetica", "", 9)
		p.MultiCell(contentW, 4.5, b.tr("No printed border was found, so centering was not measured. "+strings.Join(c.Reasons, "; ")), "", "L", false)
		return
	}
	rel := rep.RectifiedFrames[0]
	fw, fh := fit(rel, b.images, 62, 88)
	b.ensure(fh + 16)
	b.heading("Centering")
	x0, y0 := margin, p.GetY()
	b.place(rel, x0, y0, fw, fh)
	sx := fw / float64(max(1, c.RectifiedSize[0]))
	sy := fh / float64(max(1, c.RectifiedSize[1]))
	g := c.Guides
	p.SetLineWidth(0.3)
	p.SetDrawColor(0, 160, 255)
	p.SetDashPattern([]float64{1.2, 0.8}, 0)
	p.Rect(x0+g.Outer[0]*sx, y0+g.Outer[2]*sy, (g.Outer[1]-g.Outer[0])*sx, (g.Outer[3]-g.Outer[2])*sy, "D")
	p.SetDashPattern(nil, 0)
	p.SetDrawColor(255, 40, 120)
	for _, x := range []float64{g.Inner[0], g.Inner[1]} {
		p.Line(x0+x*sx, y0, x0+x*sx, y0+fh)
	}
	for _, y := range []float64{g.Inner[2], g.Inner[3]} {
		p.Line(x0, y0+y*sy, x0+fw, y0+y*sy)
	}
	tx := x0 + fw + 6
	p.SetXY(tx, y0)
	p.SetFont("Helvetica", "B", 16)
	p.CellFormat(contentW-fw-6, 8, b.tr("Left/right "+c.LRLabel), "", 1, "L", false, 0, "")
	p.SetX(tx)
	p.CellFormat(contentW-fw-6, 8, b.tr("Top/bottom "+c.TBLabel), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	lines := []string{
		fmt.Sprintf("Measured %.1f / %.1f and %.1f / %.1f.", c.LR, 100-c.LR, c.TB, 100-c.TB),
		fmt.Sprintf("Border widths: left %.2f mm, right %.2f mm, top %.2f mm, bottom %.2f mm.", c.LeftMM, c.RightMM, c.TopMM, c.BottomMM),
		fmt.Sprintf("Confidence %s (%.2f).", grade.Label(c.Confidence), c.Confidence),
	}
	if c.Manual {
		lines = append(lines, "Guide lines set by hand in review.")
	} else {
		lines = append(lines, fmt.Sprintf("Median of %d frames, %s.", len(c.Frames), measuredOn(c)))
	}
	lines = append(lines, c.Reasons...)
	lines = append(lines, "Pink lines: the printed frame; dashed blue: the item's edge.")
	for _, l := range lines {
		p.SetX(tx)
		p.MultiCell(contentW-fw-6, 4.5, b.tr(l), "", "L", false)
	}
	p.SetY(math.Max(p.GetY(), y0+fh) + 4)
}

func measuredOn(c *centering.Result) string {
	n := 0
	for _, m := range c.Frames {
		if m.Found {
			n++
		}
	}
	return fmt.Sprintf("border found in %d", n)
}

func (b *builder) regions() {
	rep := b.res.Report
	if rep == nil || len(rep.RegionScores) == 0 {
		return
	}
	p := b.pdf
	names := b.regionNames()
	b.ensure(float64(len(names))*5 + 16)
	b.heading("Regions")
	cols := []float64{40, 30, 30, 30, 30}
	p.SetFont("Helvetica", "B", 8.5)
	for i, h := range []string{"Region", "Score (0–100)", "Flagged %", "Mean", "Max"} {
		p.CellFormat(cols[i], 5.5, b.tr(h), "B", 0, "L", false, 0, "")
	}
	p.Ln(-1)
	p.SetFont("Helvetica", "", 8.5)
	for _, n := range names {
		d := rep.RegionDetails[n]
		p.CellFormat(cols[0], 4.5, n, "", 0, "L", false, 0, "")
		p.CellFormat(cols[1], 4.5, fmt.Sprintf("%.1f", rep.RegionScores[n]), "", 0, "L", false, 0, "")
		p.CellFormat(cols[2], 4.5, fmt.Sprintf("%.1f", d.DefectCoverage), "", 0, "L", false, 0, "")
		p.CellFormat(cols[3], 4.5, fmt.Sprintf("%.1f", d.MeanIntensity), "", 0, "L", false, 0, "")
		p.CellFormat(cols[4], 4.5, fmt.Sprintf("%.1f", d.MaxIntensity), "", 1, "L", false, 0, "")
	}
}

func (b *builder) links() {
	l := b.o.Links
	if l == nil {
		st := b.state
		if st == nil || st.ResultURL == "" {
			return
		}
		l = &Links{Result: st.ResultURL}
		for _, o := range st.Objects {
			if o.URL != "" && o.State == library.StateUploaded && strings.HasPrefix(o.File, scan.FramesDir+"/") {
				l.Frames = append(l.Frames, o.URL)
			}
			if o.File == File && o.URL != "" {
				l.Report = o.URL
			}
		}
		sort.Strings(l.Frames)
	}
	if l.Result == "" {
		return
	}
	p := b.pdf
	b.ensure(20)
	b.heading("Public links")
	p.SetFont("Helvetica", "", 8)
	link := func(label, u string) {
		p.SetX(margin)
		b.color(ink)
		p.CellFormat(28, 4.2, b.tr(label), "", 0, "L", false, 0, "")
		b.color(accent)
		p.CellFormat(contentW-28, 4.2, b.tr(u), "", 1, "L", false, 0, u)
	}
	link("result.json", l.Result)
	if l.Report != "" {
		link("this report", l.Report)
	}
	for i, u := range l.Frames {
		link(fmt.Sprintf("golden frame %d", i+1), u)
	}
	b.color(ink)
}
