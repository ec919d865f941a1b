package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/contract"
)

// departmentObject keys the department directory: one entry per MSP id.
const departmentObject = "department"

// putDepartment sets the caller's own directory entry. Names and prefixes
// are unique: a letter number or a name that two departments could print
// would not say who issued the letter.
func putDepartment(stub shim.ChaincodeStubInterface, a *contract.DepartmentArgs) (*chengnuo.Department, error) {
	if err := chengnuo.ValidateDepartmentName(a.Name); err != nil {
		return nil, err
	}
	if err := chengnuo.ValidateNumberPrefix(a.NumberPrefix); err != nil {
		return nil, err
	}
	org, err := callerMSP(stub)
	if err != nil {
		return nil, err
	}
	all, err := departments(stub)
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if d.MSPID == org {
			if d.Name == a.Name && d.NumberPrefix == a.NumberPrefix {
				return d, nil // unchanged: nothing to write
			}
			continue
		}
		if d.Name == a.Name {
			return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "department %s is already named %s", d.MSPID, a.Name)
		}
		if d.NumberPrefix == a.NumberPrefix {
			return nil, chengnuo.Errorf(chengnuo.ECONFLICT, "department %s already numbers its letters with %s", d.MSPID, a.NumberPrefix)
		}
	}
	ts, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	d := &chengnuo.Department{MSPID: org, Name: a.Name, NumberPrefix: a.NumberPrefix, UpdatedAt: ts, TxID: stub.GetTxID()}
	if _, err := putRecord(stub, departmentObject, org, d); err != nil {
		return nil, err
	}
	return d, nil
}

func listDepartments(stub shim.ChaincodeStubInterface, _ *contract.Empty) (*[]*chengnuo.Department, error) {
	all, err := departments(stub)
	return &all, err
}

// departments reads the whole directory, in MSP id order (a channel has at
// most a few dozen members).
func departments(stub shim.ChaincodeStubInterface) ([]*chengnuo.Department, error) {
	it, err := stub.GetStateByPartialCompositeKey(departmentObject, nil)
	if err != nil {
		return nil, fmt.Errorf("read the department directory: %w", err)
	}
	defer it.Close()
	out := []*chengnuo.Department{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read the department directory: %w", err)
		}
		var d chengnuo.Department
		if err := json.Unmarshal(kv.GetValue(), &d); err != nil {
			return nil, fmt.Errorf("decode department %q: %w", kv.GetKey(), err)
		}
		out = append(out, &d)
	}
	return out, nil
}
