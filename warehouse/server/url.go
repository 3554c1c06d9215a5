package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

const (
	defaultDialTimeout = 10 * time.Second
	// Metric queries over a large portfolio can run for minutes; a hung server should not
	// hold a sync forever either.
	defaultReadTimeout = 5 * time.Minute
	redacted           = "xxxxx"
)

// parseURL turns a warehouse URL into clickhouse-go options:
// clickhouse://user:pass@host1:9000,host2:9000/<database>?secure=true&dial_timeout=5s&…
// Every clickhouse-go DSN parameter works; ports default to 9000 (9440 with TLS), the
// database to "default", compression to LZ4. Errors never contain the password.
func parseURL(raw string, logger *slog.Logger) (*clickhouse.Options, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok || !strings.EqualFold(scheme, "clickhouse") {
		return nil, fmt.Errorf("warehouse url %s: want clickhouse://user:password@host:9000/database (the native protocol)", redactURL(raw))
	}
	opts, err := clickhouse.ParseDSN(raw)
	if err != nil {
		return nil, urlError(raw, err.Error())
	}
	port := "9000"
	if opts.TLS != nil {
		port = "9440"
	}
	addrs := opts.Addr[:0]
	for _, a := range opts.Addr {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = strings.Trim(a, "[]")
			a = net.JoinHostPort(host, port)
		}
		if host == "" {
			return nil, urlError(raw, "a host name is empty")
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, urlError(raw, "no host")
	}
	opts.Addr = addrs
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	if opts.Compression == nil && !hasParam(raw, "compress") {
		opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = defaultReadTimeout
	}
	// slog replaces the driver's stdout debug printing.
	opts.Debug, opts.Debugf = false, nil
	opts.Logger = logger
	opts.ClientInfo.Products = append(opts.ClientInfo.Products, struct{ Name, Version string }{"pmohub", ""})
	return opts, nil
}

// urlError names the URL, redacted, and scrubs the password from the reason too (a driver
// message may quote a parameter that happens to hold it).
func urlError(raw, reason string) error {
	return fmt.Errorf("warehouse url %s: %s", redactSecret(redactURL(raw), raw), redactSecret(reason, raw))
}

func hasParam(raw, name string) bool {
	_, q, ok := strings.Cut(raw, "?")
	if !ok {
		return false
	}
	vals, err := url.ParseQuery(q)
	return err == nil && vals.Has(name)
}

// redactURL masks the password in a warehouse URL for logs and errors. It works on the raw
// text, because a URL with an unescaped character in the password may not parse; when in
// doubt it masks too much rather than too little.
func redactURL(raw string) string {
	s := raw
	// The query first: a password parameter can hold an "@" the userinfo step would use.
	if q := strings.IndexByte(s, '?'); q >= 0 {
		params := strings.Split(s[q+1:], "&")
		for i, p := range params {
			k, _, _ := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err != nil || strings.EqualFold(key, "password") {
				params[i] = k + "=" + redacted
			}
		}
		s = s[:q+1] + strings.Join(params, "&")
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	// The last "@": a password may contain an unescaped one.
	if at := strings.LastIndexByte(s[start:], '@'); at >= 0 {
		at += start
		if c := strings.IndexByte(s[start:at], ':'); c >= 0 {
			s = s[:start+c+1] + redacted + s[at:]
		}
	}
	return s
}

// redactSecret removes the password of raw (and its escaped form) from msg.
func redactSecret(msg, raw string) string {
	for _, p := range urlPasswords(raw) {
		if len(p) >= 3 {
			msg = strings.ReplaceAll(msg, p, redacted)
		}
	}
	return msg
}

// urlPasswords returns the password forms a URL may carry: as written and unescaped, in
// the userinfo and in a password parameter.
func urlPasswords(raw string) []string {
	var out []string
	add := func(s string) {
		out = append(out, s)
		if u, err := url.PathUnescape(s); err == nil && u != s {
			out = append(out, u)
		}
		if u, err := url.QueryUnescape(s); err == nil && u != s {
			out = append(out, u)
		}
	}
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if _, pw, ok := strings.Cut(s[:at], ":"); ok {
			add(pw)
		}
	}
	if _, q, ok := strings.Cut(raw, "?"); ok {
		for _, p := range strings.Split(q, "&") {
			if k, v, _ := strings.Cut(p, "="); strings.EqualFold(k, "password") {
				add(v)
			}
		}
	}
	return out
}
