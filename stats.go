package chengnuo

import "time"

// The supervision figures (督促检查): what the shared ledger says each
// department did in a period, per item. Package supervision computes them
// from a read model or a peer's blocks and writes them as CSV and as a
// workbook.

// StatsFilter selects the figures: events in [From, To) (zero: unbounded), of
// one department and one item (empty: all). AsOf judges what is open and
// overdue (zero: the ledger's latest transaction time).
type StatsFilter struct {
	From, To   time.Time
	Department string
	Item       string
	AsOf       time.Time
}

// StatsRow is one department's figures for one item.
type StatsRow struct {
	Department string `json:"department"`
	Item       string `json:"item"`

	LettersAnchored  int `json:"lettersAnchored"`
	LettersWithdrawn int `json:"lettersWithdrawn"`
	LettersConcluded int `json:"lettersConcluded"`

	// Assisted verification: requests the department sent, and those it
	// received with how it answered them (in working days).
	RequestsSent     int `json:"requestsSent"`
	RequestsReceived int `json:"requestsReceived"`
	AnsweredOnTime   int `json:"answeredOnTime"`
	AnsweredLate     int `json:"answeredLate"`
	Declined         int `json:"declined"`
	Open             int `json:"open"`
	OpenOverdue      int `json:"openOverdue"`

	// Outcomes the department recorded, and the levels of the false ones.
	OutcomesVerified     int `json:"outcomesVerified"`
	OutcomesFalse        int `json:"outcomesFalse"`
	OutcomesUnverifiable int `json:"outcomesUnverifiable"`
	OutcomesExempt       int `json:"outcomesExempt"`
	FalseMinor           int `json:"falseMinor"`
	FalseOrdinary        int `json:"falseOrdinary"`
	FalseSerious         int `json:"falseSerious"`

	// Credit records the department's outcomes created, their repairs, and
	// the objections it filed with their decisions.
	CreditRecords      int `json:"creditRecords"`
	CreditRepairs      int `json:"creditRepairs"`
	Objections         int `json:"objections"`
	ObjectionsUpheld   int `json:"objectionsUpheld"`
	ObjectionsRejected int `json:"objectionsRejected"`
	ObjectionsLate     int `json:"objectionsDecidedLate"`

	Samples        int `json:"samples"`
	SampledLetters int `json:"sampledLetters"`

	// Catalog changes (the justice bureau) and their reports.
	CatalogChanges int `json:"catalogChanges"`
	ReportedOnTime int `json:"reportedOnTime"`
	ReportedLate   int `json:"reportedLate"`
	ReportOverdue  int `json:"reportOverdue"`
}

// StatsReport is the figures of a period.
type StatsReport struct {
	From   time.Time   `json:"from,omitzero"`
	To     time.Time   `json:"to,omitzero"`
	AsOf   time.Time   `json:"asOf"`
	Rows   []*StatsRow `json:"rows"`
	Totals StatsRow    `json:"totals"`
}
