-- The roster search index is an in-memory copy of the enterprises table
-- (storage/search.go), kept by each process that searches. Another
-- process on the same database (`zoufang-server roster` while `serve`
-- runs) changes the table behind its back; every write transaction that
-- changes enterprises adds one to this counter (DB.Update), and a search
-- rebuilds its index when the counter is not the one it was built at.
CREATE TABLE roster_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO roster_changes (id, n) VALUES (1, 0);
