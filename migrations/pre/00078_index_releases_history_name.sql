-- +goose Up
-- The 3-way merge of a stale release write looks up the ancestor by name
-- and data_version; without an index that scans all release history.
CREATE INDEX `releases_history_name_version` ON `releases_history` (`name`, `data_version`);

-- +goose Down
DROP INDEX `releases_history_name_version` ON `releases_history`;
