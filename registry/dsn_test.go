package registry

import "testing"

func TestOneRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@h:5432/db?sslmode=disable",
			"postgres://u@h:5432/db?binary_parameters=yes&sslmode=disable"},
		{"postgresql://h/db", "postgresql://h/db?binary_parameters=yes"},
		{"postgres://h/db?binary_parameters=no", "postgres://h/db?binary_parameters=no"},
		{"host=h dbname=db", "host=h dbname=db binary_parameters=yes"},
		{"host=h binary_parameters=no", "host=h binary_parameters=no"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := oneRoundTrip(tt.in); got != tt.want {
				t.Errorf("oneRoundTrip(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
