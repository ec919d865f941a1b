package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chengnuo/chengnuo/sm"
)

// runSecret hands the consortium secret (the key applicant-key records are
// derived with) from one department to another without a shared file: the
// sender seals it to the recipient's SM2 transport key (published in the
// recipient's organisation definition), the recipient opens it with the
// private half, which never leaves its host. Both can print the secret's
// fingerprint to compare over the phone.
//
//	chengnuo secret seal --to PUB --in SECRET --out SEALED
//	chengnuo secret open --key KEY --in SEALED --out SECRET
//	chengnuo secret fingerprint --in SECRET
func runSecret(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("secret: want seal, open or fingerprint")
	}
	fs := flag.NewFlagSet("secret "+args[0], flag.ContinueOnError)
	to := fs.String("to", "", "the recipient's SM2 transport public key (PEM)")
	key := fs.String("key", "", "this department's SM2 transport private key (PEM)")
	in := fs.String("in", "", "input file")
	dst := fs.String("out", "", "output file (not overwritten)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("secret: --in is required")
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	switch args[0] {
	case "fingerprint":
		fmt.Fprintln(out, sm.Fingerprint(bytes.TrimSpace(raw)))
		return nil
	case "seal":
		pubPEM, err := os.ReadFile(*to)
		if err != nil {
			return fmt.Errorf("secret seal: --to: %w", err)
		}
		pub, err := sm.ParsePublicKey(string(pubPEM))
		if err != nil {
			return fmt.Errorf("secret seal: --to: %w", err)
		}
		sealed, err := sm.Seal(pub, bytes.TrimSpace(raw))
		if err != nil {
			return err
		}
		return writeNew(*dst, sealed, 0o644, out)
	case "open":
		keyPEM, err := os.ReadFile(*key)
		if err != nil {
			return fmt.Errorf("secret open: --key: %w", err)
		}
		priv, err := sm.ParsePrivateKeyPEM(keyPEM)
		if err != nil {
			return fmt.Errorf("secret open: --key: %w", err)
		}
		secret, err := sm.Open(priv, raw)
		if err != nil {
			return err
		}
		return writeNew(*dst, secret, 0o600, out)
	}
	return fmt.Errorf("secret: unknown subcommand %q (want seal, open or fingerprint)", args[0])
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, mode os.FileMode, out io.Writer) error {
	if path == "" {
		return errors.New("secret: --out is required")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s\n", path)
	return nil
}
