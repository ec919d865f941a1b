package proof

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Describe puts a report in a person's words. Only a pinned report is
// called PROVEN: without a pin the same words would describe a bundle of
// an invented network, so the claims are shown as claims. Every string
// from the bundle is made printable (Printable).
func Describe(r *Report) string {
	var b strings.Builder
	p := Printable
	what := "the commitment letter with SM3 digest " + p(r.LetterDigest) + " (commitment " + p(r.ID) + ")"
	if r.Kind == KindAnchor {
		what = "the digest " + p(r.LetterDigest)
	}
	indent := "  "
	if r.Pinned {
		fmt.Fprintf(&b, "PROVEN: %s was recorded on channel %s.\n", what, p(r.Channel))
	} else {
		b.WriteString("NOT PINNED: the bundle is consistent, but nothing ties it to the departments' network.\n")
		b.WriteString("  A network anyone could invent, with its own CAs and consenters under the departments' names,\n")
		b.WriteString("  would read the same. Check it again with the genesis hash the departments publish\n")
		b.WriteString("  (chengnuo proof verify --genesis-hash HEX). What the bundle claims:\n")
		fmt.Fprintf(&b, "    %s was recorded on channel %s.\n", what, p(r.Channel))
		indent = "    "
	}
	if r.ScanDigest != "" {
		fmt.Fprintf(&b, "%ssigned on paper: the record binds the scan with SM3 digest %s\n", indent, p(r.ScanDigest))
	}
	fmt.Fprintf(&b, "%sblock %d, transaction %s, at %s\n", indent, r.BlockNumber, p(r.TxID), r.BlockTime.Format("2006-01-02 15:04:05 MST"))
	if r.Status != "" {
		fmt.Fprintf(&b, "%sstatus at that height: %s (a later change would be a later proof)\n", indent, p(r.Status))
	}
	fmt.Fprintf(&b, "%ssubmitted by %s; endorsed by %d of the %d departments: %s\n", indent, p(r.Creator), len(r.Endorsers), len(r.Departments), p(strings.Join(r.Endorsers, ", ")))
	fmt.Fprintf(&b, "%sordered and signed by %d orderers (a BFT quorum is %d): %s\n", indent, len(r.Orderers), r.Quorum, p(strings.Join(r.Orderers, ", ")))
	if r.Schema == VersionHashChain {
		fmt.Fprintf(&b, "%sunder the configuration of block %d, hash-linked to the genesis block %s", indent, r.ConfigBlock, p(r.GenesisHash))
	} else if r.Configurations <= 1 {
		fmt.Fprintf(&b, "%sunder the genesis configuration, of the genesis block %s", indent, p(r.GenesisHash))
	} else {
		fmt.Fprintf(&b, "%sunder the configuration of block %d, reached from the genesis block %s by %d change%s, each signed by a quorum of the consenters before it",
			indent, r.ConfigBlock, p(r.GenesisHash), r.Configurations-1, map[bool]string{true: "s"}[r.Configurations > 2])
	}
	if r.Pinned {
		b.WriteString(" (pinned)\n")
	} else {
		b.WriteString(" (NOT pinned)\n")
	}
	b.WriteString(indent + "valid: as the committing peer reports it (its validation flag is signed by nobody)\n")
	if r.Letter != "" {
		fmt.Fprintf(&b, "%sletter: %s\n", indent, p(r.Letter))
	}
	return b.String()
}

// Printable returns s with every character that is not printable — control
// characters (terminal escapes, newlines), format characters (bidirectional
// overrides), invalid UTF-8 — and the backslash escaped, so that a string
// from a bundle cannot paint a line of its own on a terminal or a page.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == '\\' || r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}
