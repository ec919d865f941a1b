package integration

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chengnuo/chengnuo/client"
	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/sm"
)

// genesisHash is the pinned hash of the channel's genesis block, computed
// from the block the founding department made.
func genesisHash(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(net.state, "exchange", "genesis.block"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := proof.GenesisHash(raw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fetchProof gets a bundle from a gateway, waiting while its read model
// catches up with the block (503).
func fetchProof(t *testing.T, slot int, path string) []byte {
	t.Helper()
	return fetchProofAt(t, gatewayURL(slot), path)
}

func fetchProofAt(t *testing.T, gateway, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := call(t, "GET", gateway+path, "")
		if r.Status == http.StatusOK {
			return []byte(r.Raw)
		}
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("GET %s at %s: %d %s", path, gateway, r.Status, r.Raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func verifyBundle(t *testing.T, raw []byte, opt proof.Options) (*proof.Report, error) {
	t.Helper()
	b, err := proof.Parse(raw)
	if err != nil {
		return nil, err
	}
	return proof.Verify(b, opt)
}

// signedSubmission drafts a letter at market and signs it in-process.
func signedSubmission(t *testing.T, code string, p person) client.SubmitRequest {
	t.Helper()
	return signedSubmissionAt(t, market, code, p)
}

// signedSubmissionAt drafts a letter at a department and signs it in-process.
func signedSubmissionAt(t *testing.T, slot int, code string, p person) client.SubmitRequest {
	t.Helper()
	d := draftFor(t, slot, code, p)
	if d.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", d.Status, d.Raw)
	}
	key, _ := sm.GenerateKey()
	sig, err := sm.Sign(key, []byte(d.Body["canonical"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sm.MarshalPublicKeyPEM(&key.PublicKey)
	return client.SubmitRequest{Letter: d.Body["canonical"].(string), Signature: base64.StdEncoding.EncodeToString(sig), PublicKey: client.Ptr(string(pub))}
}

func TestProofBundlesCheckOffline(t *testing.T) {
	code := publishVisible(t, verifiedItem(uniqueCode(t, "PROOF"), "PoliceMSP", false))
	sub := signedSubmission(t, code, newPerson(t, "证明甲"))
	r := submit(t, market, sub)
	if r.Status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	rc := receipt(t, r)
	id, digest := rc["commitmentId"].(string), rc["letterDigest"].(string)
	letterFile := []byte(mustJSON(t, sub))
	pinned := genesisHash(t)
	opt := proof.Options{GenesisHash: pinned, Letter: letterFile}

	// Built at two departments, by id and by digest, once their peers have
	// the block: the same proof.
	waitVisible(t, justice, "/v1/verify/"+digest)
	waitVisible(t, police, "/v1/verify/"+digest)
	t0 := time.Now()
	byID := fetchProof(t, justice, "/v1/commitments/"+id+"/proof")
	built := time.Since(t0)
	byDigest := fetchProof(t, police, "/v1/verify/"+digest+"/proof")
	t0 = time.Now()
	rep, err := verifyBundle(t, byID, opt)
	checked := time.Since(t0)
	if err != nil {
		t.Fatalf("the bundle from justice does not verify: %v", err)
	}
	rep2, err := verifyBundle(t, byDigest, opt)
	if err != nil {
		t.Fatalf("the bundle from police does not verify: %v", err)
	}
	// Schema 2: the configuration blocks, no earlier headers.
	if rep.Schema != proof.Version || rep.Configurations < 1 || bytes.Contains(byID, []byte(`"headers"`)) {
		t.Fatalf("a bundle of schema %s with %d configurations: %.200s", rep.Schema, rep.Configurations, byID)
	}
	// Each peer has the block from the orderer it pulled it from, with the
	// signatures of the quorum that orderer collected: the signer sets may
	// differ, each a quorum; everything else is identical.
	if len(rep2.Orderers) < rep2.Quorum {
		t.Fatalf("police's bundle is signed by %v, below the quorum %d", rep2.Orderers, rep2.Quorum)
	}
	same1, same2 := *rep, *rep2
	same1.Orderers, same2.Orderers = nil, nil
	if !reflect.DeepEqual(same1, same2) {
		t.Fatalf("two departments' bundles prove different things:\n%+v\n%+v", rep, rep2)
	}
	if rep.Creator != "MarketMSP" || rep.BlockNumber != uint64(rc["blockNumber"].(float64)) || rep.TxID != rc["txId"] ||
		rep.Status != "ACTIVE" || len(rep.Endorsers) < 3 || len(rep.Orderers) < rep.Quorum || rep.ID != id || rep.Letter == "" {
		t.Fatalf("report %+v for receipt %v", rep, rc)
	}
	t.Logf("bundle %d bytes, built in %s, checked offline in %s: %s", len(byID), built, checked, strings.ReplaceAll(proof.Describe(rep), "\n", " | "))

	// The command-line verifier: exit 0 and a person's words; exit 1 naming the check.
	dir := t.TempDir()
	bundleFile, subFile := filepath.Join(dir, "proof.json"), filepath.Join(dir, "letter.json")
	os.WriteFile(bundleFile, byID, 0o600)
	os.WriteFile(subFile, letterFile, 0o600)
	out := cli(t, "proof", "verify", bundleFile, "--letter", subFile, "--genesis-hash", pinned)
	if !bytes.Contains(out, []byte("PROVEN")) || !bytes.Contains(out, []byte("MarketMSP")) {
		t.Fatalf("CLI: %s", out)
	}
	cmd := exec.Command(filepath.Join(net.state, "bin", "chengnuo"), "proof", "verify", bundleFile, "--genesis-hash", strings.Repeat("0", 64))
	out, err = cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !bytes.Contains(out, []byte("check failed: genesis")) {
		t.Fatalf("CLI with a wrong genesis hash: %v %s", err, out)
	}
	// Without a pin: consistent, never PROVEN, exit 3.
	out, err = exec.Command(filepath.Join(net.state, "bin", "chengnuo"), "proof", "verify", bundleFile).Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || bytes.Contains(out, []byte("PROVEN:")) || !bytes.HasPrefix(out, []byte("NOT PINNED")) {
		t.Fatalf("CLI without a pin: %v %s", err, out)
	}

	// One changed byte in each part: refused, naming the right check.
	tampers := []struct {
		part, check string
		edit        func(t *testing.T, b *proof.Bundle, o *proof.Options)
	}{
		{"letter", proof.CheckLetter, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			o.Letter = []byte(mustJSON(t, map[string]string{"letter": flipJSONChar(sub.Letter), "signature": sub.Signature, "publicKey": *sub.PublicKey}))
		}},
		{"applicant signature", proof.CheckSignature, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			s, _ := base64.StdEncoding.DecodeString(sub.Signature)
			s[len(s)-1] ^= 1
			o.Letter = []byte(mustJSON(t, map[string]string{"letter": sub.Letter, "signature": base64.StdEncoding.EncodeToString(s), "publicKey": *sub.PublicKey}))
		}},
		{"digest", proof.CheckWrite, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			o.Letter = nil
			b.Subject.LetterDigest = b.Subject.LetterDigest[:63] + flipHex(b.Subject.LetterDigest[63])
		}},
		{"write set", proof.CheckWrite, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			editAction(t, b, func(ca *peer.ChaincodeAction, _ *peer.ChaincodeEndorsedAction) {
				var rws rwset.TxReadWriteSet
				must(t, proto.Unmarshal(ca.GetResults(), &rws))
				for _, ns := range rws.GetNsRwset() {
					var kv kvrwset.KVRWSet
					must(t, proto.Unmarshal(ns.GetRwset(), &kv))
					for _, w := range kv.GetWrites() {
						if strings.Contains(w.GetKey(), id) && bytes.Contains(w.GetValue(), []byte(digest)) {
							w.Value = bytes.Replace(w.Value, []byte(digest), []byte(digest[:63]+flipHex(digest[63])), 1)
						}
					}
					ns.Rwset = marshal(t, &kv)
				}
				ca.Results = marshal(t, &rws)
			})
		}},
		{"endorsement signature", proof.CheckEndorsements, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			editAction(t, b, func(_ *peer.ChaincodeAction, a *peer.ChaincodeEndorsedAction) {
				s := a.Endorsements[0].Signature
				s[len(s)-1] ^= 1
			})
		}},
		{"endorser certificate", proof.CheckEndorsements, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			editAction(t, b, func(_ *peer.ChaincodeAction, a *peer.ChaincodeEndorsedAction) {
				var si msp.SerializedIdentity
				must(t, proto.Unmarshal(a.Endorsements[0].Endorser, &si))
				i := bytes.Index(si.IdBytes, []byte("\n")) + 40 // a byte inside the certificate's base64
				si.IdBytes[i] ^= 1
				a.Endorsements[0].Endorser = marshal(t, &si)
			})
		}},
		{"data: the creator's signature", proof.CheckCreator, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			var env common.Envelope
			must(t, proto.Unmarshal(b.Block.Data[b.TxIndex], &env))
			env.Signature[len(env.Signature)-1] ^= 1
			b.Block.Data[b.TxIndex] = marshal(t, &env)
		}},
		{"data: one more transaction", proof.CheckData, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			b.Block.Data = append(b.Block.Data, b.Block.Data[b.TxIndex])
		}},
		// The header links to the block before by its hash, which the
		// consenters sign with it: no earlier header is needed to see it.
		{"block header", proof.CheckOrderers, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			var h common.BlockHeader
			must(t, proto.Unmarshal(b.Block.Header, &h))
			h.PreviousHash[0] ^= 1
			b.Block.Header = marshal(t, &h)
		}},
		{"metadata signature", proof.CheckOrderers, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			var md common.BlockMetadata
			must(t, proto.Unmarshal(b.Block.Metadata, &md))
			var sigs common.Metadata
			must(t, proto.Unmarshal(md.Metadata[common.BlockMetadataIndex_SIGNATURES], &sigs))
			s := sigs.Signatures[0].Signature
			s[len(s)-1] ^= 1
			md.Metadata[common.BlockMetadataIndex_SIGNATURES] = marshal(t, &sigs)
			b.Block.Metadata = marshal(t, &md)
		}},
		{"validation flag", proof.CheckFlag, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			var md common.BlockMetadata
			must(t, proto.Unmarshal(b.Block.Metadata, &md))
			md.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][b.TxIndex] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
			b.Block.Metadata = marshal(t, &md)
		}},
		{"configuration", proof.CheckConfig, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			var blk common.Block
			must(t, proto.Unmarshal(b.Configs[0], &blk))
			d := blk.Data.Data[0]
			d[len(d)/2] ^= 1
			b.Configs[0] = marshal(t, &blk)
		}},
		{"genesis hash", proof.CheckGenesis, func(t *testing.T, b *proof.Bundle, o *proof.Options) {
			o.GenesisHash = pinned[:63] + flipHex(pinned[63])
		}},
	}
	for _, tc := range tampers {
		t.Run(tc.part, func(t *testing.T) {
			b, err := proof.Parse(byID)
			if err != nil {
				t.Fatal(err)
			}
			o := opt
			tc.edit(t, b, &o)
			_, err = proof.Verify(b, o)
			f, ok := err.(*proof.Failure)
			if !ok || f.Check != tc.check {
				t.Fatalf("a changed %s: %v, want the %q check to fail", tc.part, err, tc.check)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	must(t, err)
	return raw
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// flipJSONChar changes one character of a letter's applicant name.
func flipJSONChar(letter string) string {
	i := strings.Index(letter, `"name":"`) + len(`"name":"`)
	return letter[:i] + "乙" + letter[i+len("甲"):]
}

// editAction decodes the proven transaction down to its chaincode action,
// lets edit change it, and encodes it back into the bundle.
func editAction(t *testing.T, b *proof.Bundle, edit func(*peer.ChaincodeAction, *peer.ChaincodeEndorsedAction)) {
	t.Helper()
	var env common.Envelope
	var payload common.Payload
	var tx peer.Transaction
	var cap peer.ChaincodeActionPayload
	var prp peer.ProposalResponsePayload
	var ca peer.ChaincodeAction
	must(t, proto.Unmarshal(b.Block.Data[b.TxIndex], &env))
	must(t, proto.Unmarshal(env.Payload, &payload))
	must(t, proto.Unmarshal(payload.Data, &tx))
	must(t, proto.Unmarshal(tx.Actions[0].Payload, &cap))
	must(t, proto.Unmarshal(cap.Action.ProposalResponsePayload, &prp))
	must(t, proto.Unmarshal(prp.Extension, &ca))
	edit(&ca, cap.Action)
	prp.Extension = marshal(t, &ca)
	cap.Action.ProposalResponsePayload = marshal(t, &prp)
	tx.Actions[0].Payload = marshal(t, &cap)
	payload.Data = marshal(t, &tx)
	env.Payload = marshal(t, &payload)
	b.Block.Data[b.TxIndex] = marshal(t, &env)
}
