package notary_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/document"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

// A crash (or an unreachable ledger) between storing a letter and anchoring
// it loses nothing, and the letter is anchored exactly once afterwards.
func TestCrashBetweenStoreAndAnchor(t *testing.T) {
	for _, mode := range []string{"failed before commit", "committed, answer lost"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			e.publish(testItem("T-1"))
			ctx1, stop1 := context.WithCancel(context.Background())
			m := e.dept("MarketMSP", notary.Config{})
			s1, err := notary.New(ctx1, notary.Config{MSPID: "MarketMSP", NumberPrefix: "虎市监承", ApplicantSecret: secret}, m.ledger, m.db)
			if err != nil {
				t.Fatal(err)
			}
			req := signedLetter(t, s1, "T-1", alice)
			// The ledger keeps failing (the adapter's resubmissions too)
			// until the process dies.
			var down atomic.Bool
			down.Store(true)
			fail := func(string) error {
				if down.Load() {
					return errors.New("injected")
				}
				return nil
			}
			if mode == "failed before commit" {
				e.net.FailSubmit = fail
			} else {
				e.net.FailCommitStatus = fail
			}
			if rc, err := s1.Submit(ctx1, req); err != nil || rc.Status != chengnuo.StatusPending {
				t.Fatalf("submit with the ledger failing: %+v %v", rc, err)
			}
			// The process dies; the ledger comes back.
			stop1()
			down.Store(false)
			m.db.Close()

			db2, err := bolt.Open(m.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			ctx2 := t.Context()
			s2, err := notary.New(ctx2, notary.Config{MSPID: "MarketMSP", NumberPrefix: "虎市监承", ApplicantSecret: secret}, m.ledger, db2)
			if err != nil {
				t.Fatal(err)
			}
			if pending, _ := db2.Pending(ctx2, 10); len(pending) != 1 {
				t.Fatalf("%d letters pending after the crash, want 1", len(pending))
			}
			n, err := s2.Recover(ctx2)
			if err != nil || n != 1 {
				t.Fatalf("recover: %d, %v", n, err)
			}
			if pending, _ := db2.Pending(ctx2, 10); len(pending) != 0 {
				t.Fatalf("%d letters still pending", len(pending))
			}
			height := e.net.Height()
			r, err := s2.Submit(ctx2, req)
			if err != nil || r.TxID == "" || e.net.Height() != height {
				t.Fatalf("resubmission after recovery: %+v, %v (height %d -> %d)", r, err, height, e.net.Height())
			}
			v, err := s2.VerifyLetter(ctx2, []byte(req.Letter))
			if err != nil || !v.Anchored || v.Record.TxID != r.TxID {
				t.Fatalf("verify: %+v %v", v, err)
			}
		})
	}
}

func TestConcurrentSubmissionsShareBatchesAndAnchorOnce(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	var reqs []chengnuo.SubmitRequest
	for range 20 {
		reqs = append(reqs, signedLetter(t, m.svc, "T-1", alice))
	}
	start := e.net.Height()
	var wg sync.WaitGroup
	receipts := make(chan *chengnuo.Receipt, 60)
	for _, r := range reqs {
		for range 3 { // each letter three times at once
			wg.Go(func() {
				rc, err := m.svc.Submit(ctx, r)
				if err != nil {
					t.Error(err)
					return
				}
				receipts <- rc
			})
		}
	}
	wg.Wait()
	close(receipts)
	byID := map[string]string{}
	for rc := range receipts {
		if prev, ok := byID[rc.CommitmentID]; ok && prev != rc.TxID {
			t.Fatalf("letter %s anchored by two transactions", rc.CommitmentID)
		}
		byID[rc.CommitmentID] = rc.TxID
	}
	if len(byID) != 20 {
		t.Fatalf("%d letters anchored, want 20", len(byID))
	}
	if blocks := e.net.Height() - start; blocks >= 60 {
		t.Fatalf("%d transactions for 60 submissions: no batching", blocks)
	}
}

func TestSubmitRefusalsStoreNothing(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	p := e.dept("PoliceMSP", notary.Config{})
	ctx := t.Context()
	good := signedLetter(t, m.svc, "T-1", alice)
	other := signedLetter(t, m.svc, "T-1", alice)
	cases := []struct {
		name string
		svc  *notary.Service
		req  chengnuo.SubmitRequest
		code string
	}{
		{"bad signature", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: other.Signature, PublicKey: good.PublicKey}, chengnuo.EINVALID},
		{"wrong key", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: good.Signature, PublicKey: other.PublicKey}, chengnuo.EINVALID},
		{"signature not base64 or hex", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: "!!", PublicKey: good.PublicKey}, chengnuo.EINVALID},
		{"both key and certificate", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: good.Signature, PublicKey: good.PublicKey, Certificate: "x"}, chengnuo.EINVALID},
		{"no key", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: good.Signature}, chengnuo.EINVALID},
		{"bad key", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: good.Signature, PublicKey: "nope"}, chengnuo.EINVALID},
		{"non-SM2 certificate", m.svc, chengnuo.SubmitRequest{Letter: good.Letter, Signature: good.Signature, Certificate: p256CertPEM(t)}, chengnuo.EINVALID},
		{"empty letter", m.svc, chengnuo.SubmitRequest{Signature: good.Signature, PublicKey: good.PublicKey}, chengnuo.EINVALID},
		{"another department's letter", p.svc, good, chengnuo.EFORBIDDEN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.svc.Submit(ctx, tc.req)
			code(t, err, tc.code)
			if p, _ := m.db.Pending(ctx, 10); len(p) != 0 {
				t.Fatal("a refused letter was stored")
			}
		})
	}
	height := e.net.Height()
	retired, err := e.dept("JusticeMSP", notary.Config{}).svc.RetireItem(ctx, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	// Market's catalog cache learns of the retirement from the ItemRetired event.
	if err := m.svc.ItemChanged(ctx, retired); err != nil {
		t.Fatal(err)
	}
	if _, err := m.svc.Submit(ctx, good); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("letter of a retired item: %v", err)
	}
	if e.net.Height() != height+1 {
		t.Fatal("a refused letter reached the ledger")
	}
	_, err = m.svc.Draft(ctx, chengnuo.DraftRequest{ItemCode: "T-1", Applicant: alice, ContactName: "a", ContactPhone: "1"})
	code(t, err, chengnuo.EINVALID)
	_, err = m.svc.Draft(ctx, chengnuo.DraftRequest{Applicant: alice})
	code(t, err, chengnuo.EINVALID)
}

