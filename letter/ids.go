package letter

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ID types an applicant may present. Others are refused.
const (
	IDResident = "RESIDENT_ID" // 居民身份证号码, GB 11643: 17 digits + ISO 7064 MOD 11-2 check character
	IDUSCC     = "USCC"        // 统一社会信用代码, GB 32100: 18 characters with a MOD 31 check character
	IDPassport = "PASSPORT"    // passport number: 5-20 letters and digits, no check character
)

// IDTypes lists the accepted ID types.
var IDTypes = []string{IDResident, IDUSCC, IDPassport}

// NormalizeID upper-cases and trims an ID number; it is the form that is
// signed, hashed into the applicant key and compared.
func NormalizeID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ValidateID checks an ID number (already normalized) for its type and
// returns a user-facing reason when it is invalid.
func ValidateID(idType, n string) (string, bool) {
	switch idType {
	case IDResident:
		return validResidentID(n)
	case IDUSCC:
		return validUSCC(n)
	case IDPassport:
		if len(n) < 5 || len(n) > 20 {
			return "a passport number has 5 to 20 characters", false
		}
		for _, c := range n {
			if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
				return "a passport number holds only letters and digits", false
			}
		}
		return "", true
	default:
		return "unknown ID type " + idType + " (accepted: " + strings.Join(IDTypes, ", ") + ")", false
	}
}

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentCheck = "10X98765432"

// ResidentCheckChar computes the GB 11643 check character of 17 digits.
func ResidentCheckChar(first17 string) byte {
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return residentCheck[sum%11]
}

func validResidentID(n string) (string, bool) {
	if len(n) != 18 {
		return "a resident ID number has 18 characters", false
	}
	for i := range 17 {
		if n[i] < '0' || n[i] > '9' {
			return "the first 17 characters of a resident ID number are digits", false
		}
	}
	if _, err := time.Parse("20060102", n[6:14]); err != nil {
		return "the resident ID number holds no valid birth date", false
	}
	if ResidentCheckChar(n[:17]) != n[17] {
		return "the resident ID number's check digit is wrong", false
	}
	return "", true
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar computes the GB 32100 check character of the first 17
// characters; ok is false if one of them is outside the code's alphabet.
func USCCCheckChar(first17 string) (byte, bool) {
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(usccChars, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31], true
}

func validUSCC(n string) (string, bool) {
	if len(n) != 18 || !utf8.ValidString(n) {
		return "a unified social credit code has 18 characters", false
	}
	c, ok := USCCCheckChar(n[:17])
	if !ok || strings.IndexByte(usccChars, n[17]) < 0 {
		return "a unified social credit code uses only digits and the letters ABCDEFGHJKLMNPQRTUWXY", false
	}
	if c != n[17] {
		return "the unified social credit code's check character is wrong", false
	}
	return "", true
}
