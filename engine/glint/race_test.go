//go:build race

package glint

const raceEnabled = true
