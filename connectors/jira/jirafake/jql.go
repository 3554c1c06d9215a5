package jirafake

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A small JQL: clauses on project, key/issuekey, id, updated, created, status, type,
// labels, combined with AND/OR/NOT and parentheses, and ORDER BY. Enough for what the
// connector sends and for the JQL an admin typically configures; anything else answers
// 400 like Jira does.

type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

type expr interface {
	match(s *Server, is *Issue) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }
type notExpr struct{ e expr }
type clause struct {
	field, op string
	values    []string
	times     []time.Time
}

func (e andExpr) match(s *Server, is *Issue) bool { return e.l.match(s, is) && e.r.match(s, is) }
func (e orExpr) match(s *Server, is *Issue) bool  { return e.l.match(s, is) || e.r.match(s, is) }
func (e notExpr) match(s *Server, is *Issue) bool { return !e.e.match(s, is) }

type order struct {
	field string
	desc  bool
}

type query struct {
	where expr // nil matches everything
	order []order
}

type lexer struct {
	toks []string
	pos  int
}

func lex(q string) ([]string, error) {
	var toks []string
	r := []rune(q)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(r) && r[j] != c; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, &jqlError{"Error in the JQL Query: The quoted string '" + string(r[i+1:]) + "' has not been completed."}
			}
			toks = append(toks, "\x00"+b.String()) // quoted marker
			i = j + 1
		case strings.ContainsRune("=!<>~", c):
			j := i + 1
			for j < len(r) && strings.ContainsRune("=!<>~", r[j]) {
				j++
			}
			toks = append(toks, string(r[i:j]))
			i = j
		default:
			j := i
			for j < len(r) && !unicode.IsSpace(r[j]) && !strings.ContainsRune("()=,!<>~\"'", r[j]) {
				j++
			}
			toks = append(toks, string(r[i:j]))
			i = j
		}
	}
	return toks, nil
}

func (l *lexer) peek() string {
	if l.pos < len(l.toks) {
		return l.toks[l.pos]
	}
	return ""
}

func (l *lexer) next() string { t := l.peek(); l.pos++; return t }

func kw(t, word string) bool { return !strings.HasPrefix(t, "\x00") && strings.EqualFold(t, word) }

func parseJQL(s *Server, q string, loc *time.Location) (*query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	l := &lexer{toks: toks}
	out := &query{}
	if l.peek() != "" && !kw(l.peek(), "order") {
		if out.where, err = parseOr(s, l, loc); err != nil {
			return nil, err
		}
	}
	if kw(l.peek(), "order") {
		l.next()
		if !kw(l.next(), "by") {
			return nil, &jqlError{"Error in the JQL Query: Expecting 'by' but got end of query."}
		}
		for {
			f := strings.ToLower(l.next())
			if !slices.Contains([]string{"updated", "created", "id", "key", "issuekey"}, f) {
				return nil, &jqlError{fmt.Sprintf("Not able to sort using field '%s'.", f)}
			}
			o := order{field: f}
			if kw(l.peek(), "asc") || kw(l.peek(), "desc") {
				o.desc = kw(l.next(), "desc")
			}
			out.order = append(out.order, o)
			if l.peek() != "," {
				break
			}
			l.next()
		}
	}
	if l.peek() != "" {
		return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting either 'OR' or 'AND' but got '%s'.", strings.TrimPrefix(l.peek(), "\x00"))}
	}
	return out, nil
}

func parseOr(s *Server, l *lexer, loc *time.Location) (expr, error) {
	left, err := parseAnd(s, l, loc)
	for err == nil && kw(l.peek(), "or") {
		l.next()
		var right expr
		right, err = parseAnd(s, l, loc)
		left = orExpr{left, right}
	}
	return left, err
}

func parseAnd(s *Server, l *lexer, loc *time.Location) (expr, error) {
	left, err := parseUnary(s, l, loc)
	for err == nil && kw(l.peek(), "and") {
		l.next()
		var right expr
		right, err = parseUnary(s, l, loc)
		left = andExpr{left, right}
	}
	return left, err
}

func parseUnary(s *Server, l *lexer, loc *time.Location) (expr, error) {
	switch t := l.peek(); {
	case kw(t, "not"):
		l.next()
		e, err := parseUnary(s, l, loc)
		return notExpr{e}, err
	case t == "(":
		l.next()
		e, err := parseOr(s, l, loc)
		if err == nil && l.next() != ")" {
			err = &jqlError{"Error in the JQL Query: Expecting ')' before the end of the query."}
		}
		return e, err
	case t == "":
		return nil, &jqlError{"Error in the JQL Query: Expecting a field name but got the end of the query."}
	}
	return parseClause(s, l, loc)
}

var fieldAliases = map[string]string{
	"project": "project", "key": "key", "issuekey": "key", "id": "id", "updated": "updated",
	"updateddate": "updated", "created": "created", "createddate": "created", "status": "status",
	"type": "type", "issuetype": "type", "labels": "labels",
}

