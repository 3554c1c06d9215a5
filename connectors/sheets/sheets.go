// Package sheets is the Google Sheets connector: it reads configured tabs of spreadsheets
// as typed, keyed records (stream "rows"), checks Drive's version first so an unchanged
// spreadsheet costs one request, diffs each tab against the stored rows to write only
// changes, deletions and status history. The tabular core lives in connectors/tabular.
package sheets

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/option"
	gsheets "google.golang.org/api/sheets/v4"

	"github.com/pmohub/pmohub/connectors"
)

//go:embed mapping.yaml
var defaultMapping []byte

// StreamRows is the one stream: every configured tab's rows, keyed.
const StreamRows = "rows"

// Kind describes the sheets source kind for the wiring.
func Kind() connectors.Kind {
	return connectors.Kind{Name: "sheets", New: New, Mapping: defaultMapping}
}

// Connector is one configured sheets source.
type Connector struct {
	name string
	url  string
	auth connectors.Auth
	cfg  Config
	// Retry is the pacing and retry policy; tests shrink it.
	Retry Retry
}

// New builds a connector from its source configuration.
func New(src connectors.SourceConfig) (connectors.Connector, error) {
	var cfg Config
	if src.Settings != nil {
		if err := src.Settings.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	if src.Auth.Get("credentials_file") == "" && src.Auth.Get("api_key") == "" {
		return nil, fmt.Errorf("source %s: auth needs credentials_file (a service account key) or api_key", src.Name)
	}
	if src.URL != "" && !strings.HasSuffix(src.URL, "/") {
		src.URL += "/"
	}
	c := &Connector{name: src.Name, url: src.URL, auth: src.Auth, cfg: cfg, Retry: DefaultRetry()}
	if cfg.RequestsPerMinute > 0 {
		c.Retry.RequestsPerMinute = cfg.RequestsPerMinute
	}
	if c.cfg.PageSize <= 0 {
		c.cfg.PageSize = 5000 // ClickHouse wants few, large inserts
	}
	return c, nil
}

// Streams lists the one stream.
func (c *Connector) Streams() []connectors.StreamInfo {
	return []connectors.StreamInfo{{Name: StreamRows, Description: "rows of the configured tabs, typed and keyed, with their status history"}}
}

// api is the pair of Google clients for one run.
type api struct {
	sheets *gsheets.Service
	drive  *drive.Service
	// account is the service account's e-mail, for hints about sharing.
	account string
}

var scopes = []string{
	"https://www.googleapis.com/auth/spreadsheets.readonly",
	"https://www.googleapis.com/auth/drive.metadata.readonly",
}

// newAPI builds the clients over the engine's instrumented HTTP client: auth, then
// pacing and retries, then the counting transport.
func (c *Connector) newAPI(ctx context.Context, env *connectors.Env) (*api, error) {
	base := env.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	policy := c.Retry
	rt := &retryTransport{base: clientTransport{base}, policy: policy, pacer: newPacer(policy.RequestsPerMinute, policy.Now)}
	a := &api{}
	var authed http.RoundTripper
	if path := c.auth.Get("credentials_file"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("source %s: read auth.credentials_file: %w", c.name, err)
		}
		conf, err := google.JWTConfigFromJSON(data, scopes...)
		if err != nil {
			// The parse error may quote the key material: never pass it on.
			return nil, fmt.Errorf("source %s: auth.credentials_file is not a service account key file (want the JSON key with client_email, private_key and token_uri)", c.name)
		}
		a.account = conf.Email
		tokenCtx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: rt})
		authed = &oauth2.Transport{Source: conf.TokenSource(tokenCtx), Base: rt}
	} else {
		authed = &apiKeyTransport{key: c.auth.Get("api_key"), base: rt}
	}
	hc := &http.Client{Transport: authed}
	sheetsOpts := []option.ClientOption{option.WithHTTPClient(hc)}
	driveOpts := []option.ClientOption{option.WithHTTPClient(hc)}
	if c.url != "" {
		sheetsOpts = append(sheetsOpts, option.WithEndpoint(c.url))
		driveOpts = append(driveOpts, option.WithEndpoint(c.url+"drive/v3/"))
	}
	var err error
	if a.sheets, err = gsheets.NewService(ctx, sheetsOpts...); err != nil {
		return nil, fmt.Errorf("source %s: sheets client: %w", c.name, err)
	}
	if a.drive, err = drive.NewService(ctx, driveOpts...); err != nil {
		return nil, fmt.Errorf("source %s: drive client: %w", c.name, err)
	}
	return a, nil
}

func logger(env *connectors.Env) *slog.Logger {
	if env != nil && env.Logger != nil {
		return env.Logger
	}
	return slog.New(slog.DiscardHandler)
}
