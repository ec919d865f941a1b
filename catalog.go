package chengnuo

import "time"

// CatalogAuthority is the MSP id of the justice bureau (市司法局), the only
// organization that may publish or retire catalog items.
const CatalogAuthority = "JusticeMSP"

// Item statuses.
const (
	ItemActive     = "ACTIVE"
	ItemSuperseded = "SUPERSEDED" // a newer version exists
	ItemRetired    = "RETIRED"
)

// Item is one version of a certification item (证明事项) of the catalog (目录).
// Versions are immutable: a change is a new version; all stay readable.
type Item struct {
	Code               string           `json:"code"`
	Version            int              `json:"version"`
	Name               string           `json:"name"`
	Department         string           `json:"department"`         // owning department (MSP id)
	Purpose            string           `json:"purpose"`            // 证明用途
	LegalBasis         string           `json:"legalBasis"`         // 设定依据
	Content            string           `json:"content"`            // 证明内容
	EligibleApplicants string           `json:"eligibleApplicants"` // 适用对象
	CommitmentMethod   string           `json:"commitmentMethod"`   // 承诺方式
	VerificationPower  string           `json:"verificationPower"`  // 行政机关核查权力
	Liability          string           `json:"liability"`          // 不实承诺的责任
	Disclosure         Disclosure       `json:"disclosure"`
	Verification       VerificationRule `json:"verification"`
	Demo               bool             `json:"demo,omitempty"` // demo data, not a real catalog entry
	// RequireCertificate: letters for this item must be signed with an
	// applicant certificate (SignedSM2); bare keys and paper are refused.
	RequireCertificate bool `json:"requireCertificate,omitempty"`

	// Set by the chaincode.
	Status       string    `json:"status"`
	NoticeDigest string    `json:"noticeDigest"`
	PublishedAt  time.Time `json:"publishedAt"`
	PublishedTx  string    `json:"publishedTx"`
}

// Disclosure is an item's public disclosure (公示) rule.
type Disclosure struct {
	Public     bool   `json:"public"`
	Scope      string `json:"scope,omitempty"`
	PeriodDays int    `json:"periodDays,omitempty"`
}

// VerificationRule says whether and how commitments for an item are checked.
type VerificationRule struct {
	Exempt        bool   `json:"exempt"`
	Method        string `json:"method,omitempty"`     // ONLINE, WRITTEN, ON_SITE, PUBLIC_NOTICE
	Department    string `json:"department,omitempty"` // verifying department (MSP id)
	TimeLimitDays int    `json:"timeLimitDays,omitempty"`
}

// CatalogChange is a change of the catalog (目录调整) — an item published,
// a new version, an item retired — and its report to the higher level's
// justice administration, due within CatalogReportDays working days.
type CatalogChange struct {
	ID          string    `json:"id"` // code and version: SC-001@2 (a retirement: SC-001@2-retired)
	Code        string    `json:"code"`
	Version     int       `json:"version"`
	Kind        string    `json:"kind"` // PUBLISH or RETIRE
	At          time.Time `json:"at"`
	TxID        string    `json:"txId"`
	ReportBy    time.Time `json:"reportBy"`
	DueCalendar string    `json:"dueCalendar"`
	ReportedAt  time.Time `json:"reportedAt,omitzero"`
	ReportTx    string    `json:"reportTx,omitempty"`
}

// Kinds of catalog change.
const (
	ChangePublish = "PUBLISH"
	ChangeRetire  = "RETIRE"
)

// VerificationMethods lists the accepted verification methods.
var VerificationMethods = []string{"ONLINE", "WRITTEN", "ON_SITE", "PUBLIC_NOTICE"}
