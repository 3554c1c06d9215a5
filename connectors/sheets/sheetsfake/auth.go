package sheetsfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NewServiceAccount registers a service account and returns the JSON key file a client
// loads, with its token_uri pointed at tokenURI (the fake's URL + "/token"). The fake
// verifies the RS256 signature of the JWT grant as Google does.
func (f *Fake) NewServiceAccount(email, tokenURI string) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate service account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode service account key: %w", err)
	}
	f.mu.Lock()
	f.accounts[email] = &key.PublicKey
	f.mu.Unlock()
	return json.MarshalIndent(map[string]string{
		"type":           "service_account",
		"project_id":     "pmohub-fake",
		"private_key_id": "fake-key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   email,
		"client_id":      "100000000000000000001",
		"auth_uri":       "https://accounts.google.com/o/oauth2/auth",
		"token_uri":      tokenURI,
	}, "", "  ")
}

// serveToken is the OAuth 2.0 token endpoint for the JWT bearer grant.
func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, kind, desc string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": kind, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "invalid_request", "POST required")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		fail(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	iss, err := f.verifyJWT(r.PostForm.Get("assertion"))
	if err != nil {
		fail(http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	f.mu.Lock()
	f.tokenCounter++
	tok := "ya29.fake-" + strconv.Itoa(f.tokenCounter)
	f.tokens[tok] = true
	f.mu.Unlock()
	_ = iss
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

func (f *Fake) verifyJWT(assertion string) (string, error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("Invalid JWT: malformed")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("Invalid JWT: payload")
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Exp   int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("Invalid JWT: claims")
	}
	f.mu.Lock()
	pub, ok := f.accounts[claims.Iss].(*rsa.PublicKey)
	now := f.now()
	f.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("Invalid JWT Signature.")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", fmt.Errorf("Invalid JWT Signature.")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return "", fmt.Errorf("Invalid JWT Signature.")
	}
	// Google allows some clock skew; the fake's clock may be simulated, so only reject
	// tokens that expired long before it.
	if claims.Exp != 0 && time.Unix(claims.Exp, 0).Before(now.Add(-24*time.Hour)) {
		return "", fmt.Errorf("Invalid JWT: Token must be a short-lived token")
	}
	return claims.Iss, nil
}

// authorize accepts a bearer token issued by /token or a registered API key, answering as
// Google does otherwise.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.disableAuth {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if ok && f.tokens[tok] {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		googleError(w, http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.", "UNAUTHENTICATED")
		return false
	}
	if key := r.URL.Query().Get("key"); key != "" {
		if f.apiKeys[key] {
			return true
		}
		googleError(w, http.StatusBadRequest, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT")
		return false
	}
	googleError(w, http.StatusForbidden, "The request is missing a valid API key.", "PERMISSION_DENIED")
	return false
}
