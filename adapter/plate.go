package adapter

import (
	"regexp"
	"strings"
)

// Plate is a normalised Kyrgyz registration plate: "01 123 ABC" for a
// person, "01 123 AB" for a legal entity.
type Plate string

var plateRE = regexp.MustCompile(`^([0-9]{2})([0-9]{3})([A-Z]{2,3})$`)

// ParsePlate normalises s (case, spaces, Cyrillic look-alikes) and checks it
// against the current formats: a two-digit region code, three digits, and
// three letters (individuals) or two (legal entities). It returns an
// *Error with code InvalidPlate otherwise.
func ParsePlate(s string) (Plate, error) {
	compact := strings.Join(strings.Fields(lookalikes.Replace(strings.ToUpper(s))), "")
	m := plateRE.FindStringSubmatch(compact)
	if m == nil || m[1] == "00" {
		return "", refuse(InvalidPlate, "%q is not in the format 01 123 ABC or 01 123 AB", s)
	}
	return Plate(m[1] + " " + m[2] + " " + m[3]), nil
}
