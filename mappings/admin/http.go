package admin

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/pmohub/pmohub/mappings"
	pmosync "github.com/pmohub/pmohub/sync"
)

//go:embed ui
var uiFiles embed.FS

// maxBody bounds a request body: a mapping file is a few kilobytes.
const maxBody = 1 << 20

// Handler serves the HTTP API under /api/v1/mappings/ and the admin page under
// /admin/mappings. Mount it for both prefixes; authentication is the server's job. who
// names the user for the history (nil: the X-Pmohub-User header, else "api").
//
//	GET  /api/v1/mappings/schema                         JSON Schema of the format
//	GET  /api/v1/mappings/sources                        sources and their mapping in force
//	GET  /api/v1/mappings/sources/{source}               the mapping text in force
//	POST /api/v1/mappings/sources/{source}/validate      {text}: problems
//	POST /api/v1/mappings/sources/{source}/preview       {text, limit}: rows, diff, unmapped
//	POST /api/v1/mappings/sources/{source}/apply         {text, note}: applied version
//	GET  /api/v1/mappings/sources/{source}/history       versions, newest first
//	GET  /api/v1/mappings/sources/{source}/history/{v}   one version with its text
//	POST /api/v1/mappings/sources/{source}/rollback      {to}: 0 is the previous version
func (s *Service) Handler(who func(*http.Request) string) http.Handler {
	if who == nil {
		who = func(r *http.Request) string {
			if u := r.Header.Get("X-Pmohub-User"); u != "" {
				return u
			}
			return "api"
		}
	}
	mux := http.NewServeMux()
	const api = "/api/v1/mappings"
	mux.HandleFunc("GET "+api+"/schema", func(w http.ResponseWriter, r *http.Request) {
		b, err := mappings.JSONSchema()
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/schema+json")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET "+api+"/sources", func(w http.ResponseWriter, r *http.Request) {
		out, err := s.Sources(r.Context())
		reply(w, out, err)
	})
	mux.HandleFunc("GET "+api+"/sources/{source}", func(w http.ResponseWriter, r *http.Request) {
		out, err := s.Current(r.Context(), r.PathValue("source"))
		reply(w, out, err)
	})
	mux.HandleFunc("POST "+api+"/sources/{source}/validate", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Text string }
		if !readJSON(w, r, &in) {
			return
		}
		out, err := s.Validate(r.Context(), r.PathValue("source"), []byte(in.Text))
		reply(w, out, err)
	})
	mux.HandleFunc("POST "+api+"/sources/{source}/preview", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Text  *string
			Limit int
		}
		if !readJSON(w, r, &in) {
			return
		}
		var text []byte
		if in.Text != nil {
			text = []byte(*in.Text)
		}
		out, err := s.Preview(r.Context(), r.PathValue("source"), text, in.Limit)
		reply(w, out, err)
	})
	mux.HandleFunc("POST "+api+"/sources/{source}/apply", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Text, Note string }
		if !readJSON(w, r, &in) {
			return
		}
		out, err := s.Apply(r.Context(), r.PathValue("source"), []byte(in.Text), who(r), in.Note)
		reply(w, out, err)
	})
	mux.HandleFunc("GET "+api+"/sources/{source}/history", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.source(r.PathValue("source")); err != nil {
			writeError(w, err)
			return
		}
		out, err := History(r.Context(), s.wh, r.PathValue("source"))
		if out == nil {
			out = []Version{}
		}
		reply(w, out, err)
	})
	mux.HandleFunc("GET "+api+"/sources/{source}/history/{version}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseUint(r.PathValue("version"), 10, 32)
		if err != nil {
			http.Error(w, `{"error":"version must be a number"}`, http.StatusBadRequest)
			return
		}
		v, ok, err := VersionText(r.Context(), s.wh, r.PathValue("source"), uint32(n))
		if err == nil && !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "no such version"})
			return
		}
		reply(w, v, err)
	})
	mux.HandleFunc("POST "+api+"/sources/{source}/rollback", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ To uint32 }
		if !readJSON(w, r, &in) {
			return
		}
		out, err := s.Rollback(r.Context(), r.PathValue("source"), in.To, who(r))
		reply(w, out, err)
	})
	ui, _ := fs.Sub(uiFiles, "ui")
	static := http.StripPrefix("/admin/mappings/", http.FileServerFS(ui))
	mux.HandleFunc("GET /admin/mappings", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/mappings/", http.StatusMovedPermanently)
	})
	mux.Handle("GET /admin/mappings/", securityHeaders(static))
	return mux
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// readJSON decodes a JSON body. Requiring the JSON content type keeps plain HTML forms
// on other sites from posting here (they cannot set it without a CORS preflight).
func readJSON(w http.ResponseWriter, r *http.Request, into any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "send application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(into); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad request body: " + err.Error()})
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	body := map[string]any{"error": err.Error()}
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		status = http.StatusUnprocessableEntity
		body["problems"] = Problems(inv.Problems)
	case errors.Is(err, ErrUnknownSource):
		status = http.StatusNotFound
	case errors.Is(err, pmosync.ErrBusy):
		status = http.StatusConflict
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
