package chengnuo_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/chengnuo/chengnuo"

// rule says what a package may import: project packages (relative to the
// module, "." for the domain) and third-party modules (path prefixes). The
// standard library is always allowed. A nil list allows anything.
type rule struct {
	project    []string
	thirdParty []string
}

// depRules are the architecture: the domain depends on nothing, adapters
// depend on the domain (and their own driver) but never on each other, the
// HTTP layer knows only the domain, and only cmd/ wires.
var depRules = map[string]rule{
	".":         {project: []string{}, thirdParty: []string{}},
	"contract":  {project: []string{"."}, thirdParty: []string{}},
	"retry":     {project: []string{}, thirdParty: []string{}},
	"sm":        {project: []string{}, thirdParty: []string{"github.com/emmansun/gmsm", "github.com/gowebpki/jcs"}},
	"letter":    {project: []string{".", "sm"}, thirdParty: []string{}},
	"chaincode": {project: []string{".", "contract", "letter", "sm"}, thirdParty: []string{"github.com/hyperledger/fabric-chaincode-go", "github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/protobuf"}},
	"fabric": {project: []string{".", "blocks", "contract", "retry"}, thirdParty: []string{"github.com/hyperledger/fabric-gateway",
		"github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/grpc", "google.golang.org/protobuf"}},
	"bolt":     {project: []string{"."}, thirdParty: []string{"go.etcd.io/bbolt"}},
	"postgres": {project: []string{"."}, thirdParty: []string{"github.com/jackc/pgx/v5"}},
	"registry": {project: []string{".", "sm"}, thirdParty: []string{}},
	// A department's backups: sealed archives (SM4-GCM), their manifest.
	"backup": {project: []string{"sm"}, thirdParty: []string{"github.com/emmansun/gmsm"}},
	"proof":  {project: []string{"sm"}, thirdParty: []string{"github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/protobuf", "github.com/emmansun/gmsm"}},
	// Synthetic channels for the proof verifier's tests (and benchmarks).
	"proof/prooftest": {project: []string{"proof"}, thirdParty: []string{"github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/protobuf"}},
	// The node kit's Go half: definitions, configuration updates, the
	// sealed consortium secret. It reads Fabric's channel configuration
	// with Fabric's own libraries and prints with proof's escaping.
	"node": {project: []string{".", "proof", "sm"}, thirdParty: []string{"github.com/hyperledger/fabric-config", "github.com/hyperledger/fabric-protos-go-apiv2",
		"google.golang.org/protobuf", "github.com/emmansun/gmsm"}},
	"notary": {project: []string{".", "contract", "letter", "metrics", "proof", "retry", "scan", "sm", "supervision"}, thirdParty: []string{"github.com/emmansun/gmsm"}},
	// The supervision figures, from a read model or a peer's blocks, and
	// their CSV and workbook; the records of blocks.
	"supervision": {project: []string{"."}, thirdParty: []string{"github.com/xuri/excelize/v2"}},
	"blocks":      {project: []string{"."}, thirdParty: []string{"github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/protobuf"}},
	// The documents (letter and receipt as PDF and HTML) and what is read
	// from a paper letter's scan: pure functions, of the domain only.
	"document": {project: []string{"."}, thirdParty: []string{"codeberg.org/go-pdf/fpdf", "github.com/skip2/go-qrcode"}},
	"scan":     {project: []string{"."}, thirdParty: []string{"github.com/makiuchi-d/gozxing", "golang.org/x/image"}},
	"metrics":  {project: []string{}, thirdParty: []string{}},
	// Who may use the workbench: accounts, sessions, lockout, TOTP.
	"people": {project: []string{".", "sm"}, thirdParty: []string{"golang.org/x/crypto", "github.com/pquerna/otp"}},
	// The workbench: an HTTP adapter beside gateway/, over the same Service.
	"console": {project: []string{".", "document", "letter", "people", "supervision"}, thirdParty: []string{}},
	"gateway": {project: []string{".", "document", "metrics", "sm", "supervision"}, thirdParty: []string{"github.com/gin-gonic/gin", "github.com/skip2/go-qrcode", "golang.org/x/time"}},
	// The command-line tool signs and checks letters and keys; it never
	// links the HTTP layer or an adapter.
	"cmd/chengnuo": {project: []string{".", "backup", "blocks", "client", "letter", "node", "proof", "retry", "sm", "supervision"}, thirdParty: []string{"github.com/emmansun/gmsm"}},
	// The gateway's Go client, generated from its OpenAPI document: what an
	// integrator has, so it knows nothing of ours.
	"client": {project: []string{}, thirdParty: []string{"github.com/oapi-codegen/runtime", "go.yaml.in/yaml/v3"}},
	"cmd/chengnuo-cc": {project: []string{"chaincode", "internal/debugsrv"}, thirdParty: []string{"github.com/hyperledger/fabric-chaincode-go",
		"github.com/hyperledger/fabric-protos-go-apiv2", "google.golang.org/grpc"}},
	"cmd/chengnuo-gateway": {},
	"internal/fabrictest":  {},
	"internal/debugsrv":    {project: []string{}, thirdParty: []string{}},
	"internal/a11y":        {project: []string{}, thirdParty: []string{"github.com/chromedp/chromedp"}},
	"internal/storetest":   {project: []string{"."}, thirdParty: []string{}},
	"internal/pgtest":      {project: []string{}, thirdParty: []string{"github.com/jackc/pgx/v5"}},
	"internal/pdftest":     {project: []string{}, thirdParty: []string{}},
	"integration":          {},
}

func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "\t")
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		if rel == "" {
			rel = "."
		}
		r, ok := depRules[rel]
		if !ok {
			t.Errorf("package %s has no dependency rule: add one to depRules", rel)
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == module+"/internal/fabrictest" && rel != "internal/fabrictest" {
				t.Errorf("%s imports the test network %s outside its tests", rel, imp)
			}
			if r.project == nil && r.thirdParty == nil {
				continue
			}
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if dep == "" {
					dep = "."
				}
				if !slices.Contains(r.project, dep) {
					t.Errorf("%s must not import %s", rel, dep)
				}
			case !strings.Contains(strings.Split(imp, "/")[0], "."):
				// the standard library
			default:
				allowed := false
				for _, p := range r.thirdParty {
					allowed = allowed || imp == p || strings.HasPrefix(imp, p+"/")
				}
				if !allowed {
					t.Errorf("%s must not import %s", rel, imp)
				}
			}
		}
	}
}
