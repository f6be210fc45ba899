package adapter

import (
	"testing"
	"time"
)

var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in      string
		want    Money
		wantErr bool
	}{
		{"350000.00", 35000000, false},
		{"12.5", 1250, false},
		{"7", 700, false},
		{"0.01", 1, false},
		{"1000000000000.00", 0, true}, // 13 whole digits
		{"999999999999.99", 0, true},  // above MaxMoney
		{"12.345", 0, true},
		{"-5.00", 0, true},
		{"1e3", 0, true},
		{"1,000.00", 0, true},
		{"12.", 0, true},
		{".50", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMoney(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMoney(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseMoney(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	for m, want := range map[Money]string{0: "0.00", 1: "0.01", 35000000: "350000.00", -150: "-1.50"} {
		if got := m.String(); got != want {
			t.Errorf("Money(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func TestParsePIN(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  bool
		adult    bool
	}{
		{"male adult", "21505198012345", false, true},
		{"female adult", "10101200000012", false, true},
		{"minor", "20101201500012", false, false},
		{"first digit 3", "31505198012345", true, false},
		{"13 digits", "2150519801234", true, false},
		{"letters", "2150519801234A", true, false},
		{"day 32", "23205198012345", true, false},
		{"month 13", "21513198012345", true, false},
		{"born in future", "20101202700012", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePIN(tt.in, testNow)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePIN(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if CodeOf(err) != InvalidPIN {
					t.Errorf("code = %q, want %q", CodeOf(err), InvalidPIN)
				}
				return
			}
			if got := p.Adult(testNow); got != tt.adult {
				t.Errorf("Adult() = %v, want %v", got, tt.adult)
			}
		})
	}
}

func TestPINFromUserID(t *testing.T) {
	if p, err := PINFromUserID("KG21505198012345", testNow); err != nil || p != "21505198012345" {
		t.Errorf("PINFromUserID(KG...) = %q, %v", p, err)
	}
	for _, u := range []string{"EE21505198012345", "21505198012345", "KG", ""} {
		if _, err := PINFromUserID(u, testNow); CodeOf(err) != InvalidPIN {
			t.Errorf("PINFromUserID(%q) code = %q, want %q", u, CodeOf(err), InvalidPIN)
		}
	}
}

func TestMask(t *testing.T) {
	if got, want := Mask("21505198012345"), "21**********45"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
	if got := Mask("abc"); got != "***" {
		t.Errorf("Mask(short) = %q, want ***", got)
	}
}

func TestParseVIN(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"north american valid check digit", "1M8GDM9AXKP042788", "1M8GDM9AXKP042788", false},
		{"north american wrong check digit", "1M8GDM9A1KP042788", "", true},
		{"japanese without check digit", "JTDKB20U993123456", "JTDKB20U993123456", false},
		{"lower case and spaces", "jtdkb20u99 3123456", "JTDKB20U993123456", false},
		{"cyrillic look-alikes", "JТDКВ20U993123456", "JTDKB20U993123456", false},
		{"letter O", "JTDKB20U993O23456", "", true},
		{"letter I", "JTDKB20U993I23456", "", true},
		{"letter Q", "JTDKB20U993Q23456", "", true},
		{"16 characters", "JTDKB20U99312345", "", true},
		{"chinese check digit enforced", "LSVAB2180E2123456", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVIN(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseVIN(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("ParseVIN(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestVINCheckDigitMatchesValidChinese(t *testing.T) {
	v := []byte("LSVAB2180E2123456")
	v[8] = VINCheckDigit(string(v))
	if _, err := ParseVIN(string(v)); err != nil {
		t.Errorf("ParseVIN(%s) with computed check digit: %v", v, err)
	}
}

func TestParsePlate(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"01 123 ABC", "01 123 ABC", false},
		{"01123abc", "01 123 ABC", false},
		{" 08  777 KG ", "08 777 KG", false},
		{"01 123 АВС", "01 123 ABC", false}, // Cyrillic letters
		{"00 123 ABC", "", true},
		{"1 123 ABC", "", true},
		{"01 12 ABC", "", true},
		{"01 123 ABCD", "", true},
		{"01 123 A", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePlate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePlate(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("ParsePlate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEveryCodeHasThreeMessages(t *testing.T) {
	for code, texts := range messages {
		for i, text := range texts {
			if text == "" {
				t.Errorf("code %s: message %d is empty", code, i)
			}
		}
		msgs := code.Messages()
		if len(msgs) != 3 || msgs[0].Lang != "ky" || msgs[1].Lang != "ru" || msgs[2].Lang != "en" {
			t.Errorf("code %s: messages %v, want ky, ru, en", code, msgs)
		}
	}
}
