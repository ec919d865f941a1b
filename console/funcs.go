package console

import (
	"html/template"

	"github.com/chengnuo/chengnuo"
	"strings"
	"time"
)

// labels are the Chinese names of the codes the workbench shows.
var labels = map[string]string{
	"PENDING": "待存证", "ACTIVE": "有效", "WITHDRAWN": "已撤回", "CONCLUDED": "已办结",
	"ANSWERED": "已答复", "DECLINED": "已拒绝", "CONSISTENT": "核查一致", "INCONSISTENT": "核查不一致", "UNABLE": "无法核查",
	"UNDER_VERIFICATION": "核查中", "VERIFIED": "核查属实", "FALSE": "虚假承诺", "UNVERIFIABLE": "无法核实", "EXEMPT": "免于核查",
	"MINOR": "轻微", "ORDINARY": "一般", "SERIOUS": "严重",
	"TERMINATED": "终止办理", "RECTIFY": "责令整改", "REVOKED": "撤销决定", "PENALTY": "行政处罚", "REFERRED": "移送司法机关",
	"REPAIRED": "已修复", "ANNULLED": "已撤销", "UPHELD": "异议成立", "REJECTED": "异议不成立", "APPROVED": "已同意",
	"SUPERSEDED": "已被新版本取代", "RETIRED": "已废止",
	"SM2": "SM2 数字证书签名", "SM2_KEY": "SM2 密钥签名", "PAPER": "纸质签名",
	"RESIDENT_ID": "居民身份证", "USCC": "统一社会信用代码", "PASSPORT": "护照",
	"ONLINE": "在线核查", "WRITTEN": "书面核查", "ON_SITE": "现场核查", "PUBLIC_NOTICE": "公示",
	"clerk": "窗口人员", "auditor": "审计", "catalog-admin": "目录管理", "credit-officer": "信用管理", "admin": "账户管理员",
}

var funcs = template.FuncMap{
	// label is a code's Chinese name followed by the code.
	"label": func(code string) string {
		if l, ok := labels[code]; ok {
			return l + " " + code
		}
		return code
	},
	// status is a status's label where PENDING means something else than
	// a letter waiting to be anchored: a request waiting for its answer,
	// a proposal or an objection waiting for its decision.
	"status": func(kind, code string) string {
		if code == "PENDING" {
			switch kind {
			case "request":
				return "待答复 PENDING"
			case "decision":
				return "待决定 PENDING"
			}
		}
		if l, ok := labels[code]; ok {
			return l + " " + code
		}
		return code
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02")
	},
	"short": func(s string) string {
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	},
	"has": func(xs []string, x string) bool {
		for _, v := range xs {
			if v == x {
				return true
			}
		}
		return false
	},
	"join":  strings.Join,
	"list":  func(xs ...string) []string { return xs },
	"split": strings.Split,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	// field is an item's text field by its form name.
	"field": func(it *chengnuo.Item, name string) string {
		if it == nil {
			return ""
		}
		return map[string]string{"code": it.Code, "name": it.Name, "department": it.Department, "purpose": it.Purpose,
			"legalBasis": it.LegalBasis, "content": it.Content, "eligibleApplicants": it.EligibleApplicants,
			"commitmentMethod": it.CommitmentMethod, "verificationPower": it.VerificationPower, "liability": it.Liability}[name]
	},
	"lower": strings.ToLower,
	"mask": func(id string) string {
		r := []rune(id)
		if len(r) <= 8 {
			return id
		}
		return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
	},
	"invalid": func(p *problem, field string) bool { return p != nil && p.Field == field },
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
}
