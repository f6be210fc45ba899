package wsdl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gowsdl runs gowsdl on the WSDL file src (relative to this directory) into
// a fresh directory and returns the code it generated for package pkg.
func gowsdl(t testing.TB, src, pkg string) []byte {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "gowsdl", "-d", out, "-p", pkg, "-o", pkg+".go", src)
	// GOPROXY=off proves the generation needs nothing from the network.
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gowsdl %s: %v\n%s", src, err, log)
	}
	code, err := os.ReadFile(filepath.Join(out, pkg, pkg+".go"))
	if err != nil {
		t.Fatalf("gowsdl %s wrote nothing: %v\n%s", src, err, log)
	}
	return code
}

func TestGeneratedCodeIsCurrent(t *testing.T) {
	for _, tc := range []struct{ wsdl, pkg string }{
		{Vehicle, "vehicle"},
		{Bank, "bank"},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			got := gowsdl(t, tc.wsdl, tc.pkg)
			want, err := os.ReadFile(filepath.Join(tc.pkg, tc.pkg+".go"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s.go differs from what gowsdl generates from %s; "+
					"run go generate ./wsdl and commit the result", tc.pkg, tc.pkg, tc.wsdl)
			}
		})
	}
}
