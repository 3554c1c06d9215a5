package sheets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
	gsheets "google.golang.org/api/sheets/v4"

	"github.com/pmohub/pmohub/connectors/tabular"
)

// formatSampleRows is how many data rows' number formats are read to hint column types.
const formatSampleRows = 50

// fileState is what Drive says about a spreadsheet.
type fileState struct {
	Name     string
	Version  uint64
	Modified time.Time
}

func (c *Connector) fileState(ctx context.Context, a *api, id string) (fileState, error) {
	f, err := a.drive.Files.Get(id).Fields("id,name,version,modifiedTime").SupportsAllDrives(true).Context(ctx).Do()
	if err != nil {
		return fileState{}, c.sourceError("GET drive/v3/files/"+id, id, err, a.account)
	}
	st := fileState{Name: f.Name, Version: uint64(f.Version)}
	if f.ModifiedTime != "" {
		st.Modified, err = time.Parse(time.RFC3339Nano, f.ModifiedTime)
		if err != nil {
			return fileState{}, fmt.Errorf("source %s: spreadsheet %s: Drive modifiedTime %q: %w", c.name, id, f.ModifiedTime, err)
		}
	}
	return st, nil
}

// tabRead is one tab as read.
type tabRead struct {
	cfg       TabConfig
	sheetID   int64
	title     string
	headerRow int                  // 1-based sheet row of the header
	hints     map[int]tabular.Type // by 0-based sheet column
	values    [][]any
	startRow  int // 1-based sheet row of values[0]
	startCol  int // 0-based sheet column of values[i][0]
}

// spreadsheetRead is a changed spreadsheet's configured tabs.
type spreadsheetRead struct {
	title    string
	location *time.Location
	tabs     []*tabRead
}

func quoteTab(title string) string {
	return "'" + strings.ReplaceAll(title, "'", "''") + "'"
}

func (t TabConfig) header() int {
	if t.HeaderRow > 0 {
		return t.HeaderRow
	}
	if t.Range != "" {
		row, _, _ := rangeStart(t.Range)
		return row
	}
	return 1
}

func (t TabConfig) a1() string {
	if t.Range != "" {
		return quoteTab(t.Tab) + "!" + t.Range
	}
	return quoteTab(t.Tab)
}

// readSpreadsheet reads metadata (tab ids, time zone, number formats of the first data
// rows) and then every configured tab's values in one batchGet: two requests.
func (c *Connector) readSpreadsheet(ctx context.Context, a *api, ss SpreadsheetConfig, prev *sheetState) (*spreadsheetRead, error) {
	out := &spreadsheetRead{location: time.UTC}
	byTitle := map[string]*tabRead{}
	var sample []string
	for _, t := range ss.Tabs {
		h := t.header()
		tr := &tabRead{cfg: t, headerRow: h, hints: map[int]tabular.Type{}}
		out.tabs = append(out.tabs, tr)
		byTitle[t.Tab] = tr
		sample = append(sample, fmt.Sprintf("%s!%d:%d", quoteTab(t.Tab), h+1, h+formatSampleRows))
	}
	meta, err := a.sheets.Spreadsheets.Get(ss.ID).Ranges(sample...).
		Fields("properties(title,timeZone),sheets(properties(sheetId,title),data(startRow,startColumn,rowData(values(effectiveFormat/numberFormat/type))))").
		Context(ctx).Do()
	if err != nil {
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == http.StatusBadRequest {
			// A range naming a missing tab is a 400: find out which tab and say so.
			if terr := c.missingTabs(ctx, a, ss, prev); terr != nil {
				return nil, terr
			}
		}
		return nil, c.sourceError("GET v4/spreadsheets/"+ss.ID, ss.ID, err, a.account)
	}
	if meta.Properties != nil {
		out.title = meta.Properties.Title
		if loc, err := time.LoadLocation(meta.Properties.TimeZone); err == nil && meta.Properties.TimeZone != "" {
			out.location = loc
		}
	}
	for _, sh := range meta.Sheets {
		if sh.Properties == nil {
			continue
		}
		tr := byTitle[sh.Properties.Title]
		if tr == nil {
			continue
		}
		tr.sheetID, tr.title = sh.Properties.SheetId, sh.Properties.Title
		tr.hints = formatHints(sh.Data)
	}
	for _, tr := range out.tabs {
		if tr.title == "" {
			return nil, &TabError{Source: c.name, Spreadsheet: ss.ID, Tab: tr.cfg.Tab, Detail: "not in the spreadsheet's metadata"}
		}
	}

	ranges := make([]string, len(out.tabs))
	for i, tr := range out.tabs {
		ranges[i] = tr.cfg.a1()
	}
	vals, err := a.sheets.Spreadsheets.Values.BatchGet(ss.ID).Ranges(ranges...).
		ValueRenderOption("UNFORMATTED_VALUE").DateTimeRenderOption("SERIAL_NUMBER").MajorDimension("ROWS").
		Context(ctx).Do()
	if err != nil {
		return nil, c.sourceError("GET v4/spreadsheets/"+ss.ID+"/values:batchGet", ss.ID, err, a.account)
	}
	if len(vals.ValueRanges) != len(out.tabs) {
		return nil, c.sourceError("GET v4/spreadsheets/"+ss.ID+"/values:batchGet", ss.ID,
			fmt.Errorf("asked for %d ranges, got %d", len(out.tabs), len(vals.ValueRanges)), a.account)
	}
	for i, vr := range vals.ValueRanges {
		tr := out.tabs[i]
		tr.startRow, tr.startCol = 1, 0
		// The echo is `'Tab'!A1:F20`; the cell part never holds '!'.
		if i := strings.LastIndex(vr.Range, "!"); i >= 0 {
			if r, col, err := rangeStart(vr.Range[i+1:]); err == nil {
				tr.startRow, tr.startCol = r, col
			}
		}
		tr.values = vr.Values
	}
	return out, nil
}

