package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chengnuo/chengnuo"
)

// AnchorBatchArgs is a batch of letters to anchor, in one of two forms:
//
//   - Letters: one chengnuo.AnchorRequest object per letter;
//   - Notices and Rows, the compact form the gateway sends: each notice
//     (item code, version and notice digest) once, then one row per letter,
//     [letterDigest, applicantKey, notice index, signedBy], and a paper
//     letter's scan digest as a fifth member.
//
// The letters of a batch mostly share a few notices, and the arguments of
// a transaction are kept in its block: the compact form halves a letter's
// share of them (about 300 bytes as an object, 150 as a row). Requests
// gives the batch as requests whichever form it came in.
type AnchorBatchArgs struct {
	Letters []chengnuo.AnchorRequest `json:"letters,omitempty"`
	Notices []NoticeRef              `json:"notices,omitempty"`
	Rows    []AnchorRow              `json:"rows,omitempty"`
}

// NoticeRef names the notice a row of a compact batch was signed against.
type NoticeRef struct {
	ItemCode     string `json:"itemCode"`
	ItemVersion  int    `json:"itemVersion"`
	NoticeDigest string `json:"noticeDigest"`
}

// AnchorRow is one letter of a compact batch; its JSON is the array
// [letterDigest, applicantKey, notice, signedBy] or, for a paper letter
// with its scan, [letterDigest, applicantKey, notice, signedBy, scanDigest].
type AnchorRow struct {
	LetterDigest string
	ApplicantKey string
	Notice       int // index into AnchorBatchArgs.Notices
	SignedBy     string
	ScanDigest   string
}

// MarshalJSON writes the row as an array.
func (r AnchorRow) MarshalJSON() ([]byte, error) {
	if r.ScanDigest != "" {
		return json.Marshal([]any{r.LetterDigest, r.ApplicantKey, r.Notice, r.SignedBy, r.ScanDigest})
	}
	return json.Marshal([]any{r.LetterDigest, r.ApplicantKey, r.Notice, r.SignedBy})
}

// UnmarshalJSON reads the row's array: four members (five with a scan
// digest) of the right types.
func (r *AnchorRow) UnmarshalJSON(b []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return errors.New("a row must be an array [letterDigest, applicantKey, notice, signedBy(, scanDigest)]")
	}
	if len(a) != 4 && len(a) != 5 {
		return fmt.Errorf("a row has 4 or 5 members [letterDigest, applicantKey, notice, signedBy(, scanDigest)], got %d", len(a))
	}
	var row AnchorRow
	dsts := []any{&row.LetterDigest, &row.ApplicantKey, &row.Notice, &row.SignedBy, &row.ScanDigest}
	for i, dst := range dsts[:len(a)] {
		if bytes.Equal(a[i], []byte("null")) {
			return fmt.Errorf("row member %d is null", i)
		}
		if err := json.Unmarshal(a[i], dst); err != nil {
			return fmt.Errorf("row member %d: %w", i, err)
		}
	}
	*r = row
	return nil
}

// CompactBatch encodes requests in the compact form, notices in the order
// they first appear.
func CompactBatch(reqs []chengnuo.AnchorRequest) AnchorBatchArgs {
	var a AnchorBatchArgs
	index := map[NoticeRef]int{}
	a.Rows = make([]AnchorRow, len(reqs))
	for i, r := range reqs {
		n := NoticeRef{ItemCode: r.ItemCode, ItemVersion: r.ItemVersion, NoticeDigest: r.NoticeDigest}
		k, ok := index[n]
		if !ok {
			k = len(a.Notices)
			index[n] = k
			a.Notices = append(a.Notices, n)
		}
		a.Rows[i] = AnchorRow{LetterDigest: r.LetterDigest, ApplicantKey: r.ApplicantKey, Notice: k, SignedBy: r.SignedBy, ScanDigest: r.ScanDigest}
	}
	return a
}

// Requests returns the batch's letters as requests, in order. A batch is
// in exactly one form; every row must name a notice of the batch, and
// every notice must be named (a batch carries nothing unused).
func (a *AnchorBatchArgs) Requests() ([]chengnuo.AnchorRequest, error) {
	if len(a.Letters) > 0 {
		if len(a.Notices) > 0 || len(a.Rows) > 0 {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "a batch holds letters or notices and rows, not both")
		}
		return a.Letters, nil
	}
	if len(a.Rows) == 0 && len(a.Notices) > 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a batch with notices needs rows")
	}
	used := make([]bool, len(a.Notices))
	reqs := make([]chengnuo.AnchorRequest, len(a.Rows))
	for i, r := range a.Rows {
		if r.Notice < 0 || r.Notice >= len(a.Notices) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "row %d names notice %d; the batch has %d", i, r.Notice, len(a.Notices))
		}
		used[r.Notice] = true
		n := a.Notices[r.Notice]
		reqs[i] = chengnuo.AnchorRequest{LetterDigest: r.LetterDigest, ItemCode: n.ItemCode, ItemVersion: n.ItemVersion,
			NoticeDigest: n.NoticeDigest, ApplicantKey: r.ApplicantKey, SignedBy: r.SignedBy, ScanDigest: r.ScanDigest}
	}
	for k, u := range used {
		if !u {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "notice %d is named by no row", k)
		}
	}
	return reqs, nil
}
