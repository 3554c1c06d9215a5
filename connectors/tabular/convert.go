package tabular

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// serialEpoch is day 0 of spreadsheet serial dates (Google Sheets, Excel after 1900-03-01).
var serialEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// Serial dates outside this range are not dates a register holds (years 1900–2199).
const (
	minSerial = 1
	maxSerial = 109939
)

// SerialTime turns a serial day number (days since 1899-12-30, fraction = time of day) into
// a time in loc (the spreadsheet's time zone). ok is false outside years 1900–2199.
func SerialTime(serial float64, loc *time.Location) (time.Time, bool) {
	if math.IsNaN(serial) || serial < minSerial || serial >= maxSerial {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	days := math.Floor(serial)
	// Round to the millisecond: serial fractions carry float noise.
	ms := math.Round((serial - days) * 86400000)
	d := serialEpoch.AddDate(0, 0, int(days))
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Add(time.Duration(ms) * time.Millisecond), true
}

// TimeSerial is the inverse of SerialTime (used by fakes and tests).
func TimeSerial(t time.Time) float64 {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := day.Sub(serialEpoch).Hours() / 24
	frac := float64(t.Sub(time.Date(y, m, d, 0, 0, 0, 0, t.Location())).Milliseconds()) / 86400000
	return math.Round(days) + frac
}

// Convert turns one raw value into a column's type. It returns the typed JSON value
// (string, float64, bool, or nil for empty) and ok=false when the value does not fit: the
// caller then keeps it as text and reports it.
func Convert(v any, t Type, loc *time.Location) (any, bool) {
	if isEmpty(v) {
		return nil, true
	}
	switch t {
	case TypeAuto, TypeText:
		return Text(v), true
	case TypeNumber:
		f, ok := number(v)
		return f, ok
	case TypeCurrency:
		f, ok := currency(v)
		return f, ok
	case TypePercent:
		f, ok := percent(v)
		return f, ok
	case TypeDate:
		tm, ok := dateTime(v, loc)
		if !ok {
			return nil, false
		}
		return tm.Format(time.DateOnly), true
	case TypeDateTime:
		tm, ok := dateTime(v, loc)
		if !ok {
			return nil, false
		}
		return tm.UTC().Format("2006-01-02T15:04:05.000Z"), true
	case TypeBool:
		b, ok := boolean(v)
		return b, ok
	}
	return Text(v), true
}

// Text renders a raw value as the text a user would read (numbers without exponent noise).
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	}
	return false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func number(v any) (float64, bool) {
	if f, ok := asFloat(v); ok {
		return f, true
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	return parseNumber(s)
}

// parseNumber reads "1200", "1,200.50", "-3", "(42)" (accounting negative).
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	if s == "" || len(s) > 64 {
		return 0, false
	}
	// Thousands separators only between digit groups of three.
	if strings.Contains(s, ",") {
		intPart, _, _ := strings.Cut(s, ".")
		groups := strings.Split(strings.TrimLeft(intPart, "+-"), ",")
		for i, g := range groups {
			if (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

var currencySymbols = []string{"US$", "A$", "C$", "CHF", "$", "€", "£", "¥", "₹", "₩", "₽", "R$", "kr", "USD", "EUR", "GBP"}

func currency(v any) (float64, bool) {
	if f, ok := asFloat(v); ok {
		return f, true
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	s, found := stripCurrency(s)
	if !found {
		// A plain number in a currency column is still an amount.
		return parseNumber(s)
	}
	return parseNumber(s)
}

// stripCurrency removes one currency symbol at either end; found reports whether it did.
func stripCurrency(s string) (string, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = strings.TrimSpace(s[1:])
	}
	for _, sym := range currencySymbols {
		if rest, ok := strings.CutPrefix(s, sym); ok {
			s = strings.TrimSpace(rest)
			if neg {
				s = "-" + s
			}
			return s, true
		}
		if rest, ok := strings.CutSuffix(s, sym); ok {
			s = strings.TrimSpace(rest)
			if neg {
				s = "-" + s
			}
			return s, true
		}
	}
	if neg {
		s = "-" + s
	}
	return s, false
}

// percent returns 0–100: source numbers are fractions (Sheets and Smartsheet store 25% as
// 0.25), text "25%" is read as written.
func percent(v any) (float64, bool) {
	if f, ok := asFloat(v); ok {
		return roundPercent(f * 100), true
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	rest, had := strings.CutSuffix(s, "%")
	if !had {
		return 0, false
	}
	f, ok := parseNumber(rest)
	return f, ok
}

// roundPercent drops float noise from fraction*100 (0.07*100 = 7.000000000000001).
func roundPercent(f float64) float64 {
	return math.Round(f*1e9) / 1e9
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
	"2006/01/02",
}

func dateTime(v any, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if f, ok := asFloat(v); ok {
		return SerialTime(f, loc)
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 40 || !looksLikeDate(s) {
		return time.Time{}, false
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if t.Year() < 1900 || t.Year() > 2199 {
				return time.Time{}, false
			}
			return t, true
		}
	}
	return time.Time{}, false
}

func boolean(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "y", "✓", "✔":
			return true, true
		case "false", "no", "n":
			return false, true
		}
	}
	return false, false
}

// looksLikeDate is a cheap filter before trying layouts: "dddd-" or "dddd/".
func looksLikeDate(s string) bool {
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[4] == '-' || s[4] == '/'
}
