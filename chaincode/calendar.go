package chaincode

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

// Calendar records: the current version of each year, and every version.
const (
	calendarObject        = "calendar"  // year -> the current version
	calendarHistoryObject = "calendarv" // year, version -> that version
	catalogChangeObject   = "catchange" // code@version -> the change and its report
)

// putCalendar publishes a year's calendar (the catalog authority only), as
// a new version: a correction changes the deadlines computed after it, not
// those computed before (they name the version they used).
func putCalendar(stub shim.ChaincodeStubInterface, a *chengnuo.Calendar) (*chengnuo.Calendar, error) {
	if _, err := requireOrg(stub, chengnuo.CatalogAuthority, "publish the calendar"); err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	prev, _, err := readRecord[chengnuo.Calendar](stub, calendarObject, strconv.Itoa(a.Year), "calendar")
	switch {
	case err == nil:
	case chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND:
		prev = &chengnuo.Calendar{}
	default:
		return nil, err
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	c := &chengnuo.Calendar{Year: a.Year, Version: prev.Version + 1, Holidays: a.Holidays, Workdays: a.Workdays, Source: a.Source,
		PublishedAt: ts, TxID: stub.GetTxID()}
	if c.Holidays == nil {
		c.Holidays = []string{}
	}
	if c.Workdays == nil {
		c.Workdays = []string{}
	}
	if _, err := putRecord(stub, calendarObject, strconv.Itoa(c.Year), c); err != nil {
		return nil, err
	}
	key, err := stub.CreateCompositeKey(calendarHistoryObject, []string{strconv.Itoa(c.Year), fmt.Sprintf("%06d", c.Version)})
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, key, c); err != nil {
		return nil, err
	}
	return c, nil
}

// getCalendar reads a year's calendar: the current version, or version n.
func getCalendar(stub shim.ChaincodeStubInterface, a *contract.CalendarArgs) (*chengnuo.Calendar, error) {
	if a.Version == 0 {
		c, _, err := readRecord[chengnuo.Calendar](stub, calendarObject, strconv.Itoa(a.Year), "calendar")
		if chengnuo.ErrorCode(err) == chengnuo.ENOTFOUND {
			return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "no calendar of %d is published: its deadlines count Monday to Friday", a.Year)
		}
		return c, err
	}
	key, err := stub.CreateCompositeKey(calendarHistoryObject, []string{strconv.Itoa(a.Year), fmt.Sprintf("%06d", a.Version)})
	if err != nil {
		return nil, err
	}
	var c chengnuo.Calendar
	ok, err := readJSON(stub, key, &c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "calendar %d has no version %d", a.Year, a.Version)
	}
	return &c, nil
}

// deadline computes a time limit of n working days from event on the
// ledger's calendars: every endorser reads the same records, so every one
// computes the same due time. It returns the due time and the calendar
// versions used.
func deadline(stub shim.ChaincodeStubInterface, event time.Time, n int) (time.Time, string, error) {
	cals := chengnuo.Calendars{}
	for _, y := range chengnuo.Years(event, n) {
		c, _, err := readRecord[chengnuo.Calendar](stub, calendarObject, strconv.Itoa(y), "calendar")
		switch {
		case err == nil:
			cals[y] = c
		case chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND:
			return time.Time{}, "", err
		}
	}
	due := cals.Deadline(event, n)
	return due, cals.Versions(event, due), nil
}

// recordCatalogChange records a change of the catalog with the date its
// report to the higher level is due.
func recordCatalogChange(stub shim.ChaincodeStubInterface, code string, version int, kind string, at time.Time) error {
	due, versions, err := deadline(stub, at, chengnuo.CatalogReportDays)
	if err != nil {
		return err
	}
	id := code + "@" + strconv.Itoa(version)
	if kind == chengnuo.ChangeRetire {
		id += "-retired"
	}
	ch := &chengnuo.CatalogChange{ID: id, Code: code, Version: version, Kind: kind, At: at,
		TxID: stub.GetTxID(), ReportBy: due, DueCalendar: versions}
	_, err = putRecord(stub, catalogChangeObject, ch.ID, ch)
	return err
}

// reportCatalogChange records that the justice bureau reported a change to
// the higher level (报备); late if after its due time.
func reportCatalogChange(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*chengnuo.CatalogChange, error) {
	if _, err := requireOrg(stub, chengnuo.CatalogAuthority, "report catalog changes"); err != nil {
		return nil, err
	}
	ch, _, err := readRecord[chengnuo.CatalogChange](stub, catalogChangeObject, a.ID, "catalog change")
	if err != nil {
		return nil, err
	}
	if !ch.ReportedAt.IsZero() {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "catalog change %s was reported already (tx %s)", ch.ID, ch.ReportTx)
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	ch.ReportedAt, ch.ReportTx = ts, stub.GetTxID()
	if _, err := putRecord(stub, catalogChangeObject, ch.ID, ch); err != nil {
		return nil, err
	}
	return ch, nil
}
