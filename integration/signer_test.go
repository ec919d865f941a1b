package integration

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/client"
)

// enrolAndSign issues person p a certificate from the network's demo
// applicant CA (as `make up` sets it up) and signs a draft with it, all
// with the project's CLI.
func enrolAndSign(t *testing.T, draft response, name, idNumber string) client.SubmitRequest {
	t.Helper()
	key := filepath.Join(t.TempDir(), "applicant.key")
	cli(t, "enrol", "--ca", filepath.Join(net.state, "applicant-ca"), "--name", name, "--id-number", idNumber, "--out", key)
	return cliSign(t, draft, "--key", key, "--cert", key+".pem")
}

// A letter signed with a certificate that chains to the applicant CA and
// names the applicant is recorded as SM2; a bare key as SM2_KEY; a
// certificate that names somebody else is refused, and an item can demand
// certificates.
func TestSignerIdentity(t *testing.T) {
	code := uniqueCode(t, "SIG")
	if r := publish(t, testItem(code)); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	strict := testItem(uniqueCode(t, "CRT"))
	strict.RequireCertificate = client.Ptr(true)
	strictCode := publishVisible(t, strict)
	p, other := newPerson(t, "证书甲"), newPerson(t, "证书乙")

	r := submit(t, market, enrolAndSign(t, draftFor(t, market, code, p), p.name, p.idNumber))
	if r.Status != http.StatusCreated || receipt(t, r)["signedBy"] != chengnuo.SignedSM2 {
		t.Fatalf("certificate-signed letter: %d %s", r.Status, r.Raw)
	}
	if r := submit(t, market, enrolAndSign(t, draftFor(t, market, code, p), other.name, other.idNumber)); r.Status != http.StatusBadRequest {
		t.Fatalf("a certificate naming somebody else: %d %s", r.Status, r.Raw)
	}
	bare := submit(t, market, signWithCLI(t, draftFor(t, market, code, p)))
	if bare.Status != http.StatusCreated || receipt(t, bare)["signedBy"] != chengnuo.SignedSM2Key {
		t.Fatalf("bare-key letter: %d %s", bare.Status, bare.Raw)
	}
	pub := waitVisible(t, police, "/v1/public/commitments/"+receipt(t, bare)["commitmentId"].(string))
	if pub.Body["signedBy"] != chengnuo.SignedSM2Key {
		t.Fatalf("the public record of a bare-key letter: %s", pub.Raw)
	}
	if r := submit(t, market, signWithCLI(t, draftFor(t, market, strictCode, p))); r.Status != http.StatusBadRequest {
		t.Fatalf("a bare key for a certificate-only item: %d %s", r.Status, r.Raw)
	}
	if r := submit(t, market, enrolAndSign(t, draftFor(t, market, strictCode, p), p.name, p.idNumber)); r.Status != http.StatusCreated {
		t.Fatalf("a certificate for a certificate-only item: %d %s", r.Status, r.Raw)
	}
}
