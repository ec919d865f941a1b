package chengnuo

// words are the Chinese words people read for the codes the records carry:
// statuses, verification states, outcomes, measures, levels, methods,
// signing methods and ID types. The workbench, the public page and the
// documents all use these, so a state reads the same everywhere.
var words = map[string]string{
	// Letters and commitments.
	StatePending: "待存证", StateAnchored: "已存证", StatusActive: "有效", StatusWithdrawn: "已撤回", StatusConcluded: "已办结",
	// Verification of a commitment.
	VerifyUnder: "核查中", VerifyVerified: "核查属实", VerifyFalse: "虚假承诺",
	VerifyUnverifiable: "无法核实", VerifyExempt: "免于核查",
	// Requests and answers.
	RequestAnswered: "已答复", RequestDeclined: "已拒绝协助",
	AnswerConsistent: "核查一致", AnswerInconsistent: "核查不一致", AnswerUnable: "无法核查",
	// Dishonesty levels and measures.
	LevelMinor: "轻微", LevelOrdinary: "一般", LevelSerious: "严重",
	MeasureTerminated: "终止办理", MeasureRectify: "责令限期整改", MeasureRevoked: "撤销行政决定",
	MeasurePenalty: "行政处罚", MeasureReferred: "移送司法机关",
	// Credit records, objections, proposals and catalog items.
	CreditRepaired: "已修复", CreditAnnulled: "已撤销", ObjectionUpheld: "异议成立", ObjectionRejected: "异议不成立",
	"APPROVED": "已同意", ItemSuperseded: "已被新版本取代", ItemRetired: "已废止",
	"ADD": "新增事项", "CHANGE": "变更事项", "RETIRE": "废止事项", ChangePublish: "发布事项",
	// Draws.
	SampleDrawn: "已抽取", SampleContributed: "已提交随机数", SamplePublished: "已公布",
	// Signing methods, ID types, verification methods.
	SignedSM2: "SM2 数字证书签名", SignedSM2Key: "SM2 密钥签名", SignedPaper: "纸质签名",
	"RESIDENT_ID": "居民身份证", "USCC": "统一社会信用代码", "PASSPORT": "护照",
	"ONLINE": "在线核查", "WRITTEN": "书面核查", "ON_SITE": "现场核查", "PUBLIC_NOTICE": "公示核查",
}

// Word is the Chinese word for a code, or the code itself when it has none.
func Word(code string) string {
	if w, ok := words[code]; ok {
		return w
	}
	return code
}

// Words returns a copy of every code's Chinese word.
func Words() map[string]string {
	out := make(map[string]string, len(words))
	for k, v := range words {
		out[k] = v
	}
	return out
}

// Verdict kinds, from what matters most to a reader of the letter.
const (
	VerdictFalse     = "false"     // found false: never valid, whatever its status
	VerdictWithdrawn = "withdrawn" // the applicant withdrew it
	VerdictConcluded = "concluded" // the matter is concluded: the letter served its purpose
	VerdictChecking  = "checking"  // valid, being verified
	VerdictValid     = "valid"     // valid
	VerdictPending   = "pending"   // accepted, not on the ledger yet
)

// Verdict is what a commitment's record means to a reader (a bank, a third
// party, the applicant), in one line: what matters leads — a commitment
// found false, withdrawn or concluded never reads as valid.
type Verdict struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	English string `json:"english"`
}

// VerdictOf reads a commitment's record. The record's status alone
// misleads: a commitment found false keeps status ACTIVE (its outcome sits
// apart), so the outcome is read first.
func VerdictOf(rec *Commitment) Verdict {
	if rec.Verification == VerifyFalse || rec.Outcome != nil && rec.Outcome.Result == VerifyFalse {
		text := "经核查为虚假承诺"
		if rec.Outcome != nil && rec.Outcome.Disposal != nil && len(rec.Outcome.Disposal.Measures) > 0 {
			text += "，已处理："
			for i, m := range rec.Outcome.Disposal.Measures {
				if i > 0 {
					text += "、"
				}
				text += Word(m)
			}
		}
		return Verdict{VerdictFalse, text + "。本承诺书不能作为符合条件的依据。",
			"Found FALSE on verification: this letter is no proof of anything it states."}
	}
	switch rec.Status {
	case StatusWithdrawn:
		return Verdict{VerdictWithdrawn, "申请人已撤回承诺，本承诺书不再有效。", "Withdrawn by the applicant: no longer valid."}
	case StatusConcluded:
		text, en := "事项已办结，本承诺书已完成其用途。", "The matter is concluded; the letter has served its purpose."
		if rec.Verification == VerifyVerified {
			text, en = "事项已办结，承诺经核查属实。", "The matter is concluded; the commitment was verified as true."
		}
		return Verdict{VerdictConcluded, text, en}
	case StatusPending:
		return Verdict{VerdictPending, "已受理，正在上链存证。", "Accepted; being anchored."}
	case StatusActive:
	default:
		return Verdict{VerdictPending, Word(rec.Status), rec.Status}
	}
	switch rec.Verification {
	case VerifyUnder:
		return Verdict{VerdictChecking, "有效，正在核查承诺内容。", "Valid; the commitment is being verified."}
	case VerifyVerified:
		return Verdict{VerdictValid, "有效，承诺经核查属实。", "Valid; verified as true."}
	case VerifyUnverifiable:
		return Verdict{VerdictChecking, "有效，承诺内容无法核实（已记录原因）。", "Valid; the commitment could not be verified (reason recorded)."}
	case VerifyExempt:
		return Verdict{VerdictValid, "有效（本事项免于核查）。", "Valid (the item is exempt from verification)."}
	}
	return Verdict{VerdictValid, "有效。", "Valid."}
}
