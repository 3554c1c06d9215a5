package tabular

import (
	"strings"
	"time"
)

// infer picks a column's type from its hint and values. A hint (the source's declared
// format) wins when the values fit it; otherwise the most specific type that fits at least
// minFit of the non-empty values wins, and text when none does.
func infer(rows []RawRow, col int, hint Type, minFit float64, loc *time.Location) Type {
	candidates := []Type{TypeBool, TypeDateTime, TypeDate, TypePercent, TypeCurrency, TypeNumber}
	if hint != TypeAuto {
		if hint == TypeText {
			return TypeText
		}
		candidates = []Type{hint}
	}
	counts := make([]int, len(candidates))
	total := 0
	textDates, hasTime := 0, false
	percentText, currencyText := 0, 0
	for _, r := range rows {
		if col >= len(r.Values) || isEmpty(r.Values[col]) {
			continue
		}
		v := r.Values[col]
		total++
		s, isText := v.(string)
		for i, t := range candidates {
			if hint == TypeAuto {
				// Without a hint a bare number is only a number: serial dates and
				// fractions need the source's format to be read as dates or percentages.
				if (t == TypeDate || t == TypeDateTime || t == TypePercent) && !isText {
					continue
				}
				if t == TypeCurrency && !isText {
					continue
				}
			}
			if _, ok := Convert(v, t, loc); ok {
				counts[i]++
			}
		}
		if isText && hint == TypeAuto {
			if _, ok := dateTime(s, loc); ok {
				textDates++
				if strings.ContainsAny(strings.TrimSpace(s), "T :") && len(strings.TrimSpace(s)) > 10 {
					hasTime = true
				}
			}
			if strings.HasSuffix(strings.TrimSpace(s), "%") {
				percentText++
			}
			if _, found := stripCurrency(s); found {
				currencyText++
			}
		}
	}
	if total == 0 {
		if hint != TypeAuto {
			return hint
		}
		return TypeText
	}
	need := int(float64(total)*minFit + 0.999999)
	if hint != TypeAuto {
		// The source declared the format: keep it while at least half the values fit.
		need = (total + 1) / 2
	}
	if need < 1 {
		need = 1
	}
	for i, t := range candidates {
		if counts[i] < need {
			continue
		}
		if hint == TypeAuto {
			switch t {
			case TypeDateTime:
				if !hasTime {
					continue
				}
			case TypeDate:
				if textDates < need {
					continue
				}
			case TypePercent:
				if percentText < need {
					continue
				}
			case TypeCurrency:
				if currencyText < need {
					continue
				}
			}
		}
		return t
	}
	// No type fits enough values (or the declared format does not match them): read
	// them as written.
	return TypeText
}
