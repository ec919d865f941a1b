package gateway

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// answerTexts are the strings the filler draws from: the escaping cases of
// encoding/json, and the plain ones the fast path copies.
var answerTexts = []string{
	"", "CNb0a7db3783a15b7e40582787", "b0a7db3783a15b7e405827877bb666f0689930ea947193e25e6fc7e1421dad79",
	"ACTIVE", "MarketMSP", "a b~", `quote " and \ backslash`, "<script>&amp;</script>", "line\nbreak\ttab\r",
	"\x00\x01\x1f\x7f", "\b\f", "承诺书", "\u2028\u2029", "bad \xff utf-8", "\xed\xa0\x80", "😀",
}

// fill sets every field reachable from v (a pointer) to random values:
// pointers and slices are sometimes nil, sometimes empty, times carry zones
// and nanoseconds. Reflection, so that a field added to the answer's types
// is filled too and must then be encoded.
func fill(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(answerTexts[rng.IntN(len(answerTexts))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt([]int64{0, 1, -7, 1 << 40, rng.Int64()}[rng.IntN(5)])
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint([]uint64{0, 1, 64, 1 << 63, rng.Uint64()}[rng.IntN(5)])
	case reflect.Pointer:
		if rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(rng, v.Elem())
	case reflect.Slice:
		switch n := rng.IntN(4); n {
		case 0:
			v.SetZero()
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := range n - 1 {
				fill(rng, v.Index(i))
			}
		}
	case reflect.Map:
		if rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		m := reflect.MakeMap(v.Type())
		for range rng.IntN(4) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(rng, k)
			fill(rng, e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("odd", -(3*3600 + 30*60))}
			t := time.Unix(rng.Int64N(253402300799), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
			if rng.IntN(10) == 0 {
				t = time.Time{}
			}
			v.Set(reflect.ValueOf(t))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i))
			}
		}
	default:
		panic("fill: no values for " + v.Type().String() + "; teach the filler and appendVerifyResult")
	}
}

func TestVerifyAnswerAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for i := range 20000 {
		var r chengnuo.VerifyResult
		fill(rng, reflect.ValueOf(&r).Elem())
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendVerifyResult(nil, &r)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("case %d (ok %v):\n got %s\nwant %s", i, ok, got, want)
		}
		// Every member of every type must have been written at some point.
		var m any
		if err := json.Unmarshal(want, &m); err != nil {
			t.Fatal(err)
		}
		collectNames(m, "", seen)
	}
	for _, name := range []string{"anchored", "height", "record.applicantKey", "record.verification", "record.blockNumber",
		"record.history.reasonDigest", "record.outcome.disposal.measures", "record.outcome.disposal.penaltyDigest",
		"record.outcome.creditId", "record.outcome.txId", "record.scanDigest", "verdict.kind", "verdict.english",
		"record.outcome.disposal.rectificationDays", "record.outcome.disposal.deadlineCalendar"} {
		if !seen[name] {
			t.Errorf("the filler never produced %s", name)
		}
	}
}

func collectNames(v any, at string, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			name := k
			if at != "" {
				name = at + "." + k
			}
			seen[name] = true
			collectNames(e, name, seen)
		}
	case []any:
		for _, e := range v {
			collectNames(e, at, seen)
		}
	}
}

func TestVerifyAnswerLeavesBadTimesToTheGeneralWay(t *testing.T) {
	for _, at := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		r := &chengnuo.VerifyResult{Anchored: true, Record: &chengnuo.Commitment{AnchoredAt: at}}
		if _, ok := appendVerifyResult(nil, r); ok {
			t.Errorf("%v: taken, but encoding/json refuses it", at)
		}
		if _, err := json.Marshal(r); err == nil {
			t.Errorf("%v: encoding/json no longer refuses it; the test is out of date", at)
		}
		r.Record.AnchoredAt = time.Time{}
		r.Record.History = []chengnuo.Transition{{At: at}}
		if _, ok := appendVerifyResult(nil, r); ok {
			t.Errorf("%v in the history: taken", at)
		}
		r.Record.History = nil
		r.Record.Outcome = &chengnuo.Outcome{At: at}
		if _, ok := appendVerifyResult(nil, r); ok {
			t.Errorf("%v in the outcome: taken", at)
		}
	}
}

func FuzzVerifyAnswer(f *testing.F) {
	for _, s := range answerTexts {
		f.Add(s, s, int64(1764684000), uint64(64))
	}
	f.Fuzz(func(t *testing.T, a, b string, unix int64, height uint64) {
		at := time.Unix(unix%253402300799, unix%1e9)
		r := &chengnuo.VerifyResult{Anchored: true, LetterDigest: a, CommitmentID: b, Height: height, Record: &chengnuo.Commitment{
			ID: b, LetterDigest: a, Status: a, Verification: b, AnchoredAt: at, History: []chengnuo.Transition{{Status: a, At: at, ReasonDigest: b}},
			Outcome: &chengnuo.Outcome{Result: b, At: at, Disposal: &chengnuo.Disposal{Measures: []string{a, b}, PenaltyDigest: a}},
		}}
		want, err := json.Marshal(r)
		got, ok := appendVerifyResult(nil, r)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("ok %v, encoding/json error %v:\n got %s\nwant %s", ok, err, got, want)
		}
	})
}

// BenchmarkVerifyAnswer compares the answer's encoder with encoding/json on
// a typical answer: an anchored letter with one transition.
func BenchmarkVerifyAnswer(b *testing.B) {
	at := time.Date(2026, 12, 2, 14, 58, 4, 505961057, time.UTC)
	d := "b0a7db3783a15b7e405827877bb666f0689930ea947193e25e6fc7e1421dad79"
	r := &chengnuo.VerifyResult{Anchored: true, LetterDigest: d, CommitmentID: chengnuo.CommitmentID(d), Height: 64,
		Record: &chengnuo.Commitment{ID: chengnuo.CommitmentID(d), LetterDigest: d, ItemCode: "SC-001", ItemVersion: 1, NoticeDigest: d,
			Org: "MarketMSP", SignedBy: "SM2_KEY", Status: chengnuo.StatusActive, AnchoredAt: at, TxID: d, BlockNumber: 10,
			History: []chengnuo.Transition{{Status: chengnuo.StatusActive, Org: "MarketMSP", At: at, TxID: d}}}}
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(r)
		}
	})
	b.Run("appendVerifyResult", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf, _ = appendVerifyResult(buf[:0], r)
		}
	})
}
