// Package ui is GradeVault's window: the start screen (drop zone, library),
// the live analysis, the review of the golden frames and defect layers, the
// manual re-selection timeline, the upload and the settings.
//
// The engine reports progress as plain events from its worker goroutines;
// the ui records them in a mutex-guarded model (liveModel) and a pump pushes
// snapshots to the widgets at most 30 times a second with one fyne.Do per UI
// frame. Widgets are only touched on the UI goroutine.
package ui

import (
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"gradevault/assets"
	"gradevault/engine/item"
)

// Options configure Run.
type Options struct {
	Version   string    // shown in the header
	OpenVideo string    // analyse this video as soon as the window opens
	ItemType  item.Type // the item type to start with ("" → comic)
}

// EnvTour names the environment variable that, when set to a folder, makes
// Run drive the window through every screen, save a PNG of each into that
// folder, and quit (used by scripts/screenshots.sh).
const EnvTour = "GRADEVAULT_TOUR"

// tourRunner drives the window through every screen for screenshots; only
// builds with the "tour" tag have one (tour.go).
type tourRunner interface {
	engine() Engine
	env() Env
	run(c *controller) error
}

// Run opens the window and blocks until it is closed.
func Run(o Options) error {
	a := app.NewWithID("app.gradevault.GradeVault")
	a.Settings().SetTheme(newTheme())
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("GradeVault")
	// Fits a 1366×768 laptop screen; every screen's minimum size is smaller
	// (TestScreensFitALaptop).
	w.Resize(fyne.NewSize(1220, 700))

	tourDir := os.Getenv(EnvTour)
	eng, env := Engine{}, Env{}
	var t tourRunner
	if tourDir != "" {
		var err error
		if t, err = newTourRunner(tourDir); err != nil {
			return err
		}
		eng, env = t.engine(), t.env()
		w.Resize(fyne.NewSize(1400, 900))
	}
	c := newController(a, w, o, eng, env)
	w.SetCloseIntercept(func() {
		// Stop the analysis and every background job before the window
		// goes: nothing keeps running, nothing half-written stays behind.
		quit(c, a)
	})
	if o.OpenVideo != "" {
		c.enqueue(o.OpenVideo)
	}
	var tourErr error
	if t != nil {
		go func() { tourErr = t.run(c); fyne.Do(func() { quit(c, a) }) }()
	}
	w.ShowAndRun()
	return tourErr
}

// quit shuts the controller down (bounded wait) and quits; UI goroutine.
func quit(c *controller, a fyne.App) {
	done := make(chan struct{})
	go func() { c.shutdown(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	a.Quit()
}