func TestVerify(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	p := e.dept("PoliceMSP", notary.Config{})
	ctx := t.Context()
	req := signedLetter(t, m.svc, "T-1", alice)
	rc, err := m.svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.svc.VerifyLetter(ctx, []byte(req.Letter))
	if err != nil || !v.Anchored || v.Record.ApplicantKey != "" || v.Record.TxID != rc.TxID {
		t.Fatalf("verify: %+v %v (the public record must not carry the applicant key)", v, err)
	}
	v, err = p.svc.VerifyLetter(ctx, []byte(req.Letter+" "))
	if err != nil || v.Anchored || v.LetterDigest != sm.SM3Hex([]byte(req.Letter+" ")) {
		t.Fatalf("tampered: %+v %v", v, err)
	}
	_, err = p.svc.VerifyLetter(ctx, nil)
	code(t, err, chengnuo.EINVALID)
	_, err = p.svc.VerifyDigest(ctx, "xyz")
	code(t, err, chengnuo.EINVALID)
	v, err = p.svc.VerifyFile(ctx, strings.NewReader(req.Letter), 1<<20)
	if err != nil || !v.Anchored {
		t.Fatalf("verify file: %+v %v", v, err)
	}
	_, err = p.svc.VerifyFile(ctx, strings.NewReader(req.Letter), 10)
	code(t, err, chengnuo.ETOOLARGE)
	_, err = p.svc.VerifyFile(ctx, strings.NewReader(""), 10)
	code(t, err, chengnuo.EINVALID)
	pub, err := p.svc.PublicCommitment(ctx, rc.CommitmentID)
	if err != nil || pub.ApplicantKey != "" || pub.Org != "MarketMSP" {
		t.Fatalf("public record: %+v %v", pub, err)
	}
	full, err := m.svc.Commitment(ctx, rc.CommitmentID)
	if err != nil || full.Letter.Canonical != req.Letter || full.Record.ApplicantKey == "" {
		t.Fatalf("full view: %+v %v", full, err)
	}
	_, err = p.svc.Commitment(ctx, rc.CommitmentID)
	code(t, err, chengnuo.ENOTFOUND)
}

