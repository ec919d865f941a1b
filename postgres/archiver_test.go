package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chengnuo/chengnuo/internal/pgtest"
	"github.com/chengnuo/chengnuo/postgres"
)

// The archiver's state as the gateway's metrics report it: segments
// archived while the archive takes them; failing while it refuses them.
func TestArchiverState(t *testing.T) {
	for _, c := range []struct {
		command string
		failing bool
	}{{"true", false}, {"false", true}} {
		t.Run("archive_command="+c.command, func(t *testing.T) {
			srv := pgtest.Start(t, "wal_level=replica", "archive_mode=on", "archive_command="+c.command)
			ctx := context.Background()
			url := srv.NewDB(t)
			db, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a, err := db.Archiver(ctx)
			if err != nil || a.Archived != 0 || a.Failed != 0 || a.Failing() {
				t.Fatalf("before any segment: %+v %v", a, err)
			}
			// Close a segment (the schema was written into it) and wait for the archiver.
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `SELECT pg_switch_wal()`); err != nil {
				t.Fatal(err)
			}
			for end := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if a, err = db.Archiver(ctx); err != nil {
					t.Fatal(err)
				}
				if a.Archived+a.Failed > 0 || time.Now().After(end) {
					break
				}
			}
			if a.Failing() != c.failing || (a.Archived > 0) == c.failing || (a.Failed > 0) != c.failing {
				t.Fatalf("%+v, failing %v", a, a.Failing())
			}
		})
	}
}
