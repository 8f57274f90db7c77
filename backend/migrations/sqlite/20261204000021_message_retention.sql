-- How long the server keeps a partner's messages, in days; 0 keeps them for good (the
-- default, as before). The hourly housekeeping deletes older ones with their status history
-- and delivery jobs; the employees' apps keep their own copies.
ALTER TABLE partners ADD COLUMN message_keep_days INTEGER NOT NULL DEFAULT 0;
