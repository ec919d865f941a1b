package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Home is a department's state directory (DEPT_HOME) as the kit lays it
// out: its own definition in org.json, the others' in orgs/KEY.json.
type Home string

// Self is the department's own definition.
func (h Home) Self() (*Definition, error) {
	raw, err := os.ReadFile(filepath.Join(string(h), "org.json"))
	if err != nil {
		return nil, err
	}
	return ParseDefinition(raw)
}

// Imported are the definitions kept in orgs/, by key.
func (h Home) Imported() (map[string]*Definition, error) {
	files, err := filepath.Glob(filepath.Join(string(h), "orgs", "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]*Definition{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		d, err := ParseDefinition(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[d.Key] = d
	}
	return out, nil
}

// Import keeps other departments' definitions in orgs/KEY.json. Each is
// validated as data first (ParseDefinition), and all of them are checked
// against this department and each other — a definition that claims this
// department's key or MSP id, or another department's MSP id under a new
// key, is refused — before anything is written: a refused definition
// changes nothing. What is written is the definition re-encoded, under a
// name made from its validated key. It returns the keys imported (a copy
// of this department's own definition is skipped).
func (h Home) Import(files map[string][]byte) ([]string, error) {
	self, err := h.Self()
	if err != nil {
		return nil, fmt.Errorf("this department's own definition: %w", err)
	}
	have, err := h.Imported()
	if err != nil {
		return nil, err
	}
	byMSP := map[string]string{}
	for k, d := range have {
		byMSP[d.MSPID] = k
	}
	var defs []*Definition
	batch := map[string]string{}
	for name, raw := range files {
		d, err := ParseDefinition(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if d.Key == self.Key || d.MSPID == self.MSPID {
			if bytes.Equal(d.JSON(), self.JSON()) {
				continue
			}
			return nil, fmt.Errorf("%s claims this department's own key %q or MSP id %q", name, self.Key, self.MSPID)
		}
		if k, ok := byMSP[d.MSPID]; ok && k != d.Key {
			return nil, fmt.Errorf("%s: MSP id %s is the department %s's already", name, d.MSPID, k)
		}
		if other, ok := batch[d.Key]; ok {
			return nil, fmt.Errorf("%s and %s both define the department %s", other, name, d.Key)
		}
		batch[d.Key] = name
		defs = append(defs, d)
	}
	var keys []string
	dir := filepath.Join(string(h), "orgs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, d := range defs {
		if err := writeFile(filepath.Join(dir, d.Key+".json"), d.JSON(), 0o644); err != nil {
			return keys, errors.Join(fmt.Errorf("write %s's definition", d.Key), err)
		}
		keys = append(keys, d.Key)
	}
	return keys, nil
}
