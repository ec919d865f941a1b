package chaincode

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/sm"
)

// Composite key object types (records and their indexes).
const (
	anchorObject     = "anchor"
	itemObject       = "item"
	itemHeadObject   = "itemhead"
	commitmentObject = "commitment"
	// "applicant" (applicant key, commitment id) indexed letters by
	// applicant until the read models listed them; ledgers from before
	// keep those keys, unread.
	requestObject     = "vreq"       // request id
	requestToObject   = "vreq_to2"   // target, time, id: sorts by time
	requestFromObject = "vreq_from2" // requester, time, id
	creditObject      = "creditrec"
	creditIndexObject = "credit"   // applicant key, credit id
	standingObject    = "standing" // applicant key -> ids of their ACTIVE credit records
	objectionObject   = "objection"
	sampleObject      = "sample"
	proposalObject    = "proposal"
)

// orgItemPrefix starts the simple keys of the (department, item, time)
// index of commitments, which a draw reads by range. Simple keys, because a
// transaction may range over them (composite keys allow only prefix reads);
// \x01 separates the parts and sorts below every character they hold.
//
// An anchoring transaction writes one key per item it anchored letters of,
// ending in its transaction id, whose value lists their ids (sorted, comma
// separated): all letters of a transaction share its time, and one key per
// letter cost every peer a write per letter. Keys written one per letter
// (ending in the commitment id, value 0x00) are still read.
const orgItemPrefix = "orgitem\x01"

func orgItemKey(org, item string, at time.Time, last string) string {
	return orgItemPrefix + org + "\x01" + item + "\x01" + timeKey(at) + "\x01" + last
}

// orgItemIDs lists the commitment ids an index entry stands for.
func orgItemIDs(key string, value []byte) []string {
	if len(value) == 1 && value[0] == 0 {
		return []string{key[strings.LastIndexByte(key, '\x01')+1:]}
	}
	return strings.Split(string(value), ",")
}

// timeKey formats a time for keys so that keys sort by time.
func timeKey(t time.Time) string { return t.UTC().Format(timeLayout) }

// readJSON reads key into v; false if the key does not exist.
func readJSON(stub shim.ChaincodeStubInterface, key string, v any) (bool, error) {
	raw, err := stub.GetState(key)
	if err != nil {
		return false, fmt.Errorf("read %q: %w", key, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// putJSON writes v under key and returns the bytes written.
func putJSON(stub shim.ChaincodeStubInterface, key string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(key, raw); err != nil {
		return nil, fmt.Errorf("write %q: %w", key, err)
	}
	return raw, nil
}

// putRecord writes v under the composite key object/id.
func putRecord(stub shim.ChaincodeStubInterface, object, id string, v any) ([]byte, error) {
	key, err := stub.CreateCompositeKey(object, []string{id})
	if err != nil {
		return nil, err
	}
	return putJSON(stub, key, v)
}

// readRecord reads the JSON record object/id, or returns ENOTFOUND naming what.
func readRecord[T any](stub shim.ChaincodeStubInterface, object, id, what string) (*T, string, error) {
	key, err := stub.CreateCompositeKey(object, []string{id})
	if err != nil {
		return nil, "", chengnuo.Errorf(chengnuo.EINVALID, "malformed %s id", what)
	}
	var v T
	ok, err := readJSON(stub, key, &v)
	if err != nil {
		return nil, key, err
	}
	if !ok {
		return nil, key, chengnuo.Errorf(chengnuo.ENOTFOUND, "%s %s does not exist", what, id)
	}
	return &v, key, nil
}

// getRecordByID is the implementation of a public read of one record by id.
func getRecordByID[T any](object, what string) func(shim.ChaincodeStubInterface, *contract.IDArgs) (*T, error) {
	return func(stub shim.ChaincodeStubInterface, a *contract.IDArgs) (*T, error) {
		v, _, err := readRecord[T](stub, object, a.ID, what)
		return v, err
	}
}

// listRecords pages through every record of an object type, in id order.
func listRecords[T any](object, what string) func(shim.ChaincodeStubInterface, *contract.PageArgs) (*chengnuo.List[*T], error) {
	return func(stub shim.ChaincodeStubInterface, a *contract.PageArgs) (*chengnuo.List[*T], error) {
		out := &chengnuo.List[*T]{Items: []*T{}}
		var err error
		out.Bookmark, out.More, err = indexPage(stub, object, nil, *a, func(id string) error {
			v, _, err := readRecord[T](stub, object, id, what)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, v)
			return nil
		})
		return out, err
	}
}

// putIndex writes an index entry (a composite key with no value).
func putIndex(stub shim.ChaincodeStubInterface, object string, attrs ...string) error {
	k, err := stub.CreateCompositeKey(object, attrs)
	if err != nil {
		return err
	}
	return stub.PutState(k, []byte{0})
}

// deriveID makes a deterministic record id from the transaction and a key.
func deriveID(prefix string, stub shim.ChaincodeStubInterface, key string) string {
	d := sm.SM3([]byte(stub.GetTxID() + "|" + key))
	return prefix + hex.EncodeToString(d[:12])
}

// hexBytes decodes a hex string.
func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }

// isHex64 reports whether s is a lower-case 64-hex-character digest.
func isHex64(s string) bool {
	_, err := chengnuo.NormalizeDigest(s)
	return err == nil && s == strings.ToLower(s)
}

// indexPage reads one page of an index (composite keys object/attrs…),
// passing each entry's last attribute (the record id) to visit. Read-only
// queries only: Fabric refuses paginated reads in transactions.
func indexPage(stub shim.ChaincodeStubInterface, object string, attrs []string, p contract.PageArgs,
	visit func(id string) error) (bookmark string, more bool, err error) {
	size := p.PageSize
	if size == 0 {
		size = chengnuo.DefaultPageSize
	}
	if size < 0 || size > contract.MaxPageSize {
		return "", false, chengnuo.Errorf(chengnuo.EINVALID, "page size must be 1 to %d", contract.MaxPageSize)
	}
	iter, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(object, attrs, int32(size), p.Bookmark)
	if err != nil {
		return "", false, fmt.Errorf("page of %s: %w", object, err)
	}
	defer iter.Close()
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return "", false, err
		}
		_, parts, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(parts) == 0 {
			return "", false, fmt.Errorf("bad %s index key: %v", object, err)
		}
		if err := visit(parts[len(parts)-1]); err != nil {
			return "", false, err
		}
	}
	if meta != nil && meta.GetBookmark() != "" {
		return meta.GetBookmark(), true, nil
	}
	return "", false, nil
}
