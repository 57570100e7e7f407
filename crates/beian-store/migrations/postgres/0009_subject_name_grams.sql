-- Subject-name search (schema v9, PostgreSQL). Keep in step with migrations/sqlite.
-- Every two-character piece of a subject's name, so the reviewer's "name contains" search
-- starts from the subjects that can match instead of walking a whole queue stage. Written
-- with the subject (Tx::insert_subject / update_subject); filled here for existing rows.
CREATE TABLE subject_name_grams (
    gram TEXT NOT NULL,
    subject_id UUID NOT NULL REFERENCES subjects (id),
    PRIMARY KEY (gram, subject_id)
);
CREATE INDEX subject_name_grams_subject ON subject_name_grams (subject_id);
WITH RECURSIVE g(id, name, i) AS (
    SELECT id, name, 1 FROM subjects WHERE char_length(name) >= 2
    UNION ALL SELECT id, name, i + 1 FROM g WHERE i + 2 <= char_length(name)
)
INSERT INTO subject_name_grams (gram, subject_id) SELECT substr(name, i, 2), id FROM g
ON CONFLICT DO NOTHING;
-- A search by name piece finds the subjects' orders through this index.
CREATE INDEX orders_subject ON orders (subject_id);
