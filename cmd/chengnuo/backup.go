package main

import (
	"archive/tar"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/backup"
)

// runBackup is the department's backup and restore (scripts/dept.sh
// backup, restore):
//
//	chengnuo backup keygen --out FILE
//	chengnuo backup create --home DIR --ops URL --token-file F --key F --out DIR [--keep N] [--name KEY]
//	                       [--store-path REL --index-path REL --checkpoint-path REL] [--pg-url URL]
//	chengnuo backup inspect --in FILE --key F
//	chengnuo backup restore --in FILE --key F --home DIR
//	chengnuo backup reconcile --ops URL --token-file F [--csv FILE]
func runBackup(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("backup keygen | create | inspect | restore | reconcile")
	}
	fs := flag.NewFlagSet("backup "+args[0], flag.ContinueOnError)
	keyFile := fs.String("key", "", "the backup key file (kept apart from the backups: chengnuo backup keygen)")
	home := fs.String("home", "", "the department's home directory (DEPT_HOME)")
	ops := fs.String("ops", "", "the gateway's operations listener")
	tokenFile := fs.String("token-file", "", "the department's operator token (DEPT_HOME/gateway/operator.token)")
	outPath := fs.String("out", "", "keygen: the key file; create: the directory of the backups")
	in := fs.String("in", "", "the backup file")
	keep := fs.Int("keep", 14, "create: keep this many backups of the department in --out, the oldest removed")
	name := fs.String("name", "dept", "create: the backups' file name prefix (the department's key)")
	storePath := fs.String("store-path", "data/gateway/letters.db", "create: the store's path under --home, where restore puts it back")
	indexPath := fs.String("index-path", "data/gateway/letters.db.index", "create: the read model's path under --home")
	checkpointPath := fs.String("checkpoint-path", "data/gateway/letters.db.checkpoint", "create: the event checkpoint's path under --home")
	pgURL := fs.String("pg-url", "", "create: the PostgreSQL store's URL, dumped with pg_dump when the store is PostgreSQL")
	csvPath := fs.String("csv", "", "reconcile: also write the lost letters to this CSV file")
	atLeast := fs.Uint64("height", 0, "reconcile: compare only once the department's peer and read model have this many blocks (the channel's height from another department)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "keygen":
		if *outPath == "" {
			return errors.New("backup keygen --out FILE")
		}
		k, err := backup.NewKey()
		if err != nil {
			return err
		}
		f, err := os.OpenFile(*outPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(backup.EncodeKey(k)); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(out, "backup key %s written to %s: keep it apart from the backups, and safe\n", fmt.Sprintf("%x", backup.KeyID(k)), *outPath)
		return f.Close()
	case "create":
		if *home == "" || *ops == "" || *tokenFile == "" || *keyFile == "" || *outPath == "" || *keep < 1 {
			return errors.New("backup create --home DIR --ops URL --token-file F --key F --out DIR [--keep N]")
		}
		key, err := backup.ReadKeyFile(*keyFile)
		if err != nil {
			return err
		}
		return createBackup(ctx, out, backupPlan{home: *home, ops: *ops, tokenFile: *tokenFile, key: key, dir: *outPath, keep: *keep, name: *name,
			gatewayPaths: map[string]string{"store.db": *storePath, "index.db": *indexPath, "checkpoint": *checkpointPath}, pgURL: *pgURL})
	case "inspect", "restore":
		if *in == "" || *keyFile == "" || (args[0] == "restore" && *home == "") {
			return fmt.Errorf("backup %s --in FILE --key F%s", args[0], map[bool]string{true: " --home DIR"}[args[0] == "restore"])
		}
		key, err := backup.ReadKeyFile(*keyFile)
		if err != nil {
			return err
		}
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		started := time.Now()
		var m *backup.Manifest
		if args[0] == "inspect" {
			m, err = backup.Inspect(f, key)
		} else {
			m, err = restoreBackup(f, key, *home)
		}
		if err != nil {
			return fmt.Errorf("backup %s: %s: %w", args[0], *in, err)
		}
		fmt.Fprintf(out, "%s of %s, taken %s at block height %d: %d parts, %d bytes, every digest checked (%.1f s)\n",
			map[bool]string{true: "restored the backup", false: "the backup is whole"}[args[0] == "restore"],
			m.Department, m.Created.Format(time.RFC3339), m.BlockHeight, len(m.Parts), m.Size(), time.Since(started).Seconds())
		return nil
	case "reconcile":
		if *ops == "" || *tokenFile == "" {
			return errors.New("backup reconcile --ops URL --token-file F [--csv FILE]")
		}
		return reconcile(ctx, out, *ops, *tokenFile, *csvPath, *atLeast)
	}
	return fmt.Errorf("backup: unknown command %q", args[0])
}

