package chengnuo

// Roles of API clients of a department's gateway.
const (
	RoleClerk         = "clerk"          // drafts, submits and manages the department's letters and requests
	RoleAuditor       = "auditor"        // reads the department's letters and requests
	RoleCatalogAdmin  = "catalog-admin"  // publishes and retires catalog items (justice bureau)
	RoleCreditOfficer = "credit-officer" // credit lookups, repair and objections (credit platform)
)

// Roles lists every role.
var Roles = []string{RoleClerk, RoleAuditor, RoleCatalogAdmin, RoleCreditOfficer}

// APIKey is one client's key as a gateway stores it: Hash is the SM3 (hex)
// of the key, never the key itself.
type APIKey struct {
	Name  string   `json:"name"`
	Hash  string   `json:"hash"`
	Roles []string `json:"roles"`
}
