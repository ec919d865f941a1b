package console

import (
	"html/template"
	"maps"

	"github.com/chengnuo/chengnuo"
	"strings"
	"time"
)

// labels are the Chinese names of the codes the workbench shows: the
// domain's words (the public page and the documents use the same), and
// the workbench's own (roles).
var labels = func() map[string]string {
	m := chengnuo.Words()
	maps.Copy(m, map[string]string{
		"clerk": "窗口人员", "auditor": "审计", "catalog-admin": "目录管理", "credit-officer": "信用管理", "admin": "账户管理员",
	})
	return m
}()

var funcs = template.FuncMap{
	// dueDay is a deadline's last day (it ends at 24:00 Beijing time);
	// calendars names the calendar versions it was computed with.
	"dueDay":    chengnuo.DeadlineDay,
	"calendars": chengnuo.CalendarNotice,
	// verdict is what a record means to a reader.
	"verdict": chengnuo.VerdictOf,
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
