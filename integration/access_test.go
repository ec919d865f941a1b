package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chengnuo/chengnuo"
)

// TestAccessControl checks every cell of the access-control table in the
// README that forbids something: no key (401), a key without the role (403,
// at the gateway), and the right role at the wrong organization (403 from
// the chaincode, which checks the submitter's MSP id on its own).
func TestAccessControl(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "ACL"), "PoliceMSP", false))
	id := anchorID(t, code, newPerson(t, "权限甲"))
	rid := requestCheck(t, id, "核查 权限")
	waitAnswered(t, rid, 30*time.Second)
	fid := anchorID(t, code, newPerson(t, "权限失信"))
	r := recordOutcome(t, market, fid, falseOutcome)
	if r.Status != 200 {
		t.Fatalf("fixture: %d %s", r.Status, r.Raw)
	}
	creditID := r.Body["outcome"].(map[string]any)["creditId"].(string)
	barrier(t)

	type cell struct {
		slot         int
		role         string // "" = no key
		method, path string
		body         string
		status       int
	}
	body := map[string]string{
		"/v1/anchors":       `{"digest":"` + strings.Repeat("ab", 32) + `"}`,
		"/v1/catalog/items": mustJSON(t, testItem(uniqueCode(t, "X"))),
	}
	routes := []struct {
		method, path, body string
		roles              []string // roles that pass the gateway
		slot               int      // where the role exists
	}{
		{"POST", "/v1/anchors", body["/v1/anchors"], []string{"CLERK"}, market},
		{"POST", "/v1/catalog/items", body["/v1/catalog/items"], []string{"CATALOG_ADMIN"}, justice},
		{"POST", "/v1/catalog/items/" + code + "/retire", "", []string{"CATALOG_ADMIN"}, justice},
		{"POST", "/v1/catalog/proposals", `{"kind":"RETIRE","code":"` + code + `","reason":"权限测试提议"}`, []string{"CLERK"}, market},
		{"POST", "/v1/catalog/proposals/PRnone/decision", `{"approve":false,"reason":"权限测试决定"}`, []string{"CATALOG_ADMIN"}, justice},
		{"POST", "/v1/drafts", `{}`, []string{"CLERK"}, market},
		{"POST", "/v1/commitments", `{}`, []string{"CLERK"}, market},
		{"POST", "/v1/commitments/paper", `{}`, []string{"CLERK"}, market},
		{"GET", "/v1/commitments/" + id, "", []string{"CLERK", "AUDITOR"}, market},
		{"GET", "/v1/commitments/" + id + "/receipt.png", "", []string{"CLERK", "AUDITOR"}, market},
		{"POST", "/v1/commitments/" + id + "/withdraw", `{"reason":"x"}`, []string{"CLERK"}, market},
		{"POST", "/v1/commitments/" + id + "/conclude", "", []string{"CLERK"}, market},
		{"POST", "/v1/commitments/" + id + "/verification", `{"claim":"xx"}`, []string{"CLERK"}, market},
		{"POST", "/v1/commitments/" + id + "/outcome", `{"result":"VERIFIED"}`, []string{"CLERK"}, market},
		{"GET", "/v1/verification/requests", "", []string{"CLERK", "AUDITOR"}, market},
		{"GET", "/v1/verification/inbox", "", []string{"CLERK", "AUDITOR"}, police},
		{"GET", "/v1/verification/requests/" + rid + "/details", "", []string{"CLERK"}, police},
		{"POST", "/v1/verification/requests/" + rid + "/answer", `{"result":"CONSISTENT","evidence":"e"}`, []string{"CLERK"}, police},
		{"POST", "/v1/credit/lookup", `{"idType":"RESIDENT_ID","idNumber":"11010519491231002X"}`, []string{"CREDIT_OFFICER"}, credit},
		{"GET", "/v1/credit/records/" + creditID, "", []string{"CREDIT_OFFICER"}, credit},
		{"POST", "/v1/credit/records/" + creditID + "/repair", `{"reason":"权限测试"}`, []string{"CREDIT_OFFICER"}, credit},
		{"POST", "/v1/credit/records/" + creditID + "/objections", `{"reason":"权限测试"}`, []string{"CLERK"}, market},
		{"POST", "/v1/credit/objections/OBnone/decision", `{"uphold":false,"reason":"权限测试决定"}`, []string{"CREDIT_OFFICER"}, credit},
		{"POST", "/v1/samples", `{}`, []string{"CLERK"}, market},
	}
	var cells []cell
	for _, rt := range routes {
		cells = append(cells, cell{rt.slot, "", rt.method, rt.path, rt.body, http.StatusUnauthorized})
		for _, role := range []string{"CLERK", "AUDITOR"} {
			if !contains(rt.roles, role) {
				cells = append(cells, cell{rt.slot, role, rt.method, rt.path, rt.body, http.StatusForbidden})
			}
		}
	}
	// The right role at the wrong organization: refused by the chaincode.
	cells = append(cells,
		cell{police, "CLERK", "POST", "/v1/commitments/" + id + "/withdraw", `{"reason":"不是本部门的"}`, http.StatusForbidden},
		cell{police, "CLERK", "POST", "/v1/commitments/" + id + "/conclude", "", http.StatusForbidden},
		cell{police, "CLERK", "POST", "/v1/commitments/" + id + "/verification", `{"claim":"xx"}`, http.StatusNotFound}, // police holds no such letter
		cell{police, "CLERK", "POST", "/v1/commitments/" + id + "/outcome", `{"result":"VERIFIED"}`, http.StatusForbidden},
		cell{market, "CLERK", "GET", "/v1/verification/requests/" + rid + "/details", "", http.StatusForbidden},
		cell{credit, "CLERK", "POST", "/v1/verification/requests/" + rid + "/answer", `{"result":"CONSISTENT","evidence":"e"}`, http.StatusForbidden},
		cell{police, "AUDITOR", "GET", "/v1/commitments/" + id, "", http.StatusNotFound}, // the letter stays with market
	)
	t.Logf("%d gateway cells and the chaincode's own org checks", len(cells))
	for _, c := range cells {
		key := ""
		if c.role != "" {
			key = apiKey(t, c.slot, c.role)
		}
		r := callAs(t, key, c.method, gatewayURL(c.slot)+c.path, c.body)
		if r.Status != c.status {
			t.Errorf("%s as %s/%s %s: %d %s, want %d", c.method, orgs[c.slot].key, c.role, c.path, r.Status, r.Raw, c.status)
		}
	}

	// Chaincode functions whose role exists only at the entitled org's
	// gateway, called directly with another department's identity.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mkt := dialOrg(t, market)
	forbidden := map[string]error{}
	_, forbidden["PublishItem"] = mkt.PublishItem(ctx, &chengnuo.Item{Code: "Z-1"})
	_, forbidden["RetireItem"] = mkt.RetireItem(ctx, code)
	_, forbidden["DecideProposal"] = mkt.DecideProposal(ctx, "PRnone", true, "越权决定提议")
	_, forbidden["RepairCredit"] = mkt.RepairCredit(ctx, creditID, strings.Repeat("ab", 32))
	_, forbidden["DecideObjection"] = mkt.DecideObjection(ctx, "OBnone", true, "越权决定异议")
	_, forbidden["GetStanding"] = mkt.GetStanding(ctx, strings.Repeat("ab", 32))
	_, forbidden["GetCredit"] = mkt.GetCredit(ctx, creditID)
	_, forbidden["GetRequestDetails"] = mkt.GetRequestDetails(ctx, rid)
	pol := dialOrg(t, police)
	_, forbidden["Withdraw"] = pol.Withdraw(ctx, id, strings.Repeat("ab", 32))
	_, forbidden["RecordOutcome"] = pol.RecordOutcome(ctx, id, chengnuo.Outcome{Result: "VERIFIED"})
	_, forbidden["RequestVerification"] = pol.RequestVerification(ctx, id, strings.Repeat("ab", 32))
	for fn, err := range forbidden {
		if chengnuo.ErrorCode(err) != chengnuo.EFORBIDDEN {
			t.Errorf("%s by another department: %v, want FORBIDDEN", fn, err)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
