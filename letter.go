package chengnuo

// Applicant is section 一's data about the applicant (申请人). Personal data:
// it never goes on the shared ledger.
type Applicant struct {
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
	Contact  string `json:"contact"`
}

// Organ is the administrative organ (行政机关) that issues the letter.
type Organ struct {
	MSPID        string `json:"mspId"`
	Name         string `json:"name"`
	ContactName  string `json:"contactName"`
	ContactPhone string `json:"contactPhone"`
}

// Notice is section 二, the organ's notice, copied from one catalog item
// version. The applicant signs the exact notice they were shown.
type Notice struct {
	ItemCode           string           `json:"itemCode"`
	ItemVersion        int              `json:"itemVersion"`
	ItemName           string           `json:"itemName"`           // (一)
	Purpose            string           `json:"purpose"`            // (二)
	LegalBasis         string           `json:"legalBasis"`         // (三)
	Content            string           `json:"content"`            // (四)
	EligibleApplicants string           `json:"eligibleApplicants"` // (五)
	CommitmentMethod   string           `json:"commitmentMethod"`   // (六)
	Effect             string           `json:"effect"`             // (七)
	VerificationPower  string           `json:"verificationPower"`  // (八)
	Liability          string           `json:"liability"`          // (九)
	Disclosure         Disclosure       `json:"disclosure"`         // (十)
	Verification       VerificationRule `json:"verification"`
}

// Letter is a commitment letter (告知承诺书) in the form the applicant signs:
// its RFC 8785 canonical JSON is what is signed and what the letter digest
// is computed over (package letter).
type Letter struct {
	Schema       string    `json:"schema"`
	Number       string    `json:"number"`
	Salt         string    `json:"salt"`
	DraftedAt    string    `json:"draftedAt"`
	Applicant    Applicant `json:"applicant"`
	Organ        Organ     `json:"organ"`
	Notice       Notice    `json:"notice"`
	NoticeDigest string    `json:"noticeDigest"`
	Commitment   []string  `json:"commitment"`
}
