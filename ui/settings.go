package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"gradevault/engine/analysis"
	"gradevault/engine/upload"
)

// settingsForm is the settings screen: Supabase connection and analysis
// defaults. The key is written to the OS keychain and never shown back.
type settingsForm struct {
	url, key, bucket  *widget.Entry
	workers, mode     *widget.Select
	threshold, minGap *widget.Entry
	status            *widget.Label
	test              *widget.Button
	dialog            dialog.Dialog
	keyStored         bool // a key for the URL is in the keychain (checked in the background)
}

func (c *controller) showSettings() {
	s := c.settings
	f := &settingsForm{}
	c.settingsUI = f
	f.url = widget.NewEntry()
	f.url.SetPlaceHolder("https://your-project.supabase.co")
	f.url.SetText(s.URL)
	f.key = widget.NewPasswordEntry()
	f.key.SetPlaceHolder("paste the project's service key")
	c.checkStoredKey(f, s.URL)
	f.bucket = widget.NewEntry()
	f.bucket.SetPlaceHolder(upload.DefaultBucket)
	f.bucket.SetText(s.Bucket)
	workers := []string{"auto"}
	for i := 1; i <= 16; i++ {
		workers = append(workers, strconv.Itoa(i))
	}
	f.workers = widget.NewSelect(workers, nil)
	if s.Workers > 0 {
		f.workers.SetSelected(strconv.Itoa(s.Workers))
	} else {
		f.workers.SetSelected("auto")
	}
	f.mode = widget.NewSelect([]string{string(analysis.Fast), string(analysis.Precise)}, nil)
	f.mode.SetSelected(string(analysis.Fast))
	if s.Mode != "" {
		f.mode.SetSelected(s.Mode)
	}
	def := analysis.Options{}.Defaults()
	f.threshold = widget.NewEntry()
	f.threshold.SetPlaceHolder(fmtNum(def.MotionThreshold))
	if s.MotionThreshold > 0 {
		f.threshold.SetText(strconv.FormatFloat(s.MotionThreshold, 'f', -1, 64))
	}
	f.threshold.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || x <= 0 || x > 100 {
			return fmt.Errorf("a number of pixels above 0")
		}
		return nil
	}
	f.minGap = widget.NewEntry()
	f.minGap.SetPlaceHolder(strconv.Itoa(def.MinGap))
	if s.MinGap > 0 {
		f.minGap.SetText(strconv.Itoa(s.MinGap))
	}
	f.minGap.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		x, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || x < 1 || x > 10000 {
			return fmt.Errorf("a whole number of frames, 1 or more")
		}
		return nil
	}
	f.status = widget.NewLabel("")
	f.status.Importance = widget.MediumImportance
	f.status.Hide()
	f.test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() { c.testConnection(f) })

	items := []*widget.FormItem{
		{Text: "Supabase URL", Widget: f.url},
		{Text: "Key", Widget: f.key, HintText: "stored in the OS keychain, never shown"},
		{Text: "Bucket", Widget: f.bucket},
		{Text: "", Widget: container.NewVBox(container.NewHBox(f.test), f.status)},
		{Text: "Workers", Widget: f.workers},
		{Text: "Mode", Widget: f.mode, HintText: "precise: full-resolution optical flow, as the original worker; fast: quicker"},
		{Text: "Motion threshold (px)", Widget: f.threshold},
		{Text: "Minimum gap (frames)", Widget: f.minGap},
	}
	d := dialog.NewForm("Settings", "Save", "Cancel", items, func(ok bool) {
		if ok {
			c.saveSettings(f)
		}
	}, c.win)
	d.Resize(fyne.NewSize(640, 600))
	f.dialog = d
	c.lastDialog = d
	d.Show()
}

