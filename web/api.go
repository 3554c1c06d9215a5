package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pmohub/pmohub/sync/scheduler"
	"github.com/pmohub/pmohub/warehouse/metrics"
)

// api serves /api/v1: JSON in, JSON out, errors as {"error": "..."}.
type api struct {
	r     *metrics.Reader
	sched interface{ Status() []scheduler.JobStatus }
	log   *slog.Logger
}

func (a *api) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/portfolio", a.portfolio)
	mux.HandleFunc("GET /api/v1/projects/{id...}", a.project)
	mux.HandleFunc("GET /api/v1/metrics", a.metricNames)
	mux.HandleFunc("GET /api/v1/metrics/{name}", a.metric)
	mux.HandleFunc("GET /api/v1/items", a.items)
	mux.HandleFunc("GET /api/v1/sources", a.sources)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

func (a *api) portfolio(w http.ResponseWriter, r *http.Request) {
	p, err := a.r.Portfolio(r.Context())
	a.reply(w, r, p, err)
}

func (a *api) project(w http.ResponseWriter, r *http.Request) {
	d, err := a.r.Project(r.Context(), r.PathValue("id"))
	a.reply(w, r, d, err)
}

func (a *api) metricNames(w http.ResponseWriter, r *http.Request) {
	a.reply(w, r, map[string]any{"metrics": metrics.Names()}, nil)
}

func (a *api) metric(w http.ResponseWriter, r *http.Request) {
	q, err := MetricQuery(r.URL.Query())
	if err != nil {
		a.reply(w, r, nil, err)
		return
	}
	v, err := a.r.Metric(r.Context(), r.PathValue("name"), q)
	a.reply(w, r, map[string]any{"metric": r.PathValue("name"), "project": q.Project, "scope": q.Scope, "value": v}, err)
}

// MetricQuery reads project, scope, from, to (YYYY-MM-DD or RFC 3339) and interval.
func MetricQuery(v url.Values) (metrics.Query, error) {
	q := metrics.Query{Project: v.Get("project"), Scope: v.Get("scope"), Interval: v.Get("interval")}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, s); err != nil {
				return q, &metrics.BadQueryError{Msg: p.name + ": use YYYY-MM-DD or an RFC 3339 time"}
			}
		}
		*p.to = t.UTC()
	}
	return q, nil
}

func (a *api) items(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := metrics.ItemQuery{Project: v.Get("project"), Scope: v.Get("scope"), StatusCategory: v.Get("status_category")}
	var err error
	if q.Stale, err = boolParam(v, "stale"); err == nil {
		q.Overdue, err = boolParam(v, "overdue")
	}
	if err == nil {
		q.Limit, err = intParam(v, "limit")
	}
	if err == nil {
		q.Offset, err = intParam(v, "offset")
	}
	if err != nil {
		a.reply(w, r, nil, err)
		return
	}
	switch q.StatusCategory {
	case "", "todo", "in_progress", "done", "cancelled":
	default:
		a.reply(w, r, nil, &metrics.BadQueryError{Msg: "status_category: use todo, in_progress, done or cancelled"})
		return
	}
	page, err := a.r.Items(r.Context(), q)
	out := struct {
		metrics.ItemPage
		Next string `json:"next,omitempty"`
	}{ItemPage: page}
	if err == nil && uint64(page.Offset+len(page.Items)) < page.Total {
		v.Set("offset", strconv.Itoa(page.Offset+len(page.Items)))
		v.Set("limit", strconv.Itoa(page.Limit))
		out.Next = "/api/v1/items?" + v.Encode()
	}
	a.reply(w, r, out, err)
}

func (a *api) sources(w http.ResponseWriter, r *http.Request) {
	s, err := a.r.Sources(r.Context())
	out := map[string]any{"sources": s}
	if a.sched != nil {
		out["schedule"] = a.sched.Status()
	}
	a.reply(w, r, out, err)
}

func boolParam(v url.Values, name string) (*bool, error) {
	s := v.Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, &metrics.BadQueryError{Msg: name + ": use true or false"}
	}
	return &b, nil
}

func intParam(v url.Values, name string) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, &metrics.BadQueryError{Msg: name + ": use a whole number ≥ 0"}
	}
	return n, nil
}

// reply writes v as JSON, or the error with the status it deserves. Internal errors are
// logged in full and answered briefly: their text can hold SQL.
func (a *api) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	var bad *metrics.BadQueryError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		if e := enc.Encode(v); e != nil {
			a.log.Warn("writing a response", "path", r.URL.Path, "err", e)
		}
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, bad.Msg)
	case errors.Is(err, metrics.ErrNoProject), errors.Is(err, metrics.ErrUnknownMetric):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, context.Canceled):
		// the client went away
	default:
		a.log.Error("api request failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: the server log has the details")
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
