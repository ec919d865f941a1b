package proof

import (
	"fmt"
	"strings"
)

// Describe puts a report in a person's words.
func Describe(r *Report, pinned bool) string {
	var b strings.Builder
	what := "the commitment letter with SM3 digest " + r.LetterDigest + " (commitment " + r.ID + ")"
	if r.Kind == KindAnchor {
		what = "the digest " + r.LetterDigest
	}
	fmt.Fprintf(&b, "PROVEN: %s was recorded on channel %s.\n", what, r.Channel)
	fmt.Fprintf(&b, "  block %d, transaction %s, at %s\n", r.BlockNumber, r.TxID, r.BlockTime.Format("2006-01-02 15:04:05 MST"))
	if r.Status != "" {
		fmt.Fprintf(&b, "  status at that height: %s (a later change would be a later proof)\n", r.Status)
	}
	fmt.Fprintf(&b, "  submitted by %s; endorsed by %d of the %d departments: %s\n", r.Creator, len(r.Endorsers), len(r.Departments), strings.Join(r.Endorsers, ", "))
	fmt.Fprintf(&b, "  ordered and signed by %d orderers (a BFT quorum is %d): %s\n", len(r.Orderers), r.Quorum, strings.Join(r.Orderers, ", "))
	fmt.Fprintf(&b, "  under the configuration of block %d, hash-linked to the genesis block %s", r.ConfigBlock, r.GenesisHash)
	if pinned {
		b.WriteString(" (pinned)\n")
	} else {
		b.WriteString("\n  NOTE: the genesis hash was not pinned (--genesis-hash): compare it with the one the departments publish\n")
	}
	if r.Letter != "" {
		fmt.Fprintf(&b, "  letter: %s\n", r.Letter)
	}
	return b.String()
}