type backupPlan struct {
	home, ops, tokenFile, dir, name, pgURL string
	key                                    []byte
	keep                                   int
	gatewayPaths                           map[string]string // snapshot entry -> path under home
}

// homeSkipped are what a backup leaves out of the department's home: the
// ledger (the peer and orderer resynchronise from the other departments),
// the gateway's files (taken from its consistent snapshot instead), the
// PostgreSQL cluster (pg_dump) and its log archive (continuous protection
// is the other copy, kept apart), logs and process state.
func homeSkipped(plan backupPlan) func(rel string, d fs.DirEntry) bool {
	skip := map[string]bool{"data/peer": true, "data/orderer": true, "data/postgres": true, "logs": true, "run": true,
		"wal-archive": true}
	for _, p := range plan.gatewayPaths {
		skip[p] = true
	}
	return func(rel string, d fs.DirEntry) bool {
		return skip[rel] || strings.HasPrefix(rel, "data/gateway/") ||
			// Clusters a point-in-time restore set aside, and the dumps
			// earlier restores loaded: the backup's own dump replaces them.
			strings.HasPrefix(rel, "data/postgres.") || strings.HasPrefix(rel, "postgres.dump.") ||
			d.Type()&(fs.ModeSocket|fs.ModeNamedPipe|fs.ModeSymlink) != 0
	}
}

func createBackup(ctx context.Context, out io.Writer, plan backupPlan) error {
	if err := os.MkdirAll(plan.dir, 0o700); err != nil {
		return err
	}
	started := time.Now().UTC()
	final := filepath.Join(plan.dir, plan.name+"-"+started.Format("20060102T150405Z")+".cnbak")
	tmp, err := os.CreateTemp(plan.dir, ".incomplete-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	a, err := backup.Create(tmp, plan.key, backup.Manifest{Created: started})
	if err != nil {
		return err
	}
	// 1. The gateway's state, as consistent snapshots taken now.
	req, err := opsRequest(ctx, http.MethodGet, plan.ops, "/backup", plan.tokenFile, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: the gateway answered %s", res.Status)
	}
	var meta *chengnuo.BackupMeta
	tr := tar.NewReader(res.Body)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("backup: the gateway's snapshot: %w", err)
		}
		if h.Name == chengnuo.BackupMetaName {
			meta = &chengnuo.BackupMeta{}
			if err := json.NewDecoder(tr).Decode(meta); err != nil {
				return fmt.Errorf("backup: the gateway's snapshot: %w", err)
			}
			continue
		}
		rel, known := plan.gatewayPaths[h.Name]
		if !known {
			return fmt.Errorf("backup: the gateway's snapshot holds %q, which this command does not know", h.Name)
		}
		if err := a.Add("home/"+rel, 0o600, h.Size, tr); err != nil {
			return err
		}
	}
	if meta == nil {
		return errors.New("backup: the gateway's snapshot was cut short")
	}
	m := a.Manifest()
	m.Department, m.BlockHeight = meta.MSPID, meta.BlockHeight
	// 2. A PostgreSQL store, dumped (a consistent snapshot of its own).
	if meta.Store == "postgres" {
		if plan.pgURL == "" {
			return errors.New("backup: the store is PostgreSQL: give --pg-url")
		}
		dump, err := os.CreateTemp(plan.dir, ".pgdump-*")
		if err != nil {
			return err
		}
		defer os.Remove(dump.Name())
		cmd := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--dbname", plan.pgURL, "--file", dump.Name())
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("backup: pg_dump: %v: %s", err, msg)
		}
		dump.Close()
		if err := a.AddFile("postgres.dump", dump.Name()); err != nil {
			return err
		}
	}
	// 3. The department's keys, certificates, secret, definition and
	// configuration.
	if err := a.AddTree("home", plan.home, homeSkipped(plan)); err != nil {
		return err
	}
	if _, err := a.Close(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	ok = true
	st, _ := os.Stat(final)
	fmt.Fprintf(out, "backup of %s at block height %d: %s, %d parts, %d bytes of state, %d bytes sealed, in %.1f s\n",
		m.Department, m.BlockHeight, final, len(m.Parts), m.Size(), st.Size(), time.Since(started).Seconds())
	removed, err := backup.Prune(plan.dir, plan.name+"-", ".cnbak", plan.keep)
	for _, r := range removed {
		fmt.Fprintf(out, "pruned %s\n", r)
	}
	return err
}

