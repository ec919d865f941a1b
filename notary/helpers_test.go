package notary_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/fabric"
	"github.com/chengnuo/chengnuo/internal/fabrictest"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

func p256CertPEM(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

var secret = []byte("0123456789abcdef0123")

// prefixes are the test departments' letter-number prefixes.
var prefixes = map[string]string{"MarketMSP": "虎市监承", "PoliceMSP": "虎公承", "JusticeMSP": "虎司承", "CreditMSP": "虎信承", "HrssMSP": "虎人社承"}

// env is a channel (the real chaincode in memory) and departments on it,
// each with its own store and service.
type env struct {
	t   *testing.T
	net *fabrictest.Network
}

type dept struct {
	svc    *notary.Service
	ledger *fabric.Client
	db     *bolt.DB
	path   string
}

func newEnv(t *testing.T) *env {
	return &env{t: t, net: fabrictest.NewNetwork(t)}
}

// dept starts msp's service; cfg fields left zero get defaults.
func (e *env) dept(msp string, cfg notary.Config) *dept {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "letters.db")
	db, err := bolt.Open(path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	c := e.net.Client(e.t, msp)
	cfg.MSPID, cfg.ApplicantSecret = msp, secret
	if cfg.NumberPrefix == "" {
		cfg.NumberPrefix = prefixes[msp]
	}
	svc, err := notary.New(e.t.Context(), cfg, c, db)
	if err != nil {
		e.t.Fatal(err)
	}
	return &dept{svc: svc, ledger: c, db: db, path: path}
}

func testItem(code string) *chengnuo.Item {
	return &chengnuo.Item{Code: code, Name: "测试事项", Department: "MarketMSP", Purpose: "p", LegalBasis: "b", Content: "c",
		EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Method: "ONLINE", Department: "PoliceMSP", TimeLimitDays: 5}}
}

// publish publishes an item through the justice bureau's service.
func (e *env) publish(it *chengnuo.Item) *chengnuo.Item {
	e.t.Helper()
	j := e.dept("JusticeMSP", notary.Config{})
	out, err := j.svc.PublishItem(e.t.Context(), it)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

var alice = letter.Applicant{Name: "测试甲", IDType: letter.IDResident, IDNumber: "11010519491231002x", Contact: "13912345678"}

func signedLetter(t *testing.T, s chengnuo.Service, code string, a letter.Applicant) chengnuo.SubmitRequest {
	t.Helper()
	d, err := s.Draft(context.Background(), chengnuo.DraftRequest{ItemCode: code, Applicant: a, ContactName: "窗口", ContactPhone: "0571-1"})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sm.GenerateKey()
	sig, err := sm.Sign(key, []byte(d.Canonical))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	return chengnuo.SubmitRequest{Letter: d.Canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: string(pub)}
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := chengnuo.ErrorCode(err); got != want {
		t.Fatalf("code %s (%v), want %s", got, err, want)
	}
}
