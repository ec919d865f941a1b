// Package letter builds, canonicalises and checks commitment letters
// (告知承诺书) following the policy's reference template, and derives the
// values that go on the ledger: the letter digest, the notice digest and the
// applicant key. The chaincode and the gateways share it, so both sides
// compute the same digests.
package letter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/sm"
)

// Schema identifies version 1 of the letter format.
const Schema = "chengnuo/letter/v1"

// MaxCanonicalBytes bounds a canonical letter.
const MaxCanonicalBytes = 32 << 10

// SaltBytes is the size of a letter's random salt (256 bits): letters are
// template text with a few fields, so without it a digest could be guessed.
const SaltBytes = 32

// Effect is the notice's clause (七): the effect of the commitment.
const Effect = "申请人书面承诺符合告知的条件、标准、要求的，行政机关不再索要有关证明，依据书面承诺办理相关事项。"

// Statements are the applicant's commitments (三 申请人承诺 一 to 五).
var Statements = []string{
	"已经知晓行政机关告知的全部内容。",
	"自身符合行政机关告知的条件、标准、要求。",
	"愿意遵守相关法律法规，接受行政机关的监管。",
	"愿意承担不实承诺、违反承诺的法律责任。",
	"所作承诺是本人（本单位）真实意思的表示。",
}

// The letter's parts are domain types; these aliases keep this package's
// callers short.
type (
	Applicant = chengnuo.Applicant
	Organ     = chengnuo.Organ
	Notice    = chengnuo.Notice
	Letter    = chengnuo.Letter
)

// NoticeOf is the notice of an item version.
func NoticeOf(it *chengnuo.Item) Notice {
	return Notice{
		ItemCode: it.Code, ItemVersion: it.Version, ItemName: it.Name, Purpose: it.Purpose,
		LegalBasis: it.LegalBasis, Content: it.Content, EligibleApplicants: it.EligibleApplicants,
		CommitmentMethod: it.CommitmentMethod, Effect: Effect, VerificationPower: it.VerificationPower,
		Liability: it.Liability, Disclosure: it.Disclosure, Verification: it.Verification,
	}
}

// Canonical returns the RFC 8785 canonical JSON of v.
func Canonical(v any) ([]byte, error) {
	if c, ok := appendCanonical(nil, reflect.ValueOf(v)); ok {
		return c, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return sm.Canonicalize(raw)
}

// NoticeDigest is the SM3 (hex) of the canonical notice of an item version.
func NoticeDigest(it *chengnuo.Item) (string, error) { return noticeDigest(NoticeOf(it)) }

// notices remembers the digests of the notices seen last: a gateway sees
// the same few notices in letter after letter, and canonicalising one costs
// more than the rest of a letter's checks. A Notice is a comparable value,
// so a hit is the same notice, field for field.
var notices = struct {
	sync.Mutex
	digest map[Notice]string
}{digest: map[Notice]string{}}

// maxNotices bounds the remembered notices; the map starts afresh when full.
const maxNotices = 256

// noticeDigest is the SM3 (hex) of a notice's canonical JSON.
func noticeDigest(n Notice) (string, error) {
	notices.Lock()
	d, ok := notices.digest[n]
	notices.Unlock()
	if ok {
		return d, nil
	}
	c, err := Canonical(n)
	if err != nil {
		return "", err
	}
	d = sm.SM3Hex(c)
	notices.Lock()
	if len(notices.digest) >= maxNotices {
		clear(notices.digest)
	}
	notices.digest[n] = d
	notices.Unlock()
	return d, nil
}

// Digest is the letter digest: SM3 (hex) over the canonical letter bytes.
func Digest(canonical []byte) string { return sm.SM3Hex(canonical) }

// ApplicantKey is the applicant's ledger identity: HMAC-SM3 under the
// consortium secret over "idType:normalizedIDNumber". Without the secret it
// cannot be recomputed from an ID number.
func ApplicantKey(secret []byte, idType, idNumber string) string {
	return hex.EncodeToString(sm.HMACSM3(secret, []byte(idType+":"+NormalizeID(idNumber))))
}

// field limits in runes.
const (
	maxName    = 100
	maxContact = 100
	maxNumber  = 64
	maxText    = 4000
)

func checkText(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return chengnuo.Errorf(chengnuo.EINVALID, "%s is required", field)
	}
	if !utf8.ValidString(v) {
		return chengnuo.Errorf(chengnuo.EINVALID, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return chengnuo.Errorf(chengnuo.EINVALID, "%s is longer than %d characters (%d)", field, max, n)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' {
			return chengnuo.Errorf(chengnuo.EINVALID, "%s contains a control character", field)
		}
	}
	return nil
}

