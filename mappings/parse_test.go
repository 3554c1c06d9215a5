package mappings

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2024-01-02T10:00:00Z":                "2024-01-02T10:00:00.000Z",
		"2024-01-02T10:00:00.000+0100":        "2024-01-02T09:00:00.000Z", // Jira
		"2020-12-03T14:05:20.974+0100":        "2020-12-03T13:05:20.974Z",
		"2015-12-07T14:19:13.000-0800":        "2015-12-07T22:19:13.000Z",
		"2024-01-02T10:00:00.123456789+01:00": "2024-01-02T09:00:00.123Z", // truncated to ms
		"2024-01-02T10:00:00,5Z":              "2024-01-02T10:00:00.500Z",
		"2024-01-02 10:00:00":                 "2024-01-02T10:00:00.000Z",
		"2024-01-02T10:00":                    "2024-01-02T10:00:00.000Z",
		"2024-01-02T10:00+05":                 "2024-01-02T05:00:00.000Z",
		" 2024-02-29 ":                        "2024-02-29T00:00:00.000Z",
		"1704189600123":                       "2024-01-02T10:00:00.123Z",
		"0":                                   "1970-01-01T00:00:00.000Z",
	} {
		got, err := ParseTime(in)
		if err != nil || got.Format(timeText) != want || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "2023-02-29", "2024-13-01", "2024-01-02T24:00:00Z", "2024-01-02T10:00:00+2400",
		"2024-01-02X10:00", "2024-01-02T10:00:00.Z", "2024-01-02T10:00:00Zjunk", "12345678901234567", "1e9", "2024-1-2"} {
		if got, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]Path{
		"a.b[0].c":             {Level: levelRoot, Segs: []seg{{kind: segKey, key: "a"}, {kind: segKey, key: "b"}, {kind: segIndex}, {kind: segKey, key: "c"}}},
		`a["odd. key"]['x'].y`: {Level: levelRoot, Segs: []seg{{kind: segKey, key: "a"}, {kind: segKey, key: "odd. key"}, {kind: segKey, key: "x"}, {kind: segKey, key: "y"}}},
		"l[*].name":            {Level: levelRoot, Segs: []seg{{kind: segKey, key: "l"}, {kind: segAll}, {kind: segKey, key: "name"}}},
		"@":                    {Level: levelInner},
		"@.toString":           {Level: levelInner, Segs: []seg{{kind: segKey, key: "toString"}}},
		"@0.id":                {Level: 0, Segs: []seg{{kind: segKey, key: "id"}}},
		"@1[-1]":               {Level: 1, Segs: []seg{{kind: segIndex, idx: -1}}},
		"fields.Story Points":  {Level: levelRoot, Segs: []seg{{kind: segKey, key: "fields"}, {kind: segKey, key: "Story Points"}}},
	} {
		got, err := ParsePath(in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", in, err)
			continue
		}
		if got.Level != want.Level || !reflect.DeepEqual(got.Segs, want.Segs) {
			t.Errorf("ParsePath(%q) = %+v, want %+v", in, got, want)
		}
	}
	for _, bad := range []string{"", "a..b", "a.", ".a", "a[", "a[x]", "a[1", `a["x]`, "a]", "@x", "@.", "a[-]", "a[*"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

// The planned decoder gives exactly what encoding/json gives for what it keeps.
func TestPlannedDecode(t *testing.T) {
	mp := jiraMapper(t)
	data := read(t, "testdata/issue-with-changelog.json")
	got, err := mp.plans["issues"].decode(data)
	if err != nil {
		t.Fatal(err)
	}
	fields := got.(map[string]any)["fields"].(map[string]any)
	if _, ok := fields["description"]; ok {
		t.Error("description is not mapped and must not be decoded")
	}
	if fields["summary"] != "Checkout fails for EU cards" || fields["customfield_10026"] != json.Number("5.0") {
		t.Errorf("fields %v", fields)
	}
	full, _ := decodeAll(data)
	kept, _ := keepAll.decode(data)
	if !reflect.DeepEqual(full, kept) {
		t.Error("keep-all decode differs from encoding/json")
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-02T10:00:00.000+0100", "2024-01-02", "1704189600123", "2024-01-02 10:00:00,5-05:30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Nanosecond()%int(time.Millisecond) != 0 {
			t.Fatalf("ParseTime(%q) = %v: not UTC at ms precision", s, got)
		}
		// Whatever RFC 3339 text the standard library reads, ParseTime reads the same.
		if std, err := time.Parse(time.RFC3339Nano, s); err == nil && !std.Truncate(time.Millisecond).Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, time.Parse = %v", s, got, std)
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b[0].c", `x["odd key"][*].y`, "@1.toString", "@[-1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		// A parsed path evaluates against any JSON without panicking.
		get(map[string]any{"a": []any{map[string]any{"b": "c"}}, "x": nil}, p.Segs)
	})
}

// FuzzDecodePayload checks the planned decoder against encoding/json: the same errors
// (valid or not) and, keeping everything, the same values.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(`{"id":"1","fields":{"summary":"a\u00e9\"b","n":-1.5e3,"l":[true,false,null,{}]}}`))
	f.Add([]byte(`[1, 2, "x"] `))
	f.Add([]byte(`{"a":"\xff\xfe","b":"\ud800"}`))
	f.Add([]byte(`{"changelog":{"histories":[{"id":"h","items":[{"field":"status"}]}]}}`))
	m, err := Parse("f.yaml", read(f, "testdata/jira.yaml"), nil)
	if err != nil {
		f.Fatal(err)
	}
	mp, err := m.Compile(jiraEnv)
	if err != nil {
		f.Fatal(err)
	}
	planned := mp.plans["issues"]
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := decodeAll(data)
		if !json.Valid(data) {
			wantErr = bytes.ErrTooLarge // any error: Valid is the reference for validity
		}
		got, err := keepAll.decode(data)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("keep-all: err %v, encoding/json: %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("keep-all: %#v, encoding/json: %#v", got, want)
		}
		// with an arena (maps reused, texts and lists boxed from per-record arrays),
		// twice over, so that a first record's leftovers would show in the second
		a := &decodeArena{}
		for range 2 {
			got, err := keepAll.decodeText(data, string(data), a)
			if (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("keep-all in an arena: %#v %v, encoding/json: %#v %v", got, err, want, wantErr)
			}
			a.release()
		}
		if _, err := planned.decode(data); (err == nil) != (wantErr == nil) {
			t.Fatalf("planned: err %v, encoding/json: %v", err, wantErr)
		}
		mp.Map(Record{Stream: "issues", NativeID: "1", Payload: data})
	})
}

