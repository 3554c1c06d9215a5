package admin

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Values are compared and shown as text, one form per column type, whether they come from
// a mapped row (Go values, see warehouse.Row) or from the warehouse (JSON).

const timeForm = "2006-01-02T15:04:05.000Z"

func formatMapped(chType string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return formatTime(chType, x)
	case *time.Time:
		if x == nil {
			return ""
		}
		return formatTime(chType, *x)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case []string:
		return formatList(x)
	case map[string]string:
		return formatMap(x)
	}
	return fmt.Sprint(v)
}

func formatTime(chType string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if strings.Contains(chType, "Date32") || strings.HasPrefix(chType, "Date") && !strings.Contains(chType, "DateTime") {
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format(timeForm)
}

func formatStored(chType string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if strings.Contains(chType, "DateTime") || strings.Contains(chType, "Date") {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", time.DateOnly} {
				if t, err := time.Parse(layout, x); err == nil {
					return formatTime(chType, t)
				}
			}
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		l := make([]string, len(x))
		for i, e := range x {
			l[i] = fmt.Sprint(e)
		}
		return formatList(l)
	case map[string]any:
		m := make(map[string]string, len(x))
		for k, e := range x {
			m[k] = fmt.Sprint(e)
		}
		return formatMap(m)
	}
	return fmt.Sprint(v)
}

func formatList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func formatMap(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}
