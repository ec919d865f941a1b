package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chengnuo/chengnuo/node"
	"github.com/chengnuo/chengnuo/proof"
)

// runNode is the node kit's Go half (scripts/dept.sh calls it): whatever
// comes from another department — a definition, a configuration update —
// is validated and handled here, never used by the shell as a path or
// spliced into a configuration file.
//
//	chengnuo node import --home DEPT_HOME DEF...          keep other departments' definitions (validated; all or nothing)
//	chengnuo node show-def --field F DEF                   one field of a validated definition (key, mspId, name, numberPrefix, peer, orderer, tlsCA, transportKey)
//	chengnuo node configtx --template T --out DIR [--block-interval D] DEF...
//	chengnuo node propose-join --config BLOCK --org ORG.json --def DEF --out UPDATE
//	chengnuo node propose-leave --config BLOCK --msp MSPID --out UPDATE
//	chengnuo node describe-update --config BLOCK UPDATE    what an update changes, in plain words
func runNode(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("node: want import, show-def, configtx, propose-join, propose-leave or describe-update")
	}
	fs := flag.NewFlagSet("node "+args[0], flag.ContinueOnError)
	home := fs.String("home", "", "the department's state directory (DEPT_HOME)")
	field := fs.String("field", "", "the definition's field to print")
	template := fs.String("template", "", "configtx.yaml template (network/configtx.yaml.tmpl)")
	outPath := fs.String("out", "", "output file or directory")
	interval := fs.String("block-interval", "250ms", "SmartBFT RequestBatchMaxInterval")
	configBlock := fs.String("config", "", "the channel's current configuration block (scripts/dept.sh fetch-config)")
	orgJSON := fs.String("org", "", "the organisation's configuration group (configtxgen -printOrg)")
	defFile := fs.String("def", "", "the department's definition")
	mspID := fs.String("msp", "", "the department's MSP id")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	read := func(flag, path string) ([]byte, error) {
		if path == "" {
			return nil, fmt.Errorf("node %s: --%s is required", args[0], flag)
		}
		return os.ReadFile(path)
	}
	defs := func(files []string) ([]*node.Definition, error) {
		var ds []*node.Definition
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			d, err := node.ParseDefinition(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			ds = append(ds, d)
		}
		return ds, nil
	}
	write := func(data []byte) error {
		if *outPath == "" {
			return fmt.Errorf("node %s: --out is required", args[0])
		}
		return os.WriteFile(*outPath, data, 0o644)
	}
	switch args[0] {
	case "import":
		if *home == "" {
			return errors.New("node import: --home is required")
		}
		files := map[string][]byte{}
		for _, f := range fs.Args() {
			raw, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			files[f] = raw
		}
		keys, err := node.Home(*home).Import(files)
		if err != nil {
			return fmt.Errorf("node import: refused, nothing imported: %w", err)
		}
		for _, k := range keys {
			fmt.Fprintln(out, k)
		}
		return nil
	case "show-def":
		ds, err := defs(fs.Args())
		if err != nil {
			return err
		}
		if len(ds) != 1 {
			return errors.New("node show-def: one definition")
		}
		d := ds[0]
		v, ok := map[string]string{"key": d.Key, "mspId": d.MSPID, "name": d.Name, "numberPrefix": d.NumberPrefix, "peer": d.Peer.Address(), "orderer": d.Orderer.Address(),
			"tlsCA": d.TLSCA, "ca": d.CA, "transportKey": d.TransportKey, "slot": fmt.Sprint(d.Slot)}[*field]
		if !ok {
			return fmt.Errorf("node show-def: unknown field %q", *field)
		}
		fmt.Fprint(out, v)
		if !strings.HasSuffix(v, "\n") {
			fmt.Fprintln(out)
		}
		return nil
	case "configtx":
		ds, err := defs(fs.Args())
		if err != nil {
			return err
		}
		tmpl, err := read("template", *template)
		if err != nil {
			return err
		}
		if *outPath == "" {
			return errors.New("node configtx: --out is required")
		}
		return node.WriteConfigtx(*outPath, tmpl, *interval, ds)
	case "propose-join":
		block, err := read("config", *configBlock)
		if err != nil {
			return err
		}
		org, err := read("org", *orgJSON)
		if err != nil {
			return err
		}
		ds, err := defs([]string{*defFile})
		if err != nil {
			return err
		}
		update, err := node.ProposeJoin(block, org, ds[0])
		if err != nil {
			return fmt.Errorf("node propose-join: %w", err)
		}
		return write(update)
	case "propose-leave":
		block, err := read("config", *configBlock)
		if err != nil {
			return err
		}
		update, err := node.ProposeLeave(block, *mspID)
		if err != nil {
			return fmt.Errorf("node propose-leave: %w", err)
		}
		return write(update)
	case "describe-update":
		block, err := read("config", *configBlock)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("node describe-update: one update file")
		}
		update, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		lines, err := node.Describe(block, update)
		if err != nil {
			return fmt.Errorf("node describe-update: %w", err)
		}
		for _, l := range lines {
			fmt.Fprintln(out, "  - "+proof.Printable(l))
		}
		return nil
	}
	return fmt.Errorf("node: unknown subcommand %q", args[0])
}
