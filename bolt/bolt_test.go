package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/chengnuo/chengnuo/bolt"
	"github.com/chengnuo/chengnuo/internal/storetest"
)

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func(*testing.T) storetest.Store {
		path := filepath.Join(t.TempDir(), "store.db")
		return func(t *testing.T) storetest.Store {
			db, err := bolt.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	}, false)
}

func BenchmarkStoreLetters(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.Bench(b, db)
}
