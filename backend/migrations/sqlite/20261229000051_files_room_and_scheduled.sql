-- Which files a scheduled send carries, in the order given: the messages it creates when it
-- goes carry them, and the next send of a series is stored with them too. A file a waiting
-- send carries is kept however long it waits; the links of a send that went or was cancelled
-- are deleted with the file when nothing else needs it (see `Store::prune_unused_files`).
CREATE TABLE scheduled_files (
    scheduled_id INTEGER NOT NULL REFERENCES scheduled_sends(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    file_id      INTEGER NOT NULL REFERENCES files(id),
    PRIMARY KEY (scheduled_id, position)
);
CREATE INDEX scheduled_files_file ON scheduled_files(file_id);

-- How many bytes of files a company keeps, summed from the index alone: an upload beyond the
-- company's room (`SIMO_FILE_QUOTA_BYTES`) is refused, and the cabinet's send form shows it.
CREATE INDEX files_usage ON files(partner_id, size);
-- The operator's room for this company's files, in megabytes (0: no limit); NULL: the server's.
ALTER TABLE partners ADD COLUMN file_room_mb INTEGER;
