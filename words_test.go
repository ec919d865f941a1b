package chengnuo_test

import (
	"strings"
	"testing"

	"github.com/chengnuo/chengnuo"
)

// Every code a record carries has its Chinese word: statuses, verification
// states, answers, levels, measures, credit and objection states, draws,
// items, signing methods, verification methods.
func TestEveryCodeHasAWord(t *testing.T) {
	codes := []string{chengnuo.StatePending, chengnuo.StateAnchored, chengnuo.StatusActive, chengnuo.StatusWithdrawn, chengnuo.StatusConcluded,
		chengnuo.VerifyUnder, chengnuo.VerifyVerified, chengnuo.VerifyFalse, chengnuo.VerifyUnverifiable, chengnuo.VerifyExempt,
		chengnuo.RequestAnswered, chengnuo.RequestDeclined, chengnuo.AnswerConsistent, chengnuo.AnswerInconsistent, chengnuo.AnswerUnable,
		chengnuo.LevelMinor, chengnuo.LevelOrdinary, chengnuo.LevelSerious, chengnuo.MeasureTerminated, chengnuo.MeasureRectify,
		chengnuo.MeasureRevoked, chengnuo.MeasurePenalty, chengnuo.MeasureReferred, chengnuo.CreditRepaired, chengnuo.CreditAnnulled,
		chengnuo.ObjectionUpheld, chengnuo.ObjectionRejected, chengnuo.SampleDrawn, chengnuo.SampleContributed, chengnuo.SamplePublished,
		chengnuo.ItemSuperseded, chengnuo.ItemRetired, chengnuo.SignedSM2, chengnuo.SignedSM2Key, chengnuo.SignedPaper}
	codes = append(codes, chengnuo.VerificationMethods...)
	for _, c := range codes {
		if w := chengnuo.Word(c); w == c || w == "" {
			t.Errorf("%s has no word", c)
		}
	}
	if chengnuo.Word("NO_SUCH_CODE") != "NO_SUCH_CODE" {
		t.Error("an unknown code is not given back as it is")
	}
	w := chengnuo.Words()
	w[chengnuo.StatusActive] = "changed"
	if chengnuo.Word(chengnuo.StatusActive) != "有效" {
		t.Error("Words gives the vocabulary itself, not a copy")
	}
}

// The verdict leads with what matters to a reader: found false is never
// valid, whatever the status; withdrawn and concluded are not valid.
func TestVerdict(t *testing.T) {
	rec := func(status, verification string, o *chengnuo.Outcome) *chengnuo.Commitment {
		return &chengnuo.Commitment{Status: status, Verification: verification, Outcome: o}
	}
	falseOutcome := &chengnuo.Outcome{Result: chengnuo.VerifyFalse, Disposal: &chengnuo.Disposal{Measures: []string{chengnuo.MeasureTerminated, chengnuo.MeasureRevoked}}}
	for _, c := range []struct {
		rec  *chengnuo.Commitment
		kind string
		says string
	}{
		{rec(chengnuo.StatusActive, "", nil), chengnuo.VerdictValid, "有效"},
		{rec(chengnuo.StatusActive, chengnuo.VerifyExempt, nil), chengnuo.VerdictValid, "免于核查"},
		{rec(chengnuo.StatusActive, chengnuo.VerifyVerified, nil), chengnuo.VerdictValid, "核查属实"},
		{rec(chengnuo.StatusActive, chengnuo.VerifyUnder, nil), chengnuo.VerdictChecking, "正在核查"},
		{rec(chengnuo.StatusActive, chengnuo.VerifyUnverifiable, nil), chengnuo.VerdictChecking, "无法核实"},
		{rec(chengnuo.StatusActive, chengnuo.VerifyFalse, falseOutcome), chengnuo.VerdictFalse, "经核查为虚假承诺，已处理：终止办理、撤销行政决定"},
		{rec(chengnuo.StatusConcluded, chengnuo.VerifyFalse, falseOutcome), chengnuo.VerdictFalse, "虚假承诺"},
		{rec(chengnuo.StatusWithdrawn, chengnuo.VerifyFalse, nil), chengnuo.VerdictFalse, "虚假承诺"},
		{rec(chengnuo.StatusWithdrawn, "", nil), chengnuo.VerdictWithdrawn, "已撤回"},
		{rec(chengnuo.StatusConcluded, "", nil), chengnuo.VerdictConcluded, "已办结"},
		{rec(chengnuo.StatusConcluded, chengnuo.VerifyVerified, nil), chengnuo.VerdictConcluded, "核查属实"},
		{rec(chengnuo.StatusPending, "", nil), chengnuo.VerdictPending, "正在上链"},
	} {
		v := chengnuo.VerdictOf(c.rec)
		if v.Kind != c.kind || !strings.Contains(v.Text, c.says) || v.English == "" {
			t.Errorf("%s/%s: %+v, want %s saying %q", c.rec.Status, c.rec.Verification, v, c.kind, c.says)
		}
		if valid := strings.HasPrefix(v.Text, "有效"); valid != (c.kind == chengnuo.VerdictValid || c.kind == chengnuo.VerdictChecking) {
			t.Errorf("%s/%s: %q", c.rec.Status, c.rec.Verification, v.Text)
		}
	}
}

func TestDepartmentNamesAndNumbers(t *testing.T) {
	for _, ok := range []string{"虎市监承", "HL", "市2局"} {
		if err := chengnuo.ValidateNumberPrefix(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " 虎", "虎〔市〕", "虎 市", "虎-市", "一二三四五六七八九十一二三", "\xff"} {
		if chengnuo.ValidateNumberPrefix(bad) == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	for _, ok := range []string{"市市场监管局", "市人力资源和社会保障局（市医保局）", "Market · 1"} {
		if err := chengnuo.ValidateDepartmentName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "<b>局</b>", "局\n", strings.Repeat("局", 33), `a"b`} {
		if chengnuo.ValidateDepartmentName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if n := chengnuo.LetterNumber(2026, "虎市监承", 123); n != "〔2026〕虎市监承第000123号" {
		t.Fatal(n)
	}
	d := chengnuo.Directory{"MarketMSP": {MSPID: "MarketMSP", Name: "市市场监管局"}}
	if d.Name("MarketMSP") != "市市场监管局" || d.Name("PoliceMSP") != "PoliceMSP" || chengnuo.Directory(nil).Name("X") != "X" {
		t.Fatal("directory names")
	}
}
