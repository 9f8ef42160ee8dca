//go:build !race

package glint

const raceEnabled = false
