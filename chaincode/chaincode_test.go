package chaincode_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/chaincode"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

func TestAnchorRecordsCallerOrgTimeAndTx(t *testing.T) {
	l := newLedger(t)
	a := must(t, l.as(t, "MarketMSP"), contract.Anchor, contract.DigestArgs{Digest: strings.ToUpper(digest)})
	want := chengnuo.Anchor{Digest: digest, Org: "MarketMSP", TxID: "tx0001", Timestamp: l.now}
	if *a != want {
		t.Fatalf("record = %+v, want %+v", a, want)
	}
	ev, _ := contract.Anchored.Decode(l.events[contract.Anchored.Name])
	if ev == nil || *ev != want {
		t.Fatalf("event payload = %+v, want the record", ev)
	}
	if got := must(t, l.as(t, "PoliceMSP"), contract.GetAnchor, contract.DigestArgs{Digest: digest}); *got != want {
		t.Fatalf("GetAnchor = %+v", got)
	}
	refused(t, l, contract.Anchor, contract.DigestArgs{Digest: digest}, chengnuo.ECONFLICT)
	if l.events != nil {
		t.Fatal("a refused anchor emitted an event")
	}
	refused(t, l, contract.GetAnchor, contract.DigestArgs{Digest: hex64("ab")}, chengnuo.ENOTFOUND)
	refused(t, l, contract.GetAnchor, contract.DigestArgs{Digest: "x"}, chengnuo.EINVALID)
	refused(t, l, contract.Anchor, contract.DigestArgs{Digest: strings.Repeat("g", 64)}, chengnuo.EINVALID)
}

func TestInvokeErrorsAreCoded(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code string
	}{
		{"no function", nil, chengnuo.EINVALID},
		{"unknown function", []string{"Nope"}, chengnuo.EINVALID},
		{"no argument", []string{"Anchor"}, chengnuo.EINVALID},
		{"two arguments", []string{"Anchor", `{"digest":"` + digest + `"}`, `{}`}, chengnuo.EINVALID},
		{"positional argument", []string{"Anchor", digest}, chengnuo.EINVALID},
		{"unknown field", []string{"Anchor", `{"digest":"` + digest + `","org":"PoliceMSP"}`}, chengnuo.EINVALID},
		{"trailing data", []string{"Anchor", `{"digest":"` + digest + `"} {}`}, chengnuo.EINVALID},
		{"wrong type", []string{"Anchor", `{"digest":42}`}, chengnuo.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(t)
			var args [][]byte
			for _, a := range tt.args {
				args = append(args, []byte(a))
			}
			l.invoke(t, args...)
			if lastStatus == shim.OK || !strings.HasPrefix(lastResponse, tt.code+": ") {
				t.Fatalf("got %d %q, want %s", lastStatus, lastResponse, tt.code)
			}
			if len(l.world.Keys()) != 0 {
				t.Fatal("a failed call wrote state")
			}
		})
	}
}

// Every function of the wire contract is served, and nothing else.
func TestEveryContractFunctionIsServed(t *testing.T) {
	names := []string{contract.Ping.Name, contract.Anchor.Name, contract.GetAnchor.Name, contract.PublishItem.Name,
		contract.RetireItem.Name, contract.GetItem.Name, contract.ListItems.Name, contract.AnchorCommitments.Name,
		contract.GetCommitment.Name, contract.Withdraw.Name, contract.Conclude.Name, contract.RequestVerification.Name,
		contract.DeliverDetails.Name, contract.GetRequestDetails.Name, contract.PurgeDetails.Name,
		contract.AnswerVerification.Name, contract.GetVerification.Name, contract.ListRequests.Name,
		contract.RecordOutcome.Name, contract.GetStanding.Name, contract.GetCredit.Name, contract.RepairCredit.Name,
		contract.FileObjection.Name, contract.DecideObjection.Name, contract.DrawSample.Name, contract.GetSample.Name,
		contract.ProposeItemChange.Name, contract.DecideProposal.Name, contract.GetProposal.Name, contract.ListProposals.Name, contract.ListObjections.Name, contract.PublishSample.Name,
		contract.ShareText.Name, contract.GetText.Name, contract.ContributeSample.Name, contract.PutDepartment.Name, contract.ListDepartments.Name,
		contract.PutCalendar.Name, contract.GetCalendar.Name, contract.ReportCatalogChange.Name, contract.ListCatalogChanges.Name}
	got := chaincode.Functions()
	slices.Sort(names)
	slices.Sort(got)
	if !slices.Equal(names, got) {
		t.Fatalf("served %v, contract %v", got, names)
	}
}

