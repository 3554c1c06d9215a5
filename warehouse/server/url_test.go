package server

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestParseURLSeveralHosts(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	o, err := parseURL("clickhouse://pmohub:s3cr%40t@ch-0.ch:9000,ch-1.ch,[::1]:9001/pmo?dial_timeout=3s&max_execution_time=60", logger)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.Addr, " "); got != "ch-0.ch:9000 ch-1.ch:9000 [::1]:9001" {
		t.Errorf("addresses %q", got)
	}
	if o.Auth.Username != "pmohub" || o.Auth.Password != "s3cr@t" || o.Auth.Database != "pmo" {
		t.Errorf("auth %+v", o.Auth)
	}
	if o.Protocol != clickhouse.Native || o.TLS != nil {
		t.Errorf("protocol %v tls %v", o.Protocol, o.TLS)
	}
	if o.Compression == nil || o.Compression.Method != clickhouse.CompressionLZ4 {
		t.Errorf("compression %+v, want LZ4 by default", o.Compression)
	}
	if o.DialTimeout != 3*time.Second || o.ReadTimeout != defaultReadTimeout {
		t.Errorf("timeouts %v %v", o.DialTimeout, o.ReadTimeout)
	}
	if o.Logger != logger {
		t.Error("the slog logger is not the driver's logger")
	}
	if o.Settings["max_execution_time"] != 60 {
		t.Errorf("settings %v", o.Settings)
	}
}

func TestParseURLSecureDefaults(t *testing.T) {
	o, err := parseURL("clickhouse://u:p@ch.example.com/?secure=true&compress=false", nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS == nil || o.Addr[0] != "ch.example.com:9440" {
		t.Errorf("tls %v addr %v: want TLS on 9440", o.TLS, o.Addr)
	}
	if o.Auth.Database != "default" {
		t.Errorf("database %q", o.Auth.Database)
	}
	if o.Compression != nil {
		t.Errorf("compress=false must turn compression off, got %+v", o.Compression)
	}
	if o.DialTimeout != defaultDialTimeout {
		t.Errorf("dial timeout %v", o.DialTimeout)
	}
}

func TestParseURLErrorsHideThePassword(t *testing.T) {
	for _, raw := range []string{
		"http://u:hunter2hunter2@h:8123/db",
		"clickhouse://u:hunter2hunter2@h:9000/db?dial_timeout=soon",
		"clickhouse://u:hunter2hunter2@h:9000/db?compress_level=hunter2hunter2",
		"clickhouse://u:hunter2hunter2@:9000/db",
		"clickhouse://u:hunter2/hunter2@h:9000/db",
		"clickhouse://u@h:9000/db?password=hunter2hunter2&read_timeout=x",
	} {
		_, err := parseURL(raw, nil)
		if err == nil {
			t.Errorf("%s: want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("password in error: %v", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"clickhouse://u:pw@h1:9000,h2:9000/db?secure=true":     "clickhouse://u:xxxxx@h1:9000,h2:9000/db?secure=true",
		"clickhouse://u:p@ss/w?rd@h:9000/db":                   "clickhouse://u:xxxxx@h:9000/db",
		"clickhouse://u@h:9000/db?password=p%40ss&secure=true": "clickhouse://u@h:9000/db?password=xxxxx&secure=true",
		"clickhouse://h:9000/db":                               "clickhouse://h:9000/db",
		"clickhouse://u:@h/db":                                 "clickhouse://u:xxxxx@h/db",
	}
	for in, want := range cases {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactURL: whatever the URL, a password the driver would use never survives
// redaction, and neither parsing nor redaction panics.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"clickhouse://u:pw@h1:9000,h2:9000/db?secure=true",
		"clickhouse://u:p@ss?w#rd@h:9000/db?password=x@y",
		"clickhouse://u@h/db?password=p%40ss%2F",
		"clickhouse://:@/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := redactURL(raw)
		_, perr := parseURL(raw, nil)
		o, err := clickhouse.ParseDSN(raw)
		if err != nil {
			return
		}
		pw := o.Auth.Password
		// A password that also appears elsewhere (as the host, say) cannot be told apart.
		if len(pw) < 4 || strings.Contains(strings.Replace(raw, pw, "", 1), pw) {
			return
		}
		if strings.Contains(red, pw) {
			t.Fatalf("redactURL(%q) = %q keeps password %q", raw, red, pw)
		}
		if perr != nil && strings.Contains(perr.Error(), pw) {
			t.Fatalf("parseURL(%q) error keeps the password: %v", raw, perr)
		}
	})
}
