package chaincode

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
	"github.com/chengnuo/chengnuo/letter"
)

// itemHead is the latest version and the item-level status of a code.
type itemHead struct {
	Code    string `json:"code"`
	Latest  int    `json:"latest"`
	Status  string `json:"status"`
	Retired string `json:"retiredTx,omitempty"`
}

var itemCodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

func requireCatalogAuthority(stub shim.ChaincodeStubInterface) (string, error) {
	msp, err := callerMSP(stub)
	if err != nil {
		return "", err
	}
	if msp != chengnuo.CatalogAuthority {
		return "", chengnuo.Errorf(chengnuo.EFORBIDDEN, "only %s may change the catalog; caller is %s", chengnuo.CatalogAuthority, msp)
	}
	return msp, nil
}

func validateItem(it *chengnuo.Item) error {
	if !itemCodeRE.MatchString(it.Code) {
		return chengnuo.Errorf(chengnuo.EINVALID, "item code must be 1-32 letters, digits, '.', '_' or '-'")
	}
	for _, f := range []struct{ name, v string }{
		{"name", it.Name}, {"department", it.Department}, {"purpose", it.Purpose}, {"legalBasis", it.LegalBasis},
		{"content", it.Content}, {"eligibleApplicants", it.EligibleApplicants}, {"commitmentMethod", it.CommitmentMethod},
		{"verificationPower", it.VerificationPower}, {"liability", it.Liability},
	} {
		if f.v == "" {
			return chengnuo.Errorf(chengnuo.EINVALID, "item %s is required", f.name)
		}
	}
	if d := it.Disclosure; d.Public && (d.Scope == "" || d.PeriodDays < 1 || d.PeriodDays > 3650) {
		return chengnuo.Errorf(chengnuo.EINVALID, "a public disclosure rule needs a scope and a period of 1-3650 days")
	}
	v := it.Verification
	if !v.Exempt {
		if !slices.Contains(chengnuo.VerificationMethods, v.Method) {
			return chengnuo.Errorf(chengnuo.EINVALID, "verification method must be one of %v (or exempt)", chengnuo.VerificationMethods)
		}
		if v.Department == "" || v.TimeLimitDays < 1 || v.TimeLimitDays > 365 {
			return chengnuo.Errorf(chengnuo.EINVALID, "verification needs a department and a time limit of 1-365 days")
		}
	}
	// Publishing refuses what drafting would refuse.
	return letter.CheckItem(it)
}

func itemKey(stub shim.ChaincodeStubInterface, code string, version int) (string, error) {
	return stub.CreateCompositeKey(itemObject, []string{code, fmt.Sprintf("%06d", version)})
}

func readHead(stub shim.ChaincodeStubInterface, code string) (*itemHead, error) {
	key, err := stub.CreateCompositeKey(itemHeadObject, []string{code})
	if err != nil {
		return nil, err
	}
	var h itemHead
	ok, err := readJSON(stub, key, &h)
	if err != nil || !ok {
		return nil, err
	}
	return &h, nil
}

// publishItem publishes a new item or a new version of an existing one. The
// version number, status, notice digest and publication time are assigned
// here; the caller must be the catalog authority.
func publishItem(stub shim.ChaincodeStubInterface, it *chengnuo.Item) (*chengnuo.Item, error) {
	if _, err := requireCatalogAuthority(stub); err != nil {
		return nil, err
	}
	out, err := publish(stub, it)
	if err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.ItemPublished, *out); err != nil {
		return nil, err
	}
	return out, nil
}