func TestPing(t *testing.T) {
	l := newLedger(t)
	p := must(t, l, contract.Ping, contract.Empty{})
	if p.Channel != "chengnuo" || p.Version == "" {
		t.Fatalf("Ping = %+v", p)
	}
}

func TestCatalog(t *testing.T) {
	l := newLedger(t)
	refused(t, l.as(t, "MarketMSP"), contract.PublishItem, testItem("A-1"), chengnuo.EFORBIDDEN)
	l.as(t, "JusticeMSP")
	bad := map[string]func(*chengnuo.Item){
		"code":        func(it *chengnuo.Item) { it.Code = "bad code!" },
		"empty name":  func(it *chengnuo.Item) { it.Name = "" },
		"too long":    func(it *chengnuo.Item) { it.Content = strings.Repeat("x", 12001) },
		"disclosure":  func(it *chengnuo.Item) { it.Disclosure = chengnuo.Disclosure{Public: true} },
		"method":      func(it *chengnuo.Item) { it.Verification.Method = "PHONE" },
		"time limit":  func(it *chengnuo.Item) { it.Verification.TimeLimitDays = 0 },
		"no verifier": func(it *chengnuo.Item) { it.Verification.Department = "" },
	}
	for name, mutate := range bad {
		it := testItem("A-1")
		mutate(&it)
		if _, err := call(t, l, contract.PublishItem, it); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	v1 := must(t, l, contract.PublishItem, testItem("A-1"))
	if v1.Version != 1 || v1.Status != chengnuo.ItemActive || v1.NoticeDigest == "" || v1.PublishedTx == "" {
		t.Fatalf("v1 = %+v", v1)
	}
	if ev, _ := contract.ItemPublished.Decode(l.events[contract.ItemPublished.Name]); ev == nil || ev.Version != 1 {
		t.Fatalf("no ItemPublished event: %v", l.events)
	}
	changed := testItem("A-1")
	changed.Content = "新内容"
	v2 := must(t, l, contract.PublishItem, changed)
	if v2.Version != 2 || v2.NoticeDigest == v1.NoticeDigest {
		t.Fatalf("v2 = %+v", v2)
	}
	if old := must(t, l, contract.GetItem, contract.ItemArgs{Code: "A-1", Version: 1}); old.Status != chengnuo.ItemSuperseded {
		t.Fatalf("v1 now %s", old.Status)
	}
	refused(t, l, contract.GetItem, contract.ItemArgs{Code: "A-1", Version: 3}, chengnuo.ENOTFOUND)
	refused(t, l, contract.GetItem, contract.ItemArgs{Code: "A-1", Version: -1}, chengnuo.EINVALID)
	refused(t, l, contract.GetItem, contract.ItemArgs{Code: "Z-9"}, chengnuo.ENOTFOUND)
	refused(t, l.as(t, "PoliceMSP"), contract.RetireItem, contract.ItemArgs{Code: "A-1"}, chengnuo.EFORBIDDEN)
	l.as(t, "JusticeMSP")
	refused(t, l, contract.RetireItem, contract.ItemArgs{Code: "A-1", Version: 1}, chengnuo.EINVALID)
	refused(t, l, contract.RetireItem, contract.ItemArgs{Code: "Z-9"}, chengnuo.ENOTFOUND)
	if r := must(t, l, contract.RetireItem, contract.ItemArgs{Code: "A-1"}); r.Status != chengnuo.ItemRetired {
		t.Fatalf("retired item says %s", r.Status)
	}
	refused(t, l, contract.RetireItem, contract.ItemArgs{Code: "A-1"}, chengnuo.ECONFLICT)
	if got := must(t, l, contract.GetItem, contract.ItemArgs{Code: "A-1"}); got.Status != chengnuo.ItemRetired || got.Version != 2 {
		t.Fatalf("after retiring: %+v", got)
	}
	for _, c := range []string{"B-1", "C-1", "D-1"} {
		must(t, l, contract.PublishItem, testItem(c))
	}
	var codes []string
	p := contract.PageArgs{PageSize: 3}
	for {
		page := must(t, l, contract.ListItems, p)
		for _, it := range page.Items {
			codes = append(codes, it.Code)
		}
		if !page.More {
			break
		}
		p.Bookmark = page.Bookmark
	}
	if strings.Join(codes, ",") != "A-1,B-1,C-1,D-1" {
		t.Fatalf("listed %v", codes)
	}
	refused(t, l, contract.ListItems, contract.PageArgs{PageSize: contract.MaxPageSize + 1}, chengnuo.EINVALID)
}

// TestAnchorBatchRules holds for both forms of a batch: one object per
// letter, and the compact notices and rows the gateway sends.
func TestAnchorBatchRules(t *testing.T) {
	forms := []struct {
		name string
		args func([]chengnuo.AnchorRequest) contract.AnchorBatchArgs
	}{
		{"letters", func(r []chengnuo.AnchorRequest) contract.AnchorBatchArgs { return contract.AnchorBatchArgs{Letters: r} }},
		{"rows", contract.CompactBatch},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			l, it, id := seed(t)
			ok := letterReq(it, hex64("01"), hex64("aa"))
			// Two letters whose digests share the 24 hex characters of the id.
			clash := letterReq(it, hex64("01")[:60]+"ffff", hex64("aa"))
			reqs := []chengnuo.AnchorRequest{
				ok, ok, clash,
				letterReq(it, digest, hex64("aa")), // anchored by seed
				{LetterDigest: "NOTHEX", ItemCode: it.Code, ItemVersion: 1, NoticeDigest: it.NoticeDigest, ApplicantKey: hex64("aa"), SignedBy: "SM2"},
				{LetterDigest: hex64("02"), ItemCode: it.Code, ItemVersion: 1, NoticeDigest: it.NoticeDigest, ApplicantKey: hex64("aa"), SignedBy: "INK"},
				{LetterDigest: hex64("03"), ItemCode: it.Code, ItemVersion: 1, NoticeDigest: it.NoticeDigest, ApplicantKey: "short", SignedBy: "SM2"},
				{LetterDigest: hex64("04"), ItemCode: it.Code, ItemVersion: 0, NoticeDigest: it.NoticeDigest, ApplicantKey: hex64("aa"), SignedBy: "SM2"},
				{LetterDigest: hex64("05"), ItemCode: it.Code, ItemVersion: 1, NoticeDigest: hex64("99"), ApplicantKey: hex64("aa"), SignedBy: "SM2"},
				{LetterDigest: hex64("06"), ItemCode: "NONE", ItemVersion: 1, NoticeDigest: it.NoticeDigest, ApplicantKey: hex64("aa"), SignedBy: "SM2"},
			}
			res := must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, form.args(reqs)).Results
			want := []string{"", chengnuo.EINVALID, chengnuo.ECONFLICT, chengnuo.ECONFLICT, chengnuo.EINVALID, chengnuo.EINVALID,
				chengnuo.EINVALID, chengnuo.EINVALID, chengnuo.EINVALID, chengnuo.EINVALID}
			for i, r := range res {
				if r.Code != want[i] || r.Created != (want[i] == "") {
					t.Errorf("letter %d: %+v, want code %q", i, r, want[i])
				}
			}
			if res[3].Record == nil || res[3].Record.ID != id {
				t.Fatalf("an anchored letter's conflict does not carry its record: %+v", res[3])
			}
			created, _ := contract.CommitmentsAnchored.Decode(l.events[contract.CommitmentsAnchored.Name])
			if created == nil || len(*created) != 1 || (*created)[0] != chengnuo.CommitmentID(ok.LetterDigest) {
				t.Fatalf("event: %v", created)
			}
			c := must(t, l, contract.GetCommitment, contract.IDArgs{ID: chengnuo.CommitmentID(ok.LetterDigest)})
			if c.LetterDigest != ok.LetterDigest || c.Org != "MarketMSP" || c.Status != chengnuo.StatusActive || len(c.History) != 1 {
				t.Fatalf("record %+v", c)
			}
			// The state holds the new record without what it repeats.
			if raw := string(l.world.Get("\x00commitment\x00" + c.ID + "\x00")); raw == "" ||
				strings.Contains(raw, `"history"`) || strings.Contains(raw, `"id"`) {
				t.Fatalf("new record in the state: %q", raw)
			}
			// No key per applicant: the read models list an applicant's letters.
			for _, k := range l.world.Keys() {
				if strings.Contains(k, hex64("aa")) {
					t.Fatalf("the state has a key for the applicant: %q", k)
				}
			}
			refused(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{}, chengnuo.EINVALID)
			refused(t, l, contract.AnchorCommitments, form.args(make([]chengnuo.AnchorRequest, contract.MaxBatch+1)), chengnuo.EINVALID)
			refused(t, l, contract.GetCommitment, contract.IDArgs{ID: "CNnone"}, chengnuo.ENOTFOUND)

			must(t, l.as(t, "JusticeMSP"), contract.RetireItem, contract.ItemArgs{Code: it.Code})
			res = must(t, l.as(t, "MarketMSP"), contract.AnchorCommitments, form.args([]chengnuo.AnchorRequest{
				letterReq(it, hex64("07"), hex64("aa"))})).Results
			if res[0].Code != chengnuo.EINVALID {
				t.Fatalf("a letter for a retired item: %+v", res[0])
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	l, _, id := seed(t)
	refused(t, l.as(t, "PoliceMSP"), contract.Withdraw, contract.TransitionArgs{ID: id, ReasonDigest: digest}, chengnuo.EFORBIDDEN)
	l.as(t, "MarketMSP")
	refused(t, l, contract.Withdraw, contract.TransitionArgs{ID: id}, chengnuo.EINVALID)
	refused(t, l, contract.Conclude, contract.TransitionArgs{ID: id, ReasonDigest: digest}, chengnuo.EINVALID)
	refused(t, l, contract.Withdraw, contract.TransitionArgs{ID: "CNnone", ReasonDigest: digest}, chengnuo.ENOTFOUND)
	c := must(t, l, contract.Conclude, contract.TransitionArgs{ID: id})
	if c.Status != chengnuo.StatusConcluded || len(c.History) != 2 || c.History[1].Org != "MarketMSP" || c.History[1].TxID == "" {
		t.Fatalf("concluded: %+v", c)
	}
	if ev, _ := contract.CommitmentChanged.Decode(l.events[contract.CommitmentChanged.Name]); ev == nil || ev.Status != chengnuo.StatusConcluded {
		t.Fatal("no CommitmentChanged event")
	}
	refused(t, l, contract.Withdraw, contract.TransitionArgs{ID: id, ReasonDigest: digest}, chengnuo.ECONFLICT)
}

func TestSampleSelectionIsReproducible(t *testing.T) {
	hits := 0
	for i := range 1000 {
		id := "CN" + strings.Repeat("0", 20) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if chaincode.SampleSelected("seed", id, 300) {
			hits++
		}
		if chaincode.SampleSelected("seed", id, 0) || !chaincode.SampleSelected("seed", id, 1000) {
			t.Fatal("rates 0 and 1000 must select none and all")
		}
	}
	if hits < 200 || hits > 400 {
		t.Fatalf("%d of 1000 selected at 300 permille", hits)
	}
}

var pool = []string{"INSP-01", "INSP-02", "INSP-03", "INSP-04"}

// draw records a draw as the current organization, has PoliceMSP (or
// JusticeMSP, for a police draw) contribute, and publishes it.
func draw(t *testing.T, l *ledger, a chengnuo.SampleRequest) *chengnuo.Sample {
	t.Helper()
	drawer := l.msp
	secret := strings.Repeat("5e", 32)
	raw, _ := hex.DecodeString(secret)
	s := must(t, l, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: a, Commitment: sm.SM3Hex(raw)})
	if s.Status != chengnuo.SampleDrawn || len(s.Selected) != 0 || s.Seed != "" || l.events[contract.SampleChanged.Name] == nil {
		t.Fatalf("a draw decided its selection before the exchange: %+v", s)
	}
	refused(t, l, contract.PublishSample, contract.PublishSampleArgs{ID: s.ID, Secret: secret}, chengnuo.ECONFLICT) // no contribution yet
	refused(t, l, contract.ContributeSample, contract.ContributeSampleArgs{ID: s.ID, Contribution: hex64("c0")}, chengnuo.EFORBIDDEN)
	other := "PoliceMSP"
	if drawer == other {
		other = "JusticeMSP"
	}
	refused(t, l.as(t, other), contract.ContributeSample, contract.ContributeSampleArgs{ID: s.ID, Contribution: "short"}, chengnuo.EINVALID)
	c := must(t, l, contract.ContributeSample, contract.ContributeSampleArgs{ID: s.ID, Contribution: hex64("c0")})
	if c.Status != chengnuo.SampleContributed || c.ContributedBy != other {
		t.Fatalf("contributed: %+v", c)
	}
	refused(t, l, contract.ContributeSample, contract.ContributeSampleArgs{ID: s.ID, Contribution: hex64("c1")}, chengnuo.ECONFLICT)
	refused(t, l, contract.PublishSample, contract.PublishSampleArgs{ID: s.ID, Secret: secret}, chengnuo.EFORBIDDEN) // not the drawer
	l.as(t, drawer)
	refused(t, l, contract.PublishSample, contract.PublishSampleArgs{ID: s.ID, Secret: strings.Repeat("00", 32)}, chengnuo.EINVALID)
	p := must(t, l, contract.PublishSample, contract.PublishSampleArgs{ID: s.ID, Secret: secret})
	refused(t, l, contract.PublishSample, contract.PublishSampleArgs{ID: s.ID, Secret: secret}, chengnuo.ECONFLICT)
	if p.Status != chengnuo.SamplePublished || p.Seed != chaincode.SampleSeed(secret, hex64("c0"), s.ID) {
		t.Fatalf("published: %+v", p)
	}
	return p
}

func TestSampling(t *testing.T) {
	l, it, first := seed(t)
	l.as(t, "MarketMSP")
	t0 := l.now
	var ids []string
	for i := range 5 {
		l.now = t0.Add(time.Duration(i+1) * time.Hour)
		d := hex64(string(rune('a'+i)) + "0")
		must(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: []chengnuo.AnchorRequest{letterReq(it, d, hex64("bb"))}})
		ids = append(ids, chengnuo.CommitmentID(d))
	}
	must(t, l, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: first, Result: chengnuo.VerifyVerified})
	l.now = t0.Add(10 * time.Hour)
	// [t0+2h, t0+4h): the second and third letters only.
	s := draw(t, l, chengnuo.SampleRequest{ItemCode: it.Code, From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour), BasePermille: 1000, Inspectors: pool})
	var got []string
	for _, c := range s.Candidates {
		got = append(got, c.CommitmentID)
	}
	if !slices.Equal(got, ids[1:3]) || !slices.Equal(s.Selected, ids[1:3]) || s.Status != chengnuo.SamplePublished {
		t.Fatalf("candidates %v, selected %v, want %v", got, s.Selected, ids[1:3])
	}
	if len(s.Assignments) != 2 {
		t.Fatalf("assignments %+v", s.Assignments)
	}
	for _, a := range s.Assignments {
		want := chaincode.AssignInspectors(s.Seed, a.CommitmentID, pool)
		if !slices.Equal(a.Inspectors, want) || len(a.Inspectors) != 2 || a.Inspectors[0] == a.Inspectors[1] {
			t.Fatalf("inspectors %v, want two distinct %v", a.Inspectors, want)
		}
	}
	// The same period, or an overlapping one, cannot be drawn again.
	refused(t, l, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: chengnuo.SampleRequest{ItemCode: it.Code, From: t0.Add(3 * time.Hour), To: t0.Add(5 * time.Hour), BasePermille: 10, Inspectors: pool}, Commitment: digest}, chengnuo.ECONFLICT)
	if s2 := must(t, l, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: chengnuo.SampleRequest{ItemCode: it.Code, From: t0.Add(4 * time.Hour), To: t0.Add(6 * time.Hour), BasePermille: 10, Inspectors: pool}, Commitment: digest}); len(s2.Candidates) != 2 {
		t.Fatalf("the next period: %+v", s2.Candidates)
	}
	// Another department's draw sees none of market's letters.
	if s := must(t, l.as(t, "PoliceMSP"), contract.DrawSample, contract.DrawSampleArgs{SampleRequest: chengnuo.SampleRequest{ItemCode: it.Code, From: t0, To: l.now, BasePermille: 10, Inspectors: pool}, Commitment: digest}); len(s.Candidates) != 0 {
		t.Fatalf("police drew market's letters: %+v", s.Candidates)
	}
	l.as(t, "MarketMSP")
	if _, err := call(t, l, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: chengnuo.SampleRequest{ItemCode: it.Code, From: l.now.Add(time.Hour), To: l.now.Add(2 * time.Hour), BasePermille: 10, Inspectors: pool}, Commitment: "x"}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
		t.Errorf("no commitment: %v", err)
	}
	for name, a := range map[string]chengnuo.SampleRequest{
		"reversed":     {ItemCode: it.Code, From: l.now, To: t0, BasePermille: 10, Inspectors: pool},
		"rate 0":       {ItemCode: it.Code, From: t0, To: l.now, BasePermille: 0, Inspectors: pool},
		"rate":         {ItemCode: it.Code, From: t0, To: l.now, BasePermille: 1001, Inspectors: pool},
		"item":         {ItemCode: "bad item!", From: t0, To: l.now, BasePermille: 10, Inspectors: pool},
		"no from":      {ItemCode: it.Code, To: l.now, BasePermille: 10, Inspectors: pool},
		"no pool":      {ItemCode: it.Code, From: t0, To: l.now, BasePermille: 10},
		"a name":       {ItemCode: it.Code, From: t0, To: l.now, BasePermille: 10, Inspectors: []string{"张三"}},
		"twice a code": {ItemCode: it.Code, From: t0, To: l.now, BasePermille: 10, Inspectors: []string{"A", "A"}},
	} {
		if _, err := call(t, l, contract.DrawSample, contract.DrawSampleArgs{SampleRequest: a, Commitment: digest}); chengnuo.ErrorCode(err) != chengnuo.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	got2 := must(t, l.as(t, "CreditMSP"), contract.GetSample, contract.IDArgs{ID: s.ID})
	if got2.Seed != s.Seed {
		t.Fatal("GetSample differs")
	}
	raw, _ := json.Marshal(got2)
	if strings.Contains(string(raw), hex64("bb")) {
		t.Fatal("a sample holds applicant keys")
	}
}

