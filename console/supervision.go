package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/chengnuo/chengnuo"
)

// supervisionData is the supervision page: the filter, the figures and
// their charts, and the export links.
type supervisionData struct {
	From, To, Department, Item string
	Report                     *chengnuo.StatsReport
	Charts                     []template.HTML
	Query                      string // the filter as a query, for the export links
}

// supervision shows the figures the leading group's office supervises
// with (督促检查): from the ledger alone, the same at every department.
func (c *Console) supervision(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := &supervisionData{From: q.Get("from"), To: q.Get("to"), Department: q.Get("department"), Item: q.Get("item")}
	v := &view{Title: "督促检查 Supervision", Data: d}
	f, err := statsFilter(q)
	if err == nil {
		d.Report, err = c.svc.Stats(r.Context(), f)
	}
	if err != nil {
		c.fail(w, r, "supervision", v, err)
		return
	}
	vals := url.Values{}
	for k, x := range map[string]string{"from": d.From, "to": d.To, "department": d.Department, "item": d.Item} {
		if x != "" {
			vals.Set(k, x)
		}
	}
	d.Query = vals.Encode()
	d.Charts = c.charts(d.Report)
	c.render(w, r, http.StatusOK, "supervision", v)
}

// statsFilter reads the page's filter (the API's: days in Beijing time,
// the last included).
func statsFilter(q url.Values) (chengnuo.StatsFilter, error) {
	var f chengnuo.StatsFilter
	var err error
	if v := q.Get("from"); v != "" {
		if f.From, err = chengnuo.ParseDay(v); err != nil {
			return f, chengnuo.Errorf(chengnuo.EINVALID, "from: %s", chengnuo.ErrorMessage(err))
		}
	}
	if v := q.Get("to"); v != "" {
		d, err := chengnuo.ParseDay(v)
		if err != nil {
			return f, chengnuo.Errorf(chengnuo.EINVALID, "to: %s", chengnuo.ErrorMessage(err))
		}
		f.To = d.AddDate(0, 0, 1)
	}
	f.Department, f.Item = strings.TrimSpace(q.Get("department")), strings.TrimSpace(q.Get("item"))
	return f, nil
}

// bar is one bar of a chart: a label and its segments.
type bar struct {
	label    string
	segments []int
}

// charts draws the figures per department as horizontal stacked bars, in
// SVG on the server: no script, no library, readable without colour (each
// segment is also written as a number, and each chart has a text title and
// description for screen readers).
func (c *Console) charts(rep *chengnuo.StatsReport) []template.HTML {
	byDept := map[string]*chengnuo.StatsRow{}
	var order []string
	for _, r := range rep.Rows {
		t := byDept[r.Department]
		if t == nil {
			t = &chengnuo.StatsRow{Department: r.Department}
			byDept[r.Department] = t
			order = append(order, r.Department)
		}
		for _, p := range [][2]*int{{&t.LettersAnchored, &r.LettersAnchored}, {&t.LettersWithdrawn, &r.LettersWithdrawn},
			{&t.LettersConcluded, &r.LettersConcluded}, {&t.AnsweredOnTime, &r.AnsweredOnTime}, {&t.AnsweredLate, &r.AnsweredLate},
			{&t.Declined, &r.Declined}, {&t.OpenOverdue, &r.OpenOverdue}, {&t.Open, &r.Open}} {
			*p[0] += *p[1]
		}
	}
	var letters, answers []bar
	for _, dept := range order {
		t := byDept[dept]
		name := c.deptName(dept)
		letters = append(letters, bar{name, []int{t.LettersAnchored, t.LettersWithdrawn, t.LettersConcluded}})
		answers = append(answers, bar{name, []int{t.AnsweredOnTime, t.AnsweredLate, t.Declined, t.OpenOverdue, t.Open - t.OpenOverdue}})
	}
	return []template.HTML{
		chart("chart-letters", "承诺书：存证、撤回、办结", "Letters anchored, withdrawn, concluded",
			[]string{"存证", "撤回", "办结"}, letters),
		chart("chart-answers", "协助核查答复：按期、逾期、拒绝、逾期未答、未到期", "Verification requests received: answered on time, late, declined, overdue, open",
			[]string{"按期答复", "逾期答复", "拒绝协助", "逾期未答复", "未到期"}, answers),
	}
}

// palette is distinguishable in grey too; segments are labelled anyway.
var palette = []string{"#0b4f9c", "#a4161a", "#6b6b6b", "#7a4100", "#0a6b2f"}

// chart draws one stacked bar chart.
func chart(id, title, desc string, legend []string, bars []bar) template.HTML {
	const labelW, barW, rowH, top = 150, 460, 28, 40
	max := 1
	for _, b := range bars {
		sum := 0
		for _, v := range b.segments {
			sum += v
		}
		max = maxInt(max, sum)
	}
	h := top + rowH*len(bars) + 10
	var sb strings.Builder
	fmt.Fprintf(&sb, `<figure class="chart"><svg id="%s" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="100%%">`,
		id, id, id, labelW+barW+60, h)
	fmt.Fprintf(&sb, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, template.HTMLEscapeString(title), id, template.HTMLEscapeString(desc))
	x := labelW
	for i, l := range legend {
		fmt.Fprintf(&sb, `<rect x="%d" y="8" width="12" height="12" fill="%s"/><text x="%d" y="19" font-size="12">%s</text>`,
			x, palette[i%len(palette)], x+16, template.HTMLEscapeString(l))
		x += 16 + 14*len([]rune(l)) + 12
	}
	for i, b := range bars {
		y := top + i*rowH
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="13" text-anchor="end">%s</text>`, labelW-8, y+17, template.HTMLEscapeString(b.label))
		x := labelW
		total := 0
		for j, v := range b.segments {
			wid := v * barW / max
			if wid > 0 {
				fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="20" fill="%s"><title>%s %d</title></rect>`,
					x, y+3, wid, palette[j%len(palette)], template.HTMLEscapeString(legend[j]), v)
			}
			x += wid
			total += v
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12">%d</text>`, x+6, y+17, total)
	}
	sb.WriteString(`</svg><figcaption>` + template.HTMLEscapeString(title) + ` <span lang="en">` + template.HTMLEscapeString(desc) + `</span></figcaption></figure>`)
	return template.HTML(sb.String())
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
