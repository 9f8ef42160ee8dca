// Command gradevault picks golden frames from grading videos of collectibles
// and finds surface defects in them. With no arguments, or with `open VIDEO`,
// it opens the window; otherwise it runs the command line.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gradevault/cli"
	_ "gradevault/internal/cmem" // two C heap arenas: less memory for the same speed
	"gradevault/ui"
)

// version is set at build time from FyneApp.toml.
var version = "0.1.0"

func main() {
	restoreStderr()
	cli.Version = version
	args := os.Args[1:]
	if len(args) == 0 || args[0] == "open" {
		opts := ui.Options{Version: version}
		if len(args) > 1 {
			a, code, ok := cli.ParseOpen(args[1:], os.Stderr)
			if !ok {
				os.Exit(code)
			}
			opts.OpenVideo, opts.ItemType = a.Video, a.ItemType
		}
		if err := ui.Run(opts); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
		return
	}
	attachParentConsole()
	// The first Ctrl-C cancels the command, which cleans up and exits 130;
	// after it the default handling is back, so a second one ends the
	// process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := cli.Main(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