func publish(stub shim.ChaincodeStubInterface, it *chengnuo.Item) (*chengnuo.Item, error) {
	if err := validateItem(it); err != nil {
		return nil, err
	}
	head, err := readHead(stub, it.Code)
	if err != nil {
		return nil, err
	}
	if head == nil {
		head = &itemHead{Code: it.Code}
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	it.Version = head.Latest + 1
	it.Status = chengnuo.ItemActive
	it.PublishedAt = ts
	it.PublishedTx = stub.GetTxID()
	if it.NoticeDigest, err = letter.NoticeDigest(it); err != nil {
		return nil, err
	}
	head.Latest, head.Status, head.Retired = it.Version, chengnuo.ItemActive, ""
	key, err := itemKey(stub, it.Code, it.Version)
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, key, it); err != nil {
		return nil, err
	}
	hk, err := stub.CreateCompositeKey(itemHeadObject, []string{it.Code})
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, hk, head); err != nil {
		return nil, err
	}
	if err := recordCatalogChange(stub, it.Code, it.Version, chengnuo.ChangePublish, ts); err != nil {
		return nil, err
	}
	return it, nil
}

// retireItem stops an item from accepting new letters; its versions stay readable.
func retireItem(stub shim.ChaincodeStubInterface, a *contract.ItemArgs) (*chengnuo.Item, error) {
	if _, err := requireCatalogAuthority(stub); err != nil {
		return nil, err
	}
	if a.Version != 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "an item is retired as a whole, not one version")
	}
	return retire(stub, a.Code)
}

func retire(stub shim.ChaincodeStubInterface, code string) (*chengnuo.Item, error) {
	head, err := readHead(stub, code)
	if err != nil {
		return nil, err
	}
	if head == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "item %s is not in the catalog", code)
	}
	if head.Status == chengnuo.ItemRetired {
		return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "item %s is already retired", code)
	}
	head.Status, head.Retired = chengnuo.ItemRetired, stub.GetTxID()
	hk, err := stub.CreateCompositeKey(itemHeadObject, []string{head.Code})
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, hk, head); err != nil {
		return nil, err
	}
	// A transaction does not read its own writes: the head read back would
	// still say active.
	it, err := loadItem(stub, head.Code, head.Latest)
	if err != nil {
		return nil, err
	}
	it.Status = chengnuo.ItemRetired
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	if err := recordCatalogChange(stub, it.Code, it.Version, chengnuo.ChangeRetire, ts); err != nil {
		return nil, err
	}
	if err := setEvent(stub, contract.ItemRetired, *it); err != nil {
		return nil, err
	}
	return it, nil
}

// loadItem reads one version (0: the latest) with the item-level status.
func loadItem(stub shim.ChaincodeStubInterface, code string, version int) (*chengnuo.Item, error) {
	head, err := readHead(stub, code)
	if err != nil {
		return nil, err
	}
	if head == nil {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "item %s is not in the catalog", code)
	}
	if version == 0 {
		version = head.Latest
	}
	key, err := itemKey(stub, code, version)
	if err != nil {
		return nil, err
	}
	var it chengnuo.Item
	ok, err := readJSON(stub, key, &it)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, chengnuo.Errorf(chengnuo.ENOTFOUND, "item %s has no version %d", code, version)
	}
	// Only the latest version of an active item is active.
	switch {
	case head.Status == chengnuo.ItemRetired:
		it.Status = chengnuo.ItemRetired
	case version != head.Latest:
		it.Status = chengnuo.ItemSuperseded
	}
	return &it, nil
}

// getItem returns one version of an item (0: the latest).
func getItem(stub shim.ChaincodeStubInterface, a *contract.ItemArgs) (*chengnuo.Item, error) {
	if a.Version < 0 {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "version must be a positive integer")
	}
	return loadItem(stub, a.Code, a.Version)
}

// listItems returns one page of the latest version of every item, in code order.
func listItems(stub shim.ChaincodeStubInterface, p *contract.PageArgs) (*chengnuo.List[*chengnuo.Item], error) {
	out := &chengnuo.List[*chengnuo.Item]{Items: []*chengnuo.Item{}}
	var err error
	out.Bookmark, out.More, err = indexPage(stub, itemHeadObject, nil, *p, func(code string) error {
		it, err := loadItem(stub, code, 0)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, it)
		return nil
	})
	return out, err
}