func TestCertificateSigner(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	strict := testItem("C-1")
	strict.RequireCertificate = true
	e.publish(strict)
	ctx := t.Context()
	rootKey, _ := sm.GenerateKey()
	leafKey, _ := sm.GenerateKey()
	now := time.Now()
	root := &smx509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign}
	rootDER, _ := smx509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	rootCert, _ := smx509.ParseCertificate(rootDER)
	type opts struct {
		notAfter time.Time
		id       string
		usage    smx509.KeyUsage
	}
	mk := func(o opts) string {
		tmpl := &smx509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: now.Add(-time.Hour), NotAfter: o.notAfter,
			Subject: pkix.Name{CommonName: alice.Name, SerialNumber: o.id}, KeyUsage: o.usage}
		der, err := smx509.CreateCertificate(rand.Reader, tmpl, rootCert, &leafKey.PublicKey, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	good := opts{now.Add(time.Hour), "11010519491231002X", smx509.KeyUsageDigitalSignature}
	pool := smx509.NewCertPool()
	pool.AddCert(rootCert)
	m := e.dept("MarketMSP", notary.Config{Roots: pool})
	open := e.dept("PoliceMSP", notary.Config{}) // no applicant CA configured
	sign := func(s *notary.Service, code string) (chengnuo.Draft, string, string) {
		d, err := s.Draft(ctx, chengnuo.DraftRequest{ItemCode: code, Applicant: alice, ContactName: "窗口", ContactPhone: "1"})
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := sm.Sign(leafKey, []byte(d.Canonical))
		pub, _ := sm.MarshalPublicKeyPEM(&leafKey.PublicKey)
		return *d, base64.StdEncoding.EncodeToString(sig), string(pub)
	}
	d, sig, pub := sign(m.svc, "T-1")
	selfKey, _ := sm.GenerateKey()
	selfSigned := &smx509.Certificate{SerialNumber: big.NewInt(9), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		Subject: pkix.Name{SerialNumber: good.id}, KeyUsage: smx509.KeyUsageDigitalSignature}
	selfDER, _ := smx509.CreateCertificate(rand.Reader, selfSigned, selfSigned, &leafKey.PublicKey, selfKey)
	otherSig, _ := sm.Sign(selfKey, []byte(d.Canonical))
	other := good
	other.id = "110101199003077571"
	noUsage := good
	noUsage.usage = smx509.KeyUsageKeyEncipherment
	expired := good
	expired.notAfter = now.Add(-time.Minute)
	refusedReqs := map[string]chengnuo.SubmitRequest{
		"expired certificate":      {Letter: d.Canonical, Signature: sig, Certificate: mk(expired)},
		"certificate from no root": {Letter: d.Canonical, Signature: sig, Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfDER}))},
		"another person's cert":    {Letter: d.Canonical, Signature: sig, Certificate: mk(other)},
		"no signing key usage":     {Letter: d.Canonical, Signature: sig, Certificate: mk(noUsage)},
		"signature by another key": {Letter: d.Canonical, Signature: base64.StdEncoding.EncodeToString(otherSig), Certificate: mk(good)},
	}
	for name, req := range refusedReqs {
		if _, err := m.svc.Submit(ctx, req); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without an applicant CA, no certificate is taken on trust.
	od, osig, _ := sign(open.svc, "T-1")
	if _, err := open.svc.Submit(ctx, chengnuo.SubmitRequest{Letter: od.Canonical, Signature: osig, Certificate: mk(good)}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Errorf("a certificate accepted without a CA: %v", err)
	}
	r, err := m.svc.Submit(ctx, chengnuo.SubmitRequest{Letter: d.Canonical, Signature: sig, Certificate: mk(good)})
	if err != nil || r.SignedBy != chengnuo.SignedSM2 {
		t.Fatalf("valid certificate: %+v %v", r, err)
	}
	// A bare key is accepted, and recorded as what it is.
	d2, sig2, _ := sign(m.svc, "T-1")
	r2, err := m.svc.Submit(ctx, chengnuo.SubmitRequest{Letter: d2.Canonical, Signature: sig2, PublicKey: pub})
	if err != nil || r2.SignedBy != chengnuo.SignedSM2Key {
		t.Fatalf("bare key: %+v %v", r2, err)
	}
	if v, _ := e.dept("CreditMSP", notary.Config{}).svc.PublicCommitment(ctx, r2.CommitmentID); v.SignedBy != chengnuo.SignedSM2Key {
		t.Fatalf("public record says %s", v.SignedBy)
	}
	// An item that requires certificates refuses bare keys and paper.
	d3, sig3, _ := sign(m.svc, "C-1")
	if _, err := m.svc.Submit(ctx, chengnuo.SubmitRequest{Letter: d3.Canonical, Signature: sig3, PublicKey: pub}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("bare key for a certificate-only item: %v", err)
	}
	if _, err := m.svc.SubmitPaper(ctx, chengnuo.PaperRequest{ItemCode: "C-1", Applicant: alice, Scan: "AA==", MediaType: "application/pdf"}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("paper for a certificate-only item: %v", err)
	}
	if r3, err := m.svc.Submit(ctx, chengnuo.SubmitRequest{Letter: d3.Canonical, Signature: sig3, Certificate: mk(good)}); err != nil || r3.SignedBy != chengnuo.SignedSM2 {
		t.Fatalf("certificate for a certificate-only item: %+v %v", r3, err)
	}
}

