package dhis2

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Outbound is the process-wide policy for every call to DHIS2: which hosts may be reached, whether private
// addresses may, which certificate authorities are trusted, and how long calls may take. A service sets it once
// at start (Configure), before it creates any Client; the zero value allows every host and trusts the system's
// roots.
type Outbound struct {
	// AllowedHosts lists the DHIS2 host names that may be reached: exact names, or "*.example.org" for every
	// subdomain. Empty allows any host.
	AllowedHosts []string
	// DenyPrivate refuses loopback, private (RFC 1918, fc00::/7), link-local, CGNAT and unspecified addresses.
	// It is checked on the resolved address when connecting, so a public name that resolves to a private
	// address, or a redirect to one, is refused too.
	DenyPrivate bool
	// RootCAs replaces the system's trusted roots when set (see LoadCAFile). Certificate verification is on
	// for every instance that an administrator has not explicitly marked as self-signed.
	RootCAs *x509.CertPool
	// RequestTimeout and ImportTimeout override the defaults of Timeouts.Request and Timeouts.Import for
	// clients that do not set them.
	RequestTimeout, ImportTimeout time.Duration
}

var outbound atomic.Pointer[Outbound]

// Configure sets the process-wide outbound policy.
func Configure(o Outbound) {
	for i, h := range o.AllowedHosts {
		o.AllowedHosts[i] = strings.ToLower(strings.TrimSpace(h))
	}
	outbound.Store(&o)
}

func currentOutbound() *Outbound {
	if o := outbound.Load(); o != nil {
		return o
	}
	return &Outbound{}
}

// LoadCAFile returns the system's roots plus the certificates of a PEM file, for DHIS2 servers whose
// certificate a private certificate authority signed.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the CA bundle %s: %w", path, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA bundle %s holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks", path)
	}
	return pool, nil
}

// CheckHost says whether the policy lets dhis2sync reach a base URL's host, with an error that names the
// setting to change when it does not. Addresses written as IP literals are checked against DenyPrivate here;
// names are checked again on their resolved address when connecting.
func CheckHost(u *url.URL) error {
	o := currentOutbound()
	host := strings.ToLower(u.Hostname())
	if len(o.AllowedHosts) > 0 && !hostAllowed(o.AllowedHosts, host) {
		return invalidInput("check host", "the host %q is not in the allow-list DHIS2SYNC_DHIS2_ALLOWED_HOSTS (%s): "+
			"ask the operator to add it, or use an allowed DHIS2", host, strings.Join(o.AllowedHosts, ", "))
	}
	if o.DenyPrivate {
		if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && privateAddr(ip) {
			return invalidInput("check host", "the address %s is loopback or private, and DHIS2SYNC_DHIS2_DENY_PRIVATE "+
				"forbids such addresses: use the DHIS2's public address", ip)
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return invalidInput("check host", "%q is the local machine, and DHIS2SYNC_DHIS2_DENY_PRIVATE forbids "+
				"loopback addresses: use the DHIS2's public address", host)
		}
	}
	return nil
}

func hostAllowed(allowed []string, host string) bool {
	for _, a := range allowed {
		if a == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(a, "*."); ok && strings.HasSuffix(host, "."+suffix) {
			return true
		}
	}
	return false
}

// cgnat is the shared address space of RFC 6598, which netip does not count as private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}

// dialControl refuses, under DenyPrivate, a connection to a private address whatever name led to it.
func dialControl(_, address string, _ syscall.RawConn) error {
	if !currentOutbound().DenyPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if privateAddr(ip) {
		return &Error{Kind: KindInvalidInput, Op: "connect",
			Message: "the DHIS2 host resolves to " + ip.String() + ", a loopback or private address, which DHIS2SYNC_DHIS2_DENY_PRIVATE forbids",
			Hint:    "use the DHIS2's public address, or ask the operator to allow private addresses"}
	}
	return nil
}

// ConfigureFromSettings sets the outbound policy from the shared environment (DHIS2SYNC_DHIS2_*).
func ConfigureFromSettings(s settings.DHIS2Outbound) error {
	o := Outbound{AllowedHosts: s.AllowedHosts, DenyPrivate: s.DenyPrivate,
		RequestTimeout: s.RequestTimeout, ImportTimeout: s.ImportTimeout}
	if s.CAFile != "" {
		pool, err := LoadCAFile(s.CAFile)
		if err != nil {
			return fmt.Errorf("DHIS2SYNC_DHIS2_CA_FILE: %w", err)
		}
		o.RootCAs = pool
	}
	Configure(o)
	return nil
}
