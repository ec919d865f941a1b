package chengnuo_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// official is the calendar of 2026 as the repository ships it.
func official(t *testing.T) *chengnuo.Calendar {
	t.Helper()
	raw, err := os.ReadFile("network/calendars/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var c chengnuo.Calendar
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c.Version = 1
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return &c
}

func china(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, chengnuo.China)
}

// Deadlines as a person counts them on the official calendar: the day of
// the event does not count, holidays do not, adjusted working weekend days
// do; the deadline ends at 24:00 Beijing time of the last day.
func TestDeadlinesOnTheOfficialCalendar(t *testing.T) {
	cals := chengnuo.Calendars{2026: official(t)}
	for _, c := range []struct {
		name  string
		event time.Time
		n     int
		last  string // the deadline's last day
	}{
		// 国庆节: 10-01 to 10-07 off, Sunday 09-20 and Saturday 10-10 worked.
		{"the last working day before National Day, 3 days", china(2026, 9, 30, 17), 3, "2026-10-10"},
		{"the same, 1 day", china(2026, 9, 30, 9), 1, "2026-10-08"},
		{"a request late at night counts from the next day", china(2026, 9, 30, 23), 2, "2026-10-09"},
		{"an adjusted working Sunday counts", china(2026, 9, 18, 10), 1, "2026-09-20"},
		// 春节: 02-15 to 02-23 off, Saturdays 02-14 and 02-28 worked.
		{"Friday before the Spring Festival: the working Saturday", china(2026, 2, 13, 10), 1, "2026-02-14"},
		{"over the Spring Festival", china(2026, 2, 13, 10), 2, "2026-02-24"},
		{"an event on a holiday, into the working Saturday", china(2026, 2, 18, 10), 5, "2026-02-28"},
		{"ten working days over 劳动节", china(2026, 4, 28, 10), 10, "2026-05-14"},
		{"an ordinary week", china(2026, 3, 9, 10), 5, "2026-03-16"},
		// Midnight UTC is 08:00 in Beijing: the day is China's.
		{"16:30 UTC is the next day in Beijing", time.Date(2026, 9, 29, 16, 30, 0, 0, time.UTC), 1, "2026-10-08"},
	} {
		due := cals.Deadline(c.event, c.n)
		if got := chengnuo.DeadlineDay(due); got != c.last {
			t.Errorf("%s: last day %s, want %s", c.name, got, c.last)
		}
		if end, _ := chengnuo.ParseDay(c.last); !due.Equal(end.AddDate(0, 0, 1)) {
			t.Errorf("%s: due %s is not 24:00 of %s", c.name, due, c.last)
		}
	}
	// A year without a calendar counts Monday to Friday, and says so.
	due := cals.Deadline(china(2026, 12, 30, 10), 5)
	if chengnuo.DeadlineDay(due) != "2027-01-06" || cals.Versions(china(2026, 12, 30, 10), due) != "2026v1,2027v0" {
		t.Fatalf("into 2027: %s %s", chengnuo.DeadlineDay(due), cals.Versions(china(2026, 12, 30, 10), due))
	}
	if n := chengnuo.CalendarNotice("2026v1,2027v0"); n != "2026年日历第1版；2027年未发布日历，按周一至周五计" {
		t.Fatal(n)
	}
}

func TestCalendarsAreValidated(t *testing.T) {
	for name, c := range map[string]chengnuo.Calendar{
		"year":                {Year: 1999},
		"a date of another":   {Year: 2026, Holidays: []string{"2027-01-01"}},
		"not a date":          {Year: 2026, Holidays: []string{"2026-02-30"}},
		"not in order":        {Year: 2026, Holidays: []string{"2026-10-02", "2026-10-01"}},
		"twice":               {Year: 2026, Holidays: []string{"2026-10-01", "2026-10-01"}},
		"in both lists":       {Year: 2026, Holidays: []string{"2026-10-10"}, Workdays: []string{"2026-10-10"}},
		"a weekday worked":    {Year: 2026, Workdays: []string{"2026-10-09"}},
		"a loose date format": {Year: 2026, Holidays: []string{"2026-1-1"}},
	} {
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
