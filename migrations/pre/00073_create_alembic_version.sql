-- +goose Up
CREATE TABLE IF NOT EXISTS `alembic_version` (
  `version_num` VARCHAR(32) NOT NULL,
  PRIMARY KEY (`version_num`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `alembic_version`;
