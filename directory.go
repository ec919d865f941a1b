package chengnuo

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Department is how a department is named to people: its name (e.g.
// 市市场监管局) and the prefix of its letter numbers (文号前缀, e.g. 虎市监承).
// Both are part of the department's definition (org.json); each department
// publishes its own on the ledger, so every gateway, page and document
// names departments the same way, and a department joining later is named
// at once. Only the department itself may set its entry (the chaincode
// takes the MSP id from the caller's certificate).
type Department struct {
	MSPID        string    `json:"mspId"`
	Name         string    `json:"name"`
	NumberPrefix string    `json:"numberPrefix"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero"`
	TxID         string    `json:"txId,omitempty"`
}

// Limits of a department's names, in characters.
const (
	MaxDepartmentName = 32
	MaxNumberPrefix   = 12
)

// ValidateDepartmentName checks a department's name: 1 to
// MaxDepartmentName letters, digits, spaces and the punctuation of
// official names (·、（）()-).
func ValidateDepartmentName(name string) error {
	return checkWords("name", name, MaxDepartmentName, "·、（）()- ")
}

// ValidateNumberPrefix checks a letter-number prefix: 1 to MaxNumberPrefix
// letters (Chinese characters count) and digits, no punctuation — the
// number's own brackets and 第…号 surround it.
func ValidateNumberPrefix(prefix string) error {
	return checkWords("numberPrefix", prefix, MaxNumberPrefix, "")
}

func checkWords(field, s string, max int, punct string) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(s)
	if n == 0 || strings.TrimSpace(s) != s {
		return Errorf(EINVALID, "%s is required, without leading or trailing spaces", field)
	}
	if n > max {
		return Errorf(EINVALID, "%s is longer than %d characters", field, max)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(punct, r) {
			return Errorf(EINVALID, "%s may not contain %q", field, r)
		}
	}
	return nil
}

// China is the time zone of the policy's documents: a letter's year, its
// number's year and the dates printed on it are China Standard Time.
var China = time.FixedZone("CST", 8*3600)

// LetterNumber is a letter's number: 〔year〕prefix第NNNNNN号. Numbers run
// per department per year.
func LetterNumber(year int, prefix string, n int) string {
	return fmt.Sprintf("〔%d〕%s第%06d号", year, prefix, n)
}

// Directory names departments by MSP id.
type Directory map[string]*Department

// Name is a department's name, or its MSP id when it has published none.
func (d Directory) Name(mspID string) string {
	if e, ok := d[mspID]; ok && e.Name != "" {
		return e.Name
	}
	return mspID
}