// TestSamplingIndexOnePerBatch: a batch writes one (department, item, time)
// index entry per item, listing its letters; a draw reads those and entries
// written one per letter by earlier versions alike.
func TestSamplingIndexOnePerBatch(t *testing.T) {
	l, it, _ := seed(t)
	it2 := must(t, l.as(t, "JusticeMSP"), contract.PublishItem, testItem("T-2"))
	l.as(t, "MarketMSP")
	t0 := l.now
	l.now = t0.Add(time.Hour)
	var reqs []chengnuo.AnchorRequest
	var want1, want2 []string
	for _, d := range []string{"c1", "a1", "b1"} {
		reqs = append(reqs, letterReq(it, hex64(d), hex64("bb")))
		want1 = append(want1, chengnuo.CommitmentID(hex64(d)))
	}
	for _, d := range []string{"e1", "d1"} {
		reqs = append(reqs, letterReq(it2, hex64(d), hex64("bb")))
		want2 = append(want2, chengnuo.CommitmentID(hex64(d)))
	}
	must(t, l, contract.AnchorCommitments, contract.AnchorBatchArgs{Letters: reqs})
	slices.Sort(want1)
	slices.Sort(want2)
	var index []string
	for _, k := range l.world.Keys() {
		if strings.HasPrefix(k, "orgitem\x01") {
			index = append(index, k)
		}
	}
	if len(index) != 3 { // the seed's letter, and one per item of the batch
		t.Fatalf("index keys %q, want 3", index)
	}
	// The seed's letter as an earlier version indexed it: one key per letter.
	seedKey := index[0]
	seedID := string(l.world.Get(seedKey))
	if !strings.HasPrefix(seedKey, "orgitem\x01MarketMSP\x01T-1\x01") || strings.Contains(seedID, ",") {
		t.Fatalf("the seed's entry %q = %q", seedKey, seedID)
	}
	l.world.Rewrite(map[string][]byte{seedKey: nil, seedKey[:strings.LastIndexByte(seedKey, '\x01')+1] + seedID: {0}})

	l.now = t0.Add(2 * time.Hour)
	s := draw(t, l, chengnuo.SampleRequest{ItemCode: it.Code, From: t0, To: l.now, BasePermille: 1000, Inspectors: pool})
	var got []string
	for _, c := range s.Candidates {
		got = append(got, c.CommitmentID)
	}
	if want := append([]string{seedID}, want1...); !slices.Equal(got, want) {
		t.Fatalf("candidates of %s %v, want %v", it.Code, got, want)
	}
	s2 := draw(t, l, chengnuo.SampleRequest{ItemCode: it2.Code, From: t0, To: l.now, BasePermille: 1000, Inspectors: pool})
	got = got[:0]
	for _, c := range s2.Candidates {
		got = append(got, c.CommitmentID)
	}
	if !slices.Equal(got, want2) {
		t.Fatalf("candidates of %s %v, want %v", it2.Code, got, want2)
	}
}

