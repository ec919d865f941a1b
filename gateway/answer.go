package gateway

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chengnuo/chengnuo"
)

// Public verification is the gateway's busiest route, and encoding/json's
// reflection was an eighth of its CPU. appendVerifyResult writes the same
// bytes directly: byte for byte what encoding/json (and so gin's c.JSON)
// writes, field order, omitempty, HTML escaping and all. The test holds it
// to encoding/json over every field of the answer, so a field added to the
// types without being added here fails it.

// appendVerifyResult appends the JSON of r to b. ok is false where
// encoding/json would fail (a time outside years 0-9999), which the caller
// leaves to the general way and its error.
func appendVerifyResult(b []byte, r *chengnuo.VerifyResult) (_ []byte, ok bool) {
	b = append(b, `{"anchored":`...)
	b = strconv.AppendBool(b, r.Anchored)
	b = appendField(b, "letterDigest", r.LetterDigest)
	b = appendField(b, "commitmentId", r.CommitmentID)
	if r.Record != nil {
		b = append(b, `,"record":`...)
		if b, ok = appendCommitment(b, r.Record); !ok {
			return b, false
		}
	}
	if r.Height != 0 {
		b = append(b, `,"height":`...)
		b = strconv.AppendUint(b, r.Height, 10)
	}
	if v := r.Verdict; v != nil {
		b = append(b, `,"verdict":{"kind":`...)
		b = appendString(b, v.Kind)
		b = appendField(b, "text", v.Text)
		b = appendField(b, "english", v.English)
		b = append(b, '}')
	}
	if len(r.Names) > 0 {
		// encoding/json writes a map's keys sorted.
		keys := make([]string, 0, len(r.Names))
		for k := range r.Names {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"names":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.Names[k])
		}
		b = append(b, '}')
	}
	return append(b, '}'), true
}

func appendCommitment(b []byte, c *chengnuo.Commitment) (_ []byte, ok bool) {
	b = append(b, `{"id":`...)
	b = appendString(b, c.ID)
	b = appendField(b, "letterDigest", c.LetterDigest)
	b = appendOptional(b, "scanDigest", c.ScanDigest)
	b = appendField(b, "itemCode", c.ItemCode)
	b = append(b, `,"itemVersion":`...)
	b = strconv.AppendInt(b, int64(c.ItemVersion), 10)
	b = appendField(b, "noticeDigest", c.NoticeDigest)
	b = appendField(b, "org", c.Org)
	b = appendOptional(b, "applicantKey", c.ApplicantKey)
	b = appendField(b, "signedBy", c.SignedBy)
	b = appendField(b, "status", c.Status)
	b = appendOptional(b, "verification", c.Verification)
	if c.Outcome != nil {
		b = append(b, `,"outcome":`...)
		if b, ok = appendOutcome(b, c.Outcome); !ok {
			return b, false
		}
	}
	if b, ok = appendTime(b, "anchoredAt", c.AnchoredAt); !ok {
		return b, false
	}
	b = appendField(b, "txId", c.TxID)
	if c.BlockNumber != 0 {
		b = append(b, `,"blockNumber":`...)
		b = strconv.AppendUint(b, c.BlockNumber, 10)
	}
	b = append(b, `,"history":`...)
	if c.History == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.History {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendTransition(b, &c.History[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

func appendTransition(b []byte, t *chengnuo.Transition) (_ []byte, ok bool) {
	b = append(b, `{"status":`...)
	b = appendString(b, t.Status)
	b = appendField(b, "org", t.Org)
	if b, ok = appendTime(b, "at", t.At); !ok {
		return b, false
	}
	b = appendField(b, "txId", t.TxID)
	b = appendOptional(b, "reasonDigest", t.ReasonDigest)
	return append(b, '}'), true
}

func appendOutcome(b []byte, o *chengnuo.Outcome) (_ []byte, ok bool) {
	b = append(b, `{"result":`...)
	b = appendString(b, o.Result)
	b = appendOptional(b, "reasonDigest", o.ReasonDigest)
	b = appendOptional(b, "requestId", o.RequestID)
	if d := o.Disposal; d != nil {
		b = append(b, `,"disposal":{"measures":`...)
		if d.Measures == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, m := range d.Measures {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, m)
			}
			b = append(b, ']')
		}
		if d.RectificationDays != 0 {
			b = append(b, `,"rectificationDays":`...)
			b = strconv.AppendInt(b, int64(d.RectificationDays), 10)
		}
		b = appendOptional(b, "rectificationDeadline", d.RectificationDeadline)
		b = appendOptional(b, "deadlineCalendar", d.DeadlineCalendar)
		b = appendOptional(b, "penaltyDigest", d.PenaltyDigest)
		b = append(b, '}')
	}
	b = appendOptional(b, "level", o.Level)
	b = appendOptional(b, "creditId", o.CreditID)
	if b, ok = appendTime(b, "at", o.At); !ok {
		return b, false
	}
	b = appendField(b, "txId", o.TxID)
	return append(b, '}'), true
}

// appendField appends ,"name":"value"; name needs no escaping.
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendOptional is appendField for an omitempty string.
func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendField(b, name, value)
}

// appendTime appends ,"name":"RFC 3339 time" as time.Time.MarshalJSON does.
func appendTime(b []byte, name string, t time.Time) (_ []byte, ok bool) {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, false
	}
	return append(b, '"'), true
}

// appendString appends s as a JSON string. Digests, ids and codes are
// printable ASCII that needs no escaping and are copied as they are;
// anything else is left to encoding/json, so that escaping (of HTML
// characters, invalid UTF-8, U+2028 and U+2029) stays exactly its own.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// writeVerifyResult writes r as the answer, unless appendVerifyResult
// leaves it to the general way.
func writeVerifyResult(c *gin.Context, status int, r *chengnuo.VerifyResult) bool {
	p := answers.Get().(*[]byte)
	defer answers.Put(p)
	b, ok := appendVerifyResult((*p)[:0], r)
	*p = b[:0]
	if ok {
		c.Data(status, "application/json; charset=utf-8", b)
	}
	return ok
}

// answers recycles the buffers verification answers are written into.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
