-- Blind index of a message's recipient, for per-recipient daily caps (SMS costs money and is
-- the first thing abused) without decrypting recipients.
ALTER TABLE messages ADD COLUMN recipient_index BYTEA;
CREATE INDEX messages_recipient ON messages (channel, recipient_index, created_at);
