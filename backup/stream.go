// Package backup writes and reads a department's backup: one file, a tar
// archive of the parts (the gateway's store, read model and event
// checkpoint as consistent snapshots; the department's keys, certificates,
// consortium secret, definition and configuration) and a manifest (what,
// when, at which block height, the SM3 digest of each part), encrypted
// with SM4-GCM to a key the department keeps apart from its backups.
//
// The encryption is a stream of segments (the STREAM construction of
// Hoang, Reyhanitabar, Rogaway and Vizár): each segment of up to 64 KiB is
// sealed on its own with a nonce made of a random prefix and its number,
// and the last one says it is the last in its additional data. A reader
// therefore finds, before it trusts a byte, a segment altered, dropped,
// repeated or reordered (its tag fails), a file cut short (no last segment)
// or extended (bytes after it), and a file sealed to another key (the
// header's key id). Restore reads the whole file to a staging directory
// and checks every part's digest against the manifest before it writes
// anything in place.
package backup

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emmansun/gmsm/sm4"

	"github.com/chengnuo/chengnuo/sm"
)

// Errors a reader returns; each wraps into a *Error naming what is wrong.
var (
	ErrNotBackup = errors.New("not a chengnuo backup")
	ErrWrongKey  = errors.New("sealed to another key")
	ErrAltered   = errors.New("altered or damaged")
	ErrTruncated = errors.New("cut short")
)

const (
	magic       = "CNBACKUP"
	version     = 1
	headerLen   = len(magic) + 1 + 8 + 8 // magic, version, key id, nonce prefix
	segmentSize = 64 << 10
	tagSize     = 16
	// KeySize is the size of a backup key (SM4: 128 bits).
	KeySize = 16
)

// NewKey returns a fresh random key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	_, err := rand.Read(k)
	return k, err
}

// EncodeKey is a key as its file holds it: hexadecimal and a newline.
func EncodeKey(k []byte) []byte { return []byte(hex.EncodeToString(k) + "\n") }

// ReadKeyFile reads a key file written by EncodeKey.
func ReadKeyFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("%s: a backup key is %d hexadecimal digits", path, 2*KeySize)
	}
	return k, nil
}

// KeyID names a key without revealing it: the first 8 bytes of SM3 over a
// label and the key.
func KeyID(k []byte) []byte {
	sum := sm.SM3(append([]byte("chengnuo backup key id\x00"), k...))
	return sum[:8]
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a backup key is %d bytes", KeySize)
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func nonce(prefix []byte, n uint32) []byte {
	out := make([]byte, 12)
	copy(out, prefix)
	binary.BigEndian.PutUint32(out[8:], n)
	return out
}

// additional is a segment's additional data: the header, and whether the
// segment is the last.
func additional(header []byte, last bool) []byte {
	out := append([]byte(nil), header...)
	if last {
		return append(out, 1)
	}
	return append(out, 0)
}

// Writer seals what is written to it; Close seals the last segment and must
// be called.
type Writer struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	buf    []byte
	n      uint32
	err    error
}

// NewWriter starts a sealed stream on w.
func NewWriter(w io.Writer, key []byte) (*Writer, error) {
	a, err := aead(key)
	if err != nil {
		return nil, err
	}
	prefix := make([]byte, 8)
	if _, err := rand.Read(prefix); err != nil {
		return nil, err
	}
	header := append(append(append([]byte(magic), version), KeyID(key)...), prefix...)
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &Writer{w: w, aead: a, header: header, buf: make([]byte, 0, segmentSize)}, nil
}

// Write implements io.Writer.
func (s *Writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	written := 0
	for len(p) > 0 {
		if len(s.buf) == segmentSize {
			// Full, and more follows: not the last segment.
			if s.err = s.seal(false); s.err != nil {
				return written, s.err
			}
		}
		k := copy(s.buf[len(s.buf):segmentSize], p)
		s.buf = s.buf[:len(s.buf)+k]
		p, written = p[k:], written+k
	}
	return written, nil
}

func (s *Writer) seal(last bool) error {
	if s.n == ^uint32(0) {
		return errors.New("backup: too large (2^32 segments)")
	}
	ct := s.aead.Seal(nil, nonce(s.header[len(s.header)-8:], s.n), s.buf, additional(s.header, last))
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := s.w.Write(l[:]); err != nil {
		return err
	}
	if _, err := s.w.Write(ct); err != nil {
		return err
	}
	s.n++
	s.buf = s.buf[:0]
	return nil
}

// Close seals the last segment (possibly empty).
func (s *Writer) Close() error {
	if s.err != nil {
		return s.err
	}
	s.err = s.seal(true)
	if s.err == nil {
		s.err = errors.New("backup: writer closed")
		return nil
	}
	return s.err
}

// Reader opens a sealed stream; it returns io.EOF only after the last
// segment verified and nothing follows it.
type Reader struct {
	r      io.Reader
	aead   cipher.AEAD
	header []byte
	plain  []byte
	n      uint32
	done   bool
	err    error
}

// NewReader checks the stream's header against key.
func NewReader(r io.Reader, key []byte) (*Reader, error) {
	a, err := aead(key)
	if err != nil {
		return nil, err
	}
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil || string(header[:len(magic)]) != magic {
		return nil, ErrNotBackup
	}
	if header[len(magic)] != version {
		return nil, fmt.Errorf("%w: format version %d (this build reads %d)", ErrNotBackup, header[len(magic)], version)
	}
	if !bytes.Equal(header[len(magic)+1:len(magic)+9], KeyID(key)) {
		return nil, ErrWrongKey
	}
	return &Reader{r: r, aead: a, header: header}, nil
}

// Read implements io.Reader.
func (s *Reader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			// Nothing may follow the last segment.
			var one [1]byte
			if n, _ := s.r.Read(one[:]); n > 0 {
				s.err = fmt.Errorf("%w: bytes after the last segment", ErrAltered)
			} else {
				s.err = io.EOF
			}
			continue
		}
		s.err = s.next()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

func (s *Reader) next() error {
	var l [4]byte
	if _, err := io.ReadFull(s.r, l[:]); err != nil {
		return fmt.Errorf("%w: segment %d is missing", ErrTruncated, s.n)
	}
	size := binary.BigEndian.Uint32(l[:])
	if size < tagSize || size > segmentSize+tagSize {
		return fmt.Errorf("%w: segment %d has an impossible length", ErrAltered, s.n)
	}
	ct := make([]byte, size)
	if _, err := io.ReadFull(s.r, ct); err != nil {
		return fmt.Errorf("%w: segment %d ends early", ErrTruncated, s.n)
	}
	nc := nonce(s.header[len(s.header)-8:], s.n)
	plain, err := s.aead.Open(nil, nc, ct, additional(s.header, false))
	if err != nil {
		if plain, err = s.aead.Open(nil, nc, ct, additional(s.header, true)); err != nil {
			return fmt.Errorf("%w: segment %d does not verify", ErrAltered, s.n)
		}
		s.done = true
	}
	s.plain = plain
	s.n++
	return nil
}
