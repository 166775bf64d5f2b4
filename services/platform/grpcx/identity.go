package grpcx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc/credentials"
)

// Identity is a service's identity on the internal network: its certificate and key, issued by the stack's
// local certificate authority, and that authority, against which it checks its peers. Services authenticate
// each other with mutual TLS; the certificate's common name is the service name the access rules use.
type Identity struct {
	Service string
	cert    tls.Certificate
	roots   *x509.CertPool
}

const (
	caCertFile = "ca.crt"
	caKeyFile  = "ca.key"
	certYears  = 5
)

// LoadIdentity returns service's identity from dir (DHIS2SYNC_IDENTITY_DIR). When dir holds no authority yet
// it creates one and a certificate for every service (settings.GRPCServices), so that a stack started on one machine gets
// its identities without a setup step; processes starting together agree through a lock file. A stack spread
// over several machines shares one directory's files (each machine needs ca.crt and its own services' files).
func LoadIdentity(dir, service string) (*Identity, error) {
	services := settings.GRPCServices
	if !slices.Contains(services, service) {
		return nil, fmt.Errorf("service identity: %q is not a dhis2sync service (%v)", service, services)
	}
	// A machine that has its own files needs nothing else, and may keep the directory read-only.
	if !complete(dir, []string{service}) {
		if err := ensureIdentities(dir, services); err != nil {
			return nil, fmt.Errorf("service identity in %s: %w (set DHIS2SYNC_IDENTITY_DIR to a writable directory, or delete a damaged one so it is created again)", dir, err)
		}
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, service+".crt"), filepath.Join(dir, service+".key"))
	if err != nil {
		return nil, fmt.Errorf("service identity of %s in %s: %w (copy %s.crt and %s.key from the directory holding the stack's ca.key)", service, dir, err, service, service)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, fmt.Errorf("service identity: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("service identity: %s holds no PEM certificate", filepath.Join(dir, caCertFile))
	}
	return &Identity{Service: service, cert: cert, roots: roots}, nil
}

// serverCredentials asks clients for a certificate without requiring one, so that a call without one reaches
// the access check and fails there with Unauthenticated (and health checks stay open) instead of failing the
// TLS handshake with a transport error that says nothing about why.
func (id *Identity) serverCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{id.cert},
		ClientCAs:    id.roots,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS13,
	})
}

// clientCredentials presents id's certificate and accepts only the named service's certificate from the
// authority: a process listening on a peer's address cannot pass for it.
func (id *Identity) clientCredentials(peer string) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{id.cert},
		RootCAs:      id.roots,
		ServerName:   peer,
		MinVersion:   tls.VersionTLS13,
	})
}

// ensureIdentities creates the authority and every service's certificate when dir has no authority yet, and
// the certificate of a service added since, when the authority's key is at hand.
func ensureIdentities(dir string, services []string) error {
	if complete(dir, services) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file releases it too
	if complete(dir, services) {
		return nil // another process completed it while this one waited
	}
	if _, err := os.Stat(filepath.Join(dir, caCertFile)); errors.Is(err, os.ErrNotExist) {
		return IssueIdentities(dir, services)
	}
	ca, caKey, err := loadAuthority(dir)
	if err != nil {
		return nil //nolint:nilerr // no key here (a machine that runs services only): LoadIdentity names the missing files
	}
	for _, svc := range services {
		if _, err := os.Stat(filepath.Join(dir, svc+".crt")); errors.Is(err, os.ErrNotExist) {
			if err := issue(dir, svc, ca, caKey); err != nil {
				return err
			}
		}
	}
	return nil
}

// complete says whether dir has the authority and a certificate for every service.
func complete(dir string, services []string) bool {
	for _, f := range append([]string{caCertFile}, services...) {
		if f != caCertFile {
			f += ".crt"
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func loadAuthority(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not an ECDSA key", caKeyFile)
	}
	ca, err := x509.ParseCertificate(pair.Certificate[0])
	return ca, key, err
}

// IssueIdentities creates a new authority in dir and a certificate for each service, replacing what was
// there: every service must be restarted afterwards. The CA certificate is written last, as it marks the
// directory complete.
func IssueIdentities(dir string, services []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "dhis2sync service authority", Organization: []string{"dhis2sync"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(certYears, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	for _, svc := range services {
		if err := issue(dir, svc, ca, caKey); err != nil {
			return err
		}
	}
	if err := writeKey(filepath.Join(dir, caKeyFile), caKey); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, caCertFile), "CERTIFICATE", caDER, 0o644)
}

// issue writes a certificate and key for svc signed by the authority.
func issue(dir, svc string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: svc, Organization: []string{"dhis2sync"}},
		DNSNames:     []string{svc},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(certYears, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, svc+".key"), key); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, svc+".crt"), "CERTIFICATE", der, 0o644)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// writePEM writes through a temporary file so that a reader never sees half a file.
func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(errors.New("crypto/rand failed: " + err.Error()))
	}
	return n
}
