package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chengnuo/chengnuo/proof"
)

// errProofFailed makes the command exit 1 after it printed the failed check.
var errProofFailed = errors.New("the proof does not hold")

// errUnpinned makes the command exit 3: every check passed, but no genesis
// hash was pinned, so nothing ties the bundle to the departments' network.
var errUnpinned = errors.New("the bundle is consistent but not pinned to a genesis hash (--genesis-hash): not proven")

// exitUnpinned is the exit code of a consistent but unpinned bundle (a
// failed check exits 1, like every other error).
const exitUnpinned = 3

func runProof(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("proof: verify BUNDLE [--letter FILE] [--scan FILE] [--genesis-hash HEX] [--applicant-ca PEM] | genesis-hash BLOCKFILE")
	}
	switch args[0] {
	case "genesis-hash":
		if len(args) != 2 {
			return errors.New("proof genesis-hash BLOCKFILE")
		}
		raw, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		h, err := proof.GenesisHash(raw)
		if err != nil {
			return fmt.Errorf("proof: %s: %w", args[1], err)
		}
		fmt.Fprintln(out, h)
		return nil
	case "verify":
	default:
		return fmt.Errorf("proof: unknown subcommand %q", args[0])
	}
	fs := flag.NewFlagSet("proof verify", flag.ContinueOnError)
	letterFile := fs.String("letter", "", "the letter: its canonical bytes, or the signed submission JSON (letter, signature, publicKey|certificate)")
	genesis := fs.String("genesis-hash", "", "hex hash of the channel's genesis block header to pin, as the departments publish it (never from the server that gave you the bundle); without it the bundle is at best consistent (exit 3)")
	applicantCA := fs.String("applicant-ca", "", "PEM file of the applicant CAs to trust: a letter's certificate names its applicant only when it chains to one of them")
	scanFile := fs.String("scan", "", "the scan of a letter signed on paper: its SM3 digest must be the one the record binds")
	// The bundle may come before or after the flags.
	var bundleFile string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		bundleFile, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if bundleFile == "" && fs.NArg() == 1 {
		bundleFile = fs.Arg(0)
	}
	if bundleFile == "" {
		return errors.New("proof verify: the bundle file is required")
	}
	raw, err := os.ReadFile(bundleFile)
	if err != nil {
		return err
	}
	opt := proof.Options{GenesisHash: *genesis}
	if *letterFile != "" {
		if opt.Letter, err = os.ReadFile(*letterFile); err != nil {
			return err
		}
	}
	if *scanFile != "" {
		if opt.Scan, err = os.ReadFile(*scanFile); err != nil {
			return err
		}
	}
	if *applicantCA != "" {
		if opt.ApplicantCAs, err = os.ReadFile(*applicantCA); err != nil {
			return err
		}
	}
	b, err := proof.Parse(raw)
	var rep *proof.Report
	if err == nil {
		rep, err = proof.Verify(b, opt)
	}
	if f, ok := errors.AsType[*proof.Failure](err); ok {
		fmt.Fprintf(out, "NOT PROVEN — check failed: %s\n  %s\n", proof.Printable(f.Check), proof.Printable(f.Reason))
		return errProofFailed
	}
	if err != nil {
		return err
	}
	fmt.Fprint(out, proof.Describe(rep))
	if !rep.Proven() {
		return errUnpinned
	}
	return nil
}
