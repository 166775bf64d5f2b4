package ui

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// Settings configure the dashboard.
type Settings struct {
	// GatewayURL is the gateway's base URL, e.g. http://127.0.0.1:8080.
	GatewayURL string
	// HTTPClient calls the gateway; nil uses a client with a 30 s timeout.
	HTTPClient *http.Client
	// SecureCookies marks cookies Secure; set it when the dashboard is served over HTTPS.
	SecureCookies bool
	Logger        *slog.Logger
}

// Server is the dashboard's HTTP handler.
type Server struct {
	gw            *apiclient.Client
	log           *slog.Logger
	sessions      *sessionStore
	views         *views
	static        fs.FS
	secureCookies bool
	handler       http.Handler
}

// New builds the dashboard. It fails only when the embedded templates do not parse.
func New(st Settings) (*Server, error) {
	if st.Logger == nil {
		st.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{
		gw:            apiclient.New(st.GatewayURL, st.HTTPClient),
		log:           st.Logger,
		sessions:      newSessionStore(),
		views:         v,
		static:        static,
		secureCookies: st.SecureCookies,
	}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(s.static))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /settings/language", s.setLanguage)

	viewer := func(h http.HandlerFunc) http.Handler { return s.requireRole(authv1.Role_ROLE_VIEWER, h) }
	operator := func(h http.HandlerFunc) http.Handler { return s.requireRole(authv1.Role_ROLE_OPERATOR, h) }
	admin := func(h http.HandlerFunc) http.Handler { return s.requireRole(authv1.Role_ROLE_ADMIN, h) }

	mux.Handle("POST /logout", viewer(s.logout))
	mux.Handle("GET /{$}", viewer(s.overview))

	mux.Handle("GET /instances", viewer(s.instanceList))
	mux.Handle("GET /instances/new", admin(s.instanceNew))
	mux.Handle("POST /instances", admin(s.instanceCreate))
	mux.Handle("GET /instances/{id}/edit", admin(s.instanceEdit))
	mux.Handle("POST /instances/{id}", admin(s.instanceUpdate))
	mux.Handle("GET /instances/{id}/delete", admin(s.instanceDeleteConfirm))
	mux.Handle("POST /instances/{id}/delete", admin(s.instanceDelete))
	mux.Handle("POST /instances/{id}/test", admin(s.instanceTest))

	mux.Handle("GET /configs", viewer(s.configList))
	mux.Handle("GET /configs/new", admin(s.configNew))
	mux.Handle("POST /configs", admin(s.configCreate))
	mux.Handle("GET /configs/{id}/edit", admin(s.configEdit))
	mux.Handle("POST /configs/{id}", admin(s.configUpdate))
	mux.Handle("GET /configs/{id}/delete", admin(s.configDeleteConfirm))
	mux.Handle("POST /configs/{id}/delete", admin(s.configDelete))
	mux.Handle("POST /configs/{id}/active", admin(s.configActive))
	mux.Handle("GET /configs/{id}/launch", operator(s.launchForm))
	mux.Handle("POST /configs/{id}/launch", operator(s.launch))

	mux.Handle("GET /jobs", viewer(s.history))
	mux.Handle("GET /jobs/{id}", viewer(s.jobShow))
	mux.Handle("GET /jobs/{id}/events", viewer(s.jobEvents))
	mux.Handle("GET /jobs/{id}/logs.txt", viewer(s.jobLogsText))
	mux.Handle("GET /jobs/{id}/logs.json", viewer(s.jobLogsJSON))
	mux.Handle("POST /jobs/{id}/cancel", operator(s.jobCancel))
	mux.Handle("POST /jobs/{id}/retry", operator(s.jobRetry))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "This page does not exist.")
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("refused a cross-origin request", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.renderForbidden(w, r, "This request came from another site and was refused.")
	}))
	return s.withRequest(cop.Handler(s.withCSRF(securityHeaders(mux))))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "+
			"script-src 'self'; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// reqInfo is what every handler needs about the request: language, time zone and the session if any.
type reqInfo struct {
	lang string
	loc  *time.Location
	sess *session
}

type reqKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(reqKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{lang: languages[0], loc: time.UTC}
}

func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &reqInfo{lang: pickLanguage(r), loc: pickLocation(r)}
		if c, err := r.Cookie(sessionCookie); err == nil {
			ri.sess = s.sessions.get(c.Value)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqKey{}, ri)))
	})
}

// requireRole sends anonymous visitors to the sign-in page and refuses users whose role is below min.
// The gateway refuses them as well; this keeps the answer readable and avoids a useless call.
func (s *Server) requireRole(min authv1.Role, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		if ri.sess == nil {
			redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()))
			return
		}
		if ri.sess.user.GetRole() < min {
			s.renderForbidden(w, r, "Your role does not allow this action.")
			return
		}
		h(w, r)
	})
}

// client returns the gateway client with the signed-in user's token.
func (s *Server) client(r *http.Request) *apiclient.Client {
	if sess := info(r).sess; sess != nil {
		return s.gw.WithToken(sess.token)
	}
	return s.gw
}
