package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

const tokenCookie = "pmohub_token"

// auth lets a request through when no token is configured, or when it carries the token:
// as a bearer token, or as the cookie the sign-in form sets. The token never appears in
// logs or URLs the server writes.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.opt.Token == "" {
		return next
	}
	want := []byte(s.opt.Token)
	ok := func(got string) bool { return got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bearer, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && ok(bearer) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(tokenCookie); err == nil && ok(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		// the dashboard's sign-in form posts the token once; it is kept in an HttpOnly cookie
		if r.Method == http.MethodPost && r.URL.Path == "/signin" {
			if ok(r.PostFormValue("token")) {
				http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.opt.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" || r.URL.Path == "/healthz" || r.Method != http.MethodGet {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pmohub"`)
			writeError(w, http.StatusUnauthorized, "this server needs its access token: send Authorization: Bearer <token>")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(signinPage))
	})
}

const signinPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pmohub · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>body{font:16px system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;background:#f5f6f8;color:#1c2230}form{display:grid;gap:.6rem;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0001}input,button{font:inherit;padding:.5rem .7rem;border-radius:8px;border:1px solid #c8cdd6}button{background:#2d5bd7;color:#fff;border:0}</style></head>
<body class="signin"><main><h1>pmohub</h1><form method="post" action="/signin">
<label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form></main></body></html>`