// A paper letter is the draft printed, signed by hand and scanned: the scan
// must show the draft's QR code, and the record binds the draft's digest
// and the scan's, either of which finds it.
func TestPaperLetters(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	draft := func() (*chengnuo.Draft, []byte) {
		d, err := m.svc.Draft(ctx, chengnuo.DraftRequest{ItemCode: "T-1", Applicant: alice, ContactName: "李四", ContactPhone: "0451-1234567"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.svc.PrintDraft(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := document.LetterPDF(p, "https://gateway.example")
		if err != nil {
			t.Fatal(err)
		}
		return d, pdf
	}
	d, printed := draft()
	// The "scan" is the printed PDF itself: its pages' QR codes are images.
	req := chengnuo.PaperRequest{Draft: d.ID, Scan: base64.StdEncoding.EncodeToString(printed), MediaType: "application/pdf"}
	r, err := m.svc.SubmitPaper(ctx, req)
	if err != nil || r.LetterDigest != d.Digest || r.CommitmentID != d.ID || r.SignedBy != chengnuo.SignedPaper || r.Number != d.Letter.Number {
		t.Fatalf("paper: %+v %v", r, err)
	}
	for _, digest := range []string{d.Digest, sm.SM3Hex(printed)} {
		v, err := m.svc.VerifyDigest(ctx, digest)
		if err != nil || !v.Anchored || v.CommitmentID != d.ID || v.Record.ScanDigest != sm.SM3Hex(printed) || v.Record.LetterDigest != d.Digest {
			t.Fatalf("verify %s: %+v %v", digest, v, err)
		}
	}
	again, err := m.svc.SubmitPaper(ctx, req)
	if err != nil || again.TxID != r.TxID {
		t.Fatalf("resubmission: %+v %v", again, err)
	}
	other := req
	other.Scan = base64.StdEncoding.EncodeToString(append(printed, '\n'))
	if _, err := m.svc.SubmitPaper(ctx, other); chengnuo.ErrorCode(err) != chengnuo.ECONFLICT {
		t.Fatalf("the same draft with another scan: %v", err)
	}
	// A scan of one draft does not go for another.
	d2, _ := draft()
	wrong := req
	wrong.Draft = d2.ID
	if _, err := m.svc.SubmitPaper(ctx, wrong); chengnuo.ErrorCode(err) != chengnuo.EINVALID || !strings.Contains(chengnuo.ErrorMessage(err), "not of letter "+d2.Letter.Number) {
		t.Fatalf("a scan of another draft: %v", err)
	}
	blank := image.NewGray(image.Rect(0, 0, 600, 800))
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, blank); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*chengnuo.PaperRequest){
		"media type": func(p *chengnuo.PaperRequest) { p.MediaType = "text/plain" },
		"not base64": func(p *chengnuo.PaperRequest) { p.Scan = "!!" },
		"empty":      func(p *chengnuo.PaperRequest) { p.Scan = "" },
		"too large": func(p *chengnuo.PaperRequest) {
			p.Scan = base64.StdEncoding.EncodeToString(make([]byte, notary.MaxScanBytes+1))
		},
		"no draft":      func(p *chengnuo.PaperRequest) { p.Draft = "" },
		"unknown draft": func(p *chengnuo.PaperRequest) { p.Draft = "CN000000000000000000000000" },
		"bad draft id":  func(p *chengnuo.PaperRequest) { p.Draft = "../../etc/passwd" },
		"other applicant": func(p *chengnuo.PaperRequest) {
			p.Applicant = chengnuo.Applicant{Name: "王五", IDType: alice.IDType, IDNumber: alice.IDNumber, Contact: alice.Contact}
		},
		"other item": func(p *chengnuo.PaperRequest) { p.ItemCode = "NONE" },
		"no QR code": func(p *chengnuo.PaperRequest) {
			p.Scan, p.MediaType = base64.StdEncoding.EncodeToString(pngBuf.Bytes()), "image/png"
		},
		"not an image": func(p *chengnuo.PaperRequest) {
			p.Scan, p.MediaType = base64.StdEncoding.EncodeToString([]byte("GIF89a")), "image/png"
		},
		"not a PDF": func(p *chengnuo.PaperRequest) { p.Scan = base64.StdEncoding.EncodeToString([]byte("a scanned letter")) },
	} {
		bad := req
		bad.Draft = d2.ID
		mut(&bad)
		if _, err := m.svc.SubmitPaper(ctx, bad); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Nothing refused was stored; the audit finds the paper letter whole.
	if _, err := m.svc.Commitment(ctx, d2.ID); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("a refused paper letter was stored: %v", err)
	}
	if a, err := m.svc.Audit(ctx, chengnuo.Page{}); err != nil || len(a.Findings) != 0 || a.Checked != 1 {
		t.Fatalf("audit: %+v %v", a, err)
	}
}

// A letter is disclosed, masked, while its period runs by ledger time, and
// leaves the list at once when it is withdrawn.
func TestDisclosures(t *testing.T) {
	e := newEnv(t)
	it := testItem("P-1")
	it.Disclosure = chengnuo.Disclosure{Public: true, Scope: "政务网", PeriodDays: 7}
	e.publish(it)
	e.publish(testItem("Q-1")) // not disclosed
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	var ids []string
	for range 3 {
		r, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "P-1", alice))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.CommitmentID)
	}
	if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "Q-1", alice)); err != nil {
		t.Fatal(err)
	}
	l, err := m.svc.Disclosures(ctx, chengnuo.Page{Size: 2})
	if err != nil || len(l.Items) != 2 || !l.More || l.Org != "MarketMSP" {
		t.Fatalf("first page: %+v %v", l, err)
	}
	d := l.Items[0]
	if d.Applicant != "测**" || d.Scope != "政务网" || !d.Until.Equal(d.From.Add(7*24*time.Hour)) || !strings.HasPrefix(d.Number, "〔") || !strings.Contains(d.Number, "虎市监承第") {
		t.Fatalf("row %+v", d)
	}
	next, err := m.svc.Disclosures(ctx, chengnuo.Page{Size: 2, Bookmark: l.Bookmark})
	if err != nil || len(next.Items) != 1 || next.More {
		t.Fatalf("second page: %+v %v", next, err)
	}
	if _, err := m.svc.Withdraw(ctx, ids[1], "申请人撤回"); err != nil {
		t.Fatal(err)
	}
	all, _ := m.svc.Disclosures(ctx, chengnuo.Page{})
	if len(all.Items) != 2 {
		t.Fatalf("%d rows after a withdrawal, want 2", len(all.Items))
	}
	for _, row := range all.Items {
		if row.CommitmentID == ids[1] {
			t.Fatal("a withdrawn letter is still disclosed")
		}
	}
	// By ledger time: the store answers for any time.
	past, _ := m.db.Disclosures(ctx, all.LedgerTime.Add(8*24*time.Hour), chengnuo.Page{})
	before, _ := m.db.Disclosures(ctx, all.LedgerTime.Add(-time.Hour), chengnuo.Page{})
	if len(past.Items) != 0 || len(before.Items) != 0 {
		t.Fatalf("outside the period: %d after, %d before", len(past.Items), len(before.Items))
	}
}

