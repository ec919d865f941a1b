package main

import (
	"io/fs"
	"testing"
	"testing/fstest"
)

// What a backup takes from a department's home, and what it leaves out:
// the ledger, the live PostgreSQL cluster and its log archive, clusters a
// point-in-time restore set aside, earlier restores' dumps, logs, process
// state and the gateway's files (taken from its snapshot instead).
func TestHomeSkipped(t *testing.T) {
	home := fstest.MapFS{}
	for _, f := range []string{
		"msp/signcerts/cert.pem", "postgres/pgpass", "postgres/archive.env", "gateway/keys.env", "dept.env",
		"data/peer/ledger", "data/orderer/wal", "data/postgres/PG_VERSION", "data/postgres.before-pitr-20261208T000409Z/PG_VERSION",
		"wal-archive/base/20261208T000400Z/backup_label", "wal-archive/wal/000000010000000000000001",
		"postgres.dump.restored", "postgres.dump.superseded", "logs/peer.log", "run/peer.pid", "data/gateway/replica1.index",
	} {
		home[f] = &fstest.MapFile{Data: []byte("x")}
	}
	skip := homeSkipped(backupPlan{})
	var kept []string
	err := fs.WalkDir(home, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		if skip(p, d) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			kept = append(kept, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dept.env", "gateway/keys.env", "msp/signcerts/cert.pem", "postgres/archive.env", "postgres/pgpass"}
	if len(kept) != len(want) {
		t.Fatalf("kept %v, want %v", kept, want)
	}
	for i := range want {
		if kept[i] != want[i] {
			t.Fatalf("kept %v, want %v", kept, want)
		}
	}
}
