// Package logmask keeps personal data out of the adapter's logs: a logrus
// hook rewrites every entry before it is formatted, masking PINs and
// account numbers and dropping photo contents.
package logmask

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sirupsen/logrus"
)

// digits matches a run of 13 or more digits: PINs (14), userIds (KG and a
// PIN) and bank account numbers (16) all have one, while X-Road message
// ids (UUIDs: hex groups of at most 12), amounts and timestamps do not.
var digits = regexp.MustCompile(`[0-9]{13,}`)

// base64Run matches a long run of base64 text, such as a photo's content
// echoed in an error message.
var base64Run = regexp.MustCompile(`[A-Za-z0-9+/=\r\n]{200,}`)

// secretKeys are field names whose values are dropped whole, whatever they
// hold.
var secretKeys = []string{"pin", "account", "photo", "content", "password", "secret", "key"}

// Hook masks personal data in every entry. Add it to a logger with
// AddHook; it has no state and is safe for concurrent use.
type Hook struct{}

var _ logrus.Hook = Hook{}

// Levels returns all levels: an entry at any level may carry a PIN.
func (Hook) Levels() []logrus.Level { return logrus.AllLevels }

// Fire masks the entry's message and fields in place.
func (Hook) Fire(e *logrus.Entry) error {
	e.Message = String(e.Message)
	if len(e.Data) == 0 {
		return nil
	}
	// Data may be shared with the entry's parent; give this entry its own.
	data := make(logrus.Fields, len(e.Data))
	for k, v := range e.Data {
		data[k] = field(k, v)
	}
	e.Data = data
	return nil
}

// field returns the value to log for the field k holding v.
func field(k string, v any) any {
	lk := strings.ToLower(k)
	for _, s := range secretKeys {
		if strings.Contains(lk, s) {
			return "[masked]"
		}
	}
	switch v := v.(type) {
	case nil, bool, int, int32, int64, uint, uint32, uint64, float32, float64:
		// Numbers are counts and durations here; a PIN or an account
		// number is always a string or inside one.
		return v
	case string:
		return String(v)
	case error:
		return String(v.Error())
	case fmt.Stringer:
		return String(v.String())
	case []byte:
		return fmt.Sprintf("[%d bytes]", len(v))
	default:
		return String(fmt.Sprint(v))
	}
}

// String returns s with photo contents elided and every run of thirteen
// or more digits masked but for its last three.
func String(s string) string {
	s = base64Run.ReplaceAllStringFunc(s, func(m string) string {
		return fmt.Sprintf("[%d characters elided]", len(m))
	})
	return digits.ReplaceAllStringFunc(s, func(m string) string {
		return strings.Repeat("*", len(m)-3) + m[len(m)-3:]
	})
}
