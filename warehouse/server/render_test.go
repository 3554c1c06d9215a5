package server

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

// sampleResult is what collect builds from a server result: scanned Go values per column.
func sampleResult(t *testing.T) *result {
	t.Helper()
	types := []string{"String", "UInt64", "Nullable(Float64)", "Nullable(DateTime64(3, 'UTC'))", "Date32", "Array(String)", "Map(String, String)", "Tuple(a UInt8, b String)", "Int128"}
	names := []string{"key", "n", "estimate", "resolved_at", "due", "labels", "attrs", "pair", "big"}
	at := time.Date(2024, 1, 2, 3, 4, 5, 60_000_000, time.UTC)
	rows := [][]any{
		{"ALPHA-1", uint64(18446744073709551615), ptr(2.5), &at, at, []string{"x", "it's"}, map[string]string{"z": "1", "a": "q\""}, map[string]any{"b": "s", "a": uint8(1)}, big.NewInt(-7)},
		{"tab\there\nnl/é", uint64(0), (*float64)(nil), (*time.Time)(nil), at, []string{}, map[string]string{}, map[string]any{"a": uint8(0), "b": ""}, big.NewInt(0)},
	}
	r := &result{names: names, types: types}
	for _, ty := range types {
		r.typ = append(r.typ, parseType(ty))
	}
	for _, row := range rows {
		var nodes []node
		for i, v := range row {
			nodes = append(nodes, toNode(r.typ[i], v))
		}
		r.rows = append(r.rows, nodes)
	}
	return r
}

