//go:build !windows

package main

/*
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Fyne parses the user's locale while its packages initialise, before any
// of our code runs. Under the locale "C.UTF-8" (the default of Debian and
// of most containers) it fails to parse "C" and logs three "Fyne error"
// lines to stderr, which would break the command line's promise of a
// single "error: ..." line. In exactly that case this constructor, which
// runs before the Go runtime starts, points stderr at /dev/null; main
// restores it first thing. Any other locale leaves stderr alone.
static int gv_saved_stderr = -1;

static int gv_is_c_locale(void) {
	const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0') {
			return strncmp(v, "C.", 2) == 0 || strncmp(v, "POSIX.", 6) == 0;
		}
	}
	return 0;
}

__attribute__((constructor)) static void gv_quiet_init(void) {
	if (!gv_is_c_locale()) {
		return;
	}
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0) {
		return;
	}
	gv_saved_stderr = dup(2);
	if (gv_saved_stderr >= 0) {
		dup2(devnull, 2);
	}
	close(devnull);
}

static void gv_restore_stderr(void) {
	if (gv_saved_stderr >= 0) {
		dup2(gv_saved_stderr, 2);
		close(gv_saved_stderr);
		gv_saved_stderr = -1;
	}
}
*/
import "C"

// restoreStderr undoes gv_quiet_init once package initialisation is over.
func restoreStderr() { C.gv_restore_stderr() }
