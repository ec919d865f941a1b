package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chengnuo/chengnuo"
	"github.com/chengnuo/chengnuo/internal/pgtest"
	"github.com/chengnuo/chengnuo/internal/storetest"
	"github.com/chengnuo/chengnuo/postgres"
)

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The store runs the suite every store runs, on a real server, with two
// handles on one database racing as two gateway replicas do.
func TestStoreConformance(t *testing.T) {
	srv := pgtest.Start(t)
	storetest.Run(t, func(t *testing.T) func(*testing.T) storetest.Store {
		url := srv.NewDB(t)
		return func(t *testing.T) storetest.Store { return open(t, url) }
	}, true)
}

// Replicas starting together each apply the schema; none fails.
func TestReplicasOpenTogether(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDB(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := postgres.Open(t.Context(), url)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A server that is gone is EUNAVAILABLE (a 503 to the client, nothing
// changed), not an internal error; so is a database that refuses writes.
func TestUnavailableServer(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDB(t)
	db := open(t, url)
	ctx := t.Context()
	if _, err := postgres.Open(ctx, "postgres:///none?host=/nonexistent&connect_timeout=1"); err == nil {
		t.Fatal("opened a store on no server")
	}
	// A read-only database: what a full disk or a standby looks like to a writer.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{conn.Config().Database}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	db2 := open(t, url)
	_, err = db2.PutPending(ctx, []*chengnuo.StoredLetter{{ID: "CN1", State: chengnuo.StatePending, StoredAt: time.Now()}})
	if chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("a write to a read-only store: %v", err)
	}
	if _, err := db2.Get(ctx, "CN1"); chengnuo.ErrorCode(err) != chengnuo.ENOTFOUND {
		t.Fatalf("the refused letter: %v", err)
	}
	db.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := db.Get(cctx, "CN1"); chengnuo.ErrorCode(err) != chengnuo.EUNAVAILABLE {
		t.Fatalf("a closed store: %v", err)
	}
}

// BenchmarkStoreLetters: durable, as a department runs it (fsync on).
func BenchmarkStoreLetters(b *testing.B) {
	srv := pgtest.Start(b, "fsync=on")
	db, err := postgres.Open(b.Context(), srv.NewDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.Bench(b, db)
}
