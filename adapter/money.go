package adapter

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in Kyrgyz som held as integer tyiyn (1/100 som), so
// that no arithmetic on property and fees ever passes through a float.
type Money int64

// MaxMoney bounds every amount the service accepts: 100 billion som is far
// above any vehicle price and keeps sums of price and fees inside int64.
const MaxMoney Money = 100_000_000_000_00

// ParseMoney reads a decimal amount in som such as "350000.00" or "12.5".
// At most two fraction digits are allowed and no sign, exponent or
// grouping. It returns an error for anything else or for an amount above
// MaxMoney.
func ParseMoney(s string) (Money, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) {
		return 0, fmt.Errorf("adapter: amount %q is not a decimal number of som", s)
	}
	if hasDot && (frac == "" || len(frac) > 2 || !digits(frac)) {
		return 0, fmt.Errorf("adapter: amount %q must have one or two fraction digits", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("adapter: amount %q: %w", s, err)
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two checked digits always parse
	m := Money(w*100 + f)
	if m > MaxMoney {
		return 0, fmt.Errorf("adapter: amount %q exceeds the maximum %s", s, MaxMoney)
	}
	return m, nil
}

// String formats m with exactly two fraction digits, as it travels on the
// wire: 350000.00.
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(m)/100, int64(m)%100)
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