// ValidateApplicant checks the applicant's data and normalizes the ID number.
func ValidateApplicant(a *Applicant) error {
	if err := checkText("applicant.name", a.Name, maxName, true); err != nil {
		return err
	}
	if err := checkText("applicant.contact", a.Contact, maxContact, true); err != nil {
		return err
	}
	a.IDNumber = NormalizeID(a.IDNumber)
	if a.IDType == "" || a.IDNumber == "" {
		return chengnuo.Errorf(chengnuo.EINVALID, "applicant.idType and applicant.idNumber are required")
	}
	if why, ok := ValidateID(a.IDType, a.IDNumber); !ok {
		return chengnuo.Errorf(chengnuo.EINVALID, "applicant.idNumber: %s", why)
	}
	return nil
}

// ValidateOrgan checks the organ's contact data.
func ValidateOrgan(o *Organ) error {
	for _, f := range []struct {
		name, v string
	}{{"organ.mspId", o.MSPID}, {"organ.name", o.Name}, {"organ.contactName", o.ContactName}, {"organ.contactPhone", o.ContactPhone}} {
		if err := checkText(f.name, f.v, maxContact, true); err != nil {
			return err
		}
	}
	return nil
}

// Parse decodes a signed letter. The bytes must be exactly the canonical form
// (what the applicant signed), hold only the schema's fields — names matched
// byte for byte, none twice — and carry every required field; the notice
// digest must match the notice in the letter. So every reader of the bytes
// reads the same letter.
func Parse(canonical []byte) (*Letter, error) {
	if len(canonical) == 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter is empty")
	}
	if len(canonical) > MaxCanonicalBytes {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter is larger than %d bytes", MaxCanonicalBytes)
	}
	quick := quickCheck(canonical, schemaShape())
	if !quick {
		c, err := sm.Canonicalize(canonical)
		if err != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter is not valid JSON")
		}
		if !bytes.Equal(c, canonical) {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter is not in RFC 8785 canonical form; sign and submit the canonical bytes")
		}
		if err := checkSchema(canonical); err != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter does not match schema %s: %s", Schema, shortErr(err))
		}
	}
	var l Letter
	if !quick || !decodeQuick(canonical, &l) {
		l = Letter{}
		if err := json.Unmarshal(canonical, &l); err != nil {
			return nil, chengnuo.Errorf(chengnuo.EINVALID, "letter does not match schema %s: %s", Schema, shortErr(err))
		}
	}
	if err := Validate(&l); err != nil {
		return nil, err
	}
	return &l, nil
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// Validate checks a decoded letter's fields.
func Validate(l *Letter) error {
	if l.Schema != Schema {
		return chengnuo.Errorf(chengnuo.EINVALID, "letter schema must be %s", Schema)
	}
	if err := checkText("number", l.Number, maxNumber, true); err != nil {
		return err
	}
	if raw, err := hex.DecodeString(l.Salt); err != nil || len(raw) < 16 {
		return chengnuo.Errorf(chengnuo.EINVALID, "salt must be at least 128 bits of hex")
	}
	if _, err := time.Parse(time.RFC3339, l.DraftedAt); err != nil {
		return chengnuo.Errorf(chengnuo.EINVALID, "draftedAt must be an RFC 3339 time")
	}
	a := l.Applicant
	if err := ValidateApplicant(&a); err != nil {
		return err
	}
	if a.IDNumber != l.Applicant.IDNumber {
		return chengnuo.Errorf(chengnuo.EINVALID, "applicant.idNumber must be normalized (upper case, no spaces)")
	}
	if err := ValidateOrgan(&l.Organ); err != nil {
		return err
	}
	n := l.Notice
	if n.ItemCode == "" || n.ItemVersion < 1 {
		return chengnuo.Errorf(chengnuo.EINVALID, "notice.itemCode and notice.itemVersion are required")
	}
	if err := checkNotice(&n); err != nil {
		return err
	}
	d, err := noticeDigest(n)
	if err != nil {
		return err
	}
	if d != l.NoticeDigest {
		return chengnuo.Errorf(chengnuo.EINVALID, "noticeDigest does not match the notice in the letter")
	}
	if len(l.Commitment) != len(Statements) {
		return chengnuo.Errorf(chengnuo.EINVALID, "commitment must hold the %d statements of the template", len(Statements))
	}
	for i, s := range Statements {
		if l.Commitment[i] != s {
			return chengnuo.Errorf(chengnuo.EINVALID, "commitment statement %d differs from the template", i+1)
		}
	}
	return nil
}

