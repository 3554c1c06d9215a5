package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/pmohub/pmohub/connectors"
)

// sourceError turns a failed call into a connectors.SourceError naming the source, the
// endpoint and the status, with Google's own message (redacted) and a hint.
func (c *Connector) sourceError(endpoint, spreadsheet string, err error, account string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	se := &connectors.SourceError{Source: c.name, Endpoint: endpoint, Err: err}
	var gerr *googleapi.Error
	var notJSON *NotJSONError
	var rerr *oauth2.RetrieveError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &rerr):
		se.Endpoint = "POST token"
		if rerr.Response != nil {
			se.Status = rerr.Response.StatusCode
		}
		se.Message = tokenMessage(rerr)
		se.Hint = "the token endpoint refused the service account: check auth.credentials_file (key revoked or wrong file?)"
	case errors.As(err, &gerr):
		se.Status = gerr.Code
		se.Message = gerr.Message
		if se.Message == "" {
			se.Message = describeBody(gerr)
		}
		se.Hint = hintFor(gerr.Code, spreadsheet, account)
	case errors.As(err, &notJSON):
		se.Status = notJSON.Status
		se.Message = notJSON.Error()
		se.Hint = "is url: pointing at the Google APIs (or a proxy answering for them)?"
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		se.Status = http.StatusOK
		se.Message = "malformed or truncated JSON answer: " + err.Error()
	default:
		se.Message = err.Error()
	}
	se.Message = c.auth.Redact(se.Message)
	// The wrapped error may quote a URL carrying the API key: it prints redacted and
	// still unwraps to the original for errors.As.
	se.Err = &redactedError{msg: c.auth.Redact(err.Error()), err: err}
	return se
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// describeBody summarises an error answer without a Google JSON body (an HTML page).
func describeBody(e *googleapi.Error) string {
	ct := e.Header.Get("Content-Type")
	if ct != "" && !strings.Contains(ct, "json") {
		return fmt.Sprintf("answer is not JSON (Content-Type %q)", ct)
	}
	body := strings.TrimSpace(e.Body)
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return body
}

func hintFor(status int, spreadsheet, account string) string {
	switch status {
	case http.StatusBadRequest:
		return "the request was rejected: check the API key, the tab names and ranges"
	case http.StatusUnauthorized:
		return "credentials rejected: check auth.credentials_file or auth.api_key"
	case http.StatusForbidden:
		if account != "" {
			return fmt.Sprintf("no access to spreadsheet %s: share it with %s (Viewer), or enable the Sheets and Drive APIs for the project", spreadsheet, account)
		}
		return fmt.Sprintf("no access to spreadsheet %s: an API key only reads spreadsheets shared with anyone with the link; check the key's API restrictions", spreadsheet)
	case http.StatusNotFound:
		return fmt.Sprintf("spreadsheet %s not found: deleted, or the id in pmohub.yaml is wrong; stored rows are kept", spreadsheet)
	case http.StatusTooManyRequests:
		return "read quota exhausted (60 reads a minute per user) and retries ran out: sync less often or lower requests_per_minute"
	}
	if status >= 500 {
		return "Google is failing; retries ran out, the next sync retries"
	}
	return ""
}

// tokenMessage reads the OAuth error (`{"error":…,"error_description":…}`); the JWT flow
// leaves it unparsed in the body.
func tokenMessage(e *oauth2.RetrieveError) string {
	code, desc := e.ErrorCode, e.ErrorDescription
	if code == "" && desc == "" {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(e.Body, &body) == nil {
			code, desc = body.Error, body.Description
		}
	}
	switch {
	case code != "" && desc != "":
		return code + ": " + desc
	case code != "" || desc != "":
		return code + desc
	}
	return "token request refused"
}
