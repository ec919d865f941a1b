package backup

import (
	"archive/tar"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo/sm"
)

// ManifestName is the archive's last entry.
const ManifestName = "manifest.json"

// Manifest says what a backup holds.
type Manifest struct {
	Format     int       `json:"format"`
	Department string    `json:"department"` // MSP id
	Created    time.Time `json:"created"`
	// BlockHeight is the height of the gateway's read model when its
	// snapshot was taken: letters anchored in blocks from it on may be
	// missing from the store's snapshot.
	BlockHeight uint64 `json:"blockHeight"`
	Parts       []Part `json:"parts"`
}

// Part is one file of the backup.
type Part struct {
	Name string      `json:"name"`
	Size int64       `json:"size"`
	SM3  string      `json:"sm3"`
	Mode fs.FileMode `json:"mode"`
}

// Size is the parts' total size.
func (m *Manifest) Size() int64 {
	var n int64
	for _, p := range m.Parts {
		n += p.Size
	}
	return n
}

// Archive writes a backup.
type Archive struct {
	sw *Writer
	tw *tar.Writer
	m  Manifest
}

// Create starts a backup on w, sealed to key; m's parts are filled in as
// they are added.
func Create(w io.Writer, key []byte, m Manifest) (*Archive, error) {
	sw, err := NewWriter(w, key)
	if err != nil {
		return nil, err
	}
	m.Format, m.Parts = 1, nil
	return &Archive{sw: sw, tw: tar.NewWriter(sw), m: m}, nil
}

// Add adds a part of the given size read from r.
func (a *Archive) Add(name string, mode fs.FileMode, size int64, r io.Reader) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: name, Mode: int64(mode.Perm()), Size: size, Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	h := sm.NewSM3()
	n, err := io.Copy(io.MultiWriter(a.tw, h), r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("%s: %d bytes read, %d announced", name, n, size)
	}
	a.m.Parts = append(a.m.Parts, Part{Name: name, Size: size, SM3: hex.EncodeToString(h.Sum(nil)), Mode: mode.Perm()})
	return nil
}

// AddFile adds the file at path as part name.
func (a *Archive) AddFile(name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return a.Add(name, st.Mode(), st.Size(), f)
}

// AddTree adds every regular file under dir as prefix/<relative path>,
// except the relative paths skip says to leave out (a directory skipped
// is not walked).
func (a *Archive) AddTree(prefix, dir string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // directories are made as their files need them; sockets and links are not state
		}
		return a.AddFile(prefix+"/"+rel, p)
	})
}

// Manifest is the manifest being written, to complete before Close.
func (a *Archive) Manifest() *Manifest { return &a.m }

// Close writes the manifest and seals the stream; it returns the manifest.
func (a *Archive) Close() (*Manifest, error) {
	raw, err := json.MarshalIndent(a.m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(raw)), Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := a.tw.Write(raw); err != nil {
		return nil, err
	}
	if err := a.tw.Close(); err != nil {
		return nil, err
	}
	if err := a.sw.Close(); err != nil {
		return nil, err
	}
	return &a.m, nil
}

func checkName(name string) error {
	if name == "" || name == ManifestName || path.IsAbs(name) || path.Clean(name) != name || strings.HasPrefix(name, "../") ||
		name == ".." || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("backup: %q is not a part name", name)
	}
	return nil
}

// Extract reads a backup into dir, which must not exist: everything goes
// to a staging directory beside it first, every part's size and digest is
// checked against the manifest (which must list exactly the parts read),
// and only then is the staging directory renamed to dir. On any failure
// nothing is left behind.
func Extract(r io.Reader, key []byte, dir string) (m *Manifest, err error) {
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("backup: %s exists: restore onto a fresh directory", dir)
	}
	sr, err := NewReader(r, key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".restoring-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	read := map[string]Part{}
	tr := tar.NewReader(sr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, streamError(err)
		}
		if h.Name == ManifestName {
			if m != nil {
				return nil, fmt.Errorf("%w: two manifests", ErrAltered)
			}
			raw, err := io.ReadAll(io.LimitReader(tr, 16<<20))
			if err != nil {
				return nil, streamError(err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(raw, m); err != nil {
				return nil, fmt.Errorf("%w: the manifest does not parse: %v", ErrAltered, err)
			}
			continue
		}
		if m != nil {
			return nil, fmt.Errorf("%w: a part after the manifest", ErrAltered)
		}
		if err := checkName(h.Name); err != nil || h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w: entry %q", ErrAltered, h.Name)
		}
		if _, dup := read[h.Name]; dup {
			return nil, fmt.Errorf("%w: %s twice", ErrAltered, h.Name)
		}
		p, err := writePart(staging, h, tr)
		if err != nil {
			return nil, err
		}
		read[h.Name] = p
	}
	// The stream must end where the writer closed it.
	if _, err := io.Copy(io.Discard, sr); err != nil {
		return nil, streamError(err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: no manifest", ErrTruncated)
	}
	if len(m.Parts) != len(read) {
		return nil, fmt.Errorf("%w: the manifest lists %d parts, the archive holds %d", ErrAltered, len(m.Parts), len(read))
	}
	for _, want := range m.Parts {
		got, ok := read[want.Name]
		if !ok || got.Size != want.Size || got.SM3 != want.SM3 {
			return nil, fmt.Errorf("%w: part %s is not what the manifest says", ErrAltered, want.Name)
		}
	}
	if err := os.Rename(staging, dir); err != nil {
		return nil, err
	}
	return m, nil
}

func writePart(staging string, h *tar.Header, r io.Reader) (Part, error) {
	target := filepath.Join(staging, filepath.FromSlash(h.Name))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return Part{}, err
	}
	mode := fs.FileMode(h.Mode).Perm() & 0o755 // never group- or world-writable
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode|0o600)
	if err != nil {
		return Part{}, err
	}
	hs := sm.NewSM3()
	n, err := io.Copy(io.MultiWriter(f, hs), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Part{}, streamError(err)
	}
	return Part{Name: h.Name, Size: n, SM3: hex.EncodeToString(hs.Sum(nil)), Mode: mode}, nil
}

// streamError keeps the stream's own errors (altered, cut short) and calls
// anything else the tar reader says damage.
func streamError(err error) error {
	for _, known := range []error{ErrAltered, ErrTruncated, ErrWrongKey, ErrNotBackup} {
		if errors.Is(err, known) {
			return err
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", ErrTruncated, err)
	}
	return fmt.Errorf("%w: %v", ErrAltered, err)
}

// Inspect reads a whole backup, checking it as Extract does, without
// writing it anywhere; it returns the manifest.
func Inspect(r io.Reader, key []byte) (*Manifest, error) {
	dir, err := os.MkdirTemp("", "chengnuo-inspect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return Extract(r, key, filepath.Join(dir, "x"))
}

// Prune removes the oldest backups named prefix*suffix in dir beyond the
// newest keep (by name, which starts with the time they were taken); it
// returns what it removed.
func Prune(dir, prefix, suffix string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, suffix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var removed []string
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return removed, err
		}
		removed, names = append(removed, names[0]), names[1:]
	}
	return removed, nil
}
