package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run the programs as a user would: built with go
// build, started as processes of their own, spoken to over loopback HTTP.

// sampleConfig is the configuration the tests adapt, relative to this
// package's directory.
const sampleConfig = "../../testdata/adapter.toml"

// binDir holds tunduk-adapter and banksim, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tunduk-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temporary directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	// One go build for both programs; the module root is two levels up.
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"./cmd/tunduk-adapter", "./cmd/banksim")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	return m.Run()
}

// bin returns the path of a program built by TestMain.
func bin(name string) string { return filepath.Join(binDir, name) }

// freeAddr returns a loopback address whose port is free at the moment.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// settings are the top-level values a test changes in the sample
// configuration.
type settings struct {
	listen, publicURL, databaseURL, securityServerURL string
}

// writeConfig writes the sample configuration with s in place of its
// top-level addresses, and returns the file's path.
func writeConfig(t testing.TB, s settings) string {
	t.Helper()
	data, err := os.ReadFile(sampleConfig)
	if err != nil {
		t.Fatalf("read sample configuration: %v", err)
	}
	for key, value := range map[string]string{
		"listen": s.listen, "public_url": s.publicURL,
		"database_url": s.databaseURL, "security_server_url": s.securityServerURL,
	} {
		re := regexp.MustCompile(`(?m)^` + key + ` = ".*"$`)
		if !re.Match(data) {
			t.Fatalf("sample configuration has no line %s = \"...\"", key)
		}
		data = re.ReplaceAll(data, []byte(fmt.Sprintf("%s = %q", key, value)))
	}
	path := filepath.Join(t.TempDir(), "adapter.toml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write configuration: %v", err)
	}
	return path
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs a built program with DATABASE_URL set to databaseURL. It is
// interrupted (killed if it lingers) when the test ends, and its output is
// logged if the test failed.
func start(t *testing.T, databaseURL, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin(name), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%s did not stop within 10s of SIGTERM", name)
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, out.String())
		}
	})
}

// waitReady polls url until it answers 200, for at most 20 seconds.
func waitReady(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not answer 200 within 20s (last error: %v)", url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
