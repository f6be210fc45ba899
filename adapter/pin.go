package adapter

import (
	"fmt"
	"strings"
	"time"
)

// AdultAge is the age from which a person may sell or buy a vehicle.
const AdultAge = 18

// PIN is a Kyrgyz personal identification number: 14 digits, the first 1
// (female) or 2 (male), then the date of birth as DDMMYYYY, then a
// five-digit serial.
type PIN string

// ParsePIN checks s as a PIN whose date of birth lies before now. It
// returns an *Error with code InvalidPIN otherwise.
func ParsePIN(s string, now time.Time) (PIN, error) {
	if len(s) != 14 || !digits(s) || (s[0] != '1' && s[0] != '2') {
		return "", refuse(InvalidPIN, "%q is not 14 digits starting with 1 or 2", Mask(s))
	}
	born, err := time.Parse("02012006", s[1:9])
	if err != nil || !born.Before(now) {
		return "", refuse(InvalidPIN, "%q does not carry a past date of birth", Mask(s))
	}
	return PIN(s), nil
}

// PINFromUserID extracts the PIN from an X-Road userId of the form KG+PIN.
func PINFromUserID(userID string, now time.Time) (PIN, error) {
	rest, ok := strings.CutPrefix(userID, "KG")
	if !ok {
		return "", refuse(InvalidPIN, "userId %q is not KG followed by a PIN", Mask(userID))
	}
	return ParsePIN(rest, now)
}

// Birth returns the date of birth encoded in p. p must have been parsed.
func (p PIN) Birth() time.Time {
	t, _ := time.Parse("02012006", string(p)[1:9])
	return t
}

// Adult reports whether the holder of p is at least AdultAge at now.
func (p PIN) Adult(now time.Time) bool {
	return !p.Birth().AddDate(AdultAge, 0, 0).After(now)
}

// Masked returns p with all but its first and last two digits hidden, the
// only form of a PIN that may reach a log or a non-party.
func (p PIN) Masked() string { return Mask(string(p)) }

// Mask hides the middle of an identifier such as a PIN or an account
// number, keeping its first and last two characters.
func Mask(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return fmt.Sprintf("%s%s%s", string(r[:2]), strings.Repeat("*", len(r)-4), string(r[len(r)-2:]))
}

// MaskUserID hides the PIN inside an X-Road userId such as
// KG21506198012345, for the history and the logs; a userId of another form
// is masked whole.
func MaskUserID(u string) string {
	if len(u) > 2 && u[:2] == "KG" {
		return "KG" + Mask(u[2:])
	}
	return Mask(u)
}
