package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The connector keeps each issue's JSON byte for byte as Jira sent it and only replaces
// the changelog (when it completed it) and adds the `pmohub` key. A small scanner splits
// an object's top-level members without decoding them, which is both faithful and cheap.

// member is one top-level key and its raw value.
type member struct {
	key    string
	rawKey []byte // the key as written, quotes included; nil for added members
	val    []byte
}

var errJSON = errors.New("malformed JSON")

// splitObject returns the members of a JSON object in order.
func splitObject(b []byte) ([]member, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, fmt.Errorf("%w: not an object", errJSON)
	}
	i = skipWS(b, i+1)
	var out []member
	if i < len(b) && b[i] == '}' {
		return out, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, fmt.Errorf("%w: expected a key at %d", errJSON, i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		keyStart := i
		key := string(b[i+1 : end-1])
		if bytes.IndexByte(b[i+1:end-1], '\\') >= 0 {
			if k, err := strconv.Unquote(string(b[i:end])); err == nil {
				key = k // JSON escapes Go cannot unquote (\/) keep the raw text
			}
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, fmt.Errorf("%w: expected ':' at %d", errJSON, i)
		}
		i = skipWS(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, member{key: key, rawKey: b[keyStart:end], val: b[i:vend]})
		i = skipWS(b, vend)
		if i >= len(b) {
			return nil, fmt.Errorf("%w: unterminated object", errJSON)
		}
		if b[i] == '}' {
			return out, nil
		}
		if b[i] != ',' {
			return nil, fmt.Errorf("%w: expected ',' at %d", errJSON, i)
		}
		i = skipWS(b, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the JSON string starting at i. It jumps from quote to
// quote with bytes.IndexByte (vectorised): strings are most of an issue's bytes, and a
// byte-at-a-time loop here was the largest cost of reading a search page.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		q := j + k
		// the quote ends the string unless an odd run of backslashes escapes it
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
	return 0, fmt.Errorf("%w: unterminated string", errJSON)
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("%w: missing value", errJSON)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated %c", errJSON, b[i])
	}
	j := i
scan:
	for ; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			break scan
		}
	}
	if j == i {
		return 0, fmt.Errorf("%w: unexpected %q at %d", errJSON, b[i], i)
	}
	return j, nil
}

// joinObject writes members back as an object, verbatim.
func joinObject(ms []member) []byte {
	n := 2
	for _, m := range ms {
		n += len(m.key) + len(m.val) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range ms {
		if i > 0 {
			out = append(out, ',')
		}
		if m.rawKey != nil {
			out = append(out, m.rawKey...)
		} else {
			k, _ := json.Marshal(m.key)
			out = append(out, k...)
		}
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}')
}

func find(ms []member, key string) []byte {
	for _, m := range ms {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func isNull(v []byte) bool { return len(v) == 0 || string(v) == "null" }

// decodeString and decodeInt read the plain cases (a string with no escapes, an integer)
// without encoding/json, whose reflection was a third of building a record; anything else
// goes to encoding/json, with its semantics (null leaves out unchanged).
func decodeString(raw []byte, out *string) error {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		body := raw[1 : n-1]
		plain := true
		for _, c := range body {
			if c < 0x20 || c == '"' || c == '\\' {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(body) {
			*out = string(body)
			return nil
		}
	}
	return json.Unmarshal(raw, out)
}

func decodeInt(raw []byte, out *int) error {
	if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		if n, err := strconv.Atoi(string(raw)); err == nil {
			*out = n
			return nil
		}
	}
	return json.Unmarshal(raw, out)
}

// parseJiraTime reads Jira's timestamps (2024-01-02T10:00:00.000+0100) and RFC 3339.
func parseJiraTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a Jira time: %q", s)
}

// parseDCSprint reads the name, id and state from Data Center's sprint field, which is a
// Java toString: "com.atlassian.greenhopper.service.sprint.Sprint@1f[id=3,rapidViewId=1,
// state=ACTIVE,name=Sprint 3,goal=,...]". Names may contain commas, so name runs until the
// next known key.
func parseDCSprint(s string) (id int, name, state string, ok bool) {
	open := strings.IndexByte(s, '[')
	if open < 0 || !strings.HasSuffix(s, "]") {
		return 0, "", "", false
	}
	body := s[open+1 : len(s)-1]
	known := []string{"id=", "rapidViewId=", "state=", "name=", "goal=", "startDate=", "endDate=", "completeDate=", "activatedDate=", "sequence=", "autoStartStop=", "synced=", "incompleteIssuesDestinationId="}
	vals := map[string]string{}
	for pos := 0; pos < len(body); {
		k := ""
		for _, cand := range known {
			if strings.HasPrefix(body[pos:], cand) {
				k = cand
				break
			}
		}
		if k == "" {
			return 0, "", "", false
		}
		start := pos + len(k)
		end := len(body)
		for j := start; j < len(body); j++ {
			if body[j] != ',' {
				continue
			}
			for _, cand := range known {
				if strings.HasPrefix(body[j+1:], cand) {
					end = j
					break
				}
			}
			if end == j {
				break
			}
		}
		vals[k] = body[start:end]
		pos = end + 1
	}
	id, err := strconv.Atoi(vals["id="])
	if err != nil {
		return 0, "", "", false
	}
	return id, vals["name="], strings.ToLower(vals["state="]), true
}

// splitArray returns the raw elements of a JSON array.
func splitArray(b []byte) ([][]byte, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, fmt.Errorf("%w: not an array", errJSON)
	}
	i = skipWS(b, i+1)
	var out [][]byte
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, b[i:end])
		i = skipWS(b, end)
		if i >= len(b) {
			return nil, fmt.Errorf("%w: unterminated array", errJSON)
		}
		if b[i] == ']' {
			return out, nil
		}
		if b[i] != ',' {
			return nil, fmt.Errorf("%w: expected ',' at %d", errJSON, i)
		}
		i = skipWS(b, i+1)
	}
}
