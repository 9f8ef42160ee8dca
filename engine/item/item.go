// Package item names the kinds of collectible GradeVault grades and the
// facts about each that the engine needs (shape, name).
package item

import "fmt"

// Type is a kind of collectible.
type Type string

// The item types. A zero Type means Comic wherever a default is needed.
const (
	Comic Type = "comic" // comic book, 6.625 × 10.25 in, portrait
	Card  Type = "card"  // trading card, 2.5 × 3.5 in, portrait
	Toy   Type = "toy"   // anything else: no fixed shape
)

// Types lists the item types in the order a user is offered them.
var Types = []Type{Comic, Card, Toy}

// Names returns the item types as strings, for menus and flag help.
func Names() []string {
	out := make([]string, len(Types))
	for i, t := range Types {
		out[i] = string(t)
	}
	return out
}

// Parse checks an item type name. The empty string is Comic.
func Parse(s string) (Type, error) {
	if s == "" {
		return Comic, nil
	}
	for _, t := range Types {
		if Type(s) == t {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown item type %q (want comic, card or toy)", s)
}

// OrDefault returns t, or Comic when t is empty.
func (t Type) OrDefault() Type {
	if t == "" {
		return Comic
	}
	return t
}

// Aspect is the item's width divided by its height when upright, or 0 for
// items without a fixed shape (toys).
func (t Type) Aspect() float64 {
	switch t.OrDefault() {
	case Comic:
		return 6.625 / 10.25
	case Card:
		return 2.5 / 3.5
	}
	return 0
}

// SizeMM is the item's nominal upright width and height in millimetres,
// or zeros for items without a fixed size.
func (t Type) SizeMM() (w, h float64) {
	switch t.OrDefault() {
	case Comic:
		return 6.625 * 25.4, 10.25 * 25.4
	case Card:
		return 2.5 * 25.4, 3.5 * 25.4
	}
	return 0, 0
}

// HasSpine reports whether the item has a spine (comics do; cards do not).
func (t Type) HasSpine() bool { return t.OrDefault() == Comic }
