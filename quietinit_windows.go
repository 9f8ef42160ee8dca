package main

// restoreStderr has nothing to undo on Windows, where Fyne's locale lookup
// does not go through the C locale variables.
func restoreStderr() {}
