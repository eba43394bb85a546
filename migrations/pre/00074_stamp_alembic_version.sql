-- +goose Up
-- Balrog's own schema tool reads alembic_version; stamping it keeps a
-- database created here usable by Balrog's tooling, and the reverse.
INSERT INTO `alembic_version` (`version_num`)
SELECT '0001' FROM (SELECT 1 AS `one`) AS `seed`
WHERE NOT EXISTS (SELECT 1 FROM `alembic_version`);

-- +goose Down
DELETE FROM `alembic_version` WHERE `version_num` = '0001';
