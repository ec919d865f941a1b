package notary_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/notary"
	"github.com/chengnuo/chengnuo/sm"
)

// fakeLedger keeps the chaincode's anchoring semantics in memory: a letter
// digest is anchored once; a second anchoring reports CONFLICT with the
// existing record.
type fakeLedger struct {
	chengnuo.Ledger
	mu      sync.Mutex
	items   map[string]*chengnuo.Item
	records map[string]*chengnuo.Commitment
	calls   int
	batches [][]chengnuo.AnchorRequest
	// failBefore fails the next n anchor calls without writing; failAfter
	// writes, then reports failure (a response lost after commit).
	failBefore, failAfter int
}

func newLedger(t *testing.T) (*fakeLedger, *chengnuo.Item) {
	it := &chengnuo.Item{Code: "T-1", Version: 1, Name: "测试", Department: "MarketMSP", Purpose: "p", LegalBasis: "b",
		Content: "c", EligibleApplicants: "e", CommitmentMethod: "m", VerificationPower: "v", Liability: "l",
		Verification: chengnuo.VerificationRule{Exempt: true}, Status: chengnuo.ItemActive}
	nd, err := letter.NoticeDigest(it)
	if err != nil {
		t.Fatal(err)
	}
	it.NoticeDigest = nd
	return &fakeLedger{items: map[string]*chengnuo.Item{it.Code: it}, records: map[string]*chengnuo.Commitment{}}, it
}

func (f *fakeLedger) GetItem(_ context.Context, code string, v int) (*chengnuo.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[code]
	if !ok || (v != 0 && v != it.Version) {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "no item %s", code)
	}
	cp := *it
	return &cp, nil
}

var errDown = &chengnuo.Error{Code: chengnuo.EUNAVAILABLE, Message: "ledger down"}

func (f *fakeLedger) AnchorCommitments(_ context.Context, reqs []chengnuo.AnchorRequest) ([]chengnuo.AnchorResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.batches = append(f.batches, reqs)
	if f.failBefore > 0 {
		f.failBefore--
		return nil, errDown
	}
	out := make([]chengnuo.AnchorResult, len(reqs))
	for i, r := range reqs {
		id := chengnuo.CommitmentID(r.LetterDigest)
		if rec, ok := f.records[id]; ok {
			out[i] = chengnuo.AnchorResult{LetterDigest: r.LetterDigest, Code: chengnuo.ECONFLICT, Record: rec}
			continue
		}
		rec := &chengnuo.Commitment{ID: id, LetterDigest: r.LetterDigest, ItemCode: r.ItemCode, ItemVersion: r.ItemVersion,
			Org: "MarketMSP", ApplicantKey: r.ApplicantKey, Status: chengnuo.StatusActive, TxID: "tx" + id, BlockNumber: 9}
		f.records[id] = rec
		out[i] = chengnuo.AnchorResult{LetterDigest: r.LetterDigest, Created: true, Record: rec}
	}
	if f.failAfter > 0 {
		f.failAfter--
		return nil, errDown
	}
	return out, nil
}

func (f *fakeLedger) GetCommitment(_ context.Context, id string) (*chengnuo.Commitment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.records[id]; ok {
		return r, nil
	}
	return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "no commitment %s", id)
}

func openStore(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newService(t *testing.T, ctx context.Context, l chengnuo.Ledger, db notary.Store) *notary.Service {
	t.Helper()
	s, err := notary.New(ctx, notary.Config{MSPID: "MarketMSP", ApplicantSecret: []byte("0123456789abcdef0123")}, l, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var alice = letter.Applicant{Name: "测试甲", IDType: letter.IDResident, IDNumber: "11010519491231002x", Contact: "13912345678"}

func signedLetter(t *testing.T, s *notary.Service, code string, a letter.Applicant) notary.SubmitRequest {
	t.Helper()
	d, err := s.Draft(context.Background(), notary.DraftRequest{ItemCode: code, Applicant: a, ContactName: "窗口", ContactPhone: "0571-1"})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sm.GenerateKey()
	sig, err := sm.Sign(key, []byte(d.Canonical))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	return notary.SubmitRequest{Letter: d.Canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: string(pub)}
}

// A crash (or an unreachable ledger) between storing a letter and anchoring
// it loses nothing, and the letter is anchored exactly once afterwards.
func TestCrashBetweenStoreAndAnchor(t *testing.T) {
	for _, mode := range []string{"failed before commit", "committed, answer lost"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "letters.db")
			ledger, _ := newLedger(t)
			ctx1, stop1 := context.WithCancel(context.Background())
			db1 := openStore(t, path)
			s1 := newService(t, ctx1, ledger, db1)
			req := signedLetter(t, s1, "T-1", alice)
			if mode == "failed before commit" {
				ledger.failBefore = 1
			} else {
				ledger.failAfter = 1
			}
			if _, err := s1.Submit(ctx1, req); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
				t.Fatalf("submit with the ledger failing: %v", err)
			}
			// The process dies.
			stop1()
			db1.Close()

			db2 := openStore(t, path)
			defer db2.Close()
			ctx2, stop2 := context.WithCancel(context.Background())
			defer stop2()
			s2 := newService(t, ctx2, ledger, db2)
			pending, _ := db2.Pending(ctx2)
			if len(pending) != 1 {
				t.Fatalf("%d letters pending after the crash, want 1", len(pending))
			}
			n, err := s2.Recover(ctx2)
			if err != nil || n != 1 {
				t.Fatalf("recover: %d, %v", n, err)
			}
			if len(ledger.records) != 1 {
				t.Fatalf("%d ledger records, want exactly 1", len(ledger.records))
			}
			if pending, _ := db2.Pending(ctx2); len(pending) != 0 {
				t.Fatalf("%d letters still pending", len(pending))
			}
			calls := ledger.calls
			r, err := s2.Submit(ctx2, req)
			if err != nil || r.TxID == "" || ledger.calls != calls || len(ledger.records) != 1 {
				t.Fatalf("resubmission after recovery: %+v, %v (calls %d -> %d)", r, err, calls, ledger.calls)
			}
		})
	}
}

