-- +goose Up
-- The sqlalchemy-migrate bookkeeping table must not exist after an upgrade
-- (schema.md §4.13). Dropping it is destructive, so it runs after the deploy.
DROP TABLE IF EXISTS `migrate_version`;

-- +goose Down
-- Nothing to restore: the legacy table held no data this service reads.
SELECT 1;