func TestSamplePermilleByCredit(t *testing.T) {
	l, it, first := seed(t)
	l.as(t, "MarketMSP")
	must(t, l, contract.RecordOutcome, contract.OutcomeArgs{CommitmentID: first, Result: chengnuo.VerifyFalse, Level: chengnuo.LevelMinor,
		Disposal: &chengnuo.Disposal{Measures: []string{chengnuo.MeasureTerminated}}})
	from := l.now.Add(-time.Hour)
	l.now = l.now.Add(time.Minute)
	s := draw(t, l, chengnuo.SampleRequest{ItemCode: it.Code, From: from, To: l.now, BasePermille: 1, Inspectors: pool[:1]})
	if len(s.Candidates) != 1 || s.Candidates[0].Permille != 1000 || len(s.Selected) != 1 || len(s.Assignments[0].Inspectors) != 1 {
		t.Fatalf("an applicant with an active record: %+v", s)
	}
}

// A transaction dated further than the bound from the endorsing server's
// clock is refused; a query is not a transaction and is not checked.
func TestClockSkew(t *testing.T) {
	l := newLedger(t)
	for _, tc := range []struct {
		skew time.Duration
		ok   bool
	}{{-time.Minute, true}, {4 * time.Minute, true}, {-6 * time.Minute, false}, {10 * time.Minute, false}} {
		l.clock = l.now.Add(tc.skew)
		_, err := call(t, l.as(t, "MarketMSP"), contract.Anchor, contract.DigestArgs{Digest: hex64(fmt.Sprintf("%02x", int(tc.skew.Minutes())&0xff))})
		if (err == nil) != tc.ok || (err != nil && chengnuo.ErrorCode(err) != chengnuo.EINVALID) {
			t.Errorf("timestamp %s from the clock: %v, want ok=%v", -tc.skew, err, tc.ok)
		}
		if _, err := call(t, l, contract.Ping, contract.Empty{}); err != nil {
			t.Errorf("a query was refused for the clock: %v", err)
		}
	}
}
