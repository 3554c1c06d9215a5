package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// typedQuery covers every Row type of the schema plus the types ad-hoc queries and
// metrics return (integers of all widths, decimals, UUIDs, nested arrays, tuples, enums).
const typedQuery = `SELECT
	'a"b\\c	d' || char(10) || 'e,f/g''h' AS s, '' AS empty, 'é ✓' AS utf,
	toUInt64(18446744073709551615) AS u64, toInt64(-5) AS i64, toUInt8(3) AS u8, toUInt32(7) AS u32, toInt32(-2147483648) AS i32, toInt8(-1) AS i8, toUInt16(65535) AS u16,
	1.5::Float64 AS f, nan::Float64 AS fnan, inf::Float64 AS finf, -inf::Float64 AS fninf, 0.1::Float64 AS f01, 1e20::Float64 AS fbig, 1e21::Float64 AS fhuge, 1e-7::Float64 AS fsmall, 0.000001::Float64 AS fsmall2, -0.::Float64 AS fnegzero, 123456789.125::Float64 AS fmid, 2.5::Float32 AS f32, 0.1::Float32 AS f32b,
	toDateTime64('2024-01-02 03:04:05.678', 3, 'UTC') AS t, CAST(NULL, 'Nullable(DateTime64(3, ''UTC''))') AS tn, CAST(toDateTime64('2024-05-06 07:08:09.010', 3, 'UTC'), 'Nullable(DateTime64(3, ''UTC''))') AS tv,
	toDateTime64('2024-01-02 03:04:05.123456', 6, 'UTC') AS t6, toDateTime('2024-01-02 03:04:05', 'UTC') AS dt,
	toDate32('2024-02-03') AS d, CAST(NULL, 'Nullable(Date32)') AS dn, CAST(toDate32('1950-12-31'), 'Nullable(Date32)') AS dv, toDate('2024-02-04') AS d16,
	['x', 'y"', 'z''q'] AS arr, CAST([], 'Array(String)') AS arr0, map('k', 'v"') AS m, CAST(map(), 'Map(String, String)') AS m0,
	CAST('lc', 'LowCardinality(String)') AS lc, CAST(NULL, 'Nullable(String)') AS ns, CAST(NULL, 'Nullable(Float64)') AS nf, CAST(4.25, 'Nullable(Float64)') AS nfv,
	true AS b, toDecimal64(1.25, 4) AS dec, toUUID('00000000-0000-0000-0000-000000000001') AS uu,
	[1, 2]::Array(UInt64) AS au, [[1], []]::Array(Array(UInt8)) AS nested, [NULL, 'x']::Array(Nullable(String)) AS an,
	CAST('b', 'Enum8(''a'' = 1, ''b'' = 2)') AS en, toInt128(-170141183460469231731687303715884105728) AS i128, toUInt256(5) AS u256,
	toIPv4('1.2.3.4') AS ip4, map('a', [1, 2]) AS mnest`

// narrowQuery keeps PrettyCompact horizontal (ClickHouse turns wide results vertical).
const narrowQuery = `SELECT number AS n, toString(number * 7) AS s, if(number = 1, NULL, number / 3) AS f, ['a', toString(number)] AS arr
	FROM numbers(12)`

func TestRenderMatchesClickHouse(t *testing.T) {
	e := needEngine(t)
	cases := []struct{ query, format string }{
		{typedQuery, "JSONEachRow"},
		{typedQuery, "TabSeparated"},
		{typedQuery, "TSVWithNames"},
		{typedQuery, "CSV"},
		{typedQuery, "CSVWithNames"},
		{narrowQuery, "PrettyCompact"},
		{narrowQuery, "JSONEachRow"},
		{narrowQuery, "CSVWithNames"},
		{"SELECT * FROM (SELECT 'é' AS x, 'longer text' AS y, 1 AS z UNION ALL SELECT 'a b', '', 22) ORDER BY z", "PrettyCompact"},
		{"SELECT number FROM numbers(0)", "PrettyCompact"},
		{"SELECT number FROM numbers(0)", "JSONEachRow"},
		{"SELECT number AS `odd\tname` FROM numbers(1)", "TabSeparatedWithNames"},
	}
	for _, c := range cases {
		want, err := e.Query(c.query, c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		got := renderVia(t, e, c.query, c.format)
		if got != string(want) {
			t.Errorf("%s of %.60q…\n got: %s\nwant: %s", c.format, c.query, got, want)
		}
	}
}

// TestRenderJSONMatchesClickHouse compares the JSON format by meaning: ClickHouse adds
// statistics and spreads nested values over lines.
func TestRenderJSONMatchesClickHouse(t *testing.T) {
	e := needEngine(t)
	for _, q := range []string{typedQuery, narrowQuery} {
		want, err := e.Query(q, "JSON")
		if err != nil {
			t.Fatal(err)
		}
		got := renderVia(t, e, q, "JSON")
		var w, g map[string]any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(got), &g); err != nil {
			t.Fatalf("our JSON does not parse: %v\n%s", err, got)
		}
		delete(w, "statistics")
		// clickhouse-go reports DateTime('UTC') columns as plain DateTime.
		for _, m := range w["meta"].([]any) {
			if m := m.(map[string]any); m["type"] == "DateTime('UTC')" {
				m["type"] = "DateTime"
			}
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("JSON differs for %.60q…\n got: %v\nwant: %v", q, g, w)
		}
	}
}

func TestRenderLargeResultAcrossBlocks(t *testing.T) {
	e := needEngine(t)
	q := "SELECT number, toString(number) AS s FROM numbers(200000) SETTINGS max_block_size = 65536"
	want, err := e.Query(q, "TSV")
	if err != nil {
		t.Fatal(err)
	}
	got := renderVia(t, e, q, "TSV")
	if got != string(want) {
		t.Fatalf("TSV over several blocks differs: %d vs %d bytes", len(got), len(want))
	}
	if n := strings.Count(got, "\n"); n != 200000 {
		t.Fatalf("got %d rows", n)
	}
}