// saveSettings stores the form. The key goes to the keychain in the
// background (a keychain may be slow or absent); errors are shown.
func (c *controller) saveSettings(f *settingsForm) {
	s := c.settings
	s.URL = strings.TrimSpace(f.url.Text)
	s.Bucket = strings.TrimSpace(f.bucket.Text)
	s.Workers, _ = strconv.Atoi(f.workers.Selected)
	s.Mode = f.mode.Selected
	s.MotionThreshold, _ = strconv.ParseFloat(strings.TrimSpace(f.threshold.Text), 64)
	s.MinGap, _ = strconv.Atoi(strings.TrimSpace(f.minGap.Text))
	path, err := c.settingsPath()
	if err == nil {
		err = upload.SaveSettingsFile(path, s)
	}
	if err != nil {
		c.notify("Settings not saved", err.Error())
		return
	}
	old := c.settings
	c.settings = s
	// The open scan follows new selection settings at once: its frames are
	// measured already.
	if r := c.review; r != nil && r.res != nil && (s.MotionThreshold != old.MotionThreshold || s.MinGap != old.MinGap) {
		d := analysis.Options{MotionThreshold: s.MotionThreshold, MinGap: s.MinGap}.Defaults()
		r.rechoose(d.MotionThreshold, d.MinGap)
	}
	key := strings.TrimSpace(f.key.Text)
	f.key.SetText("")
	if key == "" {
		return
	}
	if s.URL == "" {
		c.notify("Key not saved", "Set the Supabase URL first: the key is stored for that project.")
		return
	}
	kc := c.keychain()
	c.goBG(func(context.Context) {
		if err := upload.SaveKey(kc, s.URL, key); err != nil {
			c.do(func() { c.notify("Key not saved", keyNotSavedMessage(err)) })
		}
	})
}

// keyNotSavedMessage explains a keychain failure and the way around it.
func keyNotSavedMessage(err error) string {
	if errors.Is(err, upload.ErrNoKeychain) {
		return "The key could not be stored: " + strings.TrimPrefix(err.Error(), upload.ErrNoKeychain.Error()+": ") + "."
	}
	return "The key could not be stored in the keychain: " + err.Error() +
		"\nYou can set " + upload.EnvKey + " in the environment or a .env file instead."
}

// checkStoredKey looks for a stored key for url in the background; the key
// field then says that leaving it empty keeps that key.
func (c *controller) checkStoredKey(f *settingsForm, url string) {
	if strings.TrimSpace(url) == "" {
		return
	}
	kc := c.keychain()
	c.goBG(func(context.Context) {
		key, err := upload.GetKey(kc, url)
		if err != nil || key == "" {
			return
		}
		c.do(func() {
			f.keyStored = true
			f.key.SetPlaceHolder("leave empty to keep the stored key")
		})
	})
}

// testConnection lists the bucket with the form's values (the stored key
// if the key field is empty) and shows the server's answer.
func (c *controller) testConnection(f *settingsForm) {
	cfg := upload.Config{URL: strings.TrimSpace(f.url.Text), Key: strings.TrimSpace(f.key.Text), Bucket: strings.TrimSpace(f.bucket.Text)}
	if cfg.Bucket == "" {
		cfg.Bucket = upload.DefaultBucket
	}
	f.test.Disable()
	f.status.Importance = widget.MediumImportance
	f.status.SetText("Testing…")
	f.status.Show()
	kc := c.keychain()
	load := c.env.LoadConfig
	c.goBG(func(ctx context.Context) {
		if cfg.Key == "" && cfg.URL != "" {
			if load != nil {
				if full, err := load(); err == nil && strings.TrimRight(full.URL, "/") == strings.TrimRight(cfg.URL, "/") {
					cfg.Key = full.Key
				}
			}
			if cfg.Key == "" {
				cfg.Key, _ = upload.GetKey(kc, cfg.URL)
			}
		}
		msg, err := c.eng.TestConnection(ctx, cfg)
		c.do(func() {
			f.test.Enable()
			if err != nil {
				f.status.Importance = widget.DangerImportance
				msg = err.Error()
			} else {
				f.status.Importance = widget.SuccessImportance
			}
			f.status.SetText(wrapText(msg, 440, theme.TextSize(), fyne.TextStyle{}))
		})
	})
}
