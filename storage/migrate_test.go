package storage

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"
)

func TestMigrateOwnedAppliesEachFileOnce(t *testing.T) {
	dir := t.TempDir()
	fsys := fstest.MapFS{
		"0001_things.sql": {Data: []byte(`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`)},
		"0002_more.sql":   {Data: []byte(`ALTER TABLE things ADD COLUMN note TEXT NOT NULL DEFAULT '';`)},
	}
	ctx := context.Background()
	// Several handles race to migrate the same new database, as two
	// processes started at once on one data directory would.
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := OpenDir(dir, Options{})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.MigrateOwned(ctx, "test", fsys)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := OpenDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM owned_migrations WHERE owner = 'test'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("owned migrations recorded = %d, want 2", n)
	}
	if _, err := db.write.Exec(`INSERT INTO things (name, note) VALUES ('a', 'b')`); err != nil {
		t.Errorf("migrated table unusable: %v", err)
	}
	// Another owner with the same numbers is independent.
	other := fstest.MapFS{"0001_x.sql": {Data: []byte(`CREATE TABLE other_things (id INTEGER PRIMARY KEY);`)}}
	if err := db.MigrateOwned(ctx, "other", other); err != nil {
		t.Fatal(err)
	}
	if err := db.MigrateOwned(ctx, "", other); err == nil {
		t.Error("empty owner accepted")
	}
}

func TestMigrateOwnedRefusesBadNames(t *testing.T) {
	db, err := OpenDir(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, fsys := range map[string]fstest.MapFS{
		"no number": {"things.sql": {Data: []byte(`SELECT 1;`)}},
		"duplicate": {"0001_a.sql": {Data: []byte(`SELECT 1;`)}, "0001_b.sql": {Data: []byte(`SELECT 1;`)}},
		"bad sql":   {"0001_a.sql": {Data: []byte(`CREATE TABL x;`)}},
	} {
		if err := db.MigrateOwned(context.Background(), "bad-"+name, fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