// formatHints takes the most common number format of each column's sampled cells.
func formatHints(data []*gsheets.GridData) map[int]tabular.Type {
	counts := map[int]map[tabular.Type]int{}
	for _, d := range data {
		for _, rd := range d.RowData {
			for j, v := range rd.Values {
				if v == nil || v.EffectiveFormat == nil || v.EffectiveFormat.NumberFormat == nil {
					continue
				}
				t := hintOf(v.EffectiveFormat.NumberFormat.Type)
				if t == tabular.TypeAuto {
					continue
				}
				col := int(d.StartColumn) + j
				if counts[col] == nil {
					counts[col] = map[tabular.Type]int{}
				}
				counts[col][t]++
			}
		}
	}
	out := make(map[int]tabular.Type, len(counts))
	for col, m := range counts {
		best, n := tabular.TypeAuto, 0
		for _, t := range []tabular.Type{tabular.TypeDateTime, tabular.TypeDate, tabular.TypePercent, tabular.TypeCurrency, tabular.TypeNumber, tabular.TypeText} {
			if m[t] > n {
				best, n = t, m[t]
			}
		}
		out[col] = best
	}
	return out
}

// hintOf maps a Sheets number format type to a column type.
func hintOf(format string) tabular.Type {
	switch format {
	case "DATE":
		return tabular.TypeDate
	case "DATE_TIME":
		return tabular.TypeDateTime
	case "PERCENT":
		return tabular.TypePercent
	case "CURRENCY":
		return tabular.TypeCurrency
	case "NUMBER", "SCIENTIFIC":
		return tabular.TypeNumber
	case "TEXT":
		return tabular.TypeText
	}
	return tabular.TypeAuto // TIME and unformatted cells: let the values decide
}

// TabError is a configured tab that cannot be read (missing, renamed, no header).
type TabError struct {
	Source, Spreadsheet, Tab string
	Detail                   string
}

func (e *TabError) Error() string {
	return fmt.Sprintf("source %s: spreadsheet %s: tab %q: %s; stored rows are kept", e.Source, e.Spreadsheet, e.Tab, e.Detail)
}

// missingTabs lists the spreadsheet's tabs and reports configured ones it lacks, naming
// the new title when a stored tab id shows the tab was renamed. nil when all exist.
func (c *Connector) missingTabs(ctx context.Context, a *api, ss SpreadsheetConfig, prev *sheetState) error {
	meta, err := a.sheets.Spreadsheets.Get(ss.ID).Fields("sheets.properties(sheetId,title)").Context(ctx).Do()
	if err != nil {
		return nil // the first error is reported instead
	}
	byID := map[string]string{}
	var titles []string
	for _, sh := range meta.Sheets {
		if sh.Properties == nil {
			continue
		}
		byID[strconv.FormatInt(sh.Properties.SheetId, 10)] = sh.Properties.Title
		titles = append(titles, strconv.Quote(sh.Properties.Title))
	}
	var errs []error
	for _, t := range ss.Tabs {
		found := false
		for _, title := range byID {
			if title == t.Tab {
				found = true
			}
		}
		if found {
			continue
		}
		detail := "not found (tabs are " + strings.Join(titles, ", ") + ")"
		if prev != nil {
			if st, ok := prev.Tabs[t.Tab]; ok {
				if now, ok := byID[st.SheetID]; ok {
					detail = fmt.Sprintf("renamed to %q (same tab id %s): update `tab:` in pmohub.yaml", now, st.SheetID)
				} else {
					detail = "deleted from the spreadsheet (tabs are " + strings.Join(titles, ", ") + ")"
				}
			}
		}
		errs = append(errs, &TabError{Source: c.name, Spreadsheet: ss.ID, Tab: t.Tab, Detail: detail})
	}
	return errors.Join(errs...)
}
