package glint

import "gradevault/engine/item"

// Region names, in the order reports list them.
var RegionNames = []string{"corner_tl", "corner_tr", "corner_bl", "corner_br", "spine", "surface"}

// RegionDetail holds one region's measurements, with the original worker's
// JSON names.
type RegionDetail struct {
	DefectCoverage float64 `json:"defect_coverage"` // % of the region's pixels in the defect mask
	MeanIntensity  float64 `json:"mean_intensity"`  // mean defect score ×100
	MaxIntensity   float64 `json:"max_intensity"`   // max defect score ×100
	EdgeDensity    float64 `json:"edge_density"`    // % of Canny(40,120) edge pixels
	QualityScore   float64 `json:"quality_score"`   // 0–100, higher = worse
	// MissingPercent is, for corners, the share of the corner triangle the
	// item's outline does not cover (blunted, torn or worn corner).
	MissingPercent float64 `json:"missing_percent,omitempty"`
}

// Outline is the item's quadrilateral in the upright video frame.
type Outline struct {
	Frame   int          `json:"frame"`
	Found   bool         `json:"found"`
	Corners [][2]float64 `json:"corners"`          // TL, TR, BR, BL in video-frame pixels
	Manual  bool         `json:"manual,omitempty"` // set by hand in review
}

// Alignment is one golden frame's registration to the reference frame.
type Alignment struct {
	Frame      int     `json:"frame"`
	ResidualPx float64 `json:"residualPx"`
	Used       bool    `json:"used"`
}

// OutlineCheck is one frame's outline compared with the item type's shape
// and the other frames'.
type OutlineCheck struct {
	Frame    int          `json:"frame"`
	Found    bool         `json:"found"`
	Corners  [][2]float64 `json:"corners,omitempty"` // TL, TR, BR, BL in video-frame pixels, when found
	Aspect   float64      `json:"aspect,omitempty"`  // estimated true width/height
	Doubtful bool         `json:"doubtful,omitempty"`
}

// Coverage is the share of a frame's item area covered by specular glint.
type Coverage struct {
	Frame   int     `json:"frame"`
	Percent float64 `json:"percent"`
}

// Report is the glint analysis's part of result.json. File fields hold
// paths relative to the scan folder (public URLs once uploaded).
type Report struct {
	DefectMask      string            `json:"defectMask,omitempty"`
	VarianceHeatmap string            `json:"varianceHeatmap,omitempty"`
	DefectOverlay   string            `json:"defectOverlay,omitempty"`
	RegionCrops     map[string]string `json:"regionCrops,omitempty"`
	// RegionOverlays are the crops of the defect overlay, crops/{region}_overlay.png.
	RegionOverlays   map[string]string       `json:"regionOverlays,omitempty"`
	DefectPercentage float64                 `json:"defectPercentage"`
	DamageScore      float64                 `json:"damageScore"`
	RegionScores     map[string]float64      `json:"regionScores,omitempty"`
	RegionDetails    map[string]RegionDetail `json:"regionDetails,omitempty"`
	// Regions lists the graded regions of the item type in order (comics
	// have a spine, cards four edges).
	Regions []string `json:"regions,omitempty"`
	// Defects are the named, located defects, most severe first.
	Defects []Defect `json:"defects"`
	// SeedDefectPercentage, SeedDamageScore and SeedRegionScores are the
	// original worker's formulas on the golden frames, kept for comparison.
	SeedDefectPercentage float64            `json:"seedDefectPercentage"`
	SeedDamageScore      float64            `json:"seedDamageScore"`
	SeedRegionScores     map[string]float64 `json:"seedRegionScores,omitempty"`
	// DefectMethod names the method behind damageScore and the images.
	DefectMethod string `json:"defectMethod,omitempty"`
	// AnalysisFrames are the video frames the defect map was computed on.
	AnalysisFrames []int `json:"analysisFrames,omitempty"`
	// NoiseSigma is the residual noise level of the defect map (grey
	// levels); DefectThreshold the evidence a defect must reach.
	NoiseSigma      float64 `json:"defectNoiseSigma"`
	DefectThreshold float64 `json:"defectThreshold"`
	// OutlineChecks are the per-frame outline plausibility checks.
	OutlineChecks []OutlineCheck `json:"outlineChecks,omitempty"`
	// ConfidenceReasons say why the defect analysis is less trustworthy
	// than usual (empty when nothing is doubtful).
	ConfidenceReasons []string    `json:"glintConfidenceReasons,omitempty"`
	ItemOutline       *Outline    `json:"itemOutline,omitempty"`
	Alignment         []Alignment `json:"alignment,omitempty"`
	// RectifiedSize is the width and height in pixels of the rectified item
	// image all maps, masks and rectified frames share.
	RectifiedSize [2]int     `json:"rectifiedSize"`
	GlintCoverage []Coverage `json:"glintCoverage,omitempty"`
	// GlintFrames are the per-frame glint overlays (glint/golden_frame_NN.png),
	// RectifiedFrames the rectified golden frames (rectified/golden_frame_NN.png),
	// both in golden-frame order.
	GlintFrames     []string `json:"glintFrames,omitempty"`
	RectifiedFrames []string `json:"rectifiedFrames,omitempty"`
	// Frames are the video frame numbers the analysis ran on.
	Frames   []int     `json:"glintInputFrames,omitempty"`
	ItemType item.Type `json:"-"`
	Warnings []string  `json:"glintWarnings,omitempty"`
}