func renderAs(t *testing.T, r *result, format string) string {
	t.Helper()
	f, err := formatFor(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	f(&b, r)
	return b.String()
}

func TestRenderSampleRows(t *testing.T) {
	r := sampleResult(t)
	cases := map[string]string{
		"JSONEachRow": `{"key":"ALPHA-1","n":18446744073709551615,"estimate":2.5,"resolved_at":"2024-01-02 03:04:05.060","due":"2024-01-02","labels":["x","it's"],"attrs":{"a":"q\"","z":"1"},"pair":{"a":1,"b":"s"},"big":-7}` + "\n" +
			`{"key":"tab\there\nnl\/é","n":0,"estimate":null,"resolved_at":null,"due":"2024-01-02","labels":[],"attrs":{},"pair":{"a":0,"b":""},"big":0}` + "\n",
		"CSVWithNames": `"key","n","estimate","resolved_at","due","labels","attrs","pair","big"` + "\n" +
			`"ALPHA-1",18446744073709551615,2.5,"2024-01-02 03:04:05.060","2024-01-02","['x','it\'s']","{'a':'q""','z':'1'}","(1,'s')",-7` + "\n" +
			"\"tab\there\nnl/é\",0,\\N,\\N,\"2024-01-02\",\"[]\",\"{}\",\"(0,'')\",0\n",
		"TabSeparatedWithNames": "key\tn\testimate\tresolved_at\tdue\tlabels\tattrs\tpair\tbig\n" +
			"ALPHA-1\t18446744073709551615\t2.5\t2024-01-02 03:04:05.060\t2024-01-02\t['x','it\\'s']\t{'a':'q\"','z':'1'}\t(1,'s')\t-7\n" +
			"tab\\there\\nnl/é\t0\t\\N\t\\N\t2024-01-02\t[]\t{}\t(0,'')\t0\n",
		"PrettyCompact": "" +
			"   ┌─key────────────┬────────────────────n─┬─estimate─┬─resolved_at─────────────┬─due────────┬─labels────────┬─attrs──────────────┬─pair────┬─big─┐\n" +
			"1. │ ALPHA-1        │ 18446744073709551615 │      2.5 │ 2024-01-02 03:04:05.060 │ 2024-01-02 │ ['x','it\\'s'] │ {'a':'q\"','z':'1'} │ (1,'s') │  -7 │\n" +
			"2. │ tab\there\\nnl/é │                    0 │     ᴺᵁᴸᴸ │ ᴺᵁᴸᴸ                    │ 2024-01-02 │ []            │ {}                 │ (0,'')  │   0 │\n" +
			"   └────────────────┴──────────────────────┴──────────┴─────────────────────────┴────────────┴───────────────┴────────────────────┴─────────┴─────┘\n",
	}
	for format, want := range cases {
		if got := renderAs(t, r, format); got != want {
			t.Errorf("%s:\n got %q\nwant %q", format, got, want)
		}
	}
	// TSV is TabSeparated without the header; CSV is CSVWithNames without it.
	if got, full := renderAs(t, r, "TSV"), cases["TabSeparatedWithNames"]; got != full[strings.IndexByte(full, '\n')+1:] {
		t.Errorf("TSV: %q", got)
	}
	if got, full := renderAs(t, r, "csv"), cases["CSVWithNames"]; got != full[strings.IndexByte(full, '\n')+1:] {
		t.Errorf("CSV: %q", got)
	}
}

func TestRenderEmptyResult(t *testing.T) {
	r := &result{names: []string{"a", "b"}, types: []string{"String", "UInt8"}, typ: []*chType{parseType("String"), parseType("UInt8")}}
	for format, want := range map[string]string{
		"CSVWithNames":          "\"a\",\"b\"\n",
		"TabSeparatedWithNames": "a\tb\n",
		"JSONEachRow":           "",
		"PrettyCompact":         "",
		"TSV":                   "",
	} {
		if got := renderAs(t, r, format); got != want {
			t.Errorf("%s: got %q want %q", format, got, want)
		}
	}
	if got := renderAs(t, r, "JSON"); !strings.Contains(got, `"rows": 0`) || !strings.Contains(got, `"type": "UInt8"`) {
		t.Errorf("JSON: %s", got)
	}
}

func TestUnsupportedFormat(t *testing.T) {
	for _, f := range []string{"Parquet", "Native", "Vertical", "RowBinary"} {
		_, err := formatFor(f)
		if !errors.Is(err, ErrUnsupportedFormat) || !strings.Contains(err.Error(), f) || !strings.Contains(err.Error(), "JSONEachRow") {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range SupportedFormats {
		if _, err := formatFor(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	cases := []struct {
		f    float64
		bits int
		want string
	}{
		{1.5, 64, "1.5"}, {0.1, 64, "0.1"}, {1e20, 64, "100000000000000000000"}, {1e21, 64, "1e21"},
		{1e-7, 64, "1e-7"}, {0.000001, 64, "0.000001"}, {-0.0001, 64, "-0.0001"}, {123456789.125, 64, "123456789.125"},
		{1.2345e-10, 64, "1.2345e-10"}, {-2.5e300, 64, "-2.5e300"}, {math.Copysign(0, -1), 64, "-0"}, {0, 64, "0"},
		{math.NaN(), 64, "nan"}, {math.Inf(1), 64, "inf"}, {math.Inf(-1), 64, "-inf"},
		{float64(float32(0.1)), 32, "0.1"}, {3, 64, "3"},
	}
	for _, c := range cases {
		if got := formatFloat(c.f, c.bits); got != c.want {
			t.Errorf("formatFloat(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestParseType(t *testing.T) {
	ty := parseType("Nullable(DateTime64(3, 'UTC'))")
	if ty.name != "Nullable" || ty.base().name != "DateTime64" || strings.Join(ty.base().args, "|") != "3|'UTC'" {
		t.Errorf("%+v", ty.base())
	}
	m := parseType("Map(LowCardinality(String), Array(Tuple(a UInt8, `b c` Nullable(String))))")
	if m.name != "Map" || m.elem(0).base().name != "String" {
		t.Fatalf("%+v", m)
	}
	tup := m.elem(1).elem(0)
	if tup.name != "Tuple" || strings.Join(tup.fields, ",") != "a,b c" || tup.elem(1).base().name != "String" {
		t.Errorf("tuple %+v", tup)
	}
	if u := parseType("Tuple(UInt8, DateTime64(3, 'UTC'))"); u.fields != nil || u.elem(1).name != "DateTime64" {
		t.Errorf("unnamed tuple %+v", u)
	}
	if e := parseType("Enum8('a,b' = 1, 'c)' = 2)"); len(e.args) != 2 {
		t.Errorf("quoted commas and parentheses split: %q", e.args)
	}
	if !parseType("Nullable(Decimal(18, 4))").numeric() || parseType("LowCardinality(String)").numeric() {
		t.Error("numeric")
	}
}

// FuzzParseType: type names come from the server; parsing and rendering a value of any
// reported type must not panic.
func FuzzParseType(f *testing.F) {
	for _, s := range []string{"Nullable(DateTime64(3, 'UTC'))", "Map(String, Array(Tuple(a UInt8, b String)))", "Tuple(", "Enum8('a(' = 1)", "A(B(C(,),)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ty := parseType(s)
		_ = ty.numeric()
		n := toNode(ty, map[string]any{"a": []any{uint8(1), "x", time.Unix(0, 0)}})
		var b bytes.Buffer
		writeQuoted(&b, &n)
		writeJSONValue(&b, &n)
	})
}

func BenchmarkRenderJSONEachRow(b *testing.B) { benchRender(b, "JSONEachRow") }
func BenchmarkRenderCSV(b *testing.B)         { benchRender(b, "CSVWithNames") }
func BenchmarkRenderPretty(b *testing.B)      { benchRender(b, "PrettyCompact") }

// benchRender renders 10,000 work-item-like rows (scanned values to nodes to text).
func benchRender(b *testing.B, format string) {
	types := []string{"String", "LowCardinality(String)", "Nullable(Float64)", "Nullable(DateTime64(3, 'UTC'))", "Array(String)", "Map(String, String)", "UInt64"}
	r := &result{names: []string{"item_id", "status_category", "estimate", "resolved_at", "labels", "attributes", "version"}, types: types}
	for _, ty := range types {
		r.typ = append(r.typ, parseType(ty))
	}
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	vals := []any{"jira-main:10001", "in_progress", ptr(3.0), &at, []string{"a", "b"}, map[string]string{"team": "Blue"}, uint64(1709528767891)}
	render, err := formatFor(format)
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		r.rows = r.rows[:0]
		for range 10_000 {
			row := make([]node, len(vals))
			for i, v := range vals {
				row[i] = toNode(r.typ[i], v)
			}
			r.rows = append(r.rows, row)
		}
		out.Reset()
		render(&out, r)
	}
	b.ReportMetric(float64(out.Len()), "bytes/op-output")
}
