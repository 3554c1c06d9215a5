package mappings

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pmohub/pmohub/warehouse"
)

const minimalEntities = "entities:\n  people:\n    stream: users\n    fields: {person_id: {path: id}}\n"

func TestIdentityAliases(t *testing.T) {
	mp := compile(t, minimalEntities+`identities:
  aliases:
    - {canonical: ana.lima@acme.example, also: ["acme-gh:ana", "Ana@Old-Domain.com"]}
    - canonical: "jira:5b10a2844c20165700ede21g"
      also: bruno@acme.example
`)
	want := map[string]string{
		"acme-gh:ana":        "ana.lima@acme.example",
		"Ana@Old-Domain.com": "ana.lima@acme.example",
		"bruno@acme.example": "jira:5b10a2844c20165700ede21g",
	}
	got := mp.Aliases()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aliases %v, want %v", got, want)
	}
	got["x"] = "y" // a copy: the mapper is shared by concurrent runs
	if _, ok := mp.Aliases()["x"]; ok {
		t.Error("Aliases returned the mapper's own map")
	}
	for in, out := range map[string]string{
		"acme-gh:ana":           "ana.lima@acme.example",
		"ana@old-domain.com":    "ana.lima@acme.example", // emails vary in case
		" BRUNO@acme.example ":  "jira:5b10a2844c20165700ede21g",
		"ana.lima@acme.example": "ana.lima@acme.example", // canonical stays
		"acme-gh:zoe":           "acme-gh:zoe",           // no alias: itself
	} {
		if c := mp.CanonicalPerson(in); c != out {
			t.Errorf("CanonicalPerson(%q) = %q, want %q", in, c, out)
		}
	}
	if a := compile(t, minimalEntities).Aliases(); a == nil || len(a) != 0 {
		t.Errorf("no identities section: %v", a)
	}
}

func TestIdentityAliasProblems(t *testing.T) {
	got := problemsOf(t, minimalEntities+`identities:
  aliases:
    - {canonical: ana@acme.example, also: [ana@old.example, "", ANA@acme.example]}
    - {canonical: bo@acme.example, also: [Ana@Old.example, ana@acme.example]}
    - {canonical: ana@old.example, also: [x]}
    - {also: [y]}
    - {canonical: zed@acme.example}
`)
	wantProblems(t, got,
		"m.yaml:7:37: identities.aliases[0].also: empty alias",
		"m.yaml:7:37: identities.aliases[0].also: ANA@acme.example names itself",
		"m.yaml:8:36: identities.aliases[1].also: Ana@Old.example is already an alias of ana@acme.example (line 7)",
		"m.yaml:8:36: identities.aliases[1].also: ana@acme.example is the canonical identity of an alias entry (line 7)",
		"m.yaml:9:8: identities.aliases[2].canonical: ana@old.example is already an alias of ana@acme.example (line 7)",
		"m.yaml:10:7: identities.aliases[3].canonical: missing canonical",
		"m.yaml:11:7: identities.aliases[4].also: missing also: the other names of zed@acme.example",
	)
	got = problemsOf(t, minimalEntities+"identities:\n  alias: []\n")
	wantProblems(t, got, `m.yaml:6:3: identities.alias: unknown key "alias" (did you mean aliases?)`)
}

func TestIdentitiesExtendAndChanges(t *testing.T) {
	base, err := DefaultFor("jira", []byte(minimalEntities+"identities:\n  aliases: [{canonical: a@x.example, also: [\"gh:a\"]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want map[string]string
	}{
		{"extends: default\n", map[string]string{"gh:a": "a@x.example"}},
		{"extends: default\nidentities:\n  aliases: [{canonical: b@x.example, also: [\"gh:b\"]}]\n", map[string]string{"gh:b": "b@x.example"}},
		{"extends: default\nidentities: null\n", map[string]string{}},
	} {
		m, err := Parse("m.yaml", []byte(tc.text), base)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := m.Compile(testEnv)
		if err != nil {
			t.Fatal(err)
		}
		if got := mp.Aliases(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: aliases %v, want %v", tc.text, got, tc.want)
		}
		changed := strings.Join(Changes(base, m), "; ")
		if wantChange := len(tc.want) == 0 || tc.want["gh:b"] != ""; wantChange != strings.Contains(changed, "changed identities") {
			t.Errorf("%q: changes %q", tc.text, changed)
		}
	}
}

// People rows get canonical_id from the aliases, by identity or by e-mail.
func TestPeopleRowsCarryTheAliasCanonical(t *testing.T) {
	mp := compile(t, `version: 1
entities:
  people:
    stream: users
    fields:
      person_id:    {template: "{source}:{path:login}"}
      display_name: {path: name}
      email:        {path: email}
identities:
  aliases:
    - {canonical: ana.lima@acme.example, also: ["src:ana", "Ana@Old-Domain.com"]}
`)
	for payload, want := range map[string]string{
		`{"login":"ana","name":"Ana"}`:                            "email:ana.lima@acme.example",
		`{"login":"al","email":"ana@old-domain.com"}`:             "email:ana.lima@acme.example",
		`{"login":"zoe","email":"zoe@acme.example","name":"Zoe"}`: "",
	} {
		rows, probs := mp.Map(Record{Stream: "users", NativeID: "1", Payload: json.RawMessage(payload)})
		if len(rows) != 1 || len(probs) != 0 {
			t.Fatalf("%s: rows %v, problems %v", payload, rows, probs)
		}
		if got := rows[0].Values[warehouse.People.ColumnIndex("canonical_id")-len(warehouse.CanonicalHead)]; got != want {
			t.Errorf("%s: canonical_id %q, want %q", payload, got, want)
		}
	}
}
