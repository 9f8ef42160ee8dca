// Command gencorpus writes the synthetic test corpus (synth.CorpusAt): one
// video per entry and, next to it, its ground truth as JSON
// (NAME.truth.json), for manual checks and benchmarks. It prints the time
// each video took.
//
//	go run ./engine/synth/gencorpus -out /tmp/corpus               # 320×240 test size
//	go run ./engine/synth/gencorpus -out /tmp/corpus1080 -size 1080p
//	go run ./engine/synth/gencorpus -out DIR -only vfr-phone,hevc
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gradevault/engine/safefile"
	"gradevault/engine/synth"
)

func main() {
	out := flag.String("out", "", "output folder (required)")
	size := flag.String("size", "test", "landscape frame size: test (320x240), 480p, 720p, 1080p, 4k or WxH")
	only := flag.String("only", "", "comma-separated entry names to write (default all)")
	flag.Parse()
	if err := run(*out, *size, *only); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int, int, error) {
	switch strings.ToLower(s) {
	case "test", "":
		return 320, 240, nil
	case "480p":
		return 854, 480, nil
	case "720p":
		return 1280, 720, nil
	case "1080p":
		return 1920, 1080, nil
	case "4k", "2160p":
		return 3840, 2160, nil
	}
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad -size %q (want test, 480p, 720p, 1080p, 4k or WxH)", s)
	}
	return w, h, nil
}

func run(out, size, only string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	w, h, err := parseSize(size)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	total, cpuStart := time.Now(), cpuTime()
	found := map[string]bool{}
	frames, count := 0, 0
	for _, e := range synth.CorpusAt(w, h) {
		if len(want) > 0 && !want[e.Name] {
			continue
		}
		found[e.Name] = true
		start, cpu0 := time.Now(), cpuTime()
		path := filepath.Join(out, e.File)
		tr, err := synth.Write(path, e.Scene)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		el, cpu := time.Since(start), cpuTime()-cpu0
		js, err := json.MarshalIndent(struct {
			Name, Stresses, File string
			*synth.Truth
		}{e.Name, e.Stresses, e.File, tr}, "", " ")
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := safefile.WriteFile(filepath.Join(out, e.Name+".truth.json"), js, 0o644); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		st, _ := os.Stat(path)
		fmt.Printf("%-18s %4dx%-4d %3d frames %2d holds %7.1f kB  %6.2f s wall  %6.2f s CPU (%.1f ms/frame)  %s\n",
			e.Name, e.Scene.Width, e.Scene.Height, len(tr.Frames), len(tr.Holds), float64(st.Size())/1e3,
			el.Seconds(), cpu.Seconds(), cpu.Seconds()*1000/float64(len(tr.Frames)), e.Stresses)
		frames += len(tr.Frames)
		count++
	}
	for n := range want {
		if !found[n] {
			return fmt.Errorf("no corpus entry named %q", n)
		}
	}
	fmt.Printf("wrote %d videos, %d frames in %.1f s wall, %.1f s CPU (this process and ffmpeg)\n",
		count, frames, time.Since(total).Seconds(), (cpuTime() - cpuStart).Seconds())
	return nil
}