func TestConcurrentSubmissionsShareBatchesAndAnchorOnce(t *testing.T) {
	ledger, _ := newLedger(t)
	db := openStore(t, filepath.Join(t.TempDir(), "l.db"))
	defer db.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	s := newService(t, ctx, ledger, db)
	var reqs []notary.SubmitRequest
	for range 20 {
		reqs = append(reqs, signedLetter(t, s, "T-1", alice))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for _, r := range reqs {
		for range 3 { // each letter three times at once
			wg.Go(func() {
				if _, err := s.Submit(ctx, r); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(ledger.records) != 20 {
		t.Fatalf("%d records, want 20", len(ledger.records))
	}
	if ledger.calls >= 60 {
		t.Fatalf("%d ledger calls for 60 submissions: no batching", ledger.calls)
	}
	for _, b := range ledger.batches {
		seen := map[string]bool{}
		for _, r := range b {
			if seen[r.LetterDigest] {
				t.Fatal("a batch holds the same letter twice")
			}
			seen[r.LetterDigest] = true
		}
	}
}

func TestSubmitRefusalsStoreNothing(t *testing.T) {
	ledger, it := newLedger(t)
	db := openStore(t, filepath.Join(t.TempDir(), "l.db"))
	defer db.Close()
	ctx := t.Context()
	s := newService(t, ctx, ledger, db)
	good := signedLetter(t, s, "T-1", alice)
	other := signedLetter(t, s, "T-1", alice)

	retired := *it
	retired.Status = chengnuo.ItemRetired
	cases := []struct {
		name  string
		req   notary.SubmitRequest
		setup func()
		code  string
	}{
		{"bad signature", notary.SubmitRequest{Letter: good.Letter, Signature: other.Signature, PublicKey: good.PublicKey}, nil, chengnuo.EINVALID},
		{"wrong key", notary.SubmitRequest{Letter: good.Letter, Signature: good.Signature, PublicKey: other.PublicKey}, nil, chengnuo.EINVALID},
		{"signature not base64 or hex", notary.SubmitRequest{Letter: good.Letter, Signature: "!!", PublicKey: good.PublicKey}, nil, chengnuo.EINVALID},
		{"both key and certificate", notary.SubmitRequest{Letter: good.Letter, Signature: good.Signature, PublicKey: good.PublicKey, Certificate: "x"}, nil, chengnuo.EINVALID},
		{"non-SM2 certificate", notary.SubmitRequest{Letter: good.Letter, Signature: good.Signature, Certificate: p256CertPEM(t)}, nil, chengnuo.EINVALID},
		{"empty letter", notary.SubmitRequest{Signature: good.Signature, PublicKey: good.PublicKey}, nil, chengnuo.EINVALID},
		{"retired item", good, func() { ledger.items["T-1"] = &retired }, chengnuo.EINVALID},
		{"unknown item", good, func() { delete(ledger.items, "T-1") }, chengnuo.EINVALID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			_, err := s.Submit(ctx, tc.req)
			if chengnuo.ErrorCode(err) != tc.code {
				t.Fatalf("code %s (%v), want %s", chengnuo.ErrorCode(err), err, tc.code)
			}
			if p, _ := db.Pending(ctx); len(p) != 0 || len(ledger.records) != 0 {
				t.Fatal("a refused letter was stored or anchored")
			}
		})
	}
}

func TestVerify(t *testing.T) {
	ledger, _ := newLedger(t)
	db := openStore(t, filepath.Join(t.TempDir(), "l.db"))
	defer db.Close()
	ctx := t.Context()
	s := newService(t, ctx, ledger, db)
	req := signedLetter(t, s, "T-1", alice)
	if _, err := s.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	v, err := s.VerifyLetter(ctx, []byte(req.Letter))
	if err != nil || !v.Anchored || v.Record.ApplicantKey != "" {
		t.Fatalf("verify: %+v %v (the public record must not carry the applicant key)", v, err)
	}
	v, err = s.VerifyLetter(ctx, []byte(req.Letter+" "))
	if err != nil || v.Anchored || v.LetterDigest != sm.SM3Hex([]byte(req.Letter+" ")) {
		t.Fatalf("tampered: %+v %v", v, err)
	}
	if _, err := s.VerifyDigest(ctx, "xyz"); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Fatalf("bad digest: %v", err)
	}
}

func TestCertificateSigner(t *testing.T) {
	ledger, _ := newLedger(t)
	db := openStore(t, filepath.Join(t.TempDir(), "l.db"))
	defer db.Close()
	ctx := t.Context()
	rootKey, _ := sm.GenerateKey()
	leafKey, _ := sm.GenerateKey()
	now := time.Now()
	root := &smx509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign}
	rootDER, _ := smx509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	rootCert, _ := smx509.ParseCertificate(rootDER)
	mk := func(notAfter time.Time, parent *smx509.Certificate, parentKey any) string {
		tmpl := &smx509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: now.Add(-time.Hour), NotAfter: notAfter}
		der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, &leafKey.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	pool := smx509.NewCertPool()
	pool.AddCert(rootCert)
	s, err := notary.New(ctx, notary.Config{MSPID: "MarketMSP", ApplicantSecret: []byte("0123456789abcdef0123"), Roots: pool}, ledger, db)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Draft(ctx, notary.DraftRequest{ItemCode: "T-1", Applicant: alice, ContactName: "窗口", ContactPhone: "1"})
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := sm.Sign(leafKey, []byte(d.Canonical))
	b64 := base64.StdEncoding.EncodeToString(sig)
	pub, _ := sm.MarshalPublicKeyPEM(&leafKey.PublicKey)
	selfKey, _ := sm.GenerateKey()
	selfSigned := &smx509.Certificate{SerialNumber: big.NewInt(9), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	selfDER, _ := smx509.CreateCertificate(rand.Reader, selfSigned, selfSigned, &leafKey.PublicKey, selfKey)
	refused := map[string]notary.SubmitRequest{
		"expired certificate":         {Letter: d.Canonical, Signature: b64, Certificate: mk(now.Add(-time.Minute), rootCert, rootKey)},
		"certificate from no root":    {Letter: d.Canonical, Signature: b64, Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfDER}))},
		"bare key when roots are set": {Letter: d.Canonical, Signature: b64, PublicKey: string(pub)},
	}
	for name, req := range refused {
		if _, err := s.Submit(ctx, req); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	r, err := s.Submit(ctx, notary.SubmitRequest{Letter: d.Canonical, Signature: b64, Certificate: mk(now.Add(time.Hour), rootCert, rootKey)})
	if err != nil || r.CommitmentID == "" {
		t.Fatalf("valid certificate refused: %v", err)
	}
}

// fakeVL answers only LedgerTime.
type fakeVL struct {
	chengnuo.VerificationLedger
	now time.Time
}

func (f *fakeVL) LedgerTime(context.Context) (time.Time, error) { return f.now, nil }

// A letter is disclosed, masked, while its period runs by ledger time, and
// leaves the list when the period ends — whatever the gateway's clock says.
func TestDisclosurePeriodByLedgerTime(t *testing.T) {
	ledger, it := newLedger(t)
	it.Disclosure = chengnuo.Disclosure{Public: true, Scope: "政务网", PeriodDays: 7}
	db := openStore(t, filepath.Join(t.TempDir(), "l.db"))
	defer db.Close()
	ctx := t.Context()
	vl := &fakeVL{}
	s, err := notary.New(ctx, notary.Config{MSPID: "MarketMSP", ApplicantSecret: []byte("0123456789abcdef0123"), Verification: vl,
		Now: func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }}, ledger, db)
	if err != nil {
		t.Fatal(err)
	}
	// Re-derive the notice digest for the changed disclosure rule.
	it.NoticeDigest, _ = letter.NoticeDigest(it)
	r, err := s.Submit(ctx, signedLetter(t, s, "T-1", alice))
	if err != nil {
		t.Fatal(err)
	}
	anchored := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	ledger.records[r.CommitmentID].AnchoredAt = anchored
	st, _ := db.Get(ctx, r.CommitmentID)
	st.Record.AnchoredAt = anchored
	if err := db.MarkAnchored(ctx, st.ID, st.Record); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now   time.Time
		shown bool
	}{
		{anchored.Add(time.Hour), true},
		{anchored.Add(7*24*time.Hour - time.Second), true},
		{anchored.Add(7 * 24 * time.Hour), false},
		{anchored.Add(-time.Hour), false},
	} {
		vl.now = tc.now
		ds, _, err := s.Disclosures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (len(ds) == 1) != tc.shown {
			t.Fatalf("at ledger time %s: %d disclosures, shown want %v", tc.now, len(ds), tc.shown)
		}
		if tc.shown && (ds[0].Applicant != "测**" || ds[0].Scope != "政务网" || !ds[0].Until.Equal(anchored.Add(7*24*time.Hour))) {
			t.Fatalf("disclosure %+v", ds[0])
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "欧阳娜娜": "欧***", "A": "A*", "": ""} {
		if got := notary.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
