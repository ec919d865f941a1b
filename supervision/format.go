package supervision

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/chengnuo/chengnuo"
)

// Media types of the figures besides JSON.
const (
	MediaCSV  = "text/csv"
	MediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

type field struct {
	key, label string
	v          *int
}

// fields are a row's figures, in the order of the columns.
func fields(r *chengnuo.StatsRow) []field {
	return []field{
		{"lettersAnchored", "存证承诺书", &r.LettersAnchored},
		{"lettersWithdrawn", "撤回", &r.LettersWithdrawn},
		{"lettersConcluded", "办结", &r.LettersConcluded},
		{"requestsSent", "发起协助核查", &r.RequestsSent},
		{"requestsReceived", "收到协助核查", &r.RequestsReceived},
		{"answeredOnTime", "按期答复", &r.AnsweredOnTime},
		{"answeredLate", "逾期答复", &r.AnsweredLate},
		{"declined", "拒绝协助", &r.Declined},
		{"open", "尚未答复", &r.Open},
		{"openOverdue", "尚未答复且已逾期", &r.OpenOverdue},
		{"outcomesVerified", "核查属实", &r.OutcomesVerified},
		{"outcomesFalse", "虚假承诺", &r.OutcomesFalse},
		{"outcomesUnverifiable", "无法核实", &r.OutcomesUnverifiable},
		{"outcomesExempt", "免于核查", &r.OutcomesExempt},
		{"falseMinor", "失信等级：轻微", &r.FalseMinor},
		{"falseOrdinary", "失信等级：一般", &r.FalseOrdinary},
		{"falseSerious", "失信等级：严重", &r.FalseSerious},
		{"creditRecords", "信用记录", &r.CreditRecords},
		{"creditRepairs", "信用修复", &r.CreditRepairs},
		{"objections", "异议", &r.Objections},
		{"objectionsUpheld", "异议成立", &r.ObjectionsUpheld},
		{"objectionsRejected", "异议不成立", &r.ObjectionsRejected},
		{"objectionsDecidedLate", "异议逾期处理", &r.ObjectionsLate},
		{"samples", "双随机抽查", &r.Samples},
		{"sampledLetters", "抽中承诺书", &r.SampledLetters},
		{"catalogChanges", "目录调整", &r.CatalogChanges},
		{"reportedOnTime", "按期报备", &r.ReportedOnTime},
		{"reportedLate", "逾期报备", &r.ReportedLate},
		{"reportOverdue", "逾期未报备", &r.ReportOverdue},
	}
}

// Columns are the figures' keys, in the order of the CSV and workbook
// columns (after department, its name and item).
func Columns() []string {
	var out []string
	for _, f := range fields(&chengnuo.StatsRow{}) {
		out = append(out, f.key)
	}
	return out
}

// Value is a row's figure by key.
func Value(r *chengnuo.StatsRow, key string) (int, bool) {
	for _, f := range fields(r) {
		if f.key == key {
			return *f.v, true
		}
	}
	return 0, false
}

// table is the report as rows of cells: a header of labels, a row a
// department and item, and the totals.
func table(rep *chengnuo.StatsReport, names chengnuo.Directory) [][]string {
	head := []string{"部门 department", "部门名称 name", "事项 item"}
	for _, f := range fields(&chengnuo.StatsRow{}) {
		head = append(head, f.label+" "+f.key)
	}
	out := [][]string{head}
	line := func(dept, name, item string, r *chengnuo.StatsRow) {
		cells := []string{dept, name, item}
		for _, f := range fields(r) {
			cells = append(cells, strconv.Itoa(*f.v))
		}
		out = append(out, cells)
	}
	for _, r := range rep.Rows {
		line(r.Department, names.Name(r.Department), r.Item, r)
	}
	line("", "合计 total", "", &rep.Totals)
	return out
}

// period says what a report covers, for people.
func period(rep *chengnuo.StatsReport) string {
	day := func(t time.Time, none string) string {
		if t.IsZero() {
			return none
		}
		return t.In(chengnuo.China).Format(time.DateOnly)
	}
	return fmt.Sprintf("期间 %s 至 %s（不含）；截至账本时间 %s（北京时间）", day(rep.From, "最早"), day(rep.To, "最新"),
		rep.AsOf.In(chengnuo.China).Format("2006-01-02 15:04:05"))
}

// CSV writes the report as CSV (UTF-8 with a byte-order mark, so that a
// spreadsheet opens the Chinese right): the header, the rows and the
// totals. (The period is the request's; the workbook states it.)
func CSV(w io.Writer, rep *chengnuo.StatsReport, names chengnuo.Directory) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(table(rep, names)); err != nil {
		return err
	}
	return cw.Error()
}

// Sheets of the workbook.
const (
	SheetFigures = "统计"
	SheetAbout   = "说明"
)

// XLSX writes the report as an Excel workbook: a sheet of figures (numbers
// as numbers, the header frozen) and a sheet saying what they are.
func XLSX(w io.Writer, rep *chengnuo.StatsReport, names chengnuo.Directory) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetFigures); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, row := range table(rep, names) {
		for j, cell := range row {
			ref, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return err
			}
			var v any = cell
			if n, err := strconv.Atoi(cell); err == nil && i > 0 && j >= 3 {
				v = n
			}
			if err := f.SetCellValue(SheetFigures, ref, v); err != nil {
				return err
			}
		}
		if i == 0 {
			last, _ := excelize.CoordinatesToCellName(len(row), 1)
			if err := f.SetCellStyle(SheetFigures, "A1", last, bold); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(SheetFigures, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetAbout); err != nil {
		return err
	}
	about := [][]string{
		{"证明事项告知承诺制 督促检查统计 Supervision figures"},
		{period(rep)},
		{"数据来源：各部门共享账本上的记录（任何部门的网关给出相同的数字；持有账本区块者可用 chengnuo stats --blocks 重新计算）。"},
		{"期限均按账本上公布的工作日历计算，至最后一日 24:00（北京时间）。不含个人信息。"},
	}
	for i, line := range about {
		if err := f.SetCellValue(SheetAbout, fmt.Sprintf("A%d", i+1), line[0]); err != nil {
			return err
		}
	}
	return f.Write(w)
}
