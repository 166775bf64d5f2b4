package ui

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
)

const sessionCookie = "dhis2sync_session"

// session is a signed-in user: the gateway token never leaves the server; the browser holds only an
// opaque random id in an HttpOnly, SameSite=Lax cookie.
type session struct {
	id      string
	token   string
	user    *authv1.User
	expires time.Time
}

// sessionStore keeps sessions in memory: a restart signs everyone out, which is acceptable for an
// administration dashboard and keeps gateway tokens off disk.
type sessionStore struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessionStore() *sessionStore { return &sessionStore{m: map[string]*session{}} }

func (st *sessionStore) create(token string, user *authv1.User, expires time.Time) *session {
	s := &session{id: randomString(32), token: token, user: user, expires: expires}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	for id, old := range st.m {
		if now.After(old.expires) {
			delete(st.m, id)
		}
	}
	st.m[s.id] = s
	return s
}

func (st *sessionStore) get(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[id]
	if !ok {
		return nil
	}
	if time.Now().After(s.expires) {
		delete(st.m, id)
		return nil
	}
	return s
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, id)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, sess *session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sess.id, Path: "/", Expires: sess.expires,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
