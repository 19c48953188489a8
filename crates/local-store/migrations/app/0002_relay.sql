-- Companies connected through a Ledgerlink relay: the relay's address (its
-- token endpoint refreshes their tokens, so it is fixed at connect time),
-- and the number of the last relay event the app has acted on (where the
-- live updates resume after a restart).
ALTER TABLE companies ADD COLUMN relay_url TEXT;
ALTER TABLE companies ADD COLUMN relay_cursor INTEGER;
