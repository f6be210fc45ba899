package adapter

import (
	"strings"
	"testing"
)

// Fuzz targets for the parsers that read what callers send. Each checks a
// property beyond "does not panic": what is accepted reads back the same.

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"350000.00", "12.5", "7", "0.01", "-1", "1e3", "999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			return
		}
		if m < 0 || m > MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d, outside 0..MaxMoney", s, m)
		}
		back, err := ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d, but its String %q reads as %d, %v", s, m, m.String(), back, err)
		}
	})
}

func FuzzParseVIN(f *testing.F) {
	for _, s := range []string{"1M8GDM9AXKP042788", "jtdkb20u99 3123456", "JТDКВ20U993123456", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVIN(s)
		if err != nil {
			return
		}
		if len(v) != 17 || strings.ContainsAny(string(v), "IOQ") {
			t.Fatalf("ParseVIN(%q) = %q, not 17 characters without I, O, Q", s, v)
		}
		if again, err := ParseVIN(string(v)); err != nil || again != v {
			t.Fatalf("ParseVIN(%q) = %q, which reads again as %q, %v", s, v, again, err)
		}
	})
}

func FuzzParsePIN(f *testing.F) {
	for _, s := range []string{"21505198012345", "10101200000012", "23205198012345", "KG"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePIN(s, testNow)
		if err != nil {
			return
		}
		if len(p) != 14 || !p.Birth().Before(testNow) {
			t.Fatalf("ParsePIN(%q) = %q born %v", s, p, p.Birth())
		}
		if strings.Contains(p.Masked(), string(p[2:12])) {
			t.Fatalf("Masked() = %q shows the middle of %q", p.Masked(), p)
		}
	})
}

func FuzzParsePlate(f *testing.F) {
	for _, s := range []string{"01 123 ABC", "01123abc", " 08  777 KG ", "01 123 АВС"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlate(s)
		if err != nil {
			return
		}
		if again, err := ParsePlate(string(p)); err != nil || again != p {
			t.Fatalf("ParsePlate(%q) = %q, which reads again as %q, %v", s, p, again, err)
		}
	})
}
