package chengnuo

import "time"

// LostLetter is a letter the department anchored but no longer holds: it
// was anchored after the backup the department's store was restored from.
// The ledger gives what is public — its id, digest, item, time and block —
// so the department knows exactly which letters to collect again from
// their applicants; the letter and the applicant's data are gone with the
// host.
type LostLetter struct {
	ID           string    `json:"id"`
	LetterDigest string    `json:"letterDigest"`
	ItemCode     string    `json:"itemCode"`
	ItemVersion  int       `json:"itemVersion"`
	Status       string    `json:"status"`
	AnchoredAt   time.Time `json:"anchoredAt"`
	BlockNumber  uint64    `json:"blockNumber"`
	TxID         string    `json:"txId"`
	FoundAt      time.Time `json:"foundAt"` // when the restore found it missing
}

// Reconciliation is what a department's gateway found, once its read model
// caught up with the ledger after a restore: the letters it anchored that
// its store does not hold, and the serial numbers skipped so that no
// number is issued twice.
type Reconciliation struct {
	Height         uint64         `json:"height"`                   // blocks of the ledger read
	Anchored       int            `json:"anchored"`                 // letters this department anchored, on the ledger
	Held           int            `json:"held"`                     // of them, in the store
	Lost           []*LostLetter  `json:"lost"`                     // the others (newly found and found before)
	SkippedNumbers map[string]int `json:"skippedNumbers,omitempty"` // year -> serial numbers skipped
}

// RestoreNumberGap is how many serial numbers past the lost letters a
// restore skips, for drafts numbered after the backup and never anchored:
// their numbers may be on paper in applicants' hands.
const RestoreNumberGap = 1000

// LostFrom is the lost letter a commitment record describes.
func LostFrom(c *Commitment, found time.Time) *LostLetter {
	return &LostLetter{ID: c.ID, LetterDigest: c.LetterDigest, ItemCode: c.ItemCode, ItemVersion: c.ItemVersion, Status: c.Status,
		AnchoredAt: c.AnchoredAt, BlockNumber: c.BlockNumber, TxID: c.TxID, FoundAt: found}
}

// BackupMeta is the last entry of the archive of snapshots a gateway serves
// for a backup (GET /backup on its operations listener).
type BackupMeta struct {
	MSPID string    `json:"mspId"`
	Taken time.Time `json:"taken"`
	// BlockHeight is the read model's height just before the store's
	// snapshot: letters anchored in blocks from it on may be missing from
	// the copy.
	BlockHeight uint64 `json:"blockHeight"`
	// Store says where the letters are when they are not in the archive
	// ("postgres": back the database up with pg_dump).
	Store string `json:"store"`
}

// BackupMetaName names the BackupMeta entry.
const BackupMetaName = "backup-meta.json"
