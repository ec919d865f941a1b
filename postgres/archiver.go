package postgres

import (
	"context"
	"time"
)

// Archiver is the state of the server's log archiving (pg_stat_archiver):
// continuous protection works while segments are archived and none fails.
type Archiver struct {
	Archived, Failed int64     // segments archived, and failed attempts, since the statistics were reset
	LastArchived     time.Time // zero before the first
	LastFailed       time.Time // zero before the first failure
}

// Failing says whether the last archiving attempt failed: the archive
// refuses or cannot take segments, and the server keeps its log until it
// can (its disk fills).
func (a Archiver) Failing() bool { return a.LastFailed.After(a.LastArchived) }

// Archiver reads the server's archiving statistics.
func (d *DB) Archiver(ctx context.Context) (Archiver, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var a Archiver
	var archived, failed *time.Time
	err := d.pool.QueryRow(ctx, `SELECT archived_count, failed_count, last_archived_time, last_failed_time FROM pg_stat_archiver`).
		Scan(&a.Archived, &a.Failed, &archived, &failed)
	if archived != nil {
		a.LastArchived = *archived
	}
	if failed != nil {
		a.LastFailed = *failed
	}
	return a, err
}