func FuzzParse(f *testing.F) {
	f.Add(read(f, "testdata/jira.yaml"))
	f.Add([]byte("entities:\n  work_items:\n    stream: s\n    fields: {item_id: {template: '{a}{b}'}, a: {from: b}}\n"))
	f.Add([]byte("extends: default\nentities: {people: null}\n"))
	base, err := DefaultFor("jira", read(f, "testdata/jira.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("f.yaml", data, base)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		mp, err := m.Compile(testEnv)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		mp.Map(Record{Stream: "issues", NativeID: "1", Payload: read(t, "testdata/issue-with-changelog.json")})
	})
}

func TestJSONSchema(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]any
		Defs       map[string]struct {
			Properties map[string]struct {
				Description string
				Enum        []string
			}
			Required []string
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Properties["entities"] == nil || s.Defs["Field"].Properties["first_transition"].Description == "" {
		t.Errorf("schema lacks entities or field docs: %s", b)
	}
	if got := s.Defs["Field"].Properties["type"].Enum; len(got) != len(typeNames) {
		t.Errorf("type enum %v", got)
	}
	if !reflect.DeepEqual(s.Defs["Lookup"].Required, []string{"stream", "path", "by"}) {
		t.Errorf("lookup required %v", s.Defs["Lookup"].Required)
	}
}
