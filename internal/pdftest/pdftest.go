// Package pdftest reads documents with a reader's tools, not the writer's:
// the text with poppler's pdftotext, the pages rendered with pdftoppm, the
// QR codes decoded with zbar's zbarimg (the gateway reads scans with
// another decoder, gozxing). .ci/run installs poppler-utils and zbar-tools.
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tool runs a command and returns its standard output.
func tool(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed to read the documents (apt-get install poppler-utils zbar-tools; .ci/run installs them)", name)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// Text is a PDF's text as pdftotext extracts it, one string per page.
func Text(t testing.TB, pdf []byte) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(string(tool(t, pdf, "pdftotext", "-enc", "UTF-8", "-", "-")), "\f"), "\f")
}

// Info is pdfinfo's answer: Title, Author, Pages, ….
func Info(t testing.TB, pdf []byte) map[string]string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(tool(t, nil, "pdfinfo", f)), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[k] = strings.TrimSpace(v)
		}
	}
	return info
}

// Page renders one page (from 1) as PNG, as a scanner at dpi would see it.
func Page(t testing.TB, pdf []byte, page, dpi int) []byte {
	t.Helper()
	p := strconv.Itoa(page)
	return tool(t, pdf, "pdftoppm", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-png", "-singlefile", "-")
}

// QRCodes decodes the QR codes of an image with zbarimg.
func QRCodes(t testing.TB, img []byte) []string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "page.png")
	if err := os.WriteFile(f, img, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", f)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code (%v)", err)
	}
	return strings.Fields(string(out))
}

// Body is a letter's text without its running header and footer (the
// copy's mark, number, digest, page, QR caption), pages joined, spaces
// dropped: what the letter says, in order, as one string.
func Body(pages []string) string {
	var b strings.Builder
	for _, p := range pages {
		for _, line := range strings.Split(p, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "编号：") || strings.HasPrefix(line, "承诺书摘要") || strings.HasPrefix(line, "回执编号：") ||
				strings.HasPrefix(line, "第一联") || strings.HasPrefix(line, "第二联") || line == "扫码核验" || line == "行政机关留存" || line == "申请人留存" ||
				pageLineRE.MatchString(strings.Join(strings.Fields(line), "")) {
				continue
			}
			b.WriteString(line)
		}
	}
	return strings.Join(strings.Fields(b.String()), "")
}

var pageLineRE = regexp.MustCompile(`^(第[一二]联(行政机关|申请人)留存)?第\d+页共\d+页$`)

// InOrder checks that every string of want appears in s, each after the one before.
func InOrder(t testing.TB, what, s string, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		w = strings.Join(strings.Fields(w), "")
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Fatalf("%s: %q is missing after position %d (or out of order); text from there: %.300s", what, w, at, s[at:])
		}
		at += i + len(w)
	}
}