func TestWithdrawConcludeKeepReasonsAndRecord(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	a, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	b, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	_, err := m.svc.Withdraw(ctx, a.CommitmentID, "")
	code(t, err, chengnuo.EINVALID)
	w, err := m.svc.Withdraw(ctx, a.CommitmentID, "申请人主动撤回")
	if err != nil || w.Status != chengnuo.StatusWithdrawn {
		t.Fatal(err)
	}
	st, _ := m.db.Get(ctx, a.CommitmentID)
	if st.Record.Status != chengnuo.StatusWithdrawn || len(st.Notes) != 1 || st.Notes[0].Text != "申请人主动撤回" ||
		st.Notes[0].Digest != w.History[1].ReasonDigest {
		t.Fatalf("stored letter after withdrawal: %+v", st)
	}
	c, err := m.svc.Conclude(ctx, b.CommitmentID)
	if err != nil || c.Status != chengnuo.StatusConcluded {
		t.Fatal(err)
	}
	_, err = m.svc.Withdraw(ctx, b.CommitmentID, "太晚了")
	code(t, err, chengnuo.ECONFLICT)
}

// registry answers from a table and counts its calls.
type registry struct {
	mu     sync.Mutex
	calls  map[string]int
	answer string
	err    error
}

func (r *registry) Check(_ context.Context, q chengnuo.RegistryQuery) (*chengnuo.RegistryAnswer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[q.RequestID]++
	if r.err != nil {
		return nil, r.err
	}
	if q.Name == "" || q.IDNumber == "" || q.Claim == "" {
		return &chengnuo.RegistryAnswer{Result: "GARBAGE"}, nil
	}
	return &chengnuo.RegistryAnswer{Result: r.answer}, nil
}

