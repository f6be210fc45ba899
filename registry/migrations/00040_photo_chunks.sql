-- Photo content moves out of vin_photos into chunks of at most a few hundred
-- KiB each, so the adapter writes an upload as it streams in and never holds
-- a whole photo in memory, inside the transaction that records the photo.
-- Chunks reference their photo with a deferred key: the photo row, which
-- needs the digest and size of the whole content, is written after them.

-- +goose Up
CREATE TABLE vin_photo_chunks (
    photo_id bigint  NOT NULL REFERENCES vin_photos (id) ON DELETE CASCADE
                     DEFERRABLE INITIALLY DEFERRED,
    seq      integer NOT NULL CHECK (seq >= 0),
    data     bytea   NOT NULL CHECK (octet_length(data) > 0),
    PRIMARY KEY (photo_id, seq)
);
-- Images are already compressed.
ALTER TABLE vin_photo_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE vin_photos ADD COLUMN size bigint;
INSERT INTO vin_photo_chunks (photo_id, seq, data) SELECT id, 0, content FROM vin_photos;
UPDATE vin_photos SET size = octet_length(content);
ALTER TABLE vin_photos ALTER COLUMN size SET NOT NULL;
ALTER TABLE vin_photos ADD CONSTRAINT vin_photos_size_check CHECK (size > 0);
ALTER TABLE vin_photos DROP COLUMN content;

-- +goose Down
ALTER TABLE vin_photos ADD COLUMN content bytea;
UPDATE vin_photos p SET content = (SELECT string_agg(c.data, ''::bytea ORDER BY c.seq)
    FROM vin_photo_chunks c WHERE c.photo_id = p.id);
ALTER TABLE vin_photos ALTER COLUMN content SET NOT NULL;
ALTER TABLE vin_photos ADD CHECK (octet_length(content) > 0);
ALTER TABLE vin_photos ALTER COLUMN content SET STORAGE EXTERNAL;
ALTER TABLE vin_photos DROP COLUMN size;
DROP TABLE vin_photo_chunks;
