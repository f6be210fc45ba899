package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  string
	}{
		{"file alone", nil, nil, "127.0.0.1:8090"},
		{"environment over file", map[string]string{"TUNDUK_LISTEN": "127.0.0.1:1"}, nil, "127.0.0.1:1"},
		{"flag over environment", map[string]string{"TUNDUK_LISTEN": "127.0.0.1:1"},
			map[string]string{"listen": "127.0.0.1:2"}, "127.0.0.1:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigFrom(sampleConfig, env(tt.env), tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.want {
				t.Errorf("got listen %q, want %q", c.Listen, tt.want)
			}
			if _, err := c.wireEnv(env(tt.env)); err != nil {
				t.Errorf("got %v, want a valid configuration", err)
			}
		})
	}
}

func TestConfigMistakesOneLineEach(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  []string
	}{
		{"bad values", map[string]string{"TUNDUK_SHUTDOWN_TIMEOUT": "soon"},
			map[string]string{"listen": "nohost", "log-level": "loud", "public-url": "ftp://x",
				"security-server-url": "", "database-max-conns": "many"},
			[]string{
				`TUNDUK_SHUTDOWN_TIMEOUT (environment): time: invalid duration "soon"`,
				`-database-max-conns: not a whole number: "many"`,
				`listen: "nohost" is not host:port`,
				`public_url: "ftp://x" is not an absolute http:// or https:// URL`,
				`security_server_url: empty, want an http:// or https:// URL`,
				`log.level: "loud", want debug, info, warn or error`,
			}},
		{"tls halves", nil, map[string]string{"tls-key-file": "k.pem",
			"security-server-tls-ca-file": "/nonexistent/ca.pem"},
			[]string{
				"tls: cert_file and key_file must be set together",
				"security_server_tls: set, but security_server_url is not https://",
				"security_server_tls.ca_file: open /nonexistent/ca.pem: no such file or directory",
			}},
		{"database", map[string]string{"DATABASE_URL": "mysql://x"},
			map[string]string{"database-password-file": empty},
			[]string{"database_url: not a postgres://user@host:port/database URL"}},
		{"password file empty", nil, map[string]string{"database-password-file": empty},
			[]string{"database_password_file: " + empty + " is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigFrom(sampleConfig, env(tt.env), tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.wireEnv(env(tt.env))
			if err == nil {
				t.Fatal("got a valid configuration, want mistakes")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got lines\n%s\nwant\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDatabasePasswordFromSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  string
	}{
		{"from the environment", map[string]string{"TUNDUK_DATABASE_PASSWORD": "s3cret-env"}, nil,
			"s3cret-env"},
		{"from a file", nil, map[string]string{"database-password-file": file}, "s3cret-from-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfigFrom(sampleConfig, env(tt.env), tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			w, err := c.wireEnv(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(w.databaseURL, "postgres:"+tt.want+"@") {
				t.Errorf("got URL without the password, want it added")
			}
			if r := redactURL(w.databaseURL); strings.Contains(r, tt.want) {
				t.Errorf("got redacted URL %s, want no password in it", r)
			}
		})
	}
}

func TestConfigBankCodeTwice(t *testing.T) {
	sample, err := os.ReadFile(sampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	twice := append(sample, []byte(`
[[bank]]
code = "pilot"
name = "Pilot Bank again"
service = "central-server/COM/60000009/payments"
client = "central-server/COM/60000009/payments"
enabled = true
`)...)
	path := filepath.Join(t.TempDir(), "adapter.toml")
	if err := os.WriteFile(path, twice, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfigFrom(path, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.wireEnv(env(nil))
	want := "bank 2 (pilot): code: already used by bank 1"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
