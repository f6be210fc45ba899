package adapter

import "strings"

// VIN is a normalised 17-character vehicle identification number.
type VIN string

// lookalikes maps Cyrillic letters that people type for Latin ones on
// a Russian or Kyrgyz keyboard.
var lookalikes = strings.NewReplacer(
	"А", "A", "В", "B", "Е", "E", "К", "K", "М", "M", "Н", "H", "О", "O",
	"Р", "P", "С", "C", "Т", "T", "Х", "X", "У", "Y",
)

// NormalizeVIN upper-cases s, maps Cyrillic look-alikes to Latin letters and
// drops spaces and dashes, without judging the result.
func NormalizeVIN(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = lookalikes.Replace(s)
	return strings.NewReplacer(" ", "", "-", "").Replace(s)
}

// ParseVIN normalises s and checks it as a 17-character VIN without I, O or
// Q. The check digit (position 9) is enforced only for manufacturers that
// must use it: North American (WMI starting 1-5) and Chinese (L). It
// returns an *Error with code InvalidVIN otherwise.
func ParseVIN(s string) (VIN, error) {
	v := NormalizeVIN(s)
	if len(v) != 17 {
		return "", refuse(InvalidVIN, "%q has %d characters, want 17", v, len(v))
	}
	for _, r := range v {
		if vinValue(r) < 0 {
			return "", refuse(InvalidVIN, "%q contains %q", v, r)
		}
	}
	if strings.ContainsAny(v[:1], "12345L") && v[8] != VINCheckDigit(v) {
		return "", refuse(InvalidVIN, "%q fails its check digit", v)
	}
	return VIN(v), nil
}

// VINCheckDigit computes the ISO 3779 / FMVSS 115 check digit of a
// 17-character VIN, ignoring whatever stands in position 9.
func VINCheckDigit(v string) byte {
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := 0; i < 17 && i < len(v); i++ {
		sum += vinValue(rune(v[i])) * weights[i]
	}
	if sum%11 == 10 {
		return 'X'
	}
	return byte('0' + sum%11)
}

// vinValue is a character's transliterated value, or -1 where the character
// may not appear in a VIN.
func vinValue(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'A' && r <= 'H':
		return int(r-'A') + 1
	case r >= 'J' && r <= 'N':
		return int(r-'J') + 1
	case r == 'P':
		return 7
	case r == 'R':
		return 9
	case r >= 'S' && r <= 'Z':
		return int(r-'S') + 2
	}
	return -1
}
