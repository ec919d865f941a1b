// Command chengnuo is the project's command-line tool.
//
//	chengnuo keygen --out applicant.key
//	chengnuo sign --key applicant.key --draft draft.json
//	chengnuo apikeys --dir DIR --roles clerk,auditor
//	chengnuo proof verify proof.json --letter letter.json --genesis-hash HEX
//	chengnuo bench --url URL [--clients 50] [--duration 30s] [--mode letters|anchor|verify]
//
// bench drives a department gateway with concurrent clients and prints
// throughput and latency percentiles. Every request is bounded in time and
// the run stops by itself; it only targets the URL it is given (127.0.0.1 in
// this project's scripts).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "bench":
		err = runBench(ctx, os.Args[2:], os.Stdout)
	case "keygen":
		err = runKeygen(os.Args[2:], os.Stdout)
	case "sign":
		err = runSign(os.Args[2:], os.Stdout)
	case "apikeys":
		err = runAPIKeys(os.Args[2:], os.Stdout)
	case "audit":
		err = runAudit(ctx, os.Args[2:], os.Stdout)
	case "ca":
		err = runCA(os.Args[2:], os.Stdout)
	case "enrol":
		err = runEnrol(os.Args[2:], os.Stdout)
	case "secret":
		err = runSecret(os.Args[2:], os.Stdout)
	case "node":
		err = runNode(os.Args[2:], os.Stdout)
	case "account-add":
		err = runAccountAdd(ctx, os.Args[2:], os.Stdout)
	case "proof":
		err = runProof(os.Args[2:], os.Stdout)
	case "demo":
		err = runDemo(ctx, os.Args[2:], os.Stdout)
	case "stats":
		err = runStats(ctx, os.Args[2:], os.Stdout)
	case "backup":
		err = runBackup(ctx, os.Args[2:], os.Stdout)
	case "growth":
		err = runGrowth(ctx, os.Args[2:], os.Stdout)
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "chengnuo: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chengnuo:", err)
		if errors.Is(err, errUnpinned) {
			os.Exit(exitUnpinned)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: chengnuo COMMAND [flags]

commands:
  keygen  --out FILE                 create an SM2 key pair (FILE, FILE.pub) to sign letters with
  sign    --key FILE --draft FILE [--cert FILE]   sign a draft's canonical letter; prints the body for POST /v1/commitments
  audit   --url URL --key KEY        check every stored letter's digest and applicant key against the ledger
  ca      --dir DIR                  create a demo applicant CA (DIR/ca.key, DIR/ca.pem) for gateways' --cert-roots
  enrol   --ca DIR --name N --id-number X [--id-type T] --out FILE   issue an applicant a key and certificate
  apikeys --dir DIR --roles a,b      create a gateway's API keys (DIR/api-keys.json, DIR/keys.env)
  stats   --blocks DIR [--from D] [--to D] [--department M] [--item C] [--as-of T] [--format json|csv]
                                     recompute the supervision figures from a peer's blocks
  secret  seal --from-def OWN --admin-cert C --admin-key K --to-def DEF --in F --out F
          | open --self-def OWN --key KEY --from-def DEF --fingerprint FP --in F --out F | fingerprint --in F
          hand the consortium secret to a department: encrypted to its SM2 transport key, signed by the sender's admin
  account-add --ops URL --token-file F [--name N] USERNAME ROLE[,ROLE]
          create a person's workbench account; prints the one-time password on its last line
  node    import | show-def | configtx | propose-join | propose-leave | describe-update
          the node kit's handling of other departments' definitions and channel updates (scripts/dept.sh)
  demo    [--state DIR --base-port N] run the whole story against the local network, step by step
  proof   verify BUNDLE [--letter FILE] [--genesis-hash HEX] [--applicant-ca PEM] | genesis-hash BLOCKFILE
          check a proof bundle offline: exit 0 PROVEN, 1 naming the first failed check, 3 consistent
          but not pinned (no --genesis-hash); print a genesis block's hash to pin
  bench   --url URL [--network FILE] [--mode letters|anchor|verify|verify-letter]
          load a gateway with prepared requests; rates, percentiles, CPU and memory per process
  backup  keygen --out F | create --home DIR --ops URL --token-file F --key F --out DIR [--keep N]
          | inspect --in F --key F | restore --in F --key F --home DIR | reconcile --ops URL --token-file F
          a department's encrypted backup, its check, its restore onto a fresh host, and the letters anchored since
  growth  --network FILE --key-file F [--milestones 10000,100000,300000,1000000] [--clients 300]
          fill the network with letters and measure it at each milestone (make bench-growth)
`)
}
