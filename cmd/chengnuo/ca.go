package main

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/chengnuo/chengnuo/letter"
	"github.com/chengnuo/chengnuo/sm"
)

// runCA creates a demo applicant certificate authority: DIR/ca.key (SM2,
// PKCS#8, mode 0600) and DIR/ca.pem. It stands in for the electronic
// signature CAs that issue applicants' certificates; a department's
// gateway trusts it with --cert-roots DIR/ca.pem. An existing CA is kept.
func runCA(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ca", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory of the CA (ca.key, ca.pem)")
	name := fs.String("name", "chengnuo demo applicant CA", "the CA's common name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("ca: --dir is required")
	}
	keyPath, certPath := filepath.Join(*dir, "ca.key"), filepath.Join(*dir, "ca.pem")
	if _, err := os.Stat(certPath); err == nil {
		fmt.Fprintf(out, "CA exists: %s\n", certPath)
		return nil
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	key, err := sm.GenerateKey()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &smx509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: *name, Organization: []string{"chengnuo demo"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kp, err := sm.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, kp, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s and %s\n", keyPath, certPath)
	return nil
}

// runEnrol issues an applicant a signing key and certificate from a CA
// made by runCA: OUT (key, 0600), OUT.pub and OUT.pem. The certificate
// names the applicant as electronic-signature CAs do: the name as common
// name, the ID number as the subject's serial number; key usage digital
// signature and content commitment.
func runEnrol(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("enrol", flag.ContinueOnError)
	caDir := fs.String("ca", "", "directory of the CA (see chengnuo ca)")
	name := fs.String("name", "", "the applicant's name")
	idType := fs.String("id-type", letter.IDResident, "the applicant's ID type")
	idNumber := fs.String("id-number", "", "the applicant's ID number")
	path := fs.String("out", "applicant.key", "key file to write (the certificate goes to FILE.pem)")
	days := fs.Int("days", 365, "validity in days")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := letter.NormalizeID(*idNumber)
	if why, ok := letter.ValidateID(*idType, n); !ok {
		return fmt.Errorf("enrol: %s", why)
	}
	if *caDir == "" || *name == "" {
		return errors.New("enrol: --ca and --name are required")
	}
	caKeyPEM, err := os.ReadFile(filepath.Join(*caDir, "ca.key"))
	if err != nil {
		return err
	}
	caKey, err := sm.ParsePrivateKeyPEM(caKeyPEM)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(filepath.Join(*caDir, "ca.pem"))
	if err != nil {
		return err
	}
	caCert, err := sm.ParseCertificate(string(caPEM))
	if err != nil {
		return err
	}
	if err := runKeygen([]string{"--out", *path}, io.Discard); err != nil {
		return err
	}
	kp, _ := os.ReadFile(*path)
	key, err := sm.ParsePrivateKeyPEM(kp)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &smx509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: *name, SerialNumber: n},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, *days),
		KeyUsage: smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*path+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s, %s.pub and %s.pem (%s, %s %s)\n", *path, *path, *path, *name, *idType, n)
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
