-- The language an account reads its e-mail in: the one it last chose on the pages (or signed
-- up in). Notices go out in it alone, not in both languages at once.
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en'));
