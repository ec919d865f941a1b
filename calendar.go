package chengnuo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Calendar is one year's official calendar of working days (the State
// Council's notice of that year's holidays, 部分节假日安排): the statutory
// holidays and the weekend days that are working days (调休上班). The
// justice bureau publishes it on the ledger; a correction is a new version,
// and every deadline records the versions it was computed with.
type Calendar struct {
	Year     int      `json:"year"`
	Version  int      `json:"version"`
	Holidays []string `json:"holidays"` // YYYY-MM-DD: days off
	Workdays []string `json:"workdays"` // YYYY-MM-DD: weekend days that are working days
	// Source names the notice the calendar follows.
	Source      string    `json:"source,omitempty"`
	PublishedAt time.Time `json:"publishedAt,omitzero"`
	TxID        string    `json:"txId,omitempty"`
}

// MaxCalendarDays bounds each list of a calendar.
const MaxCalendarDays = 60

// Time limits of the policy, in working days.
const (
	// CatalogReportDays: the justice bureau reports a catalog change to
	// the higher level within 7 working days (the policy: 在7个工作日内).
	CatalogReportDays = 7
	// ObjectionDays: the credit platform decides an objection within 15
	// working days. The policy asks for an objection procedure and sets no
	// number; 15 working days is this system's, stated here once.
	ObjectionDays = 15
)

// Day is a date in China, as a calendar lists it: midnight China time.
func Day(t time.Time) time.Time {
	t = t.In(China)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, China)
}

// ParseDay reads a YYYY-MM-DD date (China time).
func ParseDay(s string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, China)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "%q is not a date (YYYY-MM-DD)", s)
	}
	return d, nil
}

// Validate checks a calendar as published: dates of its year, in order,
// none twice nor in both lists, and working days that are weekend days.
func (c *Calendar) Validate() error {
	if c.Year < 2000 || c.Year > 2100 {
		return Errorf(EINVALID, "year must be 2000 to 2100")
	}
	if len(c.Source) > 300 {
		return Errorf(EINVALID, "source is longer than 300 characters")
	}
	seen := map[string]bool{}
	for _, list := range []struct {
		name string
		days []string
	}{{"holidays", c.Holidays}, {"workdays", c.Workdays}} {
		if len(list.days) > MaxCalendarDays {
			return Errorf(EINVALID, "%s holds more than %d days", list.name, MaxCalendarDays)
		}
		for i, s := range list.days {
			d, err := ParseDay(s)
			if err != nil || d.Format(time.DateOnly) != s {
				return Errorf(EINVALID, "%s: %q is not a date (YYYY-MM-DD)", list.name, s)
			}
			if d.Year() != c.Year {
				return Errorf(EINVALID, "%s: %s is not in %d", list.name, s, c.Year)
			}
			if i > 0 && s <= list.days[i-1] {
				return Errorf(EINVALID, "%s must be in order, each day once", list.name)
			}
			if seen[s] {
				return Errorf(EINVALID, "%s is both a holiday and a working day", s)
			}
			seen[s] = true
			if wd := d.Weekday(); list.name == "workdays" && wd != time.Saturday && wd != time.Sunday {
				return Errorf(EINVALID, "workdays lists weekend days that are working days; %s is a %s", s, wd)
			}
		}
	}
	return nil
}

// Calendars are the calendars deadlines are computed on, by year. A year
// without one counts Monday to Friday.
type Calendars map[int]*Calendar

// IsWorkday says whether a day (in China) is a working day.
func (cs Calendars) IsWorkday(day time.Time) bool {
	day = Day(day)
	s := day.Format(time.DateOnly)
	if c := cs[day.Year()]; c != nil {
		if slices.Contains(c.Holidays, s) {
			return false
		}
		if slices.Contains(c.Workdays, s) {
			return true
		}
	}
	return day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
}

// Deadline is the end of a time limit of n working days from an event: 24:00
// China time of the nth working day after the day of the event (the day of
// the event does not count: 期间开始之日不计算在期间内). n is 1 to 365.
func (cs Calendars) Deadline(event time.Time, n int) time.Time {
	d := Day(event)
	for count := 0; count < n; {
		d = d.AddDate(0, 0, 1)
		if cs.IsWorkday(d) {
			count++
		}
	}
	return d.AddDate(0, 0, 1).UTC() // 24:00 of the last day
}

// DeadlineDay is the last day of a deadline (the day it ends at 24:00), as
// YYYY-MM-DD.
func DeadlineDay(due time.Time) string {
	return due.Add(-time.Nanosecond).In(China).Format(time.DateOnly)
}

// Versions names the calendars a deadline from an event to its end was
// computed with: "2026v2" for each year, "2027v0" for a year without a
// calendar (Monday to Friday).
func (cs Calendars) Versions(event, due time.Time) string {
	var parts []string
	for y := Day(event).Year(); y <= Day(due.Add(-time.Nanosecond)).Year(); y++ {
		v := 0
		if c := cs[y]; c != nil {
			v = c.Version
		}
		parts = append(parts, strconv.Itoa(y)+"v"+strconv.Itoa(v))
	}
	return strings.Join(parts, ",")
}

// Years are the years a deadline of n working days from an event may reach:
// the calendars to read before computing it.
func Years(event time.Time, n int) []int {
	y := Day(event).Year()
	// 365 working days are less than two years of days.
	last := Day(event).AddDate(0, 0, 2*n+30).Year()
	var out []int
	for ; y <= last; y++ {
		out = append(out, y)
	}
	return out
}

// CalendarNotice says, for people, which calendars a deadline used.
func CalendarNotice(versions string) string {
	var parts []string
	for _, p := range strings.Split(versions, ",") {
		y, v, ok := strings.Cut(p, "v")
		switch {
		case !ok || p == "":
			continue
		case v == "0":
			parts = append(parts, fmt.Sprintf("%s年未发布日历，按周一至周五计", y))
		default:
			parts = append(parts, fmt.Sprintf("%s年日历第%s版", y, v))
		}
	}
	return strings.Join(parts, "；")
}
