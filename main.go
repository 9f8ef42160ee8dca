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
			opts.OpenVideo = args[1]
		}
		if err := ui.Run(opts); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
		return
	}
	attachParentConsole()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