func TestAssistedVerificationAutomatic(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	reg := &registry{answer: chengnuo.AnswerInconsistent}
	p := e.dept("PoliceMSP", notary.Config{Registry: reg})
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	_, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "x")
	code(t, err, chengnuo.EINVALID)
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "核查户籍")
	if err != nil || r.To != "PoliceMSP" {
		t.Fatalf("request: %+v %v", r, err)
	}
	if u, _ := m.db.Undelivered(ctx, "", 10); len(u) != 0 {
		t.Fatalf("details still waiting for delivery: %d", len(u))
	}
	// The event arrives twice (a replay after a restart): handled once.
	for range 2 {
		if err := p.svc.VerificationRequested(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if reg.calls[r.ID] != 1 {
		t.Fatalf("registry called %d times", reg.calls[r.ID])
	}
	got, _ := p.svc.GetVerification(ctx, r.ID)
	if got.Status != chengnuo.RequestAnswered || got.Answer.Result != chengnuo.AnswerInconsistent || !got.Answer.Automatic {
		t.Fatalf("answer %+v", got.Answer)
	}
	ev, err := p.db.GetText(ctx, got.Answer.EvidenceDigest)
	if err != nil || ev.Ref != r.ID {
		t.Fatalf("evidence not kept: %+v %v", ev, err)
	}
	inbox, _ := p.svc.Inbox(ctx, chengnuo.Page{})
	if len(inbox.Items) != 1 || inbox.Items[0].Handlings != 1 || !inbox.Items[0].Handled {
		t.Fatalf("inbox %+v", inbox.Items)
	}
	// Events for other departments are ignored.
	if err := m.svc.VerificationRequested(ctx, r); err != nil {
		t.Fatal(err)
	}
	if in, _ := m.svc.Inbox(ctx, chengnuo.Page{}); len(in.Items) != 0 {
		t.Fatal("market took police's request")
	}
	if err := p.svc.PurgeDetails(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.svc.Details(ctx, r.ID)
	code(t, err, chengnuo.ENOTFOUND)
	c, err := m.svc.RecordOutcome(ctx, rc.CommitmentID, chengnuo.OutcomeRequest{Result: chengnuo.VerifyFalse, RequestID: r.ID, Reason: "核查不一致",
		Level: chengnuo.LevelOrdinary, Disposal: &chengnuo.DisposalRequest{Measures: []string{chengnuo.MeasureTerminated}}})
	if err != nil || c.Outcome.CreditID == "" {
		t.Fatalf("outcome: %+v %v", c, err)
	}
	st, _ := m.db.Get(ctx, rc.CommitmentID)
	if st.Record.Verification != chengnuo.VerifyFalse || len(st.Notes) != 1 || st.Notes[0].Digest != c.Outcome.ReasonDigest {
		t.Fatalf("stored letter after the outcome: %+v", st)
	}
	_, err = m.svc.RecordOutcome(ctx, rc.CommitmentID, chengnuo.OutcomeRequest{Result: chengnuo.VerifyVerified, Reason: "x"})
	code(t, err, chengnuo.EINVALID)
}

func TestAssistedVerificationByClerk(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	reg := &registry{err: &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "down"}}
	p := e.dept("PoliceMSP", notary.Config{Registry: reg})
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "核查户籍")
	if err != nil {
		t.Fatal(err)
	}
	code(t, p.svc.VerificationRequested(ctx, r), chengnuo.EUNAVAILABLE)
	d, err := p.svc.Details(ctx, r.ID)
	if err != nil || d.IDNumber != "11010519491231002X" || d.Claim != "核查户籍" {
		t.Fatalf("details: %+v %v", d, err)
	}
	_, err = m.svc.Details(ctx, r.ID)
	code(t, err, chengnuo.EFORBIDDEN)
	_, err = p.svc.Answer(ctx, r.ID, chengnuo.AnswerRequest{Result: chengnuo.AnswerConsistent})
	code(t, err, chengnuo.EINVALID)
	code(t, p.svc.PurgeDetails(ctx, r.ID), chengnuo.ECONFLICT)
	a, err := p.svc.Answer(ctx, r.ID, chengnuo.AnswerRequest{Result: chengnuo.AnswerConsistent, Evidence: "户籍记录一致"})
	if err != nil || a.Status != chengnuo.RequestAnswered || a.Answer.Automatic {
		t.Fatalf("answer: %+v %v", a, err)
	}
	for _, side := range []struct {
		s    *notary.Service
		side string
	}{{p.svc, "to"}, {m.svc, "from"}} {
		l, err := side.s.Requests(ctx, chengnuo.RequestFilter{Side: side.side, State: "all"}, chengnuo.Page{})
		if err != nil || len(l.Items) != 1 || l.LedgerTime.IsZero() {
			t.Fatalf("%s: %+v %v", side.side, l, err)
		}
		for _, state := range []string{"pending", "overdue"} {
			l, err := side.s.Requests(ctx, chengnuo.RequestFilter{Side: side.side, State: state}, chengnuo.Page{})
			if err != nil || len(l.Items) != 0 {
				t.Fatalf("%s %s: %+v %v", side.side, state, l, err)
			}
		}
	}
	_, err = m.svc.Requests(ctx, chengnuo.RequestFilter{Side: "up"}, chengnuo.Page{})
	code(t, err, chengnuo.EINVALID)
	_, err = m.svc.Requests(ctx, chengnuo.RequestFilter{Side: "to", State: "odd"}, chengnuo.Page{})
	code(t, err, chengnuo.EINVALID)
	// A redelivery pass with nothing to deliver does nothing.
	if err := m.svc.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCreditFlow(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	c, _ := withIndex(t, e, "CreditMSP")
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	rc2, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	out, err := m.svc.RecordOutcome(ctx, rc.CommitmentID, chengnuo.OutcomeRequest{Result: chengnuo.VerifyFalse, Level: chengnuo.LevelSerious,
		Disposal: &chengnuo.DisposalRequest{Measures: []string{chengnuo.MeasureRevoked}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	code(t, err, chengnuo.EINELIGIBLE)

	// The letters come from the credit platform's read model, which must
	// first apply what its peer has committed: behind, the lookup waits.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.svc.LookupApplicant(short, alice.IDType, alice.IDNumber, chengnuo.Page{})
	cancel()
	code(t, err, chengnuo.EUNAVAILABLE)
	go func() { _ = c.svc.Follow(ctx, c.ledger) }()
	v, err := c.svc.LookupApplicant(ctx, alice.IDType, " "+strings.ToLower(alice.IDNumber)+" ", chengnuo.Page{Size: 1})
	if err != nil || v.Eligible || len(v.Records) != 1 || len(v.Commitments) != 1 || !v.More || v.Bookmark == "" || v.Height <= out.BlockNumber {
		t.Fatalf("lookup: %+v %v", v, err)
	}
	// Anchoring order, and the record as it stands (the outcome applied).
	if c0 := v.Commitments[0]; c0.ID != rc.CommitmentID || c0.Verification != chengnuo.VerifyFalse || c0.Outcome.CreditID == "" {
		t.Fatalf("first letter: %+v", c0)
	}
	v2, err := c.svc.LookupApplicant(ctx, alice.IDType, alice.IDNumber, chengnuo.Page{Size: 1, Bookmark: v.Bookmark})
	if err != nil || len(v2.Commitments) != 1 || v2.Commitments[0].ID != rc2.CommitmentID || v2.More || v2.Bookmark != "" {
		t.Fatalf("second page: %+v %v", v2, err)
	}
	if other, err := c.svc.LookupApplicant(ctx, letter.IDResident, "110101198001010010", chengnuo.Page{}); err != nil || !other.Eligible || len(other.Commitments) != 0 || len(other.Records) != 0 {
		t.Fatalf("an applicant with no letters: %+v %v", other, err)
	}
	_, err = c.svc.LookupApplicant(ctx, alice.IDType, "123", chengnuo.Page{})
	code(t, err, chengnuo.EINVALID)
	_, err = c.svc.LookupApplicant(ctx, alice.IDType, alice.IDNumber, chengnuo.Page{Size: 1, Bookmark: "!!"})
	code(t, err, chengnuo.EINVALID)
	_, err = c.svc.LookupApplicant(ctx, alice.IDType, alice.IDNumber, chengnuo.Page{Size: -1})
	code(t, err, chengnuo.EINVALID)
	_, err = m.svc.LookupApplicant(ctx, alice.IDType, alice.IDNumber, chengnuo.Page{})
	code(t, err, chengnuo.EFORBIDDEN)
	cid := out.Outcome.CreditID
	_, err = m.svc.FileObjection(ctx, cid, "")
	code(t, err, chengnuo.EINVALID)
	ob, err := m.svc.FileObjection(ctx, cid, "申请人提出异议")
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := m.db.GetText(ctx, ob.ReasonDigest); err != nil || txt.Text != "申请人提出异议" {
		t.Fatalf("objection reason not kept: %+v %v", txt, err)
	}
	if l, err := c.svc.Objections(ctx, chengnuo.Page{}); err != nil || len(l.Items) != 1 || l.Items[0].ID != ob.ID {
		t.Fatalf("objections: %+v %v", l, err)
	}
	dec, err := c.svc.DecideObjection(ctx, ob.ID, chengnuo.ObjectionDecision{Uphold: false, Reason: "经复核异议不成立"})
	if err != nil || dec.Status != chengnuo.ObjectionRejected {
		t.Fatalf("decide: %+v %v", dec, err)
	}
	if txt, err := c.db.GetText(ctx, dec.DecisionDigest); err != nil || txt.Kind != "objection-decision" {
		t.Fatalf("decision reason not kept at the credit platform: %+v %v", txt, err)
	}
	raw := e.net.World.Get(keyOf(t, "objection", ob.ID))
	if bytes.Contains(raw, []byte("异议不成立")) {
		t.Fatal("the decision's reason is on the ledger in clear")
	}
	rep, err := c.svc.RepairCredit(ctx, cid, "已完成整改")
	if err != nil || rep.Status != chengnuo.CreditRepaired {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	if got, err := c.svc.GetCredit(ctx, cid); err != nil || got.Status != chengnuo.CreditRepaired {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func keyOf(t *testing.T, object, id string) string {
	k, err := shim.CreateCompositeKey(object, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSamplingPages(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{SampleWait: time.Millisecond})
	ctx := t.Context()
	from := time.Now().Add(-time.Minute)
	for range 5 {
		if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := m.svc.DrawSample(ctx, chengnuo.SampleRequest{From: from, To: time.Now(), BasePermille: 10, Inspectors: []string{"I-1"}})
	code(t, err, chengnuo.EINVALID)
	sp, err := m.svc.DrawSample(ctx, chengnuo.SampleRequest{ItemCode: "T-1", From: from, To: time.Now().Add(time.Minute), BasePermille: 1000, Inspectors: []string{"I-1", "I-2"}})
	if err != nil {
		t.Fatalf("draw: %+v %v", sp, err)
	}
	if err := e.dept("CreditMSP", notary.Config{}).svc.SampleChanged(ctx, sp); err != nil {
		t.Fatal(err)
	}
	if v, err := m.svc.Sample(ctx, sp.ID, chengnuo.Page{Size: 1}); err != nil || len(v.Sample.Selected) != 5 {
		t.Fatalf("published: %+v %v", v, err)
	} else {
		sp = v.Sample
	}
	var seen []string
	p := chengnuo.Page{Size: 2}
	for {
		v, err := m.svc.Sample(ctx, sp.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range v.Results {
			seen = append(seen, r.CommitmentID)
			if r.Status != chengnuo.StatusActive {
				t.Fatalf("result %+v", r)
			}
		}
		if !v.More {
			break
		}
		p.Bookmark = v.Bookmark
	}
	if strings.Join(seen, ",") != strings.Join(sp.Selected, ",") {
		t.Fatalf("paged results %v, selected %v", seen, sp.Selected)
	}
	_, err = m.svc.Sample(ctx, sp.ID, chengnuo.Page{Bookmark: "x"})
	code(t, err, chengnuo.EINVALID)
	_, err = m.svc.Sample(ctx, sp.ID, chengnuo.Page{Size: -1})
	code(t, err, chengnuo.EINVALID)
}

func TestCatalogAndProposalsPassThrough(t *testing.T) {
	e := newEnv(t)
	j := e.dept("JusticeMSP", notary.Config{})
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	if _, err := j.svc.PublishItem(ctx, testItem("T-1")); err != nil {
		t.Fatal(err)
	}
	l, err := m.svc.ListItems(ctx, chengnuo.Page{})
	if err != nil || len(l.Items) != 1 {
		t.Fatalf("list: %+v %v", l, err)
	}
	_, err = m.svc.GetItem(ctx, "T-1", -1)
	code(t, err, chengnuo.EINVALID)
	p, err := m.svc.ProposeItemChange(ctx, chengnuo.ProposalRequest{Kind: "RETIRE", Code: "T-1", Reason: "建议取消该事项"})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := j.svc.Proposals(ctx, chengnuo.Page{}); err != nil || len(l.Items) != 1 || l.Items[0].ID != p.ID || l.Items[0].Status != "PENDING" {
		t.Fatalf("proposals: %+v %v", l, err)
	}
	d, err := j.svc.DecideProposal(ctx, p.ID, chengnuo.ProposalDecision{Approve: true, Reason: "经审核同意"})
	if err != nil || d.Status != "APPROVED" {
		t.Fatalf("decide: %+v %v", d, err)
	}
	if got, err := m.svc.GetProposal(ctx, p.ID); err != nil || got.Status != "APPROVED" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if err := m.svc.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := m.svc.Anchor(ctx, sm.SM3Hex([]byte("bare")))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := j.svc.FindAnchor(ctx, a.Digest); err != nil || got.TxID != a.TxID {
		t.Fatalf("find: %+v %v", got, err)
	}
	_, err = m.svc.Anchor(ctx, a.Digest)
	code(t, err, chengnuo.ECONFLICT)
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "欧阳娜娜": "欧***", "A": "A*", "": ""} {
		if got := notary.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := notary.New(t.Context(), notary.Config{MSPID: "X", ApplicantSecret: []byte("short")}, nil, nil); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

// TestBusyGatewayGathersLettersInOneBatch: while a batch is in flight, the
// next starts no sooner than BatchLinger after it, and the letters that
// arrive meanwhile share one transaction instead of going one by one to
// idle workers; an idle gateway anchors a letter at once.
func TestBusyGatewayGathersLettersInOneBatch(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{BatchLinger: 2 * time.Second, BatchWorkers: 4})
	ctx := t.Context()

	// Idle: nothing in flight, so no lingering even with a long linger.
	idle, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice))
	if err != nil || idle.Status != chengnuo.StatusActive {
		t.Fatalf("idle submission: %+v %v", idle, err)
	}

	// Hold one batch in flight.
	held, release := e.holdSubmits()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", alice)); err != nil {
			t.Error(err)
		}
	})
	<-held
	start := e.net.Height()
	const n = 12
	var reqs []chengnuo.SubmitRequest
	for range n {
		reqs = append(reqs, signedLetter(t, m.svc, "T-1", alice))
	}
	var sub sync.WaitGroup
	for _, r := range reqs {
		sub.Go(func() {
			if rc, err := m.svc.Submit(ctx, r); err != nil || rc.Status != chengnuo.StatusActive {
				t.Errorf("submission while busy: %+v %v", rc, err)
			}
		})
	}
	sub.Wait()
	if blocks := e.net.Height() - start; blocks != 1 {
		t.Errorf("%d letters arriving while a batch was in flight took %d transactions, want 1", n, blocks)
	}
	close(release)
	wg.Wait()
}

// The registry answers online verification only: a written check waits
// in the inbox for a clerk, whose answer the ledger takes.
func TestWrittenVerificationWaitsForAClerk(t *testing.T) {
	e := newEnv(t)
	it := testItem("T-W")
	it.Verification.Method = "WRITTEN"
	e.publish(it)
	m := e.dept("MarketMSP", notary.Config{})
	reg := &registry{answer: chengnuo.AnswerConsistent}
	p := e.dept("PoliceMSP", notary.Config{Registry: reg})
	ctx := t.Context()
	rc, _ := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-W", alice))
	r, err := m.svc.RequestVerification(ctx, rc.CommitmentID, "书面核查户籍")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.svc.VerificationRequested(ctx, r); err != nil {
		t.Fatal(err)
	}
	if reg.calls[r.ID] != 0 {
		t.Fatalf("the registry was asked %d times about a written check", reg.calls[r.ID])
	}
	if got, _ := p.svc.GetVerification(ctx, r.ID); got.Status != chengnuo.RequestPending {
		t.Fatalf("a written check was answered without a clerk: %+v", got)
	}
	if _, err := p.svc.Answer(ctx, r.ID, chengnuo.AnswerRequest{Result: chengnuo.AnswerConsistent, Evidence: "书面核查一致"}); err != nil {
		t.Fatal(err)
	}
}

// The department's letters, newest first, by status, ID number, number
// and day stored.
func TestLettersFilters(t *testing.T) {
	e := newEnv(t)
	e.publish(testItem("T-1"))
	m := e.dept("MarketMSP", notary.Config{})
	ctx := t.Context()
	var ids []string
	bob := letter.Applicant{Name: "测试乙", IDType: letter.IDResident, IDNumber: "110101199003077571", Contact: "13800138001"}
	for _, a := range []letter.Applicant{alice, bob, alice} {
		rc, err := m.svc.Submit(ctx, signedLetter(t, m.svc, "T-1", a))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.CommitmentID)
	}
	if _, err := m.svc.Withdraw(ctx, ids[1], "改变主意"); err != nil {
		t.Fatal(err)
	}
	got := func(f chengnuo.LetterFilter) []string {
		t.Helper()
		l, err := m.svc.Letters(ctx, f, chengnuo.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range l.Items {
			out = append(out, s.ID)
		}
		return out
	}
	if all := got(chengnuo.LetterFilter{}); fmt.Sprint(all) != fmt.Sprint([]string{ids[2], ids[1], ids[0]}) {
		t.Fatalf("all letters %v, want newest first %v", all, ids)
	}
	if w := got(chengnuo.LetterFilter{Status: chengnuo.StatusWithdrawn}); len(w) != 1 || w[0] != ids[1] {
		t.Fatalf("withdrawn %v", w)
	}
	if a := got(chengnuo.LetterFilter{Query: strings.ToLower(alice.IDNumber)}); len(a) != 2 {
		t.Fatalf("by ID number %v", a)
	}
	st, _ := m.db.Get(ctx, ids[0])
	l, _ := letter.Parse([]byte(st.Canonical))
	if n := got(chengnuo.LetterFilter{Query: l.Number}); len(n) != 1 || n[0] != ids[0] {
		t.Fatalf("by number %q: %v", l.Number, n)
	}
	if n := got(chengnuo.LetterFilter{Query: ids[2]}); len(n) != 1 {
		t.Fatalf("by id: %v", n)
	}
	if n := got(chengnuo.LetterFilter{From: time.Now().Add(time.Hour)}); len(n) != 0 {
		t.Fatalf("stored after an hour from now: %v", n)
	}
	if n := got(chengnuo.LetterFilter{To: time.Now().Add(-time.Hour)}); len(n) != 0 {
		t.Fatalf("stored before an hour ago: %v", n)
	}
}
