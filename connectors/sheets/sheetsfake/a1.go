package sheetsfake

import (
	"fmt"
	"strconv"
	"strings"
)

// gridRange is a parsed A1 range: 0-based, end exclusive, -1 for open ends.
type gridRange struct {
	tab              string
	startRow, endRow int
	startCol, endCol int
}

// parseA1 reads `Tab`, `'Tab”s'!A1:C10`, `Tab!A:C`, `Tab!2:21`, `Tab!A2:Z`.
func parseA1(s string) (gridRange, error) {
	g := gridRange{endRow: -1, endCol: -1}
	name, cells := s, ""
	if strings.HasPrefix(s, "'") {
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return g, fmt.Errorf("unterminated quote")
		}
		name = b.String()
		rest := s[i+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, "!") {
				return g, fmt.Errorf("bad range")
			}
			cells = rest[1:]
		}
	} else if i := strings.LastIndexByte(s, '!'); i >= 0 {
		name, cells = s[:i], s[i+1:]
	}
	g.tab = name
	if cells == "" {
		return g, nil
	}
	from, to, hasTo := strings.Cut(cells, ":")
	c1, r1, err := parseCell(from)
	if err != nil {
		return g, err
	}
	g.startCol, g.startRow = max(c1, 0), max(r1, 0)
	if !hasTo {
		g.endCol, g.endRow = c1+1, r1+1
		if c1 < 0 {
			g.endCol = -1
		}
		if r1 < 0 {
			g.endRow = -1
		}
		return g, nil
	}
	c2, r2, err := parseCell(to)
	if err != nil {
		return g, err
	}
	if c2 >= 0 {
		g.endCol = c2 + 1
	}
	if r2 >= 0 {
		g.endRow = r2 + 1
	}
	return g, nil
}

// parseCell reads "B3" → (1, 2), "B" → (1, -1), "3" → (-1, 2).
func parseCell(s string) (col, row int, err error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := 0
	col = -1
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		if col < 0 {
			col = 0
		}
		col = col*26 + int(s[i]-'A') + 1
		i++
	}
	if col > 0 {
		col--
	}
	row = -1
	if i < len(s) {
		n, err := strconv.Atoi(s[i:])
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("bad cell %q", s)
		}
		row = n - 1
	}
	if col < 0 && row < 0 {
		return 0, 0, fmt.Errorf("bad cell %q", s)
	}
	return col, row, nil
}

// a1 renders a range the way Sheets echoes it: `'RAID Log'!A1:F20`, `Sheet1!A1:D2`.
func a1(tab string, startRow, endRow, startCol, endCol int) string {
	name := tab
	if strings.ContainsAny(tab, " '!:") || !isASCIIWord(tab) {
		name = "'" + strings.ReplaceAll(tab, "'", "''") + "'"
	}
	return fmt.Sprintf("%s!%s%d:%s%d", name, letter(startCol), startRow+1, letter(endCol-1), endRow)
}

func isASCIIWord(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func letter(i int) string {
	s := ""
	for i >= 0 {
		s = string(rune('A'+i%26)) + s
		i = i/26 - 1
	}
	return s
}
