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
// returns a user-facing reason when it is invalid; birth dates are judged
// against the current time.
func ValidateID(idType, n string) (string, bool) { return ValidateIDAt(idType, n, time.Now()) }

// ValidateIDAt is ValidateID judged at time now.
func ValidateIDAt(idType, n string, now time.Time) (string, bool) {
	switch idType {
	case IDResident:
		return validResidentID(n, now)
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

// provinces are the province-level codes of GB/T 2260 (the first two
// digits of an administrative division code), with 71 (Taiwan), 81 (Hong
// Kong), 82 (Macao) and 83 (residence permits of Taiwan residents).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// validRegion checks a six-digit administrative division code: digits and
// a province-level code of GB/T 2260.
func validRegion(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := range 6 {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return provinces[code[:2]]
}

// earliestBirth is the earliest birth date a resident ID number may carry.
var earliestBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func validResidentID(n string, now time.Time) (string, bool) {
	if len(n) != 18 {
		return "a resident ID number has 18 characters", false
	}
	for i := range 17 {
		if n[i] < '0' || n[i] > '9' {
			return "the first 17 characters of a resident ID number are digits", false
		}
	}
	if !validRegion(n[:6]) {
		return "the resident ID number's region code is not an administrative division (GB/T 2260)", false
	}
	born, err := time.Parse("20060102", n[6:14])
	if err != nil {
		return "the resident ID number holds no valid birth date", false
	}
	if born.Before(earliestBirth) || born.After(now) {
		return "the resident ID number's birth date is before 1900 or in the future", false
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

// usccTypes maps each registration-authority code of GB 32100 (the first
// character) to its organization-type codes (the second).
var usccTypes = map[byte]string{
	'1': "1239",   // 机构编制: 机关, 事业单位, 编办直接管理的群众团体, 其他
	'2': "19",     // 外交
	'3': "123459", // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
	'4': "19",     // 文化
	'5': "1239",   // 民政: 社会团体, 民办非企业单位, 基金会, 其他
	'6': "129",    // 旅游
	'7': "129",    // 宗教
	'8': "19",     // 工会
	'9': "123",    // 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
	'A': "19",     // 中央军委改革和编制办公室
	'N': "1239",   // 农业: 组级, 村级, 乡镇级集体经济组织, 其他
	'Y': "1",      // 其他
}

func validUSCC(n string) (string, bool) {
	if len(n) != 18 || !utf8.ValidString(n) {
		return "a unified social credit code has 18 characters", false
	}
	if types, ok := usccTypes[n[0]]; !ok || strings.IndexByte(types, n[1]) < 0 {
		return "the unified social credit code's registration-authority or organization-type code is not one of GB 32100", false
	}
	if !validRegion(n[2:8]) {
		return "the unified social credit code's region code is not an administrative division (GB/T 2260)", false
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