// restoreBackup puts a backup's department home in place at home, which
// must not exist; nothing is written there unless every part checked.
func restoreBackup(r io.Reader, key []byte, home string) (*backup.Manifest, error) {
	home = filepath.Clean(home)
	if _, err := os.Lstat(home); err == nil {
		return nil, fmt.Errorf("%s exists: restore onto a fresh host (stop and move away what runs there first)", home)
	}
	unpacked := home + ".unpacked"
	m, err := backup.Extract(r, key, unpacked)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(unpacked)
	if err := os.Rename(filepath.Join(unpacked, "home"), home); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(unpacked, "postgres.dump")); err == nil {
		if err := os.Rename(filepath.Join(unpacked, "postgres.dump"), filepath.Join(home, "postgres.dump")); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func reconcile(ctx context.Context, out io.Writer, ops, tokenFile, csvPath string, atLeast uint64) error {
	req, err := opsRequest(ctx, http.MethodPost, ops, "/reconcile?height="+strconv.FormatUint(atLeast, 10), tokenFile, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: 15 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		_ = json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&e)
		return fmt.Errorf("reconcile: %s %s %s", res.Status, e.Code, e.Message)
	}
	var r chengnuo.Reconciliation
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return err
	}
	fmt.Fprintf(out, "the ledger (%d blocks) holds %d letters this department anchored; the restored store holds %d\n", r.Height, r.Anchored, r.Held)
	if len(r.Lost) == 0 {
		fmt.Fprintln(out, "no letter was anchored after the backup")
	} else {
		fmt.Fprintf(out, "%d letters were anchored after the backup: collect them again from their applicants (marked lost in the store):\n", len(r.Lost))
		for _, l := range r.Lost {
			fmt.Fprintf(out, "  %s  %s  %s  block %d  %s\n", l.ID, l.LetterDigest, l.ItemCode, l.BlockNumber, l.AnchoredAt.In(chengnuo.China).Format("2006-01-02 15:04:05"))
		}
	}
	for year, n := range r.SkippedNumbers {
		fmt.Fprintf(out, "letter numbers of %s: %d skipped, so that none issued after the backup is issued again\n", year, n)
	}
	if csvPath == "" {
		return nil
	}
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"id", "letterDigest", "itemCode", "itemVersion", "status", "anchoredAt", "blockNumber", "txId"})
	for _, l := range r.Lost {
		_ = w.Write([]string{l.ID, l.LetterDigest, l.ItemCode, strconv.Itoa(l.ItemVersion), l.Status, l.AnchoredAt.UTC().Format(time.RFC3339),
			strconv.FormatUint(l.BlockNumber, 10), l.TxID})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
