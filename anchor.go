package chengnuo

import (
	"encoding/hex"
	"strings"
	"time"
)

// DigestLen is the length of an SM3 digest in hex characters.
const DigestLen = 64

// Anchor is the public ledger record of an anchored SM3 digest. Org is the
// MSP id of the department that anchored it, taken by the chaincode from the
// submitter's certificate, never from input. Timestamp is the transaction
// timestamp, the only clock the ledger trusts.
type Anchor struct {
	Digest      string    `json:"digest"`
	Org         string    `json:"org"`
	TxID        string    `json:"txId"`
	Timestamp   time.Time `json:"timestamp"`
	BlockNumber uint64    `json:"blockNumber,omitempty"`
	// CommitmentID, when set, says the digest is the scan of a paper
	// letter: that commitment's record holds it as its scanDigest, and
	// looking the digest up finds the commitment.
	CommitmentID string `json:"commitmentId,omitempty"`
}

// NormalizeDigest validates a hex SM3 digest and returns it in lower case.
// It returns an EINVALID error for anything that is not exactly 64 hex digits.
func NormalizeDigest(s string) (string, error) {
	if len(s) != DigestLen {
		return "", Errorf(EINVALID, "digest must be %d hex characters, got %d", DigestLen, len(s))
	}
	s = strings.ToLower(s)
	if _, err := hex.DecodeString(s); err != nil {
		return "", Errorf(EINVALID, "digest must contain only hex characters 0-9 and a-f")
	}
	return s, nil
}
