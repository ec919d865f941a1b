package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chengnuo/chengnuo/node"
	"github.com/chengnuo/chengnuo/sm"
)

// runSecret hands the consortium secret (the key applicant-key records are
// derived with) from one department to another without a shared file: the
// sender seals it to the recipient's SM2 transport key (published in the
// recipient's organisation definition) and signs it as its admin; the
// recipient checks the signature against the sender's CA (from the
// sender's definition) and the fingerprint it was told over the phone, and
// opens it with the private half of its transport key, which never leaves
// its host.
//
//	chengnuo secret seal --from-def OWN.json --admin-cert C --admin-key K --to-def RECIPIENT.json --in SECRET --out SEALED
//	chengnuo secret open --self-def OWN.json --key KEY --from-def SENDER.json --fingerprint FP --in SEALED --out SECRET
//	chengnuo secret fingerprint --in SECRET
func runSecret(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("secret: want seal, open or fingerprint")
	}
	fs := flag.NewFlagSet("secret "+args[0], flag.ContinueOnError)
	toDef := fs.String("to-def", "", "the recipient department's definition (its transport key)")
	fromDef := fs.String("from-def", "", "seal: this department's definition; open: the sending department's definition (its CA)")
	selfDef := fs.String("self-def", "", "open: this department's definition")
	adminCert := fs.String("admin-cert", "", "seal: this department's admin certificate (PEM)")
	adminKey := fs.String("admin-key", "", "seal: this department's admin private key (PEM)")
	key := fs.String("key", "", "open: this department's SM2 transport private key (PEM)")
	fingerprint := fs.String("fingerprint", "", "open: the secret's fingerprint, as the sending department told you out of band (required)")
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
	def := func(flag, path string) (*node.Definition, error) {
		if path == "" {
			return nil, fmt.Errorf("secret %s: --%s is required", args[0], flag)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		d, err := node.ParseDefinition(b)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", flag, path, err)
		}
		return d, nil
	}
	switch args[0] {
	case "fingerprint":
		fmt.Fprintln(out, sm.Fingerprint(bytes.TrimSpace(raw)))
		return nil
	case "seal":
		from, err := def("from-def", *fromDef)
		if err != nil {
			return err
		}
		to, err := def("to-def", *toDef)
		if err != nil {
			return err
		}
		certPEM, err1 := os.ReadFile(*adminCert)
		keyPEM, err2 := os.ReadFile(*adminKey)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("secret seal: --admin-cert and --admin-key: %w", err)
		}
		admin, err := node.ParseAdmin(certPEM, keyPEM)
		if err != nil {
			return err
		}
		sealed, err := node.SealSigned(bytes.TrimSpace(raw), from, admin, to)
		if err != nil {
			return err
		}
		return writeNew(*dst, sealed, 0o644, out)
	case "open":
		self, err := def("self-def", *selfDef)
		if err != nil {
			return err
		}
		sender, err := def("from-def", *fromDef)
		if err != nil {
			return err
		}
		if *fingerprint == "" {
			return errors.New("secret open: --fingerprint is required: ask the sending department for it (chengnuo secret fingerprint) over a channel of your own")
		}
		keyPEM, err := os.ReadFile(*key)
		if err != nil {
			return fmt.Errorf("secret open: --key: %w", err)
		}
		priv, err := sm.ParsePrivateKeyPEM(keyPEM)
		if err != nil {
			return fmt.Errorf("secret open: --key: %w", err)
		}
		secret, err := node.OpenSigned(raw, priv, self, sender, *fingerprint, time.Now())
		if err != nil {
			return fmt.Errorf("secret open: %w", err)
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
