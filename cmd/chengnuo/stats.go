package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/blocks"
	"github.com/chengnuo/chengnuo/supervision"
)

// runStats recomputes the supervision figures from a peer's blocks, with
// no gateway: what anyone holding the ledger can check the published
// figures against.
//
//	chengnuo stats --blocks DIR [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--department MSP] [--item CODE] [--as-of RFC3339] [--format json|csv]
//
// DIR is a peer's block files (ledgersData/chains/chains/CHANNEL) or a
// directory of blocks fetched one a file (peer channel fetch N N.block).
func runStats(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	dir := fs.String("blocks", "", "a peer's block files (its chains/chains/<channel> directory) or a directory of N.block files")
	chaincode := fs.String("chaincode", "notary", "the chaincode whose records count")
	from := fs.String("from", "", "first day (YYYY-MM-DD, Beijing time)")
	to := fs.String("to", "", "last day, included")
	dept := fs.String("department", "", "one department (MSP id)")
	item := fs.String("item", "", "one item code")
	asOf := fs.String("as-of", "", "judge what is open and overdue at this time (RFC 3339; default: the latest transaction)")
	format := fs.String("format", "json", "json or csv")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("stats: --blocks is required")
	}
	f := chengnuo.StatsFilter{Department: *dept, Item: *item}
	var err error
	if *from != "" {
		if f.From, err = chengnuo.ParseDay(*from); err != nil {
			return err
		}
	}
	if *to != "" {
		d, err := chengnuo.ParseDay(*to)
		if err != nil {
			return err
		}
		f.To = d.AddDate(0, 0, 1)
	}
	if *asOf != "" {
		if f.AsOf, err = time.Parse(time.RFC3339, *asOf); err != nil {
			return errors.New("stats: --as-of must be an RFC 3339 time")
		}
	}
	mem := supervision.NewMemory()
	if err := blocks.Read(*dir, *chaincode, func(b *chengnuo.LedgerBlock) error {
		mem.Apply(b)
		return nil
	}); err != nil {
		return err
	}
	rep, err := supervision.Compute(ctx, mem, f)
	if err != nil {
		return err
	}
	switch *format {
	case "csv":
		return supervision.CSV(out, rep, nil)
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return errors.New("stats: --format is json or csv")
}
