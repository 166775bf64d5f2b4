package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

//go:embed templates static
var assets embed.FS

// views holds the parsed templates: one set per language (the "t" function is bound at parse time) and,
// inside it, one template per page, each with the layout and every partial, as Miniflux's engine does.
type views struct {
	pages    map[string]map[string]*template.Template // lang → page → template
	partials map[string]*template.Template            // lang → layout and partials only
}

func parseViews() (*views, error) {
	v := &views{pages: map[string]map[string]*template.Template{}, partials: map[string]*template.Template{}}
	pageFiles, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, lang := range languages {
		base, err := template.New("").Funcs(funcs(lang)).ParseFS(assets, "templates/layouts/*.html", "templates/partials/*.html")
		if err != nil {
			return nil, fmt.Errorf("parse layout and partials: %w", err)
		}
		v.partials[lang] = base
		v.pages[lang] = map[string]*template.Template{}
		for _, f := range pageFiles {
			t, err := template.Must(base.Clone()).ParseFS(assets, f)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", f, err)
			}
			v.pages[lang][strings.TrimSuffix(path.Base(f), ".html")] = t
		}
	}
	return v, nil
}

// page is the root value of every template.
type page struct {
	Title  string
	Nav    string
	User   *authv1.User
	CSRF   string
	Lang   string
	Loc    *time.Location
	Path   string
	Flash  string
	Alert  string // a readable error shown above the content
	Status int
	Data   any
}

// CanOperate says whether the user may launch, cancel and retry jobs.
func (p *page) CanOperate() bool { return p.User.GetRole() >= authv1.Role_ROLE_OPERATOR }

// IsAdmin says whether the user may change instances and configurations.
func (p *page) IsAdmin() bool { return p.User.GetRole() >= authv1.Role_ROLE_ADMIN }

// newPage fills the request-wide fields of a page.
func (s *Server) newPage(r *http.Request, title, nav string, data any) *page {
	ri := info(r)
	p := &page{Title: title, Nav: nav, CSRF: csrfToken(r.Context()), Lang: ri.lang, Loc: ri.loc, Path: r.URL.RequestURI(), Data: data}
	if ri.sess != nil {
		p.User = ri.sess.user
	}
	if f := r.URL.Query().Get("flash"); flashes[f] {
		p.Flash = f
	}
	return p
}

// render writes a page: the whole layout, or only its "content" block for an htmx request.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	t, ok := s.views.pages[p.Lang][name]
	if !ok {
		s.log.Error("unknown page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	root := "layout"
	if isHTMX(r) {
		root = "content"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, root, p); err != nil {
		s.log.Error("render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "HX-Request")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, _ = buf.WriteTo(w)
}

// renderPartial executes one partial template into a string.
func (s *Server) renderPartial(lang, name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := s.views.partials[lang].ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}

// writePartial answers an htmx request with one partial.
func (s *Server) writePartial(w http.ResponseWriter, r *http.Request, name string, data any) {
	html, err := s.renderPartial(info(r).lang, name, data)
	if err != nil {
		s.log.Error("render partial", "partial", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(html))
}

// renderError shows a readable error page (or an alert fragment for htmx) with status.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.newPage(r, "Error", "", nil)
	p.Alert, p.Status = translate(p.Lang, msg), status
	if isHTMX(r) {
		w.WriteHeader(status)
		s.writePartialTo(w, r, "alert", p)
		return
	}
	s.render(w, r, "error", p)
}

func (s *Server) writePartialTo(w http.ResponseWriter, r *http.Request, name string, data any) {
	html, err := s.renderPartial(info(r).lang, name, data)
	if err != nil {
		s.log.Error("render partial", "partial", name, "error", err)
		return
	}
	_, _ = w.Write([]byte(html))
}

func (s *Server) renderForbidden(w http.ResponseWriter, r *http.Request, msg string) {
	s.renderError(w, r, http.StatusForbidden, msg)
}

// fail turns a gateway error into what the user should see: the sign-in page when the token is no longer
// valid, otherwise an error page with a readable message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apiclient.IsUnauthenticated(err) {
		if sess := info(r).sess; sess != nil {
			s.sessions.delete(sess.id)
		}
		s.clearSessionCookie(w)
		redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()))
		return
	}
	status, msg := describe(info(r).lang, err)
	if status >= 500 {
		s.log.Warn("gateway call failed", "path", r.URL.Path, "error", err)
	}
	s.renderError(w, r, status, msg)
}

// describe maps a gateway error to an HTTP status and a message an administrator can act on.
func describe(lang string, err error) (int, string) {
	var ge *apiclient.Error
	switch {
	case errors.Is(err, apiclient.ErrUnreachable):
		return http.StatusBadGateway, translate(lang, "The dhis2sync gateway cannot be reached. Check that it is running, then reload this page.")
	case errors.Is(err, apiclient.ErrMalformed):
		return http.StatusBadGateway, translate(lang, "The dhis2sync gateway sent an answer the dashboard does not understand. Check that both run the same version.")
	case errors.As(err, &ge):
		switch {
		case ge.HTTPStatus == http.StatusForbidden:
			return http.StatusForbidden, translate(lang, "Your role does not allow this action.")
		case ge.HTTPStatus == http.StatusNotFound:
			return http.StatusNotFound, translate(lang, "This object does not exist (it may have been deleted).")
		case ge.HTTPStatus >= 500:
			return http.StatusBadGateway, translate(lang, "The dhis2sync gateway reported an error:") + " " + ge.Message
		default:
			return ge.HTTPStatus, ge.Message
		}
	}
	return http.StatusInternalServerError, translate(lang, "Something went wrong.")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
