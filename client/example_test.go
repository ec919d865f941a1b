package client_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/sm"
)

// A submission as an integrator writes it (the README's integration guide):
// draft the letter, have the applicant sign its canonical bytes with SM2,
// submit, and after a timeout or a 503 send the very same letter again — a
// letter is identified by its digest and is anchored once.
func Example_submission() {
	ctx := context.Background()
	api, err := client.New("http://198.18.17.11:17081", &http.Client{Timeout: 30 * time.Second}, "the clerk's API key")
	if err != nil {
		panic(err)
	}
	draft, err := client.OK(api.CreateDraftWithResponse(ctx, client.DraftRequest{
		ItemCode: "GA-001", ContactName: "窗口", ContactPhone: "0571-87000000",
		Applicant: client.Applicant{Name: "张三", IdType: client.ApplicantIdTypeRESIDENTID, IdNumber: "11010519491231002X", Contact: "13912345678"},
	}))
	if err != nil {
		panic(err)
	}

	// On the applicant's device: SM2 over the canonical bytes, user id 1234567812345678.
	key, _ := sm.GenerateKey()
	sig, _ := sm.Sign(key, []byte(draft.JSON201.Canonical))
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	letter := client.SubmitRequest{Letter: draft.JSON201.Canonical, Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: client.Ptr(string(pub))}

	for attempt := 1; ; attempt++ {
		res, err := client.OK(api.SubmitCommitmentWithResponse(ctx, letter))
		var se *client.StatusError
		switch {
		case err == nil && res.JSON201 != nil:
			fmt.Println("anchored:", res.JSON201.Receipt.CommitmentId, res.JSON201.Receipt.TxId)
			return
		case err == nil: // 202: stored, anchored in the background; poll res.JSON202.Poll
			fmt.Println("pending:", *res.JSON202.Poll)
			return
		case errors.As(err, &se) && (se.Code == "UNAVAILABLE" || se.Code == "ABORTED") && attempt < 5:
			time.Sleep(max(se.RetryAfter, time.Second)) // then the same letter again
		case !errors.As(err, &se) && attempt < 5: // a timeout or lost connection: the same letter again
			time.Sleep(time.Second)
		default: // 400, 401, 403, 422 ...: resending will not help; the message says why
			panic(err)
		}
	}
}
