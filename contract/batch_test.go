package contract

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
)

func hex64(b string) string { return strings.Repeat(b, 64/len(b)) }

// batchOf makes n letters over two notices, as a busy gateway sends them.
func batchOf(n int) []chengnuo.AnchorRequest {
	reqs := make([]chengnuo.AnchorRequest, n)
	for i := range reqs {
		item, notice := "SC-001", hex64("7b")
		if i%3 == 0 {
			item, notice = "GA-002", hex64("c4")
		}
		signed, scan := chengnuo.SignedSM2Key, ""
		switch {
		case i%5 == 0:
			signed = chengnuo.SignedSM2
		case i%7 == 1:
			signed, scan = chengnuo.SignedPaper, fmt.Sprintf("%064x", 5000+i) // a paper letter and its scan
		}
		reqs[i] = chengnuo.AnchorRequest{LetterDigest: fmt.Sprintf("%064x", i+1), ItemCode: item, ItemVersion: 1,
			NoticeDigest: notice, ApplicantKey: fmt.Sprintf("%064x", 1000+i), SignedBy: signed, ScanDigest: scan}
	}
	return reqs
}

func TestCompactBatchRoundTrip(t *testing.T) {
	reqs := batchOf(100)
	a := CompactBatch(reqs)
	if len(a.Notices) != 2 || len(a.Rows) != 100 || a.Letters != nil {
		t.Fatalf("compact batch: %d notices, %d rows, %d letters", len(a.Notices), len(a.Rows), len(a.Letters))
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AnchorCommitments.DecodeArgs(raw)
	if err != nil {
		t.Fatalf("decode %s: %v", raw[:200], err)
	}
	back, err := got.Requests()
	if err != nil || !reflect.DeepEqual(back, reqs) {
		t.Fatalf("round trip: %v, equal %v", err, reflect.DeepEqual(back, reqs))
	}
	// The reason for the form: a letter's share of the arguments, which
	// every block keeps.
	long, _ := json.Marshal(AnchorBatchArgs{Letters: reqs})
	if per, was := len(raw)/len(reqs), len(long)/len(reqs); per > 160 || per*2 > was+10 {
		t.Fatalf("compact form %d bytes per letter, objects %d", per, was)
	}
	if !strings.HasPrefix(string(raw), `{"notices":[{"itemCode":"GA-002","itemVersion":1,"noticeDigest":"`) ||
		!strings.Contains(string(raw), `"rows":[["`+reqs[0].LetterDigest+`","`+reqs[0].ApplicantKey+`",0,"SM2"],`) {
		t.Fatalf("compact form: %.300s", raw)
	}
	// The object form still decodes, as before.
	got, err = AnchorCommitments.DecodeArgs(long)
	if err != nil {
		t.Fatal(err)
	}
	if back, err = got.Requests(); err != nil || !reflect.DeepEqual(back, reqs) {
		t.Fatalf("object form: %v", err)
	}
}

func TestBadBatchesAreRefused(t *testing.T) {
	d, k, n := hex64("ab"), hex64("cd"), `{"itemCode":"SC-001","itemVersion":1,"noticeDigest":"`+hex64("7b")+`"}`
	row := func(notice string) string { return `["` + d + `","` + k + `",` + notice + `,"SM2"]` }
	for _, tc := range []struct{ name, raw string }{
		{"row too short", `{"notices":[` + n + `],"rows":[["` + d + `","` + k + `",0]]}`},
		{"row too long", `{"notices":[` + n + `],"rows":[["` + d + `","` + k + `",0,"PAPER","x","y"]]}`},
		{"row not an array", `{"notices":[` + n + `],"rows":[{"letterDigest":"` + d + `"}]}`},
		{"null member", `{"notices":[` + n + `],"rows":[[null,"` + k + `",0,"SM2"]]}`},
		{"number as text", `{"notices":[` + n + `],"rows":[` + row(`"0"`) + `]}`},
		{"fractional notice", `{"notices":[` + n + `],"rows":[` + row(`0.5`) + `]}`},
		{"notice out of range", `{"notices":[` + n + `],"rows":[` + row(`1`) + `]}`},
		{"negative notice", `{"notices":[` + n + `],"rows":[` + row(`-1`) + `]}`},
		{"notice unused", `{"notices":[` + n + `,` + n + `],"rows":[` + row(`0`) + `]}`},
		{"notices without rows", `{"notices":[` + n + `]}`},
		{"rows without notices", `{"rows":[` + row(`0`) + `]}`},
		{"both forms", `{"letters":[{"letterDigest":"` + d + `"}],"notices":[` + n + `],"rows":[` + row(`0`) + `]}`},
		{"unknown notice field", `{"notices":[{"itemCode":"SC-001","extra":1}],"rows":[` + row(`0`) + `]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := AnchorCommitments.DecodeArgs([]byte(tc.raw))
			if err == nil {
				_, err = a.Requests()
			}
			if chengnuo.ErrorCode(err) != chengnuo.EINVALID {
				t.Fatalf("%s: %v, want %s", tc.raw, err, chengnuo.EINVALID)
			}
		})
	}
	// The smallest good compact batch, to show the cases above fail for
	// their own reason.
	a, err := AnchorCommitments.DecodeArgs([]byte(`{"notices":[` + n + `],"rows":[` + row(`0`) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if reqs, err := a.Requests(); err != nil || len(reqs) != 1 || reqs[0].NoticeDigest != hex64("7b") || reqs[0].SignedBy != "SM2" {
		t.Fatalf("%+v %v", reqs, err)
	}
}

// FuzzAnchorBatchArgs: whatever the chaincode accepts as a batch, the
// compact form of its requests gives the same requests back.
func FuzzAnchorBatchArgs(f *testing.F) {
	long, _ := json.Marshal(AnchorBatchArgs{Letters: batchOf(3)})
	short, _ := json.Marshal(CompactBatch(batchOf(4)))
	f.Add(long)
	f.Add(short)
	f.Add([]byte(`{"notices":[{"itemCode":"A","itemVersion":1,"noticeDigest":"x"}],"rows":[["a","b",0,"c"]]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := AnchorCommitments.DecodeArgs(raw)
		if err != nil {
			return
		}
		reqs, err := a.Requests()
		if err != nil {
			if chengnuo.ErrorCode(err) != chengnuo.EINVALID {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		again, err := json.Marshal(CompactBatch(reqs))
		if err != nil {
			t.Fatal(err)
		}
		b, err := AnchorCommitments.DecodeArgs(again)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		back, err := b.Requests()
		if len(reqs) == 0 {
			return // nothing to compare; the chaincode refuses an empty batch
		}
		if err != nil || !reflect.DeepEqual(back, reqs) {
			t.Fatalf("%q: round trip %v", raw, err)
		}
	})
}