func parseClause(s *Server, l *lexer, loc *time.Location) (expr, error) {
	raw := strings.TrimPrefix(l.next(), "\x00")
	field, ok := fieldAliases[strings.ToLower(raw)]
	if !ok {
		return nil, &jqlError{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", raw)}
	}
	op := strings.ToLower(l.next())
	if op == "not" && kw(l.peek(), "in") {
		l.next()
		op = "not in"
	}
	switch op {
	case "=", "!=", ">", ">=", "<", "<=", "in", "not in", "~":
	default:
		return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting operator but got '%s'.", op)}
	}
	c := &clause{field: field, op: op}
	if op == "in" || op == "not in" {
		if l.next() != "(" {
			return nil, &jqlError{"Error in the JQL Query: Expecting '(' after 'in'."}
		}
		for {
			v := l.next()
			if v == "" {
				return nil, &jqlError{"Error in the JQL Query: Expecting ')' before the end of the query."}
			}
			c.values = append(c.values, strings.TrimPrefix(v, "\x00"))
			if sep := l.next(); sep == ")" {
				break
			} else if sep != "," {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting ',' or ')' but got '%s'.", sep)}
			}
		}
	} else {
		v := l.next()
		if v == "" || v == "(" || v == ")" {
			return nil, &jqlError{"Error in the JQL Query: Expecting either a value, list or function but got the end of the query."}
		}
		c.values = []string{strings.TrimPrefix(v, "\x00")}
	}
	switch field {
	case "updated", "created":
		for _, v := range c.values {
			t, err := parseJQLTime(v, loc)
			if err != nil {
				return nil, &jqlError{fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", v, raw)}
			}
			c.times = append(c.times, t)
		}
	case "project":
		for i, v := range c.values {
			p := s.projectByKeyOrID(v)
			if p == nil {
				return nil, &jqlError{fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v, raw)}
			}
			c.values[i] = p.Key
		}
	}
	return c, nil
}

func parseJQLTime(v string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", v)
}

func (s *Server) projectByKeyOrID(v string) *Project {
	for _, p := range s.projects {
		if strings.EqualFold(p.Key, v) || p.ID == v {
			return p
		}
	}
	return nil
}

func (c *clause) match(s *Server, is *Issue) bool {
	switch c.field {
	case "updated", "created":
		t := is.Updated
		if c.field == "created" {
			t = is.Created
		}
		t = t.Truncate(time.Minute) // JQL compares at minute precision
		for _, want := range c.times {
			if cmpTime(c.op, t, want) {
				return c.op != "not in" && c.op != "!="
			}
		}
		return c.op == "not in" || c.op == "!="
	case "id":
		return c.matchValues(strconv.Itoa(is.ID), func(v string) int {
			n, _ := strconv.Atoi(v)
			return is.ID - n
		})
	}
	var have []string
	switch c.field {
	case "project":
		have = []string{is.ProjectKey}
	case "key":
		have = []string{is.Key}
	case "status":
		st := s.status(is.StatusID)
		have = []string{st.Name, st.ID}
	case "type":
		have = []string{is.Type}
	case "labels":
		have = is.Labels
	}
	hit := false
	for _, h := range have {
		for _, v := range c.values {
			if strings.EqualFold(h, v) || (c.op == "~" && strings.Contains(strings.ToLower(h), strings.ToLower(v))) {
				hit = true
			}
		}
	}
	if c.op == "!=" || c.op == "not in" {
		return !hit
	}
	return hit
}

func (c *clause) matchValues(have string, cmp func(string) int) bool {
	switch c.op {
	case "=", "in":
		return slices.Contains(c.values, have)
	case "!=", "not in":
		return !slices.Contains(c.values, have)
	}
	d := cmp(c.values[0])
	switch c.op {
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	}
	return false
}

func cmpTime(op string, have, want time.Time) bool {
	switch op {
	case "=", "in":
		return have.Equal(want)
	case "!=", "not in":
		return have.Equal(want)
	case ">":
		return have.After(want)
	case ">=":
		return !have.Before(want)
	case "<":
		return have.Before(want)
	case "<=":
		return !have.After(want)
	}
	return false
}

// run evaluates a query over all issues, sorted; results are cached per data version so
// paging through a large result does not re-sort it for every page.
func (s *Server) run(jql string) ([]*Issue, error) {
	if s.cacheVer != s.version {
		s.cache, s.cacheVer = map[string][]*Issue{}, s.version
	}
	if hit, ok := s.cache[jql]; ok {
		return hit, nil
	}
	q, err := parseJQL(s, jql, s.loc())
	if err != nil {
		return nil, err
	}
	var out []*Issue
	for _, is := range s.issues {
		if q.where == nil || q.where.match(s, is) {
			out = append(out, is)
		}
	}
	ord := q.order
	if len(ord) == 0 {
		ord = []order{{field: "key", desc: true}}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, o := range ord {
			var c int
			switch o.field {
			case "updated":
				c = a.Updated.Compare(b.Updated)
			case "created":
				c = a.Created.Compare(b.Created)
			case "id":
				c = a.ID - b.ID
			case "key", "issuekey":
				c = strings.Compare(a.Key, b.Key)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return a.ID < b.ID
	})
	s.cache[jql] = out
	return out, nil
}
