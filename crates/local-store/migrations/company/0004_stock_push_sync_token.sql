-- The SyncToken of the item version a count's target quantity was computed
-- against. A resend carries it, so QuickBooks refuses the old target as
-- stale if the item has moved since (a sale recorded there meanwhile),
-- instead of letting it erase that sale.
ALTER TABLE stock_pushes ADD COLUMN sync_token TEXT;
