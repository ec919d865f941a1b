package console

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/people"
)

// AccountRequest is what the node kit's account-add sends.
type AccountRequest struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
}

// AccountAnswer carries the new account's one-time password.
type AccountAnswer struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Operator serves POST /accounts on the gateway's operations listener for
// the department's operator (scripts/dept.sh account-add): the first
// accounts, before anyone can log in to create others. It needs the
// operator token, which only the department's host holds (a file, 0600),
// and records each account it creates in the audit trail as by
// "operator".
func Operator(ppl *people.Service, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			answer(http.StatusUnauthorized, map[string]string{"code": chengnuo.EUNAUTHORIZED, "message": "the operator token is required"})
			return
		}
		var req AccountRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			answer(http.StatusBadRequest, map[string]string{"code": chengnuo.EINVALID, "message": "the body is {username, name, roles}"})
			return
		}
		pw, err := ppl.AddAccount(r.Context(), "operator", req.Username, req.Name, req.Roles)
		outcome := "ok"
		if err != nil {
			outcome = chengnuo.ErrorCode(err)
		}
		_ = ppl.Record(r.Context(), chengnuo.AuditEntry{Username: "operator", Action: "account.add", Object: req.Username, Outcome: outcome, Address: r.RemoteAddr})
		if err != nil {
			answer(statusOf(chengnuo.ErrorCode(err)), map[string]string{"code": chengnuo.ErrorCode(err), "message": chengnuo.ErrorMessage(err)})
			return
		}
		answer(http.StatusCreated, AccountAnswer{Username: req.Username, Password: pw})
	})
}
