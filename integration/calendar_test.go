package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// Working days on the real network: the official calendar is on the
// ledger, deadlines are computed from it alike at every department, a
// request due by the end of the next working day is flagged and announced
// once by the department's reminder webhook, and a year without a calendar
// is reported.
func TestWorkingDaysOnTheLedger(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(net.root, "network", "calendars", "2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	var shipped chengnuo.Calendar
	if err := json.Unmarshal(raw, &shipped); err != nil {
		t.Fatal(err)
	}
	r := call(t, "GET", gatewayURL(credit)+"/v1/calendar/2026", "")
	var onLedger chengnuo.Calendar
	if err := json.Unmarshal([]byte(r.Raw), &onLedger); err != nil || r.Status != http.StatusOK || onLedger.Version < 1 ||
		!reflect.DeepEqual(onLedger.Holidays, shipped.Holidays) || !reflect.DeepEqual(onLedger.Workdays, shipped.Workdays) || onLedger.Source != shipped.Source {
		t.Fatalf("the calendar of 2026 on the ledger: %d %s", r.Status, r.Raw)
	}
	if r := call(t, "GET", gatewayURL(credit)+"/v1/calendar/2099", ""); r.Status != http.StatusNotFound {
		t.Fatalf("a year without a calendar: %d %s", r.Status, r.Raw)
	}
	if r := callAs(t, apiKey(t, market, "CLERK"), "PUT", gatewayURL(market)+"/v1/calendar/2026", string(raw)); r.Status != http.StatusForbidden {
		t.Fatalf("a clerk publishes a calendar: %d %s", r.Status, r.Raw)
	}

	// One working day, written verification: due by the end of the next
	// working day as soon as it is asked.
	it := verifiedItem(uniqueCode(t, "DAYS"), "PoliceMSP", false)
	it.Verification = writtenBy("PoliceMSP", 1)
	code := publishVisible(t, it)
	id := anchorID(t, code, newPerson(t, "期限甲"))
	rid := requestCheck(t, id, "核查住所使用权")
	atMarket := call(t, "GET", gatewayURL(market)+"/v1/verification/requests/"+rid, "")
	atPolice := waitVisible(t, police, "/v1/verification/requests/"+rid)
	if atMarket.Body["dueAt"] != atPolice.Body["dueAt"] || atMarket.Body["dueCalendar"] != atPolice.Body["dueCalendar"] ||
		!strings.HasPrefix(atMarket.Body["dueCalendar"].(string), "2026v") && !strings.HasPrefix(atMarket.Body["dueCalendar"].(string), "2027v") {
		t.Fatalf("the same request at two departments: %s / %s", atMarket.Raw, atPolice.Raw)
	}
	due, _ := time.Parse(time.RFC3339, atMarket.Body["dueAt"].(string))
	if due.In(chengnuo.China).Hour() != 0 || due.In(chengnuo.China).Minute() != 0 {
		t.Fatalf("a deadline ends at 24:00 Beijing time, not %s", due.In(chengnuo.China))
	}
	l := callAs(t, apiKey(t, police, "CLERK"), "GET", gatewayURL(police)+"/v1/verification/requests?side=to&state=pending", "")
	if u, _ := l.Body["urgent"].(map[string]any); u[rid] != chengnuo.UrgencyDueSoon {
		t.Fatalf("the inbox does not flag it: %s", l.Raw)
	}
	// Announced once by police's reminder webhook (maintenance every 2 s).
	count := func() int {
		registry.mu.Lock()
		defer registry.mu.Unlock()
		n := 0
		for _, rem := range registry.reminders {
			if rem["requestId"] == rid {
				n++
				if rem["urgency"] != chengnuo.UrgencyDueSoon || rem["dueDay"] != chengnuo.DeadlineDay(due) || rem["from"] != "MarketMSP" {
					t.Errorf("reminder %v", rem)
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for count() == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // two more maintenance passes
	if n := count(); n != 1 {
		t.Fatalf("announced %d times, want once", n)
	}
	// 2027's calendar is not shipped: police's metric says one year is missing.
	if m := sample(t, metricsOf(t, opsURL(police)), "chengnuo_calendar_missing"); m != 1 {
		t.Fatalf("chengnuo_calendar_missing = %v", m)
	}
}
