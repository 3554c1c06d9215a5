package mappings

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

var errBadTime = errors.New("not a date or time")

// ParseTime reads a date or time from source data, in UTC at millisecond precision:
//
//	2024-01-02T10:00:00Z, 2024-01-02T10:00:00.123+01:00   RFC 3339
//	2024-01-02T10:00:00.000+0100                          Jira
//	2024-01-02 10:00:00, 2024-01-02T10:00                 no offset: UTC
//	2024-01-02                                            a date: UTC midnight
//	1704189600000                                         epoch milliseconds
//
// It is hand-written because it runs for every time field of every record.
func ParseTime(s string) (time.Time, error) {
	t, _, err := parseTime(s)
	return t, err
}

// parseTime also returns the calendar date as written (before moving to UTC), which is
// what a `date` field wants: 2024-01-02T23:30-05:00 is due on the 2nd.
func parseTime(s string) (time.Time, time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 10 && s[4] == '-' {
		return parseISO(s)
	}
	if ms, ok := epochMillis(s); ok {
		t := time.UnixMilli(ms).UTC()
		return t, dateOf(t), nil
	}
	return time.Time{}, time.Time{}, errBadTime
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// epochMillis accepts an optional sign and up to 15 digits (about ±31,000 years).
func epochMillis(s string) (int64, bool) {
	if s == "" || len(s) > 16 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseISO(s string) (time.Time, time.Time, error) {
	fail := func() (time.Time, time.Time, error) { return time.Time{}, time.Time{}, errBadTime }
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	if !ok1 || !ok2 || s[7] != '-' {
		return fail()
	}
	day, ok := digits(s, 8, 2)
	if !ok || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return fail()
	}
	date := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if len(s) == 10 {
		return date, date, nil
	}
	if s[10] != 'T' && s[10] != 't' && s[10] != ' ' {
		return fail()
	}
	rest := s[11:]
	hour, ok1 := digits(rest, 0, 2)
	minute, ok2 := digits(rest, 3, 2)
	if !ok1 || !ok2 || rest[2] != ':' || hour > 23 || minute > 59 {
		return fail()
	}
	rest = rest[5:]
	sec, nanos := 0, 0
	if len(rest) > 0 && rest[0] == ':' {
		v, ok := digits(rest, 1, 2)
		if !ok || v > 59 {
			return fail()
		}
		sec, rest = v, rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			scale := 100_000_000
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				nanos += int(rest[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == 1 || i > 10 {
				return fail()
			}
			rest = rest[i:]
		}
	}
	offset := 0
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		oh, ok := digits(rest, 1, 2)
		if !ok || oh > 23 {
			return fail()
		}
		om := 0
		switch len(rest) {
		case 3: // +01
		case 5: // +0100
			if om, ok = digits(rest, 3, 2); !ok {
				return fail()
			}
		case 6: // +01:00
			if rest[3] != ':' {
				return fail()
			}
			if om, ok = digits(rest, 4, 2); !ok {
				return fail()
			}
		default:
			return fail()
		}
		if om > 59 {
			return fail()
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return fail()
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second).Truncate(time.Millisecond)
	return t, date, nil
}

// digits reads n ASCII digits at s[i:].
func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