// checkNotice checks a notice's texts against the letter's limits.
func checkNotice(n *Notice) error {
	for _, f := range []struct{ name, v string }{
		{"notice.itemName", n.ItemName}, {"notice.purpose", n.Purpose}, {"notice.legalBasis", n.LegalBasis},
		{"notice.content", n.Content}, {"notice.eligibleApplicants", n.EligibleApplicants},
		{"notice.commitmentMethod", n.CommitmentMethod}, {"notice.effect", n.Effect},
		{"notice.verificationPower", n.VerificationPower}, {"notice.liability", n.Liability},
	} {
		if err := checkText(f.name, f.v, maxText, true); err != nil {
			return err
		}
	}
	if err := checkText("notice.disclosure.scope", n.Disclosure.Scope, maxContact, false); err != nil {
		return err
	}
	return checkText("notice.verification.department", n.Verification.Department, maxContact, false)
}

// CheckItem checks that letters can be drafted from an item: its notice
// satisfies the letter's limits, and a letter with the longest applicant and
// organ data the letter allows still fits MaxCanonicalBytes. The catalog
// refuses what drafting would refuse.
func CheckItem(it *chengnuo.Item) error {
	n := NoticeOf(it)
	if err := checkNotice(&n); err != nil {
		return err
	}
	longest := func(runes int) string { return strings.Repeat("\U0002A6A5", runes) } // 4 bytes in UTF-8
	worst := &Letter{Schema: Schema, Number: longest(maxNumber), Salt: strings.Repeat("f", 2*SaltBytes),
		DraftedAt: "2006-01-02T15:04:05+08:00",
		Applicant: Applicant{Name: longest(maxName), IDType: IDResident, IDNumber: strings.Repeat("X", 20), Contact: longest(maxContact)},
		Organ:     Organ{MSPID: longest(maxContact), Name: longest(maxContact), ContactName: longest(maxContact), ContactPhone: longest(maxContact)},
		Notice:    n, NoticeDigest: strings.Repeat("f", 64), Commitment: Statements}
	c, err := Canonical(worst)
	if err != nil {
		return err
	}
	if len(c) > MaxCanonicalBytes {
		return chengnuo.Errorf(chengnuo.EINVALID, "the item's texts are too long: a letter could be %d bytes, more than the %d a letter may have", len(c), MaxCanonicalBytes)
	}
	return nil
}

// New builds an unsigned letter (a draft) and returns it with its canonical bytes.
func New(it *chengnuo.Item, a Applicant, o Organ, number, salt, draftedAt string) (*Letter, []byte, error) {
	if err := ValidateApplicant(&a); err != nil {
		return nil, nil, err
	}
	if err := ValidateOrgan(&o); err != nil {
		return nil, nil, err
	}
	nd, err := NoticeDigest(it)
	if err != nil {
		return nil, nil, err
	}
	l := &Letter{Schema: Schema, Number: number, Salt: salt, DraftedAt: draftedAt, Applicant: a, Organ: o,
		Notice: NoticeOf(it), NoticeDigest: nd, Commitment: append([]string{}, Statements...)}
	if err := Validate(l); err != nil {
		return nil, nil, fmt.Errorf("draft: %w", err)
	}
	c, err := Canonical(l)
	if err != nil {
		return nil, nil, err
	}
	if len(c) > MaxCanonicalBytes {
		return nil, nil, chengnuo.Errorf(chengnuo.EINVALID, "the letter would be %d bytes, more than the %d a letter may have", len(c), MaxCanonicalBytes)
	}
	return l, c, nil
}
