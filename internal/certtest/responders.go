package certtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/hoso-ledger/hoso/internal/cmsbuild"
	"github.com/hoso-ledger/hoso/internal/tsa"
)

// OCSPResponder is the CA's OCSP responder on a local HTTP server. It
// answers good for every serial until Set says otherwise, signing with the
// CA's own key (RFC 6960 §4.2.2.2: the issuer may answer itself).
type OCSPResponder struct {
	*httptest.Server
	mu     sync.Mutex
	status map[string]int
}

// OCSPResponder starts the CA's responder; it stops with the test.
func (c *CA) OCSPResponder(t testing.TB) *OCSPResponder {
	t.Helper()
	r := &OCSPResponder{status: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<16))
		q, err := ocsp.ParseRequest(body)
		if err != nil {
			_, _ = w.Write(ocsp.MalformedRequestErrorResponse)
			return
		}
		r.mu.Lock()
		st, ok := r.status[q.SerialNumber.String()]
		r.mu.Unlock()
		if !ok {
			st = ocsp.Good
		}
		now := time.Now().UTC().Truncate(time.Second)
		tmpl := ocsp.Response{Status: st, SerialNumber: q.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
		if st == ocsp.Revoked {
			tmpl.RevokedAt, tmpl.RevocationReason = now.Add(-time.Hour), ocsp.KeyCompromise
		}
		der, err := ocsp.CreateResponse(c.Cert, c.Cert, tmpl, c.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(der)
	}))
	t.Cleanup(r.Close)
	return r
}

// Set makes the responder answer status (ocsp.Good, ocsp.Revoked,
// ocsp.Unknown) for the certificate with serial.
func (r *OCSPResponder) Set(serial *big.Int, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[serial.String()] = status
}

// TSA starts an RFC 3161 time-stamping authority on a local HTTP server,
// with its own certificate issued by the CA for time stamping; it stops
// with the test.
func (c *CA) TSA(t testing.TB) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: "Hoso Test TSA", Country: []string{"VN"}},
		NotBefore: time.Now().AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}
	// RFC 3161 §2.3: the extended key usage is timeStamping only, critical
	// (openssl ts -verify insists).
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}
	cert := c.create(t, tmpl, &key.PublicKey)
	var serials atomic64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<16))
		q, err := tsa.ParseRequest(body)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		now := time.Now().UTC().Truncate(time.Second)
		info, err := asn1.Marshal(tsa.TSTInfo{Version: 1, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
			MessageImprint: q.MessageImprint, SerialNumber: big.NewInt(serials.next()), GenTime: now, Nonce: q.Nonce})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		attrs, err := cmsbuild.Attributes(cmsbuild.OIDTSTInfo, info, now, cert)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sig, err := key.Sign(rand.Reader, attrs.Digest(), crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		token, err := cmsbuild.Assemble(cmsbuild.OIDTSTInfo, info, cert, []*x509.Certificate{c.Cert}, attrs, sig)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		resp, err := asn1.Marshal(tsa.Response{Status: tsa.StatusInfo{Status: 0}, Token: asn1.RawValue{FullBytes: token}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type atomic64 struct {
	mu sync.Mutex
	n  int64
}

func (a *atomic64) next() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return a.n
}

// CRLServer is the CA's certificate revocation list on a local HTTP
// server: a fresh CRL signed by the CA on every request (valid for an
// hour, or already expired with Expire), listing the serials Revoke names.
type CRLServer struct {
	*httptest.Server
	mu      sync.Mutex
	revoked []x509.RevocationListEntry
	expired bool
	number  int64
}

// CRLServer starts the CA's CRL distribution point; it stops with the test.
func (c *CA) CRLServer(t testing.TB) *CRLServer {
	t.Helper()
	s := &CRLServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		s.number++
		now := time.Now().UTC().Truncate(time.Second)
		tmpl := &x509.RevocationList{Number: big.NewInt(s.number), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour),
			RevokedCertificateEntries: append([]x509.RevocationListEntry(nil), s.revoked...)}
		if s.expired {
			tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
		}
		s.mu.Unlock()
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.Cert, c.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(der)
	}))
	t.Cleanup(s.Close)
	return s
}

// Revoke lists serial on the CRL from now on.
func (s *CRLServer) Revoke(serial *big.Int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = append(s.revoked, x509.RevocationListEntry{SerialNumber: serial, RevocationTime: time.Now().Add(-time.Hour).UTC().Truncate(time.Second)})
}

// Expire makes the CRL's nextUpdate lie in the past (a CA that stopped
// publishing).
func (s *CRLServer) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = true
}
