// Package alerttest holds an in-process SMTP server (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA) and a webhook
// receiver for tests of alerts. Tests only: it trusts nothing and keeps everything in memory.
package alerttest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/internal/alert"
)

// Mail is one received message.
type Mail struct {
	From     string
	To       []string
	Data     string
	TLS      bool   // the message came after STARTTLS
	AuthUser string // the PLAIN identity, when the client authenticated
}

// SMTP is a minimal SMTP server with STARTTLS and AUTH PLAIN.
type SMTP struct {
	Addr    string
	CertPEM []byte // the server certificate, to trust it
	Pool    *x509.CertPool
	// Username and Password are required when set; AUTH before STARTTLS is refused.
	Username, Password string

	ln   net.Listener
	tls  *tls.Config
	mu   sync.Mutex
	mail []Mail
}

// StartSMTP starts a server on 127.0.0.1 with a fresh self-signed certificate for 127.0.0.1; it stops with t.
func StartSMTP(t testing.TB, username, password string) *SMTP {
	t.Helper()
	certPEM, cert := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	s := &SMTP{Addr: ln.Addr().String(), CertPEM: certPEM, Pool: pool, Username: username, Password: password, ln: ln,
		tls: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// Mails returns the messages received so far.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

func (s *SMTP) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *SMTP) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r, w := bufio.NewReader(c), c
	say := func(line string) { _, _ = io.WriteString(w, line+"\r\n") }
	var m Mail
	secure, authed := false, s.Username == ""
	say("220 alerttest ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			if secure {
				say("250-alerttest")
				say("250 AUTH PLAIN")
			} else {
				say("250-alerttest")
				say("250 STARTTLS")
			}
		case cmd == "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, w, secure = tc, bufio.NewReader(tc), tc, true
			m = Mail{}
		case strings.HasPrefix(cmd, "AUTH PLAIN"):
			if !secure {
				say("538 encryption required")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len("AUTH PLAIN"):]))
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.Username && parts[2] == s.Password {
				authed, m.AuthUser = true, parts[1]
				say("235 ok")
			} else {
				say("535 bad credentials")
			}
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			if !authed {
				say("530 authentication required")
				continue
			}
			m.From, m.TLS = strings.Trim(line[len("MAIL FROM:"):], "<> "), secure
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.To = append(m.To, strings.Trim(line[len("RCPT TO:"):], "<> "))
			say("250 ok")
		case cmd == "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = b.String()
			s.mu.Lock()
			s.mail = append(s.mail, m)
			s.mu.Unlock()
			m = Mail{AuthUser: m.AuthUser}
			say("250 queued")
		case cmd == "RSET", cmd == "NOOP":
			say("250 ok")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func selfSigned(t testing.TB) ([]byte, tls.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return certPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Hook is a received webhook call.
type Hook struct {
	Body      []byte
	Signature string
	Valid     bool // the signature matches the secret
}

// Webhook records webhook calls; the first Fail calls answer 503.
type Webhook struct {
	URL    string
	Secret string
	Fail   int

	mu    sync.Mutex
	calls int
	hooks []Hook
}

// StartWebhook starts a receiver that checks signatures with secret; it stops with t.
func StartWebhook(t testing.TB, secret string, fail int) *Webhook {
	wh := &Webhook{Secret: secret, Fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh.mu.Lock()
		defer wh.mu.Unlock()
		wh.calls++
		if wh.calls <= wh.Fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		sig := r.Header.Get(alert.SignatureHeader)
		wh.hooks = append(wh.hooks, Hook{Body: body, Signature: sig, Valid: alert.Verify(secret, body, sig)})
	}))
	t.Cleanup(srv.Close)
	wh.URL = srv.URL
	return wh
}

// Hooks returns the accepted calls.
func (w *Webhook) Hooks() []Hook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Hook(nil), w.hooks...)
}

// Calls counts every call, refused ones included.
func (w *Webhook) Calls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls
}
