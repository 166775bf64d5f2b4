package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

type loginData struct {
	Next     string
	Username string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if info(r).sess != nil {
		redirect(w, r, "/")
		return
	}
	s.render(w, r, "login", s.newPage(r, "Sign in", "", loginData{Next: safeNext(r.URL.Query().Get("next"))}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	username, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	p := s.newPage(r, "Sign in", "", loginData{Next: next, Username: username})
	resp, err := s.gw.Login(r.Context(), username, password)
	if err != nil {
		p.Status = http.StatusUnauthorized
		p.Alert = translate(p.Lang, "Wrong username or password.")
		if st := apiclient.StatusOf(err); st != http.StatusUnauthorized && st != http.StatusBadRequest {
			p.Status, p.Alert = describe(p.Lang, err)
			if errors.Is(err, apiclient.ErrUnreachable) {
				s.log.Warn("sign-in failed: gateway unreachable", "error", err)
			}
		}
		s.render(w, r, "login", p)
		return
	}
	expires := time.Now().Add(12 * time.Hour)
	if resp.GetExpireTime() != nil {
		expires = resp.GetExpireTime().AsTime()
	}
	user := resp.GetUser()
	if user == nil {
		if user, err = s.gw.WithToken(resp.GetToken()).Me(r.Context()); err != nil {
			p.Status, p.Alert = describe(p.Lang, err)
			s.render(w, r, "login", p)
			return
		}
	}
	sess := s.sessions.create(resp.GetToken(), user, expires)
	s.setSessionCookie(w, sess)
	s.log.Info("user signed in", "username", user.GetUsername(), "role", user.GetRole().String())
	redirect(w, r, next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess := info(r).sess; sess != nil {
		if err := s.gw.WithToken(sess.token).Logout(r.Context()); err != nil {
			s.log.Debug("gateway logout failed; the session is dropped anyway", "error", err)
		}
		s.sessions.delete(sess.id)
	}
	s.clearSessionCookie(w)
	redirect(w, r, "/login")
}

// setLanguage stores the chosen language in a cookie and returns to the page the switch was on.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	if lang := r.PostFormValue("lang"); supported(lang) {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
		})
	}
	redirect(w, r, safeNext(r.PostFormValue("next")))
}

// safeNext keeps redirects on this site: only absolute paths, never "//host" or a scheme.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
